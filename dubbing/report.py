"""The per-language fit report: what happened to every line, and a summary.

Beside the plan (rate, stretch, step), every line says how its dub sits on its speaker:
`coverage` (share of the source speech span with dub voice), `start_offset` and `end_offset`
(dub voice against the span). The summary adds what the viewer gets, measured on the finished
file: the dub track's integrated loudness and true peak, and the target cues' reading speed;
and which of the input's audio tracks was dubbed and why (`audio_track`). In a diarized job
every line names its `speaker`, and `speakers` sums up each one: lines, talk time (seconds of
source speech) and the voice that dubbed it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from dubbing.media.mix import Loudness
from dubbing.quality import word_error_rate
from dubbing.stages import FitRecord, MediaInfo, RenderInput
from dubbing.subtitles import MAX_CPS, Cue


@dataclass(frozen=True)
class Delivered:
    """Measured on the outputs: the dub track's loudness, the target cues."""

    loudness: Loudness
    cues: list[Cue]


def build_report(inp: RenderInput, records: list[FitRecord], reference: str | None = None,
                 delivered: Delivered | None = None) -> dict[str, Any]:
    """`reference`: a transcript of the input, to rate the transcription against."""
    ordered = sorted(records, key=lambda r: r.start)
    lines = [_segment(i, r) for i, r in enumerate(ordered)]
    return {
        "input": inp.input_name,
        "source_lang": inp.source_lang,
        "target_lang": inp.target_lang,
        "media_seconds": round(inp.media.duration, 3),
        "summary": {**_summary(ordered, lines, reference), **_delivered(delivered),
                    "audio_track": audio_track(inp.media)},
        "speakers": speakers_summary(ordered),
        "segments": lines,
        "target_cues": [_cue(c) for c in (delivered.cues if delivered else [])],
    }


def _summary(ordered: list[FitRecord], lines: list[dict[str, Any]],
             reference: str | None) -> dict[str, Any]:
    voiced = [r for r in ordered if r.fitted_key is not None] or ordered
    speeds = [r.speed for r in voiced] or [1.0]
    spans = [(line["end"] - line["start"], line["coverage"]) for line in lines]
    total = sum(seconds for seconds, _ in spans)
    return {
        "segments": len(ordered),
        "max_speed": max(speeds),
        "min_speed": min(speeds),
        "mean_speed": round(sum(speeds) / len(speeds), 4),
        "overflows": sum(1 for r in ordered if r.overflow_seconds > 0),
        "trimmed": sum(1 for r in ordered if r.trimmed_seconds > 0),
        "isolated": sum(1 for r in ordered if r.error is not None),
        "shifted": sum(1 for r in ordered if _shift(r) > 0),
        "translation_fallbacks": sum(1 for r in ordered if r.translation_fallback),
        "unknown_words": sum(len(r.unknown_words) for r in ordered),
        "coverage": round(sum(s * c for s, c in spans) / total, 4) if total else 1.0,
        "uncovered_seconds": round(sum(s * (1 - c) for s, c in spans), 3),
        "steps": dict(Counter(r.step for r in ordered if r.error is None)),
        "revision": max((r.revision for r in ordered), default=0),
        "transcription_wer": None if reference is None else word_error_rate(
            reference, " ".join(r.source_text for r in ordered)),
    }


def speakers_summary(records: list[FitRecord]) -> dict[str, dict[str, Any]]:
    """Per speaker (in order of first appearance): its lines, talk time and voice; empty when
    the job was not diarized."""
    found: dict[str, dict[str, Any]] = {}
    for r in records:
        if r.speaker is None:
            continue
        entry = found.setdefault(r.speaker, {"lines": 0, "seconds": 0.0, "voice": None})
        entry["lines"] += 1
        entry["seconds"] = round(entry["seconds"] + max(0.0, r.end - r.start), 3)
        entry["voice"] = entry["voice"] or r.voice
    return found


def audio_track(media: MediaInfo) -> dict[str, Any]:
    """The audio track dubbed (and kept as the original), why (`chosen`: asked, speech,
    only, first), and every track's codec, channels, language tag and speech found."""
    return {"index": media.audio_track, "chosen": media.audio_choice,
            "tracks": media.audio_tracks}


def summary_fields(report: dict[str, Any]) -> dict[str, Any]:
    """The report's summary as `FitSummary` fields (the audio track is the report's own)."""
    return {k: v for k, v in report["summary"].items() if k != "audio_track"}


def _delivered(delivered: Delivered | None) -> dict[str, Any]:
    if delivered is None:
        return {}
    cps = [c.cps for c in delivered.cues]
    return {
        "loudness_lufs": delivered.loudness.integrated,
        "true_peak_dbtp": delivered.loudness.true_peak,
        "cues": len(delivered.cues),
        "max_cps": round(max(cps), 1) if cps else None,
        "cues_over_max_cps": sum(1 for v in cps if v > MAX_CPS + 0.05),
    }


def _segment(i: int, r: FitRecord) -> dict[str, Any]:
    voice = _voice(r)
    span = max(r.end - r.start, 1e-6)
    covered = max(0.0, min(voice[1], r.end) - max(voice[0], r.start)) if voice else 0.0
    return {
        "index": i,
        "speaker": r.speaker,
        "start": r.start,
        "end": r.end,
        "slot_end": r.slot_end,
        "source_text": r.source_text,
        "target_text": r.target_text,
        "translation_engine": r.translation_engine,
        "translation_fallback": r.translation_fallback,
        "unknown_words": r.unknown_words,
        "natural_seconds": r.natural_seconds,
        "synthesized_seconds": r.synthesized_seconds,
        "rate": r.rate,
        "stretch": r.tempo,
        "speed": r.speed,
        "step": r.step,
        "placed_start": r.placed_from,
        "placed_seconds": r.placed_seconds,
        "coverage": round(min(1.0, covered / span), 4),
        "start_offset": round(voice[0] - r.start, 3) if voice else None,
        "end_offset": round(voice[1] - r.end, 3) if voice else None,
        "shift_seconds": round(_shift(r), 4),
        "overflow_seconds": r.overflow_seconds,
        "trimmed_seconds": r.trimmed_seconds,
        "isolated": r.error is not None,
        "error": r.error,
        "revision": r.revision,
        "revisions": r.revisions,
    }


def _voice(r: FitRecord) -> tuple[float, float] | None:
    """Where the line's dub voice is heard (clips are stored without leading silence)."""
    if r.fitted_key is None or r.placed_seconds <= 0:
        return None
    return r.placed_from, r.placed_from + r.placed_seconds


def _cue(c: Cue) -> dict[str, Any]:
    return {"start": round(c.start, 3), "end": round(c.end, 3), "text": c.text,
            "cps": round(c.cps, 1)}


def _shift(r: FitRecord) -> float:
    return max(0.0, r.placed_from - r.start)
