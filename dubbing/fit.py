"""Fitting each synthesized line to its speaker's time span (isochrony), as pure decisions.

A line's target is its source speech span: the dub starts on the speaker's onset and should end
when the speaker stops. Longer dubs climb the ladder: 1) a faster speaking rate (re-synthesis,
where the engine has one); 2) time-stretch; rate times stretch never passes the cap; 3) only
then overflow: the line runs past the span into the silence before the next line, and what
still does not fit before the next line is handled by the policy, `trim` (fade out there) or
`shift` (push the following lines, which catch up in later silences). Shorter dubs are spoken
slower, down to a floor, so they cover the span; what is still uncovered is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

# Within this share of the span a dub counts as fitting: no re-synthesis, no stretch.
TOLERANCE = 0.04
DEFAULT_MIN_SPEED = 0.85


class Step(StrEnum):
    FITS = "fits"
    SLOWER = "slower"
    RATE = "rate"
    STRETCH = "stretch"
    OVERFLOW = "overflow"


class Overflow(StrEnum):
    TRIM = "trim"
    SHIFT = "shift"


@dataclass(frozen=True)
class Target:
    """The source speech span to cover, and the room until the next line starts."""

    span: float
    room: float


@dataclass(frozen=True)
class Limits:
    max_speed: float = 1.3
    min_speed: float = DEFAULT_MIN_SPEED


@dataclass(frozen=True)
class FitDecision:
    step: Step
    rate: float
    tempo: float
    placed_seconds: float
    overflow_seconds: float
    trimmed_seconds: float

    @property
    def speed(self) -> float:
        """The whole speed change of the line: speaking rate times time-stretch."""
        return round(self.rate * self.tempo, 4)

    @property
    def trimmed(self) -> bool:
        return self.trimmed_seconds > 0


def speaking_rate(natural_seconds: float, span: float, limits: Limits) -> float:
    """The rate to synthesize the line again at (1.0: no need): faster when the line is longer
    than its span, slower when it is shorter, within the limits."""
    if span <= 0 or natural_seconds <= 0:
        return 1.0
    ratio = natural_seconds / span
    if abs(ratio - 1.0) <= TOLERANCE:
        return 1.0
    return round(min(limits.max_speed, max(limits.min_speed, ratio)), 4)


def decide(clip_seconds: float, target: Target, limits: Limits, *, rate: float = 1.0,
           policy: Overflow = Overflow.TRIM) -> FitDecision:
    """Place a clip synthesized at `rate` on its span without passing the limits."""
    span, room = target.span, max(target.room, target.span)
    spoken = Step.RATE if rate > 1.0 else Step.SLOWER if rate < 1.0 else Step.FITS
    if span <= 0 or room <= 0:
        placed = clip_seconds if policy is Overflow.SHIFT else 0.0
        return FitDecision(Step.OVERFLOW, rate, 1.0, placed, round(clip_seconds, 4),
                           round(clip_seconds - placed, 4))
    tempo = clip_seconds / span
    if abs(tempo - 1.0) <= TOLERANCE:
        return FitDecision(spoken, rate, 1.0, round(clip_seconds, 4), 0.0, 0.0)
    if tempo < 1.0:
        slowest = min(1.0, math.ceil(limits.min_speed / rate * 1e4) / 1e4)
        tempo = max(round(tempo, 4), slowest)
        if tempo >= 1.0 - TOLERANCE / 4:
            return FitDecision(spoken, rate, 1.0, round(clip_seconds, 4), 0.0, 0.0)
        return FitDecision(Step.SLOWER, rate, tempo, round(clip_seconds / tempo, 4), 0.0, 0.0)
    allowed = max(1.0, limits.max_speed / rate)
    if tempo <= allowed:
        return FitDecision(Step.STRETCH, rate, round(tempo, 4), round(span, 4), 0.0, 0.0)
    return _overflow(rate, round(allowed, 4), clip_seconds, target, policy)


def _overflow(rate: float, tempo: float, clip_seconds: float, target: Target,
              policy: Overflow) -> FitDecision:
    stretched = clip_seconds / tempo
    over = round(stretched - target.span, 4)
    room = max(target.room, target.span)
    if stretched <= room or policy is Overflow.SHIFT:
        return FitDecision(Step.OVERFLOW, rate, tempo, round(stretched, 4), over, 0.0)
    return FitDecision(Step.OVERFLOW, rate, tempo, round(room, 4), over,
                       round(stretched - room, 4))
