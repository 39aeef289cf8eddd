"""Planning the windows a long recording is transcribed in, cut inside silences."""

from __future__ import annotations

from dubbing.stages import Window


def plan_windows(duration: float, silences: list[tuple[float, float]],
                 target_seconds: float) -> list[Window]:
    """Split [0, duration) into windows near `target_seconds` long.

    Each cut goes to the middle of the silence closest to the ideal cut, searched within a
    quarter window either side, so no word is split between two windows.
    """
    cuts: list[float] = []
    position = 0.0
    while duration - position > target_seconds * 1.5:
        ideal = position + target_seconds
        reach = target_seconds / 4
        near = [(s + e) / 2 for s, e in silences if abs((s + e) / 2 - ideal) <= reach]
        cut = min(near, key=lambda m: abs(m - ideal)) if near else ideal
        cuts.append(cut)
        position = cut
    bounds = [0.0, *cuts, duration]
    return [Window(index=i, start=round(bounds[i], 3), end=round(bounds[i + 1], 3))
            for i in range(len(bounds) - 1)]
