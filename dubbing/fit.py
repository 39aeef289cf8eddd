"""Fitting each synthesized line into its time slot: pure decisions, no media."""

from __future__ import annotations

from dataclasses import dataclass

# Below this the difference is inaudible; avoid stretching for it.
SPEED_EPSILON = 0.01


@dataclass(frozen=True)
class Slot:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class FitDecision:
    speed: float
    placed_seconds: float
    overflow_seconds: float

    @property
    def trimmed(self) -> bool:
        return self.overflow_seconds > 0


def slots(starts: list[float], window_end: float) -> list[Slot]:
    """A line may speak from its start until the next line starts (or the window ends)."""
    if not starts:
        return []
    ends = [*starts[1:], window_end]
    return [Slot(start, max(start, end)) for start, end in zip(starts, ends, strict=True)]


def decide(clip_seconds: float, slot: Slot, max_stretch: float) -> FitDecision:
    """Speed up a long line up to `max_stretch`; past that, trim at the slot end and record it."""
    room = slot.seconds
    if clip_seconds <= room or room <= 0:
        if room <= 0:
            return FitDecision(1.0, 0.0, clip_seconds)
        return FitDecision(1.0, clip_seconds, 0.0)
    speed = clip_seconds / room
    if speed <= 1 + SPEED_EPSILON:
        speed = 1.0
    speed = min(speed, max_stretch)
    stretched = clip_seconds / speed
    overflow = max(0.0, stretched - room)
    return FitDecision(round(speed, 4), round(min(stretched, room), 4), round(overflow, 4))
