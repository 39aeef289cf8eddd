"""Fitting each synthesized line into its time slot: the ladder, as pure decisions.

1. use the room until the next line starts;  2. speak faster (re-synthesis at a higher rate,
where the engine has one);  3. time-stretch;  4. only then the overflow policy: `trim` (fade out
at the slot end) or `shift` (let the line run on and push the following lines, which catch up
in later silences). Rate times stretch never exceeds the cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Below this the difference is inaudible; avoid stretching for it.
SPEED_EPSILON = 0.01


class Step(StrEnum):
    FITS = "fits"
    RATE = "rate"
    STRETCH = "stretch"
    OVERFLOW = "overflow"


class Overflow(StrEnum):
    TRIM = "trim"
    SHIFT = "shift"


@dataclass(frozen=True)
class Slot:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class FitDecision:
    step: Step
    rate: float
    tempo: float
    placed_seconds: float
    overflow_seconds: float
    trimmed: bool

    @property
    def speed(self) -> float:
        """The whole speed-up of the line: speaking rate times time-stretch."""
        return round(self.rate * self.tempo, 4)


def slots(starts: list[float], window_end: float) -> list[Slot]:
    """A line may speak from its start until the next line starts (or the window ends)."""
    if not starts:
        return []
    ends = [*starts[1:], window_end]
    return [Slot(start, max(start, end)) for start, end in zip(starts, ends, strict=True)]


def speaking_rate(natural_seconds: float, room: float, max_stretch: float) -> float:
    """Step 2: the rate to synthesize the line again at (1.0: no need)."""
    if room <= 0 or natural_seconds <= room * (1 + SPEED_EPSILON):
        return 1.0
    return round(min(max_stretch, natural_seconds / room), 4)


def decide(clip_seconds: float, room: float, max_stretch: float, *, rate: float = 1.0,
           policy: Overflow = Overflow.TRIM) -> FitDecision:
    """Place a clip synthesized at `rate` into `room` seconds without passing the cap."""
    spoken = Step.RATE if rate > 1.0 else Step.FITS
    if room <= 0:
        placed = clip_seconds if policy is Overflow.SHIFT else 0.0
        return FitDecision(Step.OVERFLOW, rate, 1.0, placed, round(clip_seconds, 4),
                           policy is Overflow.TRIM)
    if clip_seconds <= room:
        return FitDecision(spoken, rate, 1.0, round(clip_seconds, 4), 0.0, False)
    tempo = clip_seconds / room
    if tempo <= 1 + SPEED_EPSILON:
        return _overflow(spoken, rate, 1.0, clip_seconds, room, policy)
    allowed = max(1.0, max_stretch / rate)
    if tempo <= allowed:
        return FitDecision(Step.STRETCH, rate, round(tempo, 4), round(room, 4), 0.0, False)
    return _overflow(Step.OVERFLOW, rate, round(allowed, 4), clip_seconds, room, policy)


def _overflow(step: Step, rate: float, tempo: float, clip_seconds: float, room: float,
              policy: Overflow) -> FitDecision:
    stretched = clip_seconds / tempo
    over = round(stretched - room, 4)
    if policy is Overflow.SHIFT:
        return FitDecision(step, rate, tempo, round(stretched, 4), over, False)
    return FitDecision(step, rate, tempo, round(room, 4), over, True)
