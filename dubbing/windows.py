"""Planning how a long recording is cut: windows (one activity each) made of chunks (one
checkpoint each), every cut inside a silence so that no word is split."""

from __future__ import annotations

from dubbing.stages import Window

CHUNK_SECONDS = 30.0


def cut_points(start: float, end: float, silences: list[tuple[float, float]],
               target: float) -> list[float]:
    """Cuts in (start, end) about `target` apart, each in the middle of the silence closest to
    the ideal cut within a quarter of `target` either side, or at the ideal cut if none is."""
    cuts: list[float] = []
    position = start
    while end - position > target * 1.5:
        ideal = position + target
        near = [(s + e) / 2 for s, e in silences if abs((s + e) / 2 - ideal) <= target / 4]
        cut = min(near, key=lambda m: abs(m - ideal)) if near else ideal
        cuts.append(round(cut, 3))
        position = cut
    return cuts


def plan_windows(duration: float, silences: list[tuple[float, float]], target_seconds: float,
                 chunk_seconds: float = CHUNK_SECONDS) -> list[Window]:
    """Split [0, duration) into windows near `target_seconds` long, each split into chunks
    near `chunk_seconds`; `Window.chunks` lists the chunk bounds, window start and end included."""
    bounds = [0.0, *cut_points(0.0, duration, silences, target_seconds), round(duration, 3)]
    windows = []
    for i in range(len(bounds) - 1):
        start, end = bounds[i], bounds[i + 1]
        chunks = (start, *cut_points(start, end, silences, chunk_seconds), end)
        windows.append(Window(index=i, start=start, end=end, chunks=chunks))
    return windows
