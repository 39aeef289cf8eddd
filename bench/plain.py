"""The plain script a user would write: the service's step functions, one after another.

One process, no Temporal: probe, extract, plan windows, then for each window transcribe and,
per target language, translate, synthesize and fit; finally render each language. Same engines
and defaults as `DubJob` (tiny.en, Apertium, the `auto` voice, max stretch 1.3, 180 s windows,
`--speakers auto`: each window's voices embedded after its transcription, clustered once all
are, before any line is voiced), a `LocalStore` in a temporary directory, and `no_beat` for
progress.

    python -m bench.plain INPUT --to es --out DIR [--timings FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.plain_parts import PlainResult, Run, job_id_for, make_job
from dubbing import keys
from dubbing.contract import DubJob, OutputSet, TranscriptionSettings
from dubbing.engines import asr, tts
from dubbing.stages import (
    ClusterSpeakersInput,
    EmbedSpeakersInput,
    ExtractInput,
    FitInput,
    MediaInfo,
    PlanInput,
    ProbeInput,
    RenderInput,
    SynthesizeInput,
    TranscribeInput,
    TranscribeOutput,
    TranslateInput,
    Window,
)
from dubbing.steps import diarize, fit, ingest, no_beat, speakers, synthesize, translate
from dubbing.steps import render as render_step
from dubbing.steps import transcribe as transcribe_step
from dubbing.storage import LocalStore


def prepare(run: Run, source: Path) -> tuple[str, MediaInfo, str, list[Window]]:
    """Store the input, probe it, extract its audio and plan the windows; the input's key
    comes first."""
    job = run.job.model_copy(update={"input_key": keys.input_key(run.job_id)})
    run.timings.timed("upload", lambda: run.store.put_file(job.input_key, source))
    checked = ProbeInput(job_id=run.job_id, job=job)
    with run.scratch() as tmp:
        info = run.timings.timed("probe", lambda: ingest.probe_input(run.store, tmp, checked))
    ref = ExtractInput(job_id=run.job_id, input_key=job.input_key, input_name=job.input_name,
                       media=info)
    with run.scratch() as tmp:
        audio_key = run.timings.timed(
            "extract", lambda: ingest.extract_audio(run.store, tmp, ref, no_beat))
    plan = PlanInput(job_id=run.job_id, audio_key=audio_key, duration=info.duration,
                     window_seconds=run.job.window_seconds)
    with run.scratch() as tmp:
        windows = run.timings.timed("plan", lambda: ingest.plan(run.store, tmp, plan, no_beat))
    return job.input_key, info, audio_key, windows


def transcribe(run: Run, audio_key: str, window: Window) -> TranscribeOutput:
    inp = TranscribeInput(job_id=run.job_id, audio_key=audio_key, window=window,
                          language=run.job.source_lang, settings=run.job.transcription)
    with run.scratch() as tmp:
        return run.timings.timed(
            "transcribe", lambda: transcribe_step.transcribe_window(run.store, tmp, inp, no_beat))


def embed(run: Run, audio_key: str, window: Window, transcript: TranscribeOutput) -> str:
    inp = EmbedSpeakersInput(job_id=run.job_id, audio_key=audio_key, window=window,
                             segments_key=transcript.segments_key)
    with run.scratch() as tmp:
        return run.timings.timed(
            "embed speakers", lambda: speakers.embed_window(run.store, tmp, inp, no_beat))


def cluster(run: Run, embeddings_keys: list[str]) -> str:
    inp = ClusterSpeakersInput(job_id=run.job_id, embeddings_keys=embeddings_keys,
                               speakers=run.job.speakers)
    return run.timings.timed(
        "cluster speakers", lambda: diarize.cluster_job(run.store, inp)).speakers_key


def voice_window(run: Run, audio_key: str, window: Window, transcript: TranscribeOutput,
                 lang: str, speakers_key: str | None) -> str:
    """Translate, synthesize and fit one window into one language; return its fit key."""
    job = run.job
    translated = TranslateInput(
        job_id=run.job_id, window_index=window.index, segments_key=transcript.segments_key,
        source_lang=job.source_lang, target_lang=lang, translator=job.translator)
    texts = run.timings.timed(
        "translate", lambda: translate.translate_window(run.store, translated, no_beat)).key
    voiced = SynthesizeInput(
        job_id=run.job_id, window_index=window.index, texts_key=texts, target_lang=lang,
        voice=job.voice, strict=job.strict, segments_key=transcript.segments_key,
        audio_key=audio_key, window_seconds=window.end - window.start,
        max_stretch=job.max_stretch, min_speed=job.min_speed, speakers_key=speakers_key)
    with run.scratch() as tmp:
        clips = run.timings.timed(
            "synthesize", lambda: synthesize.synthesize_window(
                run.store, tmp, voiced, no_beat, voices=tts.speaker_synthesizer)).key
    fitted = FitInput(job_id=run.job_id, window=window, target_lang=lang,
                      segments_key=transcript.segments_key, texts_key=texts, clips_key=clips,
                      max_stretch=job.max_stretch, overflow=job.overflow,
                      min_speed=job.min_speed)
    with run.scratch() as tmp:
        return run.timings.timed(
            "fit", lambda: fit.fit_window(run.store, tmp, fitted, no_beat)).key


def render(run: Run, input_key: str, info: MediaInfo, lang: str, fit_keys: list[str],
           windows: list[Window]) -> OutputSet:
    job = run.job
    inp = RenderInput(job_id=run.job_id, input_key=input_key, input_name=job.input_name,
                      source_lang=job.source_lang, target_lang=lang, media=info,
                      fit_keys=fit_keys, job=job, windows=windows)
    with run.scratch() as tmp:
        return run.timings.timed(
            "render", lambda: render_step.render_outputs(run.store, tmp, inp, no_beat))


def download(run: Run, output: OutputSet, out_dir: Path) -> list[Path]:
    """Copy one language's outputs out under the names the service's CLI uses."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(run.job.input_name).stem
    written = []
    for kind, key in output.keys.items():
        dest = out_dir / keys.output_file_name(stem, kind, run.job.source_lang,
                                               output.target_lang)
        run.store.get_file(key, dest)
        written.append(dest)
    return written


