"""The speaker reference for voice cloning: a clean, continuous 6-10 s stretch of speech."""

from __future__ import annotations

from dubbing.engines.reference import pick_reference
from dubbing.stages import Segment


def lines(*spans: tuple[float, float]) -> list[Segment]:
    return [Segment(index=i, start=a, end=b, text="x") for i, (a, b) in enumerate(spans)]


def test_joins_close_lines_into_one_stretch() -> None:
    assert pick_reference(lines((0, 3), (3.2, 6), (6.1, 8.5), (12, 13))) == (0, 8.5)


def test_a_gap_breaks_the_stretch() -> None:
    assert pick_reference(lines((0, 3), (5, 7), (7.2, 12.5))) == (5, 12.5)


def test_long_speech_is_cut_to_ten_seconds() -> None:
    assert pick_reference(lines((2, 30))) == (2, 12)


def test_without_a_long_stretch_the_longest_is_used() -> None:
    assert pick_reference(lines((0, 2), (5, 9), (20, 21))) == (5, 9)


def test_no_speech_no_reference() -> None:
    assert pick_reference([]) is None
