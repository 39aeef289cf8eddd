"""The overall row and the printed table: one row per input."""

from __future__ import annotations

import statistics
from typing import Any

COLUMNS = (  # header, key, format
    ("input", "input", "{}"),
    ("leak%", "leak", "pct"),
    ("on<=150ms%", "onset_within_150ms", "pct"),
    ("on|med|", "onset_median_abs", "{:.2f}"),
    ("cover%", "coverage", "pct"),
    ("silent", "silent", "{}"),
    ("cues<0.8/>7", "cue_lengths", "{}"),
    ("cue end ok%", "cue_end_ok", "pct"),
    ("cps<=17%", "cps_ok", "pct"),
    ("LUFS", "lufs", "{:.1f}"),
    ("dBTP", "true_peak_dbtp", "{:.1f}"),
    ("max speed", "max_speed", "{:.2f}"),
    ("unknown", "unknown_words", "{}"),
)


def _weighted(rows: list[dict[str, Any]], key: str, weight: str) -> float | None:
    pairs = [(r[key], r[weight]) for r in rows if r.get(key) is not None and r.get(weight)]
    total = sum(w for _, w in pairs)
    return round(sum(v * w for v, w in pairs) / total, 4) if total else None


def _pick(rows: list[dict[str, Any]], key: str, how: Any) -> Any:
    values = [r[key] for r in rows if r.get(key) is not None]
    return how(values) if values else None


def _pooled_median(rows: list[dict[str, Any]]) -> float | None:
    found = [abs(o) for r in rows for o in r["detail"]["onset_offsets"] if o is not None]
    return round(float(statistics.median(found)), 3) if found else None


def overall(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled over inputs: shares weighted by speech time, lines or cues; worst of the rest."""
    rows = [r for r in rows if "error" not in r]
    return {
        "input": "overall",
        "speech_seconds": round(sum(r["speech_seconds"] for r in rows), 2),
        "leak": _weighted(rows, "leak", "speech_seconds"),
        "coverage": _weighted(rows, "coverage", "speech_seconds"),
        "onset_within_150ms": _weighted(rows, "onset_within_150ms", "onset_lines"),
        "onset_median_abs": _pooled_median(rows),
        "lines_unvoiced": sum(r["lines_unvoiced"] for r in rows),
        "lines_without_cue": sum(r["lines_without_cue"] for r in rows),
        "cues": sum(r["cues"] for r in rows),
        "cues_short": sum(r["cues_short"] for r in rows),
        "cues_long": sum(r["cues_long"] for r in rows),
        "cue_end_ok": _weighted(rows, "cue_end_ok", "cues"),
        "cps_ok": _weighted(rows, "cps_ok", "cues"),
        "lufs": _pick(rows, "lufs", lambda v: round(sum(v) / len(v), 1)),
        "true_peak_dbtp": _pick(rows, "true_peak_dbtp", max),
        "max_speed": _pick(rows, "max_speed", max),
        "unknown_words": _pick(rows, "unknown_words", sum),
    }


def _cell(row: dict[str, Any], key: str, fmt: str) -> str:
    if key == "silent":
        return f"{row.get('lines_unvoiced', '-')}/{row.get('lines_without_cue', '-')}"
    if key == "cue_lengths":
        return f"{row.get('cues_short', '-')}/{row.get('cues_long', '-')}"
    value = row.get(key)
    if value is None:
        return "-"
    if fmt == "pct":
        return f"{100 * value:.0f}"
    return fmt.format(value)


def format_table(rows: list[dict[str, Any]]) -> str:
    """Plain text; `silent` is lines with no dub voice / lines no target cue overlaps."""
    cells = [[h for h, _, _ in COLUMNS]]
    for row in rows:
        if "error" in row:
            cells.append([row["input"], f"failed: {row['error'][:80]}"])
            continue
        cells.append([_cell(row, key, fmt) for _, key, fmt in COLUMNS])
    widths = [max(len(r[i]) for r in cells if len(r) > i and len(r) == len(COLUMNS))
              for i in range(len(COLUMNS))]
    lines = []
    for r in cells:
        if len(r) != len(COLUMNS):
            lines.append(f"{r[0]:<{widths[0]}}  {r[1]}")
            continue
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    return "\n".join(lines)
