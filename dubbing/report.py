"""The per-language fit report: what happened to every line, and a summary."""

from __future__ import annotations

from collections import Counter
from typing import Any

from dubbing.quality import word_error_rate
from dubbing.stages import FitRecord, RenderInput


def build_report(inp: RenderInput, records: list[FitRecord],
                 reference: str | None = None) -> dict[str, Any]:
    """`reference`: a transcript of the input, to rate the transcription against."""
    ordered = sorted(records, key=lambda r: r.start)
    voiced = [r for r in ordered if r.fitted_key is not None] or ordered
    speeds = [r.speed for r in voiced] or [1.0]
    return {
        "input": inp.input_name,
        "source_lang": inp.source_lang,
        "target_lang": inp.target_lang,
        "media_seconds": round(inp.media.duration, 3),
        "summary": {
            "segments": len(ordered),
            "max_speed": max(speeds),
            "mean_speed": round(sum(speeds) / len(speeds), 4),
            "overflows": sum(1 for r in ordered if r.overflow_seconds > 0),
            "isolated": sum(1 for r in ordered if r.error is not None),
            "shifted": sum(1 for r in ordered if _shift(r) > 0),
            "translation_fallbacks": sum(1 for r in ordered if r.translation_fallback),
            "steps": dict(Counter(r.step for r in ordered if r.error is None)),
            "revision": max((r.revision for r in ordered), default=0),
            "transcription_wer": None if reference is None else word_error_rate(
                reference, " ".join(r.source_text for r in ordered)),
        },
        "segments": [_segment(i, r) for i, r in enumerate(ordered)],
    }


def _segment(i: int, r: FitRecord) -> dict[str, Any]:
    return {
        "index": i,
        "start": r.start,
        "end": r.end,
        "slot_end": r.slot_end,
        "source_text": r.source_text,
        "target_text": r.target_text,
        "translation_engine": r.translation_engine,
        "translation_fallback": r.translation_fallback,
        "natural_seconds": r.natural_seconds,
        "synthesized_seconds": r.synthesized_seconds,
        "rate": r.rate,
        "stretch": r.tempo,
        "speed": r.speed,
        "step": r.step,
        "placed_start": r.placed_from,
        "placed_seconds": r.placed_seconds,
        "shift_seconds": round(_shift(r), 4),
        "overflow_seconds": r.overflow_seconds,
        "isolated": r.error is not None,
        "error": r.error,
        "revision": r.revision,
        "revisions": r.revisions,
    }


def _shift(r: FitRecord) -> float:
    return max(0.0, r.placed_from - r.start)
