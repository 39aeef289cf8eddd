"""Subtitles: readable cues, valid SRT and WebVTT."""

from __future__ import annotations

from itertools import pairwise

import srt
import webvtt

from dubbing.subtitles import MAX_LINE, MAX_LINES, Cue, readable, to_srt, to_vtt

LONG = (
    "This is a fairly long sentence that the speaker says in one breath without stopping, "
    "and it keeps going on for quite a while, longer than two subtitle lines could ever hold."
)
CUES = [
    Cue(0.1, 0.8, "Hi"),
    Cue(1.0, 7.3, LONG),
    Cue(8.0, 9.5, "  Short   line\nwith  odd\tspacing "),
    Cue(3725.0, 3727.5, "Past the first hour."),
]


def test_lines_are_at_most_42_characters_and_cues_at_most_two_lines() -> None:
    out = readable(CUES)
    for cue in out:
        lines = cue.text.split("\n")
        assert 1 <= len(lines) <= MAX_LINES
        assert all(0 < len(line) <= MAX_LINE for line in lines)


def test_long_cue_is_split_keeping_words_in_order_and_within_its_time() -> None:
    parts = readable([Cue(1.0, 7.3, LONG)])
    assert len(parts) > 1
    assert " ".join(p.text.replace("\n", " ") for p in parts) == LONG
    assert parts[0].start == 1.0
    assert abs(parts[-1].end - 7.3) < 1e-9
    for before, after in pairwise(parts):
        assert before.start < before.end == after.start < after.end


def test_whitespace_is_normalised_and_blank_cues_dropped() -> None:
    out = readable([Cue(0.0, 1.0, "   "), Cue(1.0, 2.0, " a\n b\t c ")])
    assert out == [Cue(1.0, 2.0, "a b c")]


def test_srt_parses_back_with_monotonic_times() -> None:
    subs = list(srt.parse(to_srt(CUES)))
    assert [s.index for s in subs] == list(range(1, len(subs) + 1))
    assert len(subs) == len(readable(CUES))
    assert subs[0].start.total_seconds() == 0.1
    assert subs[0].content == "Hi"
    for s in subs:
        assert s.start < s.end
    for before, after in pairwise(subs):
        assert before.end <= after.start
    assert subs[-1].start.total_seconds() == 3725.0
    assert subs[-1].content == "Past the first hour."


def test_vtt_starts_with_header_and_parses_strictly() -> None:
    text = to_vtt(CUES)
    assert text.startswith("WEBVTT")
    captions = webvtt.from_string(text, strict=True).captions
    expected = readable(CUES)
    assert len(captions) == len(expected)
    for caption, cue in zip(captions, expected, strict=True):
        assert caption.text == cue.text
        assert caption.start_time.in_milliseconds() == round(cue.start * 1000)
        assert caption.end_time.in_milliseconds() == round(cue.end * 1000)
    assert captions[-1].start == "01:02:05.000"


def test_no_cues_give_empty_but_valid_files() -> None:
    assert to_srt([]) == ""
    assert webvtt.from_string(to_vtt([])).captions == []
