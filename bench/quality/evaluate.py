"""One job's outputs measured: the dub MP4 (dub track 0, original track 1), the target SRT and
the fit report, against the truth of where the source speech is (when it is known)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.quality import measure
from bench.quality.cues import Cue, cue_metrics, parse_cues
from bench.quality.decode import decode_track, loudness
from bench.quality.frames import Span, speech_spans


def report_lines(report: dict[str, Any] | None) -> list[Span]:
    segments = (report or {}).get("segments") or []
    return [(float(s["start"]), float(s["end"])) for s in segments
            if "start" in s and "end" in s]


def report_metrics(report: dict[str, Any] | None) -> dict[str, Any]:
    """What the report says of itself: the fastest line and the words the voice did not know."""
    if report is None:
        return {"max_speed": None, "unknown_words": None}
    summary = report.get("summary") or {}
    unknown = summary.get("unknown_words")
    if isinstance(unknown, list):
        unknown = len(unknown)
    if unknown is None:
        lists = [s["unknown_words"] for s in report.get("segments") or []
                 if isinstance(s.get("unknown_words"), list)]
        unknown = sum(len(x) for x in lists) if lists else None
    return {"max_speed": summary.get("max_speed"), "unknown_words": unknown}


def source_speech(orig_spans: list[Span], truth: dict[str, Any] | None,
                  report: list[Span]) -> tuple[list[Span], list[Span], str]:
    """(speech spans, reference lines, where they came from): the truth's when known, else
    speech detected on the original track, with the report's lines or the speech runs."""
    if truth is not None:
        spans = [(float(a), float(b)) for a, b in truth["spans"]]
        return spans, [(float(x["start"]), float(x["end"])) for x in truth["lines"]], "truth"
    return orig_spans, report or orig_spans, "detected"


def measure_dub(mp4: Path, srt_path: Path | None, report_path: Path | None,
                truth: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every metric of one dub, as a flat dict (lists of per-line values under `detail`)."""
    mix, orig = decode_track(mp4, 0), decode_track(mp4, 1)
    an = measure.analyse(mix, orig)
    report = json.loads(report_path.read_text()) if report_path else None
    cues: list[Cue] = parse_cues(srt_path.read_text()) if srt_path else []
    cue_spans = [(c.start, c.end) for c in cues]
    spans, lines, origin = source_speech(
        [] if truth else speech_spans(orig), truth, report_lines(report))
    speech = measure.mask_of(spans, an.frames)
    onset_items = report_lines(report) or lines
    onsets = measure.onset_summary(measure.onset_offsets(an, onset_items, spans))
    ends = measure.cue_ends(an, cue_spans)
    out: dict[str, Any] = {
        "speech_from": origin, "speech_seconds": round(float(speech.sum()) * measure.FRAME, 2),
        "lines": len(lines), "report_lines": len(report_lines(report)),
        **measure.leak(an, speech), **_public(onsets),
        **measure.coverage(an, speech, lines), **measure.silent_lines(an, lines, cue_spans),
        **cue_metrics(cues), **_public(ends), **loudness(mp4), **report_metrics(report),
        "track_gain_db": an.gain_db, "lag_seconds": an.lag_seconds,
        "voice_seconds": round(float(an.voiced.sum()) * measure.FRAME, 2),
    }
    out["detail"] = {"onset_offsets": onsets["offsets"], "cue_end_deltas": ends["cue_end_deltas"],
                     "voice_runs": [(round(a, 2), round(b, 2)) for a, b in
                                    measure.voice_runs(an)]}
    return out


def _public(found: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in found.items() if k not in ("offsets", "cue_end_deltas")}
