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
# A word timestamp is trusted within this distance of the run it is moved onto.
MAX_MOVE = 1.0


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
            score = overlap if overlap > 0 else -distance
            if score > best_score:
                best, best_score = k, score
        owners.append(best)
        if best is not None:
            floor = best
    return owners
