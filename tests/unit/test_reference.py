"""The speaker reference for voice cloning: a clean, continuous 6-10 s stretch of speech."""

from __future__ import annotations

from dubbing.engines.reference import pick_reference, speaker_references
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


def test_a_speaker_reference_never_crosses_another_speakers_line() -> None:
    spans = [(0, 3), (3.2, 6), (6.1, 9), (9.2, 12), (12.1, 13)]
    labels = ["S1", "S1", "S2", "S1", "S1"]
    found = speaker_references(spans, labels, [True] * 5)
    assert found == {"S1": (0, 6), "S2": (6.1, 9)}


def test_an_unsure_line_ends_a_speakers_run() -> None:
    spans = [(0, 2), (2.1, 4), (4.2, 5), (5.1, 9), (20, 27), (30, 31)]
    labels = ["S1", "S1", "S1", "S1", "S2", "S3"]
    sure = [True, True, False, True, True, False]  # lines 2 and 5 are too short to be sure of
    found = speaker_references(spans, labels, sure)
    assert found == {"S1": (0, 4), "S2": (20, 27)}  # (0, 9) would include the unsure line
