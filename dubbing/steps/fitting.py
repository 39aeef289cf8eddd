"""Fitting a window's synthesized lines into their slots (steps 3 and 4 of the fit ladder).

Lines are placed in order. With the `shift` policy a line that still overflows at the cap runs
on and pushes the following lines, which start as soon as it ends and catch up in the next
silence; the last line of a window is always trimmed at the window's end, so no push ever
crosses into the next window unrecorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dubbing import keys
from dubbing.fit import Overflow, decide
from dubbing.media import render
from dubbing.media.tools import run_tool
from dubbing.stages import Clip, FitInput, FitRecord, Segment
from dubbing.steps import Beat, Done
from dubbing.steps import text as text_step
from dubbing.steps.redub import revisions
from dubbing.storage import Store


def fit_window(store: Store, scratch: Path, inp: FitInput, beat: Beat) -> Done:
    segments = [Segment.model_validate(s) for s in store.get_json(inp.segments_key)]
    texts: list[str] = store.get_json(inp.texts_key)
    clips = [Clip.model_validate(c) for c in store.get_json(inp.clips_key)]
    engines = _engines(store, inp.texts_key, len(segments))
    history = revisions(store, inp.job_id, inp.window.index, inp.target_lang)
    policy = Overflow(inp.overflow)
    records: list[FitRecord] = []
    busy_until = inp.window.start
    for i, (seg, text, clip, used) in enumerate(zip(segments, texts, clips, engines,
                                                    strict=True)):
        slot_end = segments[i + 1].start if i + 1 < len(segments) else inp.window.end
        start = max(seg.start, busy_until) if policy is Overflow.SHIFT else seg.start
        record = FitRecord(index=seg.index, start=seg.start, end=seg.end,
                           slot_end=max(seg.start, slot_end), source_text=seg.text,
                           target_text=text, synthesized_seconds=0.0, speed=1.0,
                           placed_seconds=0.0, overflow_seconds=0.0, fitted_key=None,
                           error=clip.error, placed_start=round(start, 4),
                           translation_engine=used.get("engine"),
                           translation_fallback=used.get("fallback_reason"),
                           revisions=history.get(str(i), []))
        record = record.model_copy(update={"revision": len(record.revisions)})
        if clip.key is not None:
            last = i + 1 == len(segments)
            record = _fit_clip(store, scratch, inp, record, clip, max(0.0, slot_end - start),
                               Overflow.TRIM if last else policy)
        records.append(record)
        busy_until = start + record.placed_seconds
        beat({"fitted": len(records)})
    key = keys.fit_key(inp.job_id, inp.window.index, inp.target_lang)
    store.put_json(key, [r.model_dump() for r in records])
    placed = [r for r in records if r.fitted_key is not None]
    return Done(key, lines=len(records), audio_seconds=sum(r.placed_seconds for r in placed),
                speeds=[r.speed for r in placed])


def _engines(store: Store, texts_key: str, count: int) -> list[dict[str, Any]]:
    """Which translation engine produced each line (recorded by the translate step)."""
    record_key = text_step.engine_key(texts_key)
    engine = store.get_json(record_key) if store.exists(record_key) else {}
    return engine.get("lines") or [engine] * count


def _fit_clip(store: Store, scratch: Path, inp: FitInput, record: FitRecord, clip: Clip,
              room: float, policy: Overflow) -> FitRecord:
    assert clip.key is not None
    decision = decide(clip.duration, room, inp.max_stretch, rate=clip.rate, policy=policy)
    fitted = None
    if decision.placed_seconds > 0:
        fitted = keys.fitted_key(inp.job_id, inp.window.index, inp.target_lang, record.index,
                                 record.revision)
        dest = scratch / f"fitted-{record.index:04d}.wav"
        with store.open_local(clip.key, scratch) as source:
            run_tool(render.fit_clip_args(source, dest, decision), what="ffmpeg fit")
        store.put_file(fitted, dest)
        dest.unlink()
    return record.model_copy(update={
        "synthesized_seconds": clip.duration, "natural_seconds": clip.natural_seconds,
        "speed": decision.speed, "rate": decision.rate, "tempo": decision.tempo,
        "step": decision.step.value, "placed_seconds": decision.placed_seconds,
        "overflow_seconds": decision.overflow_seconds, "fitted_key": fitted})
