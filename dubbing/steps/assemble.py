"""Fit lines into their slots, then render the dub track, the container, subtitles, report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

from dubbing import keys
from dubbing.contract import FitSummary, OutputSet
from dubbing.fit import Slot, decide, slots
from dubbing.media import mix, render
from dubbing.media.tools import run_tool
from dubbing.report import build_report
from dubbing.stages import Clip, FitInput, FitRecord, RenderInput, Segment
from dubbing.steps import Beat, Done
from dubbing.steps import text as text_step
from dubbing.storage import Store
from dubbing.subtitles import Cue, to_srt, to_vtt


def fit_window(store: Store, scratch: Path, inp: FitInput, beat: Beat) -> Done:
    segments = [Segment.model_validate(s) for s in store.get_json(inp.segments_key)]
    texts: list[str] = store.get_json(inp.texts_key)
    clips = [Clip.model_validate(c) for c in store.get_json(inp.clips_key)]
    engine_record = text_step.engine_key(inp.texts_key)
    engine = store.get_json(engine_record) if store.exists(engine_record) else {}
    per_line = engine.get("lines") or [engine] * len(segments)
    records = []
    for seg, text, clip, slot, used in zip(segments, texts, clips,
                                           slots([s.start for s in segments], inp.window.end),
                                           per_line, strict=True):
        record = FitRecord(index=seg.index, start=seg.start, end=seg.end, slot_end=slot.end,
                           source_text=seg.text, target_text=text, synthesized_seconds=0.0,
                           speed=1.0, placed_seconds=0.0, overflow_seconds=0.0, fitted_key=None,
                           error=clip.error, translation_engine=used.get("engine"),
                           translation_fallback=used.get("fallback_reason"))
        if clip.key is not None:
            record = _fit_clip(store, scratch, inp, record, clip.key, clip.duration, slot)
        records.append(record)
        beat({"fitted": len(records)})
    key = keys.fit_key(inp.job_id, inp.window.index, inp.target_lang)
    store.put_json(key, [r.model_dump() for r in records])
    placed = [r for r in records if r.fitted_key is not None]
    return Done(key, lines=len(records), audio_seconds=sum(r.placed_seconds for r in placed),
                speeds=[r.speed for r in placed])


def _fit_clip(store: Store, scratch: Path, inp: FitInput, record: FitRecord, clip_key: str,
              clip_seconds: float, slot: Slot) -> FitRecord:
    decision = decide(clip_seconds, slot, inp.max_stretch)
    fitted = None
    if decision.placed_seconds > 0:
        fitted = keys.fitted_key(inp.job_id, inp.window.index, inp.target_lang, record.index)
        dest = scratch / f"fitted-{record.index:04d}.wav"
        with store.open_local(clip_key, scratch) as source:
            run_tool(render.fit_clip_args(source, dest, decision), what="ffmpeg fit")
        store.put_file(fitted, dest)
        dest.unlink()
    return record.model_copy(update={
        "synthesized_seconds": clip_seconds, "speed": decision.speed,
        "placed_seconds": decision.placed_seconds,
        "overflow_seconds": decision.overflow_seconds, "fitted_key": fitted})


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
    video = scratch / "dub.mp4"
    info = inp.media
    with store.open_local(inp.input_key, scratch) as source:
        loudness = mix.measure(source, dub, beat=beat)
        beat("measured")
        run_tool(render.mux_args(source, dub, video, target_lang=inp.target_lang,
                                 source_lang=inp.source_lang, video_codec=info.video_codec,
                                 audio_codec=info.audio_codec, mix=mix.mix_graph(loudness)),
                 what="ffmpeg mux", timeout=6 * 3600, beat=beat)
    beat("muxed")
    store.put_file(out["mp4"], video)
    source_cues = [Cue(r.start, r.end, r.source_text) for r in records]
    target_cues = [Cue(r.start, r.start + max(r.placed_seconds, r.end - r.start), r.target_text)
                   for r in records]
    store.put_bytes(out["source_srt"], to_srt(source_cues).encode())
    store.put_bytes(out["source_vtt"], to_vtt(source_cues).encode())
    store.put_bytes(out["target_srt"], to_srt(target_cues).encode())
    store.put_bytes(out["target_vtt"], to_vtt(target_cues).encode())
    report = build_report(inp, records)
    store.put_bytes(out["report"], json.dumps(report, ensure_ascii=False, indent=2).encode())
    return OutputSet(target_lang=inp.target_lang, keys=out,
                     summary=FitSummary.model_validate(report["summary"]))


def _placements(store: Store, scratch: Path, records: list[FitRecord],
                stack: ExitStack) -> Iterator[render.Placement]:
    for record in sorted(records, key=lambda r: r.start):
        if record.fitted_key is not None:
            path = stack.enter_context(store.open_local(record.fitted_key, scratch))
            yield render.Placement(record.start, path)
