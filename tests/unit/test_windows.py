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
    # 600 s in three windows of about 200 s: ideal cuts at 200 and, after the first real cut,
    # halfway through what is left (395.5); silences near each, one farther away that must lose.
    silences = [(190.0, 192.0), (211.0, 212.0), (398.0, 400.0), (700.0, 701.0)]
    windows = plan_windows(600.0, silences, target_seconds=180.0)
    assert_contiguous(windows, 600.0)
    assert windows[0].end == 191.0  # |191-200| = 9 beats |211.5-200| = 11.5
    assert windows[1].end == 399.0  # ideal 395.5, silence midpoint 399
    assert len(windows) == 3


def test_no_silence_near_the_target_cuts_at_the_target() -> None:
    # Two windows of 200 s; a silence 60 s from the ideal cut is beyond a quarter window.
    windows = plan_windows(400.0, [(259.0, 261.0)], target_seconds=180.0)
    assert_contiguous(windows, 400.0)
    assert windows[0].end == 200.0


def test_windows_are_about_equal_so_none_waits_on_a_longer_one() -> None:
    # Cut every 180 s, 300 s would leave a 120-s window beside a 180-s one.
    windows = plan_windows(300.0, [], target_seconds=180.0)
    assert [(w.start, w.end) for w in windows] == [(0.0, 150.0), (150.0, 300.0)]
    windows = plan_windows(1000.0, [], target_seconds=180.0)  # 180-s cuts: 5 x 180 s + 100 s
    assert len(windows) == 6
    assert all(w.end - w.start == pytest.approx(1000.0 / 6, abs=1e-3) for w in windows)


def test_no_window_is_longer_than_one_and_a_half_targets() -> None:
    # Two pieces of 224 s; a silence 50 s late or early (within a quarter of the step) would
    # make one window 274 s, but none may pass 1.5 x 180 = 270 s.
    for silence in (224.0 + 50.0, 224.0 - 50.0):
        windows = plan_windows(448.0, [(silence - 0.5, silence + 0.5)], target_seconds=180.0)
        assert [(w.start, w.end) for w in windows] == [(0.0, 224.0), (224.0, 448.0)]


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
