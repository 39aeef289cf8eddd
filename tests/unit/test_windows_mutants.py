"""Where a recording is cut, exactly: a cut is made only when what is left is over one and a
half windows, and windows then share the length equally; a silence counts when its middle is
within a quarter window of the ideal cut; chunks are 30 s by default; times are kept to the
millisecond."""

from __future__ import annotations

import pytest

from dubbing.stages import Window
from dubbing.windows import cut_points, plan_windows


def test_one_and_a_half_windows_are_still_one_window() -> None:
    assert plan_windows(270.0, [], target_seconds=180.0) == [Window(
        index=0, start=0.0, end=270.0,
        chunks=(0.0, 30.0, 60.0, 90.0, 120.0, 150.0, 180.0, 210.0, 240.0, 270.0))]


def test_a_little_more_makes_two_equal_halves() -> None:
    first, second = plan_windows(270.001, [], target_seconds=180.0)
    assert (first.start, second.end) == (0.0, 270.001)
    assert first.end == second.start == pytest.approx(135.0, abs=1e-3)
    assert first.chunks == (0.0, 30.0, 60.0, 90.0, first.end)
    assert second.chunks == (first.end, 165.0, 195.0, 225.0, 255.0, 270.001)



def test_a_silence_a_quarter_window_from_the_ideal_cut_still_takes_it() -> None:
    assert cut_points(0.0, 400.0, [(224.0, 226.0)], 180.0) == [225.0]
    assert cut_points(0.0, 400.0, [(224.0, 226.2)], 180.0) == [180.0], "45.1 s away: too far"


def test_cuts_are_kept_to_the_millisecond() -> None:
    assert cut_points(0.0, 400.0, [(170.1234, 172.4567)], 180.0) == [171.29]
    assert plan_windows(100.12345, [], target_seconds=180.0) == [
        Window(index=0, start=0.0, end=100.123, chunks=(0.0, 30.0, 60.0, 100.123))]


def test_each_cut_is_a_window_after_the_previous_cut() -> None:
    # The second ideal cut is 180 s after the first real cut (171), not after 180.
    assert cut_points(0.0, 600.0, [(170.0, 172.0), (349.0, 350.0)], 180.0) == [171.0, 349.5]


def test_chunks_go_into_silences_near_every_30_s() -> None:
    windows = plan_windows(100.0, [(31.0, 33.0), (80.0, 81.0)], target_seconds=180.0)
    assert windows == [Window(index=0, start=0.0, end=100.0, chunks=(0.0, 32.0, 62.0, 100.0))]


def test_the_nearest_silence_wins_even_when_an_earlier_one_is_near_too() -> None:
    # Both middles are within 45 s of the ideal cut (180): 185 is 5 s away, 151 is 29 s.
    assert cut_points(0.0, 400.0, [(150.0, 152.0), (184.0, 186.0)], 180.0) == [185.0]
