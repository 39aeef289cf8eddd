"""Where speech really is: energy runs of the audio, and word timestamps moved onto them.

Whisper's word timestamps (tiny.en especially) drift by 0.2-0.8 s and often bridge a pause, so a
line that starts "on its first word" starts off the speech, and a pause inside it goes unseen.
The audio itself says where speech starts and stops: 20 ms frames every 10 ms, a threshold
between the clip's noise floor and its speech level, short gaps closed. Each word is then
assigned, in order, to the speech run it overlaps most, and the first and last words of a run
take the run's edges.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from dubbing.sentences import Word

HOP = 0.01
FRAME = 0.02
# Gaps shorter than this are the small breaks between words, not pauses.
CLOSE_GAP = 0.12
# Shorter bursts are clicks and breaths.
MIN_RUN = 0.08
# The threshold lies this far over the noise floor, and never further than RANGE under speech.
OVER_FLOOR_DB = 12.0
RANGE_DB = 30.0
DIGITAL_SILENCE_DB = -90.0
# A voice-activity model's frame is speech from VAD_ON, and stays speech down to VAD_OFF.
VAD_ON, VAD_OFF = 0.5, 0.35
# Its edges move onto the energy edge within this distance, where the level passes the
# background by EDGE_OVER_FLOOR_DB (and comes within EDGE_RANGE_DB of the speech).
EDGE_SEARCH = 0.3
EDGE_OVER_FLOOR_DB = 6.0
EDGE_RANGE_DB = 20.0
# Silence this long splits the model's speech even where it scores it as speech.
HARD_PAUSE = 0.2
DIGITAL_PAUSE = 0.1  # an edit's digital silence
# An edge stretch may dip under the threshold this many frames (between two phonemes).
EDGE_DIP = 2
# A word timestamp is trusted within this distance of the run it is moved onto.
MAX_MOVE = 1.0
# A word over no speech at all moves onto speech only this near; farther, it keeps its times.
SNAP = 0.3


@dataclass(frozen=True)
class Run:
    start: float
    end: float

    def overlap(self, start: float, end: float) -> float:
        return max(0.0, min(self.end, end) - max(self.start, start))


def frame_levels(samples: np.ndarray, rate: int) -> np.ndarray:
    """Level in dBFS of 20 ms frames every 10 ms."""
    hop, size = round(HOP * rate), round(FRAME * rate)
    if len(samples) < size:
        return np.full(1, -100.0)
    count = 1 + (len(samples) - size) // hop
    squared = np.square(samples.astype(np.float64))
    sums = np.concatenate(([0.0], np.cumsum(squared)))
    starts = np.arange(count) * hop
    power = (sums[starts + size] - sums[starts]) / size
    return 10 * np.log10(power + 1e-10)


def threshold(levels: np.ndarray) -> float:
    """Between the noise floor and the speech level. Digital silence (edits, padding) is not
    the floor: the room noise a recording opens with must not count as speech."""
    sounding = levels[levels > DIGITAL_SILENCE_DB]
    if sounding.size == 0:
        return DIGITAL_SILENCE_DB
    floor = float(np.percentile(sounding, 10))
    speech = float(np.percentile(sounding, 95))
    return max(floor + OVER_FLOOR_DB, speech - RANGE_DB)


def speech_runs(samples: np.ndarray, rate: int, offset: float = 0.0,
                below_peak: float | None = None) -> list[Run]:
    """Runs of speech in absolute seconds (`offset` is where `samples` begin); the threshold
    lies between noise floor and speech, or `below_peak` dB under the loudest frame (for clean
    synthesized speech)."""
    levels = frame_levels(samples, rate)
    level = threshold(levels) if below_peak is None else float(levels.max()) - below_peak
    voiced = levels > level
    edges = np.flatnonzero(np.diff(np.concatenate(([0], voiced.astype(np.int8), [0]))))
    runs: list[Run] = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        start = round(float(offset + a * HOP), 3)
        end = round(float(offset + b * HOP + (FRAME - HOP)), 3)
        if runs and start - runs[-1].end < CLOSE_GAP:
            runs[-1] = Run(runs[-1].start, end)
        else:
            runs.append(Run(start, end))
    return [r for r in runs if r.end - r.start >= MIN_RUN]


def voice_runs(samples: np.ndarray, rate: int, probs: np.ndarray, hop: float,
               offset: float = 0.0) -> list[Run]:
    """Runs of speech from a voice-activity model's per-frame speech probabilities (`hop`
    seconds a frame), which tells speech from music and noise, with each edge then moved onto
    the energy onset or offset next to it (the model's frames are coarse and its edges lag)."""
    voiced = np.zeros(len(probs), dtype=bool)
    on = False
    for i, prob in enumerate(probs):
        on = prob >= VAD_ON if not on else prob >= VAD_OFF
        voiced[i] = on
    levels = frame_levels(samples, rate)
    voiced &= ~_hard_pauses(levels, len(voiced), hop)
    runs: list[Run] = []
    for a, b in _edges(voiced):
        start = _onset(levels, a * hop)
        end = max(_offset(levels, b * hop), start + MIN_RUN)
        if runs and start - runs[-1].end < CLOSE_GAP:
            runs[-1] = Run(runs[-1].start, round(offset + end, 3))
        else:
            runs.append(Run(round(offset + start, 3), round(offset + end, 3)))
    return [r for r in runs if r.end - r.start >= MIN_RUN]


def _hard_pauses(levels: np.ndarray, count: int, hop: float) -> np.ndarray:
    """Model frames inside a stretch of (near) silence the model smooths over: digital
    silence, or the quietest sound of the clip, lasting at least HARD_PAUSE."""
    sounding = levels[levels > DIGITAL_SILENCE_DB]
    quiet = float(np.percentile(sounding, 10)) + 3.0 if sounding.size else DIGITAL_SILENCE_DB
    mask = np.zeros(count, dtype=bool)
    for still, shortest in ((levels <= DIGITAL_SILENCE_DB, DIGITAL_PAUSE),
                            (levels < quiet, HARD_PAUSE)):
        for a, b in _edges(still):
            if (b - a) * HOP >= shortest:
                first, last = math.ceil(a * HOP / hop), math.floor(b * HOP / hop)
                mask[first:max(first, last)] = True
    return mask


def _edges(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _frames(levels: np.ndarray, start: float, end: float) -> tuple[int, np.ndarray]:
    a = max(0, round(start / HOP))
    b = min(len(levels), max(a, round(end / HOP)))
    return a, levels[a:b]


def _edge_threshold(levels: np.ndarray, background: tuple[float, float],
                    speech: tuple[float, float]) -> float | None:
    _, quiet = _frames(levels, *background)
    _, loud = _frames(levels, *speech)
    quiet = quiet[quiet > DIGITAL_SILENCE_DB]
    if loud.size == 0:
        return None
    floor = float(np.percentile(quiet, 20)) if quiet.size else float(loud.min())
    peak = float(loud.max())
    return max(floor + EDGE_OVER_FLOOR_DB, peak - EDGE_RANGE_DB)


def _onset(levels: np.ndarray, t: float) -> float:
    """Where the sound the model calls speech at `t` really starts: the beginning of the
    stretch over the background that reaches `t` (a rise, not an earlier noise burst)."""
    level = _edge_threshold(levels, (t - 1.0, t - EDGE_SEARCH), (t, t + 0.3))
    k = _first_above(levels, level, round(t / HOP) - 3, round((t + 0.1) / HOP))
    if level is None or k is None:
        return t
    floor = max(0, round((t - EDGE_SEARCH) / HOP))
    while k > floor and _above_near(levels, level, k - 1, -1):
        k -= 1
    return k * HOP


def _offset(levels: np.ndarray, t: float) -> float:
    """Where the speech ending near `t` falls back to the background: the end of the
    stretch over it that reaches `t` (never a jump to the next sound)."""
    level = _edge_threshold(levels, (t + EDGE_SEARCH, t + 1.0), (t - 0.3, t))
    k = _last_above(levels, level, round((t - 0.1) / HOP), round(t / HOP) + 3)
    if level is None or k is None:
        return t
    ceiling = min(len(levels) - 1, round((t + EDGE_SEARCH) / HOP))
    while k < ceiling and _above_near(levels, level, k + 1, 1):
        k += 1
    return k * HOP + FRAME


def _first_above(levels: np.ndarray, level: float | None, a: int, b: int) -> int | None:
    a, b = max(0, a), min(len(levels), b)
    if level is None or a >= b:
        return None
    hits = np.flatnonzero(levels[a:b] > level)
    return a + int(hits[0]) if hits.size else None


def _last_above(levels: np.ndarray, level: float | None, a: int, b: int) -> int | None:
    a, b = max(0, a), min(len(levels), b)
    if level is None or a >= b:
        return None
    hits = np.flatnonzero(levels[a:b] > level)
    return a + int(hits[-1]) if hits.size else None


def _above_near(levels: np.ndarray, level: float, k: int, step: int) -> bool:
    """Frame `k` is over `level`, or a dip of at most EDGE_DIP frames leads on to one."""
    for i in range(EDGE_DIP + 1):
        j = k + step * i
        if not 0 <= j < len(levels):
            return False
        if levels[j] > level:
            return True
    return False


def pauses(runs: Sequence[Run], min_seconds: float) -> list[tuple[float, float]]:
    """The gaps between runs that last at least `min_seconds`."""
    return [(a.end, b.start) for a, b in itertools.pairwise(runs)
            if b.start - a.end >= min_seconds]


def speech_share(runs: Sequence[Run], start: float, end: float) -> float:
    """How much of [start, end) is covered by speech runs."""
    if end <= start:
        return 0.0
    return sum(r.overlap(start, end) for r in runs) / (end - start)


def align_words(words: list[Word], runs: list[Run]) -> list[Word]:
    """Words with their times moved onto the speech runs, keeping their order."""
    if not words or not runs:
        return words
    owners = _assign(words, runs)
    out: list[Word] = []
    for i, (word, owner) in enumerate(zip(words, owners, strict=True)):
        if owner is None:
            out.append(word)
            continue
        run = runs[owner]
        start = min(max(word.start, run.start), run.end)
        end = max(min(word.end, run.end), start)
        if (i == 0 or owners[i - 1] != owner) and word.start - run.start <= MAX_MOVE:
            start = run.start
        if (i + 1 == len(words) or owners[i + 1] != owner) and run.end - word.end <= MAX_MOVE:
            end = run.end
        out.append(replace(word, start=round(start, 3), end=round(max(end, start), 3)))
    return out


def _assign(words: list[Word], runs: list[Run]) -> list[int | None]:
    """Per word the run it overlaps most (or the nearest within MAX_MOVE), never going back."""
    owners: list[int | None] = []
    floor = 0
    for word in words:
        best: int | None = None
        best_score = -MAX_MOVE
        for k in range(floor, len(runs)):
            run = runs[k]
            if run.start > word.end + MAX_MOVE:
                break
            overlap = run.overlap(word.start, word.end)
            distance = max(run.start - word.end, word.start - run.end, 0.0)
            if overlap <= 0 and distance > SNAP:
                continue
            score = overlap if overlap > 0 else -distance
            if score > best_score:
                best, best_score = k, score
        owners.append(best)
        if best is not None:
            floor = best
    return owners
