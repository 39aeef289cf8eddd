"""Subtitle cues on constructed lines, with their exact text and timing: where a long line is
split (on the voice's nearest pause, within a second of the even split), and which neighbour a
cue too short to read joins (the nearer one that still fits one cue of two lines and 7 s)."""

from __future__ import annotations

import pytest

from dubbing.subtitles import Cue, Line, layout

HOLD = 0.4
MEDIUM = ("This is a fairly long sentence that the speaker says in one breath, and it keeps "
          "going on for quite a while.")  # 108 characters: two cues
FIRST, SECOND = ("This is a fairly long sentence\nthat the speaker says in",
                 "one breath, and it keeps\ngoing on for quite a while.")
# Without pauses the even split of MEDIUM over 8 s falls at 4.112 s.
EVEN = 8.0 * 55 / 107  # 55 of the 107 characters of the two halves
SENTENCE = ("Y entonces se marchó muy despacio hacia la casa grande que estaba junto al viejo "
            "río del pueblo")
WORDS = SENTENCE.split(" ")


def times(cues: list[Cue]) -> list[tuple[float, float]]:
    return [(round(c.start, 6), round(c.end, 6)) for c in cues]


def test_a_line_without_duration_has_no_cue() -> None:
    assert layout([Line(2.0, 2.0, "Hola")], HOLD) == []


def test_a_line_that_needs_two_cues_gets_two_not_three() -> None:
    text = ("Esta frase bastante larga tiene unas cien letras, así que no cabe en dos líneas "
            "de un solo subtítulo.")
    out = layout([Line(0.0, 5.0, text)], HOLD)
    assert [c.text for c in out] == ["Esta frase bastante larga\ntiene unas cien letras,",
                                     "así que no cabe en dos\nlíneas de un solo subtítulo."]
    assert out[1].end == pytest.approx(2.45 + 50 / 17)  # read at 17 characters a second


def test_without_a_pause_the_split_is_even() -> None:
    out = layout([Line(0.0, 8.0, MEDIUM)], HOLD)
    assert [c.text for c in out] == [FIRST, SECOND]
    assert times(out) == [(0.0, round(EVEN - 0.08, 6)), (round(EVEN, 6), 8.0)]


def test_the_split_moves_to_a_pause_and_the_last_cue_ends_with_the_line() -> None:
    # A pause near the even split takes it; the breath just before the end of the line is no
    # split: the last cue ends with the speech.
    out = layout([Line(0.0, 8.0, MEDIUM, pauses=[(4.6, 5.0), (7.5, 7.7)])], HOLD)
    assert [c.text for c in out] == [FIRST, SECOND]
    assert times(out) == [(0.0, 4.6), (5.0, 8.0)]
    assert out[1].speech_end == 8.0


def test_the_nearest_of_two_pauses_takes_the_split() -> None:
    out = layout([Line(0.0, 8.0, MEDIUM, pauses=[(3.3, 3.5), (4.2, 4.4)])], HOLD)
    assert times(out) == [(0.0, 4.2), (4.4, 8.0)]


def test_a_pause_is_near_by_where_it_starts() -> None:
    # Starts 0.39 s after the even split and ends 1.69 s after it: near.
    out = layout([Line(0.0, 8.0, MEDIUM, pauses=[(4.5, 5.8)])], HOLD)
    assert times(out) == [(0.0, 4.5), (5.8, 8.4)]


@pytest.mark.parametrize("pause", [(6.5, 6.8), (4.3, 8.0)], ids=["too far", "voice never resumes"])
def test_a_pause_too_far_or_at_the_end_of_the_voice_is_ignored(pause: tuple[float, float]) -> None:
    out = layout([Line(0.0, 8.0, MEDIUM, pauses=[pause])], HOLD)
    assert times(out) == [(0.0, round(EVEN - 0.08, 6)), (round(EVEN, 6), 8.0)]


def test_a_pause_exactly_a_second_from_the_even_split_is_too_far() -> None:
    text = " ".join(["palabra"] * 12)  # two equal halves: the even split is at 4.0 s
    out = layout([Line(0.0, 8.0, text, pauses=[(5.0, 5.3)])], HOLD)
    assert times(out) == [(0.0, 3.92), (4.0, 8.0)]


def test_a_pause_where_the_voice_starts_is_no_split() -> None:
    text = ("Esta frase bastante larga tiene unas cien letras, así que no cabe en dos líneas "
            "de un solo subtítulo.")
    plain = layout([Line(0.0, 1.5, text)], HOLD)
    assert layout([Line(0.0, 1.5, text, pauses=[(0.0, 0.2)])], HOLD) == plain
    assert plain[0].start == 0.0 and plain[0].end > 0.5


def test_a_flash_cue_joins_the_previous_cue_when_the_next_has_no_room() -> None:
    after = " ".join(WORDS[:15])  # 80 characters: "Era." does not fit with it in two lines
    out = layout([Line(0.0, 1.9, "Entonces colocó la mesa."), Line(2.0, 2.3, "Era."),
                  Line(2.6, 6.5, after)], HOLD)
    assert [c.text for c in out] == ["Entonces colocó la mesa. Era.",
                                     "Y entonces se marchó muy despacio hacia\n"
                                     "la casa grande que estaba junto al viejo"]
    assert times(out) == [(0.0, 2.52), (2.6, 6.9)]


