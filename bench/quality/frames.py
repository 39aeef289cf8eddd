"""Frame energies and runs of frames: the small signal toolkit the measurements share."""

from __future__ import annotations

import itertools

import numpy as np

RATE = 16000
Span = tuple[float, float]
DIGITAL_SILENCE_DB = -100.0


def frame_energy_db(x: np.ndarray, frame: float, rate: int = RATE) -> np.ndarray:
    """Mean power per frame of `frame` seconds, in dBFS (a trailing partial frame is dropped)."""
    n = round(frame * rate)
    count = len(x) // n
    power = np.mean(np.square(x[: count * n].reshape(count, n), dtype=np.float64), axis=1)
    return 10 * np.log10(power + 1e-12)


def noise_floor_db(energy_db: np.ndarray, quantile: float = 0.1,
                   skip_silence: bool = True) -> float:
    """The level of the quietest frames: the `quantile` of the frame energies; digital silence
    (under -100 dBFS) left out with `skip_silence`, as it says nothing of the noise that
    lies under the speech."""
    heard = energy_db[energy_db > DIGITAL_SILENCE_DB] if skip_silence else energy_db
    return float(np.quantile(heard, quantile)) if len(heard) else -120.0


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) frame index pairs of the True runs of `mask`."""
    padded = np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def close_gaps(mask: np.ndarray, max_gap: int) -> np.ndarray:
    """Fill False gaps of at most `max_gap` frames that lie between two True frames."""
    out = np.asarray(mask, dtype=bool).copy()
    found = runs(out)
    for (_, end), (start, _) in itertools.pairwise(found):
        if start - end <= max_gap:
            out[end:start] = True
    return out


def drop_short(mask: np.ndarray, min_len: int) -> np.ndarray:
    """Remove True runs shorter than `min_len` frames."""
    out = np.asarray(mask, dtype=bool).copy()
    for start, end in runs(out):
        if end - start < min_len:
            out[start:end] = False
    return out


def to_spans(mask: np.ndarray, frame: float) -> list[Span]:
    return [(round(a * frame, 3), round(b * frame, 3)) for a, b in runs(mask)]


def to_mask(spans: list[Span], count: int, frame: float) -> np.ndarray:
    """Frames (of `count`) whose centre lies inside one of `spans` (seconds)."""
    centres = (np.arange(count) + 0.5) * frame
    mask = np.zeros(count, dtype=bool)
    for start, end in spans:
        mask |= (centres >= start) & (centres < end)
    return mask


def speech_spans(x: np.ndarray, frame: float = 0.02, above_db: float = 15.0,
                 merge_gap: float = 0.25, min_run: float = 0.1, rate: int = RATE) -> list[Span]:
    """Speech by energy: frames `above_db` over the noise floor (and over -60 dBFS), gaps under
    `merge_gap` s merged, runs under `min_run` s dropped."""
    energy = frame_energy_db(x, frame, rate)
    loud = energy > max(noise_floor_db(energy) + above_db, -60.0)
    loud = close_gaps(loud, round(merge_gap / frame) - 1)
    loud = drop_short(loud, round(min_run / frame))
    return to_spans(loud, frame)