def dub(source: Path, out_dir: Path, job: DubJob) -> PlainResult:
    """Dub `source` into every target language of `job`; outputs go into `out_dir`."""
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dub-plain-") as tmp:
        run = Run(store=LocalStore(Path(tmp) / "store"), work=Path(tmp), job=job,
                  job_id=job_id_for(source))
        ref, info, audio_key, windows = prepare(run, source)
        run.timings.timed("load model", lambda: asr.load_model(job.transcription.model))
        fit_keys: dict[str, list[str]] = {lang: [] for lang in job.target_langs}
        transcripts = [transcribe(run, audio_key, window) for window in windows]
        pairs = list(zip(windows, transcripts, strict=True))
        speakers_key = None
        if job.speakers != "1":
            speakers_key = cluster(run, [embed(run, audio_key, w, t) for w, t in pairs])
        for window, transcript in pairs:
            for lang in job.target_langs:
                fit_keys[lang].append(
                    voice_window(run, audio_key, window, transcript, lang, speakers_key))
        outputs: list[Path] = []
        for lang in job.target_langs:
            output = render(run, ref, info, lang, fit_keys[lang], windows)
            outputs += [p for p in download(run, output, out_dir) if p not in outputs]
    return PlainResult(media_seconds=info.duration, segments=sum(t.count for t in transcripts),
                       windows=len(windows), outputs=outputs,
                       wall_seconds=round(time.perf_counter() - began, 3),
                       stages=run.timings.stages)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.plain", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", type=Path, help="video or audio file to dub")
    parser.add_argument("--to", required=True, help="target language(s), comma-separated")
    parser.add_argument("--from", dest="source", default="en", help="spoken language")
    parser.add_argument("--out", type=Path, default=Path("out"), help="where outputs go")
    parser.add_argument("--translator", default="apertium")
    parser.add_argument("--voice", default="auto")
    parser.add_argument("--asr-model", default="tiny.en")
    parser.add_argument("--max-stretch", type=float, default=1.3)
    parser.add_argument("--speakers", default="auto", help="1, auto or a count, as the service's")
    parser.add_argument("--timings", type=Path, help="write the result and stage times as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> PlainResult:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = parse_args(argv)
    job = make_job(args.input.name, args.to, args.source, translator=args.translator,
                   voice=args.voice, max_stretch=args.max_stretch, speakers=args.speakers,
                   transcription=TranscriptionSettings(model=args.asr_model))
    result = dub(args.input, args.out, job)
    for path in result.outputs:
        print(path)
    rtf = result.wall_seconds / result.media_seconds if result.media_seconds else 0.0
    print(f"{result.segments} segments, {result.media_seconds:.1f} s of media dubbed in "
          f"{result.wall_seconds:.1f} s wall (real-time factor {rtf:.2f})")
    if args.timings is not None:
        summary = {**result.__dict__, "outputs": [str(p) for p in result.outputs]}
        args.timings.write_text(json.dumps(summary, indent=2))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
