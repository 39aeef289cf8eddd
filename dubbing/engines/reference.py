"""Choosing the reference clip a cloning voice (XTTS) learns the speaker from."""

from __future__ import annotations

from dubbing.stages import Segment

SHORTEST, LONGEST = 6.0, 10.0
# Lines closer than this belong to one continuous stretch of speech.
JOIN_GAP = 0.4


def pick_reference(segments: list[Segment]) -> tuple[float, float] | None:
    """The longest continuous stretch of speech of 6-10 s (cut to 10 s when longer),
    or the longest stretch there is when none reaches 6 s; None without speech."""
    best: tuple[float, float] | None = None
    for i, first in enumerate(segments):
        end = first.end
        for seg in segments[i + 1:]:
            if seg.start - end > JOIN_GAP or seg.end - first.start > LONGEST:
                break
            end = seg.end
        span = (first.start, min(end, first.start + LONGEST))
        if best is None or span[1] - span[0] > best[1] - best[0]:
            best = span
        if best[1] - best[0] >= LONGEST:
            break
    return best
