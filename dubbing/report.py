"""The per-job fit report: what happened to every line."""

from __future__ import annotations

from typing import Any

from dubbing.stages import FitRecord, RenderInput


def build_report(inp: RenderInput, records: list[FitRecord]) -> dict[str, Any]:
    ordered = sorted(records, key=lambda r: r.start)
    speeds = [r.speed for r in ordered] or [1.0]
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
            "translation_fallbacks": sum(1 for r in ordered if r.translation_fallback),
        },
        "segments": [
            {
                "index": i,
                "start": r.start,
                "end": r.end,
                "slot_end": r.slot_end,
                "source_text": r.source_text,
                "target_text": r.target_text,
                "synthesized_seconds": r.synthesized_seconds,
                "speed": r.speed,
                "placed_seconds": r.placed_seconds,
                "overflow_seconds": r.overflow_seconds,
                "isolated": r.error is not None,
                "error": r.error,
                "translation_engine": r.translation_engine,
                "translation_fallback": r.translation_fallback,
            }
            for i, r in enumerate(ordered)
        ],
    }
