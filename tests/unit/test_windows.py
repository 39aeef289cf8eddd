"""plan_windows: where a long recording is cut into transcription windows and chunks."""

from __future__ import annotations

from itertools import pairwise

import pytest

from dubbing.windows import plan_windows


def assert_contiguous(windows, duration: float) -> None:
    assert [w.index for w in windows] == list(range(len(windows)))
    assert windows[0].start == 0.0
    assert windows[-1].end == pytest.approx(duration, abs=1e-3)
    for before, after in pairwise(windows):
        assert before.end == after.start
        assert before.end > before.start


def test_short_media_is_one_window() -> None:
    windows = plan_windows(44.0, [(10.0, 11.0)], target_seconds=30.0)
    assert len(windows) == 1
    assert (windows[0].start, windows[0].end) == (0.0, 44.0)


def test_long_media_cuts_in_the_middle_of_the_nearest_silence() -> None:
    # Ideal cuts at 180 and ~351; silences near each, one farther away that must lose.
    silences = [(170.0, 172.0), (190.0, 191.0), (349.0, 350.0), (700.0, 701.0)]
    windows = plan_windows(600.0, silences, target_seconds=180.0)
    assert_contiguous(windows, 600.0)
    assert windows[0].end == 171.0  # |171-180| = 9 beats |190.5-180| = 10.5
    assert windows[1].end == 349.5  # ideal 351, silence midpoint 349.5
    assert len(windows) == 3  # 250.5 s left is under 1.5 windows: no third cut


def test_no_silence_near_the_target_cuts_at_the_target() -> None:
    # A silence 60 s from the ideal cut is beyond a quarter window (45 s): ignored.
    windows = plan_windows(400.0, [(239.0, 241.0)], target_seconds=180.0)
    assert_contiguous(windows, 400.0)
    assert windows[0].end == 180.0


def test_windows_cover_the_whole_duration_with_silences_everywhere() -> None:
    duration = 3600.25
    silences = [(float(t), t + 0.4) for t in range(7, 3600, 13)]
    windows = plan_windows(duration, silences, target_seconds=180.0)
    assert_contiguous(windows, duration)
    for w in windows[:-1]:
        assert 180.0 * 0.75 <= w.end - w.start <= 180.0 * 1.25
    assert windows[-1].end - windows[-1].start <= 180.0 * 1.5


def test_every_window_is_split_into_contiguous_chunks_inside_it() -> None:
    windows = plan_windows(400.0, [(95.0, 96.0)], target_seconds=180.0, chunk_seconds=30.0)
    for w in windows:
        bounds = w.chunk_bounds()
        assert bounds[0][0] == w.start
        assert bounds[-1][1] == w.end
        for (_, end), (start, _) in pairwise(bounds):
            assert end == start
        assert all(a < b for a, b in bounds)
    assert 95.5 in windows[0].chunks  # chunk cuts also go into silences
