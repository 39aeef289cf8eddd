"""Transcription and synthesis: the speech-model steps, run on the GPU worker.

Both checkpoint through `beat` after every line, and accept the last checkpoint back so a
retried attempt resumes where the previous one stopped instead of starting over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from dubbing import keys
from dubbing.engines import asr, tts
from dubbing.engines.reference import pick_reference
from dubbing.errors import DubError, SegmentFailedError
from dubbing.media import audio
from dubbing.stages import Clip, Segment, SynthesizeInput, TranscribeInput, TranscribeOutput
from dubbing.steps import Beat, Done
from dubbing.storage import Store
from dubbing.tracing import tracer

LINE_ATTEMPTS = 3


def _worth_retrying(exc: BaseException) -> bool:
    return not (isinstance(exc, DubError) and not exc.retryable)


def _synthesize(engine: tts.Synthesizer, text: str, dest: Path) -> None:
    """A line is retried in place a few times before it is isolated."""
    for attempt in Retrying(stop=stop_after_attempt(LINE_ATTEMPTS), reraise=True,
                            retry=retry_if_exception(_worth_retrying),
                            wait=wait_exponential(multiplier=0.5, max=4)):
        with attempt:
            engine.synthesize(text, dest)


def transcribe_window(store: Store, scratch: Path, inp: TranscribeInput, beat: Beat,
                      checkpoint: dict[str, Any] | None = None) -> TranscribeOutput:
    """Decode the window chunk by chunk; a retry restarts at the first unfinished chunk.

    Chunks are cut in silences and decoded independently, so a resumed attempt produces the
    same lines as an uninterrupted one while never decoding a finished chunk again.
    """
    asr.check_language(inp.settings.model, inp.language)
    beat(checkpoint)  # the model load below can take a while on a fresh worker
    model = asr.load_model(inp.settings.model)
    chunks = inp.window.chunk_bounds()
    done = [Segment.model_validate(s) for s in (checkpoint or {}).get("segments", [])]
    first = int((checkpoint or {}).get("chunks_done", 0))
    decoded = 0.0
    with store.open_local(inp.audio_key, scratch) as path:
        for number in range(first, len(chunks)):
            start, end = chunks[number]
            done += _decode_chunk(model, path, inp, number, len(done), beat, done)
            decoded += end - start
            beat({"chunks_done": number + 1, "segments": [s.model_dump() for s in done],
                  "position": end})
    key = keys.segments_key(inp.job_id, inp.window.index)
    store.put_json(key, [s.model_dump() for s in done])
    resumed_at = chunks[first][0] if checkpoint and first < len(chunks) else None
    return TranscribeOutput(segments_key=key, count=len(done), resumed_at=resumed_at,
                            decoded_seconds=round(decoded, 3))


def _decode_chunk(model: Any, path: Path, inp: TranscribeInput, number: int, first_index: int,
                  beat: Beat, done: list[Segment]) -> list[Segment]:
    """Decode one chunk, heartbeating after every line (the checkpoint is the chunk before)."""
    start, end = inp.window.chunk_bounds()[number]
    fresh: list[Segment] = []
    with tracer.start_as_current_span("asr.transcribe", attributes={
            "dub.window": inp.window.index, "dub.chunk": number,
            "dub.audio_seconds": round(end - start, 3), "dub.model": inp.settings.model}) as span:
        for line in asr.transcribe(model, audio.read_window(path, start, end), offset=start,
                                   limit=end, language=inp.language,
                                   beam_size=inp.settings.beam_size):
            fresh.append(Segment(index=first_index + len(fresh), start=line.start, end=line.end,
                                 text=line.text))
            beat({"chunks_done": number, "segments": [s.model_dump() for s in done],
                  "position": line.end})
        span.set_attribute("dub.segments", len(fresh))
    return fresh


def synthesize_window(store: Store, scratch: Path, inp: SynthesizeInput, beat: Beat,
                      checkpoint: dict[str, Any] | None = None) -> Done:
    """Voice every line; a line that keeps failing is isolated (or fails the job if strict)."""
    texts: list[str] = store.get_json(inp.texts_key)
    engine = tts.make_synthesizer(inp.voice, inp.target_lang, _reference(store, scratch, inp))
    clips = [Clip.model_validate(c) for c in (checkpoint or {}).get("clips", [])]
    clips = [c for c in clips if c.key is None or store.exists(c.key)]
    for index in range(len(clips), len(texts)):
        clips.append(_voice_line(store, scratch, inp, engine, index, texts[index]))
        beat({"clips": [c.model_dump() for c in clips]})
    key = keys.clips_key(inp.job_id, inp.window_index, inp.target_lang)
    store.put_json(key, [c.model_dump() for c in clips])
    voiced = [c for c in clips if c.key is not None]
    return Done(key, lines=len(voiced), audio_seconds=sum(c.duration for c in voiced))


def _reference(store: Store, scratch: Path, inp: SynthesizeInput) -> Path | None:
    """A clip of the speaker for voices that clone, cut from the window's own speech."""
    if inp.voice != "xtts" or inp.segments_key is None or inp.audio_key is None:
        return None
    segments = [Segment.model_validate(s) for s in store.get_json(inp.segments_key)]
    span = pick_reference(segments)
    if span is None:
        return None
    dest = scratch / "speaker.wav"
    with store.open_local(inp.audio_key, scratch) as path:
        audio.write_excerpt(path, dest, *span)
    return dest


def _voice_line(store: Store, scratch: Path, inp: SynthesizeInput, engine: tts.Synthesizer,
                index: int, text: str) -> Clip:
    dest = scratch / f"clip-{index:04d}.wav"
    try:
        with tracer.start_as_current_span("tts.synthesize", attributes={
                "dub.window": inp.window_index, "dub.segment": index,
                "dub.engine": engine.name, "dub.characters": len(text)}) as span:
            _synthesize(engine, text, dest)
            span.set_attribute("dub.audio_seconds", round(audio.wav_seconds(dest), 3))
    except Exception as exc:
        if isinstance(exc, DubError) and not exc.retryable:
            raise
        problem = f"{engine.name} failed on line {index + 1} of window {inp.window_index + 1}"
        if inp.strict:
            raise SegmentFailedError(
                f"{problem}: {exc}; run without --strict to keep the original audio there"
            ) from exc
        return Clip(index=index, key=None, duration=0.0, error=f"{problem}: {exc}")
    key = keys.clip_key(inp.job_id, inp.window_index, inp.target_lang, index)
    store.put_file(key, dest)
    clip = Clip(index=index, key=key, duration=round(audio.wav_seconds(dest), 4))
    dest.unlink()
    return clip