def test_a_flash_cue_joins_the_nearer_neighbour() -> None:
    out = layout([Line(10.0, 11.0, "Sí, claro."), Line(12.0, 12.3, "Era."),
                  Line(12.6, 13.6, "Y se fue.")], HOLD)
    assert [(c.text, round(c.start, 6), round(c.end, 6)) for c in out] == [
        ("Sí, claro.", 10.0, 11.0), ("Era. Y se fue.", 12.0, 13.6)]


def test_a_flash_cue_with_no_neighbour_to_join_starts_earlier() -> None:
    # The previous cue is 1.5 s away; joining the next would make a cue over 7 s.
    out = layout([Line(0.0, 1.0, "Sí, claro."), Line(2.5, 2.8, "Era."),
                  Line(3.3, 9.8, "Y entonces, muy despacio, se fue.")], HOLD)
    assert [c.text for c in out] == ["Sí, claro.", "Era.", "Y entonces, muy despacio, se fue."]
    assert times(out) == [(0.0, 1.0), (2.42, 3.22), (3.3, 9.8)]


def test_a_joined_cue_may_last_exactly_7_s() -> None:
    out = layout([Line(10.0, 10.3, "Era."), Line(10.6, 17.0, "Y se fue.")], HOLD)
    assert [(c.text, c.start, c.end) for c in out] == [("Era. Y se fue.", 10.0, 17.0)]


def test_a_joined_cue_may_take_two_lines() -> None:
    after = " ".join(WORDS[:14])  # 74 characters on two lines; with "Era." still two lines
    out = layout([Line(10.0, 10.3, "Era."), Line(10.6, 15.0, after)], HOLD)
    assert [(c.text, c.start, c.end) for c in out] == [
        ("Era. Y entonces se marchó muy despacio\nhacia la casa grande que estaba junto al",
         10.0, 15.0)]


def test_the_pause_nearest_by_its_start_takes_the_split() -> None:
    # (3.5, 4.0) ends nearer the even split (4.11), (4.5, 4.7) starts nearer: the cue ends
    # where the pause starts, so the start counts.
    out = layout([Line(0.0, 8.0, MEDIUM, pauses=[(3.5, 4.0), (4.5, 4.7)])], HOLD)
    assert times(out) == [(0.0, 4.5), (4.7, 8.0)]


def test_a_split_moved_onto_a_pause_still_leaves_no_cue_over_7_s() -> None:
    text = "Elinor y Marianne paseaban por el jardín, mientras su madre leía en la casa."
    out = layout([Line(0.0, 13.0, text, pauses=[(7.4, 7.6)])], HOLD)
    assert [c.text for c in out] == ["Elinor y Marianne paseaban por el jardín,",
                                     "mientras su madre leía en la casa."]
    assert times(out) == [(0.0, 7.0), (7.6, 13.0)]


def test_a_cue_of_exactly_0_8_s_is_long_enough() -> None:
    out = layout([Line(10.0, 10.3, "Era."), Line(10.88, 14.0, "Y entonces, muy despacio, se "
                                                             "fue a su casa.")], HOLD)
    assert [c.text for c in out] == ["Era.", "Y entonces, muy despacio,\nse fue a su casa."]
    assert times(out) == [(10.0, 10.8), (10.88, 14.0)]


def test_a_flash_cue_joins_a_neighbour_exactly_a_second_away() -> None:
    out = layout([Line(10.0, 11.0, "Sí, claro."), Line(12.0, 12.3, "Era."),
                  Line(12.6, 19.5, "Y entonces, muy despacio, se fue.")], HOLD)
    assert [(c.text, round(c.start, 6), round(c.end, 6)) for c in out] == [
        ("Sí, claro. Era.", 10.0, 12.52), ("Y entonces, muy despacio, se fue.", 12.6, 19.5)]


def test_every_flash_cue_is_joined_not_only_the_first() -> None:
    out = layout([Line(0.0, 0.25, "Era."), Line(0.4, 2.4, "Entonces colocó la mesa."),
                  Line(5.0, 5.25, "Sí."), Line(5.4, 7.4, "Y se sentó a comer.")], HOLD)
    assert [(c.text, c.start, c.end) for c in out] == [
        ("Era. Entonces colocó la mesa.", 0.0, 2.4), ("Sí. Y se sentó a comer.", 5.0, 7.4)]


def test_a_flash_cue_never_starts_over_the_cue_before() -> None:
    # Both neighbours would make a cue over 7 s: it starts earlier, but only up to the gap
    # after the cue before, and stays shorter than 0.8 s.
    out = layout([Line(0.0, 6.5, "Y entonces, muy despacio, se fue."), Line(6.7, 7.0, "Era."),
                  Line(7.3, 14.0, "Y entonces, muy despacio, se fue.")], HOLD)
    assert times(out) == [(0.0, 6.5), (6.58, 7.22), (7.3, 14.0)]


def test_after_a_flash_cue_that_cannot_join_the_next_one_still_can() -> None:
    out = layout([Line(0.0, 6.5, "Y entonces, muy despacio, se fue."),
                  Line(6.7, 7.0, "Elinor miró por la ventana del salón."),
                  Line(7.3, 7.5, "Marianne volvía sola del río, muy despacio."),
                  Line(7.9, 9.5, "Y su madre la esperaba.")], HOLD)
    assert [(c.text, round(c.start, 6), round(c.end, 6)) for c in out] == [
        ("Y entonces, muy despacio, se fue.", 0.0, 6.5),
        ("Elinor miró por la ventana del salón.", 6.58, 7.22),
        ("Marianne volvía sola del río, muy\ndespacio. Y su madre la esperaba.", 7.3, 9.5)]
