"""Planning how a long recording is cut: windows (one activity each) made of chunks (one
checkpoint each), every cut inside a silence so that no word is split."""

from __future__ import annotations

from dubbing.stages import Window

CHUNK_SECONDS = 30.0


def _snap(ideal: float, silences: list[tuple[float, float]], reach: float) -> float:
    """The middle of the silence closest to `ideal` within `reach` of it, else `ideal`."""
    near = [(s + e) / 2 for s, e in silences if abs((s + e) / 2 - ideal) <= reach]
    cut: float = min(near, key=lambda m: abs(m - ideal)) if near else ideal
    return round(cut, 3)


def cut_points(start: float, end: float, silences: list[tuple[float, float]],
               target: float) -> list[float]:
    """Cuts in (start, end) about `target` apart, each in the middle of the silence closest to
    the ideal cut within a quarter of `target` either side, or at the ideal cut if none is;
    what is left after the last cut is at most one and a half targets."""
    cuts: list[float] = []
    position = start
    while end - position > target * 1.5:
        position = _snap(position + target, silences, target / 4)
        cuts.append(position)
    return cuts


def balanced_cut_points(start: float, end: float, silences: list[tuple[float, float]],
                        target: float) -> list[float]:
    """As many cuts as `cut_points` makes without silences, but into pieces of about equal
    length: windows recognised side by side then end together, and no short last one waits on
    a long one."""
    cuts: list[float] = []
    position = start
    for left in range(len(cut_points(start, end, [], target)) + 1, 1, -1):
        step = (end - position) / left
        reach = min(step / 4, 1.5 * target - step)  # no piece over one and a half targets
        position = _snap(position + step, silences, reach)
        cuts.append(position)
    return cuts


def plan_windows(duration: float, silences: list[tuple[float, float]], target_seconds: float,
                 chunk_seconds: float = CHUNK_SECONDS) -> list[Window]:
    """Split [0, duration) into windows of about equal length, near `target_seconds` and at
    most one and a half of it, each split into chunks near `chunk_seconds`; `Window.chunks`
    lists the chunk bounds, window start and end included."""
    bounds = [0.0, *balanced_cut_points(0.0, duration, silences, target_seconds),
              round(duration, 3)]
    windows = []
    for i in range(len(bounds) - 1):
        start, end = bounds[i], bounds[i + 1]
        chunks = (start, *cut_points(start, end, silences, chunk_seconds), end)
        windows.append(Window(index=i, start=start, end=end, chunks=chunks))
    return windows
