"""Render a language's outputs: the dub track and mix, the container, subtitles, report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

from dubbing import keys
from dubbing.contract import FitSummary, OutputSet
from dubbing.media import mix, render
from dubbing.media.subs import SubtitleMode
from dubbing.media.tools import run_tool
from dubbing.report import build_report
from dubbing.stages import FitRecord, RenderInput
from dubbing.steps import Beat
from dubbing.storage import Store
from dubbing.subtitles import Cue, to_srt, to_vtt


def load_records(store: Store, fit_keys: list[str]) -> list[FitRecord]:
    return [FitRecord.model_validate(r) for k in fit_keys for r in store.get_json(k)]


def render_outputs(store: Store, scratch: Path, inp: RenderInput, beat: Beat) -> OutputSet:
    records = load_records(store, inp.fit_keys)
    out = {kind: keys.output_key(inp.job_id, kind, inp.source_lang, inp.target_lang)
           for kind in keys.OUTPUT_FILES}
    dub = scratch / "dub.wav"
    with ExitStack() as stack:
        placements = _placements(store, scratch, records, stack)
        render.write_dub_track(dub, inp.media.duration, placements)
    beat("dub track")
    subtitles = _write_subtitles(store, scratch, records, out, inp)
    video = scratch / "dub.mp4"
    info = inp.media
    with store.open_local(inp.input_key, scratch) as source:
        loudness = mix.measure(source, dub, beat=beat)
        beat("measured")
        run_tool(render.mux_args(source, dub, video, target_lang=inp.target_lang,
                                 source_lang=inp.source_lang, video_codec=info.video_codec,
                                 audio_codec=info.audio_codec, mix=mix.mix_graph(loudness),
                                 subtitles=subtitles),
                 what="ffmpeg mux", timeout=6 * 3600, beat=beat)
    beat("muxed")
    store.put_file(out["mp4"], video)
    ref_key = inp.job.reference_key if inp.job else None
    reference = store.get_bytes(ref_key).decode("utf-8", "replace") if ref_key else None
    report = build_report(inp, records, reference)
    store.put_json(keys.manifest_key(inp.job_id, inp.target_lang), inp.model_dump(mode="json"))
    store.put_bytes(out["report"], json.dumps(report, ensure_ascii=False, indent=2).encode())
    return OutputSet(target_lang=inp.target_lang, keys=out,
                     summary=FitSummary.model_validate(report["summary"]))


def _write_subtitles(store: Store, scratch: Path, records: list[FitRecord],
                     out: dict[str, str], inp: RenderInput) -> render.Subtitles:
    """Store both languages' SRT and VTT; keep the SRTs at hand for the container."""
    source_cues = [Cue(r.start, r.end, r.source_text) for r in records]
    target_cues = [Cue(r.placed_from, max(r.placed_from + r.placed_seconds,
                                          min(r.end, r.slot_end)), r.target_text)
                   for r in records]
    files = render.Subtitles(SubtitleMode(inp.job.subtitles if inp.job else "none"),
                             scratch / "target.srt", scratch / "source.srt")
    files.target_srt.write_text(to_srt(target_cues), encoding="utf-8")
    files.source_srt.write_text(to_srt(source_cues), encoding="utf-8")
    store.put_file(out["source_srt"], files.source_srt)
    store.put_bytes(out["source_vtt"], to_vtt(source_cues).encode())
    store.put_file(out["target_srt"], files.target_srt)
    store.put_bytes(out["target_vtt"], to_vtt(target_cues).encode())
    return files


def _placements(store: Store, scratch: Path, records: list[FitRecord],
                stack: ExitStack) -> Iterator[render.Placement]:
    for record in sorted(records, key=lambda r: r.placed_from):
        if record.fitted_key is not None:
            path = stack.enter_context(store.open_local(record.fitted_key, scratch))
            yield render.Placement(record.placed_from, path)
