"""Fitting a window's synthesized lines onto their speakers' spans (the rest of the ladder).

Lines are placed in order, each on its speaker's onset. A line longer than its span at the cap
runs on into the silence before the next line; with the `shift` policy what still does not fit
pushes the following lines, which start as soon as it ends and catch up in the next silence;
the last line of a window is always trimmed at the window's end, so no push ever crosses into
the next window unrecorded.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from dubbing import keys, onsets
from dubbing.fit import FitDecision, Limits, Overflow, Target, decide
from dubbing.media import audio, render
from dubbing.media.tools import run_tool
from dubbing.stages import Clip, FitInput, FitRecord, Segment
from dubbing.steps import Beat, Done
from dubbing.steps import translate as text_step
from dubbing.steps.redub import revisions
from dubbing.storage import Store

# A silence this long inside a dub voice is a pause a subtitle may split at.
PAUSE_SECONDS = 0.2
PAUSE_BELOW_PEAK_DB = 40.0
# Clips fitted by one ffmpeg process (a bounded command line and number of open files).
BATCH = 32


def fit_window(store: Store, scratch: Path, inp: FitInput, beat: Beat) -> Done:
    segments = [Segment.model_validate(s) for s in store.get_json(inp.segments_key)]
    texts: list[str] = store.get_json(inp.texts_key)
    clips = [Clip.model_validate(c) for c in store.get_json(inp.clips_key)]
    engines = _engines(store, inp.texts_key, len(segments))
    history = revisions(store, inp.job_id, inp.window.index, inp.target_lang, inp.run_id)
    policy = Overflow(inp.overflow)
    records: list[FitRecord] = []
    pending: list[tuple[int, Clip, FitDecision]] = []  # records whose clips are to be fitted
    busy_until = inp.window.start
    for i, (seg, text, clip, used) in enumerate(zip(segments, texts, clips, engines,
                                                    strict=True)):
        slot_end = segments[i + 1].start if i + 1 < len(segments) else inp.window.end
        start = max(seg.start, busy_until) if policy is Overflow.SHIFT else seg.start
        record = _unplaced(seg, text, clip, used, history.get(str(i), []), start, slot_end)
        if clip.key is not None:
            last = i + 1 == len(segments)
            target = Target(span=max(0.0, seg.end - start), room=max(0.0, slot_end - start))
            decision = decide(clip.duration, target, Limits(inp.max_stretch, inp.min_speed),
                              rate=clip.rate, policy=Overflow.TRIM if last else policy)
            record = _decided(record, clip, decision)
            if decision.placed_seconds > 0:
                pending.append((len(records), clip, decision))
        records.append(record)
        busy_until = start + record.placed_seconds
    for first in range(0, len(pending), BATCH):
        _fit_clips(store, scratch, inp, records, pending[first:first + BATCH])
        beat({"fitted": min(len(pending), first + BATCH)})
    key = keys.fit_key(inp.job_id, inp.window.index, inp.target_lang, run=inp.run_id)
    store.put_json(key, [r.model_dump() for r in records])
    placed = [r for r in records if r.fitted_key is not None]
    return Done(key, lines=len(records), audio_seconds=sum(r.placed_seconds for r in placed),
                speeds=[r.speed for r in placed])


def _engines(store: Store, texts_key: str, count: int) -> list[dict[str, Any]]:
    """Which translation engine produced each line (recorded by the translate step)."""
    record_key = text_step.engine_key(texts_key)
    engine = store.get_json(record_key) if store.exists(record_key) else {}
    return engine.get("lines") or [engine] * count


def _unplaced(seg: Segment, text: str, clip: Clip, used: dict[str, Any],
              history: list[Any], start: float, slot_end: float) -> FitRecord:
    """A line's record before its clip is placed: where it is spoken, its texts, revisions,
    speaker and translation engine."""
    return FitRecord(index=seg.index, start=seg.start, end=seg.end,
                     slot_end=max(seg.start, slot_end), source_text=seg.text,
                     target_text=text, synthesized_seconds=0.0, speed=1.0,
                     placed_seconds=0.0, overflow_seconds=0.0, fitted_key=None,
                     error=clip.error, placed_start=round(start, 4),
                     translation_engine=used.get("engine"),
                     translation_fallback=used.get("fallback_reason"),
                     unknown_words=used.get("unknown_words") or [], revisions=history,
                     revision=len(history), speaker=clip.speaker, voice=clip.voice)


def _decided(record: FitRecord, clip: Clip, decision: FitDecision) -> FitRecord:
    return record.model_copy(update={
        "synthesized_seconds": clip.duration, "natural_seconds": clip.natural_seconds,
        "speed": decision.speed, "rate": decision.rate, "tempo": decision.tempo,
        "step": decision.step.value, "placed_seconds": decision.placed_seconds,
        "overflow_seconds": decision.overflow_seconds,
        "trimmed_seconds": decision.trimmed_seconds})


def _fit_clips(store: Store, scratch: Path, inp: FitInput, records: list[FitRecord],
               group: list[tuple[int, Clip, FitDecision]]) -> None:
    """Stretch and trim a group of clips in one ffmpeg, store each and its pauses."""
    with ExitStack() as opened:
        jobs = []
        for position, clip, decision in group:
            assert clip.key is not None
            source = opened.enter_context(store.open_local(clip.key, scratch))
            dest = scratch / f"fitted-{records[position].index:04d}.wav"
            jobs.append(render.FitJob(source, dest, decision))
        run_tool(render.fit_clips_args(jobs), what="ffmpeg fit")
    for (position, _, _), job in zip(group, jobs, strict=True):
        record = records[position]
        fitted = keys.fitted_key(inp.job_id, inp.window.index, inp.target_lang, record.index,
                                 record.revision, run=inp.run_id)
        pauses = voice_pauses(job.dest)
        store.put_file(fitted, job.dest)
        job.dest.unlink()
        records[position] = record.model_copy(update={"fitted_key": fitted,
                                                       "voice_pauses": pauses})


def voice_pauses(path: Path) -> list[tuple[float, float]]:
    """Pauses inside a fitted clip (seconds from its start), where subtitles may split."""
    samples, rate = audio.read_pcm(path)
    runs = onsets.speech_runs(samples, rate, below_peak=PAUSE_BELOW_PEAK_DB)
    return [(round(a, 3), round(b, 3)) for a, b in onsets.pauses(runs, PAUSE_SECONDS)]
