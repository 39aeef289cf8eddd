"""Subtitles a viewer can read: at most 42 characters a line and 2 lines a cue, no cue under
0.8 s or over 7 s, no one-word orphans, reading speed kept at 17 characters a second where the
timing allows, cues ending with their speech; valid SRT and WebVTT.

The limits are written out here on purpose: they are the subtitling conventions, not whatever
the code happens to use."""

from __future__ import annotations

from itertools import pairwise

import srt
import webvtt

from dubbing.subtitles import Cue, Line, layout, to_srt, to_vtt
from dubbing.wrap import balanced, wrap

LONG = (
    "This is a fairly long sentence that the speaker says in one breath without stopping, "
    "and it keeps going on for quite a while, longer than two subtitle lines could ever hold."
)
LINES = [
    Line(0.1, 0.6, "Hi"),
    Line(1.0, 9.3, LONG),
    Line(10.0, 11.5, "  Short   line\nwith  odd\tspacing "),
    Line(3725.0, 3727.5, "Past the first hour."),
]
HOLD = 0.4


def cues() -> list[Cue]:
    return layout(LINES, HOLD)


def test_lines_are_at_most_42_characters_and_cues_at_most_two_lines() -> None:
    for cue in cues():
        lines = cue.text.split("\n")
        assert 1 <= len(lines) <= 2
        assert all(0 < len(line) <= 42 for line in lines)


def test_no_cue_is_shorter_than_0_8_s_or_longer_than_7_s() -> None:
    for cue in cues():
        assert 0.8 - 1e-6 <= cue.end - cue.start <= 7.0 + 1e-6, cue


def test_a_long_line_is_split_in_order_within_its_time_and_without_overlap() -> None:
    parts = layout([Line(1.0, 9.3, LONG)], HOLD)
    assert len(parts) > 1
    assert " ".join(p.text.replace("\n", " ") for p in parts) == LONG
    assert parts[0].start == 1.0
    assert 9.3 <= parts[-1].end <= 9.3 + HOLD + 1e-6
    for before, after in pairwise(parts):
        assert before.end + 0.08 - 1e-6 <= after.start


def test_a_split_lands_on_a_pause_of_the_voice() -> None:
    medium = ("This is a fairly long sentence that the speaker says in one breath, and it "
              "keeps going on for quite a while.")
    parts = layout([Line(0.0, 8.0, medium, pauses=[(4.6, 5.0)])], HOLD)
    assert len(parts) == 2
    assert parts[0].end == 4.6 and parts[1].start == 5.0


def test_a_cue_ends_with_its_speech_held_only_for_reading() -> None:
    fast = layout([Line(0.0, 1.5, "Cuarenta y dos caracteres dichos deprisa.")], HOLD)[0]
    assert fast.end == 1.5 + HOLD, "held as long as allowed, to be read"
    slow = layout([Line(0.0, 3.0, "Sí, claro que sí.")], HOLD)[0]
    assert slow.end == 3.0, "no need to hold: readable at its own pace"
    assert slow.cps <= 17


def test_reading_speed_is_kept_where_the_next_cue_leaves_time() -> None:
    text = "Una frase de cuarenta y dos caracteres aq."
    cue = layout([Line(0.0, 1.5, text), Line(6.0, 7.0, "Otra frase.")], 2.0)[0]
    assert cue.cps <= 17.0 + 1e-6


def test_a_short_line_never_makes_a_flash_cue() -> None:
    out = layout([Line(0.0, 0.25, "Era."), Line(0.4, 2.4, "Entonces colocó la mesa.")], HOLD)
    assert all(c.end - c.start >= 0.8 - 1e-6 for c in out)
    assert out[0].text.startswith("Era."), "joined to its neighbour"
    alone = layout([Line(5.0, 5.3, "Sí.")], HOLD)
    assert alone[0].end - alone[0].start >= 0.8 - 1e-6


def test_no_cue_is_a_single_word_when_a_line_is_split() -> None:
    text = " ".join(["palabra"] * 23)  # 183 characters: three cues
    for cue in layout([Line(0.0, 6.5, text)], HOLD):
        assert len(cue.text.split()) >= 2


def test_wrap_balances_two_lines_and_balanced_keeps_pairs() -> None:
    top, bottom = wrap("one two three four five six seven eight nine ten eleven")
    assert abs(len(top) - len(bottom)) <= 8
    assert all(len(g) >= 2 for g in balanced(["a", "b", "c", "d", "e"], 3))


def test_whitespace_is_normalised_and_blank_lines_dropped() -> None:
    out = layout([Line(0.0, 1.0, "   "), Line(1.0, 2.0, " a\n b\t c ")], HOLD)
    assert [c.text for c in out] == ["a b c"]


def test_srt_parses_back_with_monotonic_times() -> None:
    expected = cues()
    subs = list(srt.parse(to_srt(expected)))
    assert [s.index for s in subs] == list(range(1, len(subs) + 1))
    assert len(subs) == len(expected)
    for s in subs:
        assert s.start < s.end
    for before, after in pairwise(subs):
        assert before.end <= after.start
    assert subs[-1].start.total_seconds() == 3725.0
    assert subs[-1].content == "Past the first hour."


def test_vtt_starts_with_header_and_parses_strictly() -> None:
    expected = cues()
    text = to_vtt(expected)
    assert text.startswith("WEBVTT")
    captions = webvtt.from_string(text, strict=True).captions
    assert len(captions) == len(expected)
    for caption, cue in zip(captions, expected, strict=True):
        assert caption.text == cue.text
        assert caption.start_time.in_milliseconds() == round(cue.start * 1000)
        assert caption.end_time.in_milliseconds() == round(cue.end * 1000)
    assert captions[-1].start == "01:02:05.000"


def test_no_cues_give_empty_but_valid_files() -> None:
    assert to_srt([]) == ""
    assert webvtt.from_string(to_vtt([])).captions == []
