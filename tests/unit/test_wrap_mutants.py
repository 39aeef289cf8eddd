"""Breaking subtitle text, exactly: one line up to 42 characters, else the two most even lines
(the longer one at the bottom on a tie), a word longer than a line never cut; and balanced
groups of words for the cues of a long line, never a one-word group."""

from __future__ import annotations

from dubbing.subtitles import Line, layout
from dubbing.wrap import balanced, wrap


def test_42_characters_are_one_line() -> None:
    text = "Elinor y Marianne paseaban por el jardín.."
    assert len(text) == 42
    assert wrap(text) == [text]


def test_blank_text_has_no_lines() -> None:
    assert wrap("") == []
    assert wrap(" \n\t ") == []


def test_the_two_lines_are_the_most_even_split() -> None:
    assert wrap("El señor Dashwood murió y dejó la finca a su hijo mayor.") == [
        "El señor Dashwood murió y", "dejó la finca a su hijo mayor."]


def test_a_long_first_word_may_stand_alone_on_the_top_line() -> None:
    assert wrap("Otorrinolaringológicamente hablando, sí que lo es.") == [
        "Otorrinolaringológicamente", "hablando, sí que lo es."]


def test_on_a_tie_the_longer_line_goes_at_the_bottom() -> None:
    # 33 + 42 or 42 + 33 characters: the same longest line, the shorter one on top.
    assert wrap("Elinor miró por la ventana y vio, entonces que Marianne volvía sola del río."
                ) == ["Elinor miró por la ventana y vio,",
                      "entonces que Marianne volvía sola del río."]


def test_a_word_longer_than_a_line_is_never_cut() -> None:
    url = "https://example.org/a/very/long/address/that/never/breaks"
    assert wrap(f"Visite {url} para saber más.") == ["Visite", url, "para saber más."]


def test_balanced_groups_follow_the_characters() -> None:
    assert balanced(["uno", "dos", "tres", "cuatro"], 2) == [["uno", "dos"], ["tres", "cuatro"]]
    assert balanced(["uno", "dos", "tres", "cuatro", "cinco", "seis"], 3) == [
        ["uno", "dos"], ["tres", "cuatro"], ["cinco", "seis"]]
    assert balanced(["entonces", "otorrinolaringólogo", "otorrinolaringólogo", "se"], 2) == [
        ["entonces", "otorrinolaringólogo"], ["otorrinolaringólogo", "se"]]


def test_three_groups_are_even_in_characters() -> None:
    # 15, 19 and 18 characters with their spaces; moving "se" on would make 15, 16 and 21.
    words = ["junto", "entonces", "Elinor", "Marianne", "se", "despacio", "Marianne"]
    assert balanced(words, 4) == [["junto", "entonces"], ["Elinor", "Marianne", "se"],
                                  ["despacio", "Marianne"]]


def test_a_word_goes_to_the_group_its_middle_falls_in() -> None:
    # 23 characters with the spaces: "estaba" spans 8 to 15, its middle is the half, 11.5.
    assert balanced(["fue", "que", "estaba", "casa", "la"], 2) == [
        ["fue", "que", "estaba"], ["casa", "la"]]


def test_too_few_words_for_the_groups_asked_stay_together() -> None:
    assert balanced(["la", "al", "casa"], 4) == [["la", "al", "casa"]]
    assert balanced(["sí"], 2) == [["sí"]]


def test_a_one_word_last_group_joins_the_one_before() -> None:
    assert balanced(["la", "la", "estaba", "grande"], 2) == [["la", "la", "estaba", "grande"]]


def test_a_slow_line_of_four_words_gets_its_cue() -> None:
    # 14.5 s asks for three cues; four words make at most two groups of two.
    cues = layout([Line(0.0, 14.5, "la la estaba grande")], 0.4)
    assert " ".join(c.text.replace("\n", " ") for c in cues) == "la la estaba grande"
