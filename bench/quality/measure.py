"""The dub as a viewer hears it, from the output file alone: the dub voice is what is left of
the dub track once the best-fitting share of the original track is taken out, frame by frame.

`analyse(mix, orig)` gives per-frame levels and the voiced mask; the metric functions compare
them with the source speech (truth spans, or speech detected on the original track)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.quality.frames import (
    RATE,
    Span,
    close_gaps,
    drop_short,
    noise_floor_db,
    runs,
    to_mask,
)

FRAME = 0.02
MAX_LAG = 0.02  # seconds either way searched when aligning the two tracks
VOICE_OVER_FLOOR_DB = 12.0
VOICE_MIN_DBFS = -50.0
VOICE_OVER_BED_DB = -20.0  # the residual must not be mere coding noise of the original
LEAK_WITHIN_DB = 6.0
DUCK_REACH = 0.5  # seconds around dub voice where the original may be ducked


@dataclass(frozen=True)
class Analysis:
    """Per 20 ms frame: levels in dBFS (the mix divided by the track's gain), the scale of the
    original found in the mix, and whether the dub voice is present."""

    mix_db: np.ndarray
    orig_db: np.ndarray
    resid_db: np.ndarray
    scale: np.ndarray
    voiced: np.ndarray
    gain_db: float | None
    lag_seconds: float

    @property
    def frames(self) -> int:
        return len(self.voiced)


def align(mix: np.ndarray, orig: np.ndarray, max_lag: float = MAX_LAG) -> tuple[np.ndarray,
                                                                                  np.ndarray, int]:
    """Shift `mix` by the lag (within ±max_lag) that best correlates it with `orig`."""
    n = min(len(mix), len(orig), 60 * RATE)
    limit = int(max_lag * RATE)
    size = 1 << int(np.ceil(np.log2(2 * max(n, 1))))
    corr = np.fft.irfft(np.fft.rfft(mix[:n], size) * np.conj(np.fft.rfft(orig[:n], size)), size)
    window = np.concatenate((corr[-limit:], corr[: limit + 1])) if limit else corr[:1]
    lag = int(np.argmax(window)) - limit
    mix = mix[lag:] if lag > 0 else np.concatenate((np.zeros(-lag, mix.dtype), mix))
    count = min(len(mix), len(orig))
    return mix[:count], orig[:count], lag


def _framed(x: np.ndarray) -> np.ndarray:
    n = int(FRAME * RATE)
    return x[: len(x) // n * n].reshape(-1, n).astype(np.float64)


def _db(frames: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def track_gain(scale: np.ndarray, fit: np.ndarray, orig_db: np.ndarray) -> float | None:
    """The dub track's overall gain on the original: the plateau of the per-frame scale where the
    mix is the original alone (fit > 0.95). None when there is no such plateau (the original
    is ducked wherever it is loud)."""
    plain = scale[(fit > 0.95) & (orig_db > -50.0)]
    if len(plain) < 25:
        return None
    low, high = np.quantile(plain, [0.75, 0.95])
    if low <= 0 or 20 * np.log10(high / low) > 1.0:
        return None
    return float(high)


def voiced_mask(resid_db: np.ndarray, bed_db: np.ndarray) -> np.ndarray:
    """Dub voice: residual over max(its floor + 12 dB, -50 dBFS) and within 20 dB of what is
    left of the original; 60 ms gaps bridged, blips under 60 ms dropped."""
    # The quietest 5% of all frames: a dub spoken back to back has few frames without voice.
    floor = noise_floor_db(resid_db, quantile=0.05, skip_silence=False)
    threshold = max(floor + VOICE_OVER_FLOOR_DB, VOICE_MIN_DBFS)
    raw = (resid_db > threshold) & (resid_db > bed_db + VOICE_OVER_BED_DB)
    return drop_short(close_gaps(raw, 3), 3)


def analyse(mix: np.ndarray, orig: np.ndarray) -> Analysis:
    mix, orig, lag = align(mix, orig)
    m, o = _framed(mix), _framed(orig)
    first = _analysis(m, o, None, lag)
    # The gain shows where the mix is the original alone, away from any dub voice (so
    # never ducked); the first pass, that allows any gain, says where the voice is.
    energy = np.sum(o * o, axis=1)
    scale = np.sum(m * o, axis=1) / (energy + 1e-12)
    fit = 1 - np.sum((m - scale[:, None] * o) ** 2, axis=1) / (np.sum(m * m, axis=1) + 1e-12)
    reach = round(DUCK_REACH / FRAME)
    near_voice = np.convolve(first.voiced, np.ones(2 * reach + 1), mode="same") > 0
    gain = track_gain(scale[~near_voice], fit[~near_voice], first.orig_db[~near_voice])
    return first if gain is None else _analysis(m, o, gain, lag)


def _analysis(m: np.ndarray, o: np.ndarray, gain: float | None, lag: int) -> Analysis:
    """Levels and voice with the mix divided by `gain`; with None, the original's scale may
    reach any gain up to +30 dB rather than leave the original's own share in the residual."""
    m = m / (gain or 1.0)
    top = 1.5 if gain else 1.5 * 10 ** (30 / 20)
    scale = np.clip(np.sum(m * o, axis=1) / (np.sum(o * o, axis=1) + 1e-12), 0.0, top)
    bed = scale[:, None] * o
    resid_db = _db(m - bed)
    return Analysis(mix_db=_db(m), orig_db=_db(o), resid_db=resid_db, scale=scale,
                    voiced=voiced_mask(resid_db, _db(bed)),
                    gain_db=None if gain is None else round(20 * np.log10(gain), 2),
                    lag_seconds=lag / RATE)


def mask_of(spans: list[Span], count: int) -> np.ndarray:
    return to_mask(spans, count, FRAME)


def leak(an: Analysis, speech: np.ndarray) -> dict[str, float | None]:
    """Shares of source speech time heard undubbed (no dub voice, mix within 6 dB of the
    original) and ducked without a dub voice over it."""
    if not speech.any():
        return {"leak": None, "ducked_unvoiced": None}
    silent = speech & ~an.voiced
    loud = an.mix_db >= an.orig_db - LEAK_WITHIN_DB
    return {"leak": _share(silent & loud, speech), "ducked_unvoiced": _share(silent & ~loud,
                                                                              speech)}


def _share(part: np.ndarray, whole: np.ndarray) -> float:
    return round(float(part.sum() / max(1, whole.sum())), 4)


def voice_runs(an: Analysis, merge_gap: float = 0.3) -> list[Span]:
    """Stretches of dub voice, gaps under `merge_gap` s bridged."""
    merged = close_gaps(an.voiced, int(np.ceil(merge_gap / FRAME)) - 1)
    return [(a * FRAME, b * FRAME) for a, b in runs(merged)]


def onset_offsets(an: Analysis, starts: list[tuple[float, float]],
                  spans: list[Span]) -> list[float | None]:
    """Per line (start, end): the first dub voice onset in [speech onset - 1 s, end] minus the
    onset of the source speech nearest the line's start; None when the dub never starts."""
    onsets = np.array([a * FRAME for a, _ in runs(an.voiced)])
    found: list[float | None] = []
    for start, end in starts:
        if not spans:
            found.append(None)
            continue
        s0, s1 = min(spans, key=lambda s: abs(s[0] - start))
        inside = onsets[(onsets >= s0 - 1.0) & (onsets <= max(s1, end))]
        found.append(round(float(inside[0] - s0), 3) if len(inside) else None)
    return found


def onset_summary(offsets: list[float | None], tolerance: float = 0.15) -> dict[str, Any]:
    real = np.abs([o for o in offsets if o is not None])
    return {"onset_lines": len(offsets), "no_onset": sum(o is None for o in offsets),
            "onset_within_150ms": round(float(np.sum(real <= tolerance)) / len(offsets), 4)
            if offsets else None,
            "onset_median_abs": round(float(np.median(real)), 3) if len(real) else None,
            "onset_p90_abs": round(float(np.quantile(real, 0.9)), 3) if len(real) else None,
            "offsets": offsets}


def coverage(an: Analysis, speech: np.ndarray, lines: list[Span]) -> dict[str, float | None]:
    """Share of source speech time with dub voice: overall and the mean over lines."""
    per_line = []
    for start, end in lines:
        inside = speech & mask_of([(start, end)], an.frames)
        if inside.any():
            per_line.append(_share(inside & an.voiced, inside))
    return {"coverage": _share(speech & an.voiced, speech) if speech.any() else None,
            "coverage_line_mean": round(float(np.mean(per_line)), 4) if per_line else None}


def silent_lines(an: Analysis, lines: list[Span], cues: list[Span]) -> dict[str, int]:
    """Lines with no dub voice at all inside them, and lines no target cue overlaps."""
    unvoiced = sum(not (an.voiced & mask_of([line], an.frames)).any() for line in lines)
    uncued = sum(not any(c0 < end and c1 > start for c0, c1 in cues) for start, end in lines)
    return {"lines_unvoiced": int(unvoiced), "lines_without_cue": int(uncued)}


def cue_ends(an: Analysis, cues: list[Span]) -> dict[str, Any]:
    """Per target cue, its end minus the end of the dub voice run it overlaps most. A run that
    goes on into the next cue ends, for this cue, where the next cue starts (lines spoken back
    to back are one run of voice)."""
    voice = voice_runs(an)
    deltas: list[float | None] = []
    for i, (c0, c1) in enumerate(cues):
        after = cues[i + 1][0] if i + 1 < len(cues) else float("inf")
        overlaps = [(min(c1, v1) - max(c0, v0), min(v1, max(after, c1))) for v0, v1 in voice]
        best = max(overlaps, default=(0.0, 0.0))
        deltas.append(round(c1 - best[1], 3) if best[0] > 0 else None)
    real = [d for d in deltas if d is not None]
    ok = sum(-0.25 <= d <= 0.5 for d in real)
    return {"cue_end_ok": round(ok / len(cues), 4) if cues else None,
            "cue_end_delta_max": max(real, default=None),
            "cue_end_delta_min": min(real, default=None),
            "cues_without_voice": len(deltas) - len(real), "cue_end_deltas": deltas}
