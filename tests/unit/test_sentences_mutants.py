"""Sentence boundaries at the edges of each rule, with exact texts and times: a pause must be
longer than the threshold to split; a fragment joins the nearer neighbour (the previous one on a
tie) unless the gap reaches the threshold; an over-long piece is cut where a pause weighs most
against its distance from the middle, or after a clause near the middle; a piece longer than
5 s is cut at its longest pause of at least 0.25 s into parts of at least 1.5 s.

At the edges times are multiples of 1/4 s, exact in binary, so they are tested exactly."""

from __future__ import annotations

from dubbing.sentences import Word, group_sentences


def timed(text: str, step: float, gaps: dict[int, float] | None = None) -> list[Word]:
    """One Word per token, `step` seconds each, extra silence before token i."""
    words, t = [], 0.0
    for i, token in enumerate(text.split()):
        t = round(t + (gaps or {}).get(i, 0.0), 3)
        words.append(Word(t, round(t + step, 3), " " + token))
        t = round(t + step, 3)
    return words


def spans(text: str, step: float, gaps: dict[int, float], **kwargs: float
          ) -> list[tuple[str, float, float]]:
    return [(s.text, s.start, s.end)
            for s in group_sentences(timed(text, step, gaps), **kwargs)]  # type: ignore[arg-type]


WALK = "we walked along the river and then sat"
FRAGMENT = "This is the first sentence. Yes. And this is another one."
COUNT = " ".join(f"w{i}" for i in range(30))


def test_a_pause_as_long_as_the_threshold_does_not_split() -> None:
    assert spans(WALK, 0.5, {4: 0.5}, pause_seconds=0.5) == [(WALK, 0.0, 4.5)]
    assert spans(WALK, 0.5, {4: 0.75}, pause_seconds=0.5) == [
        ("we walked along the", 0.0, 2.0), ("river and then sat", 2.75, 4.75)]


def test_a_fragment_joins_the_previous_piece_on_a_tie() -> None:
    assert spans(FRAGMENT, 0.25, {5: 0.25, 6: 0.25}) == [
        ("This is the first sentence. Yes.", 0.0, 1.75), ("And this is another one.", 2.0, 3.25)]
    assert spans(FRAGMENT, 0.25, {5: 0.5, 6: 0.25}) == [
        ("This is the first sentence.", 0.0, 1.25), ("Yes. And this is another one.", 1.75, 3.5)]


def test_a_gap_as_long_as_the_threshold_keeps_a_fragment_apart() -> None:
    text = "It is the end. Yes. It goes on."
    assert spans(text, 0.25, {4: 0.5, 5: 0.5}, pause_seconds=0.5) == [
        ("It is the end.", 0.0, 1.0), ("Yes.", 1.5, 1.75), ("It goes on.", 2.25, 3.0)]


def test_a_merge_may_reach_the_cap_exactly() -> None:
    text = "one two three four five six seven eight nine ten eleven. Yes."
    assert spans(text, 1.0, {}) == [(text, 0.0, 12.0)]


def test_without_pauses_an_over_long_piece_is_cut_in_the_middle() -> None:
    assert spans(COUNT, 0.4, {}, max_seconds=10.0) == [
        (" ".join(f"w{i}" for i in range(15)), 0.0, 6.0),
        (" ".join(f"w{i}" for i in range(15, 30)), 6.0, 12.0)]


def test_a_clear_pause_a_quarter_in_beats_the_middle() -> None:
    out = spans(COUNT, 0.4, {8: 0.2}, max_seconds=10.0)
    assert [(text.split()[0], start) for text, start, _ in out] == [("w0", 0.0), ("w8", 3.4)]


def test_a_clause_near_the_middle_beats_a_longer_pause() -> None:
    text = COUNT.replace("w17 ", "w17, ")
    out = spans(text, 0.4, {6: 0.2}, max_seconds=10.0)
    assert [(t.split()[0], t.split()[-1], start, end) for t, start, end in out] == [
        ("w0", "w17,", 0.0, 7.4), ("w18", "w29", 7.4, 12.2)]


def test_a_piece_of_5_s_is_not_cut_at_its_pause() -> None:
    letters = " ".join("abcdefghijklmnopqrs")
    assert spans(letters, 0.25, {10: 0.25}) == [(letters, 0.0, 5.0)]
    assert spans(letters + " t", 0.25, {10: 0.25}) == [
        ("a b c d e f g h i j", 0.0, 2.5), ("k l m n o p q r s t", 2.75, 5.25)]


def test_a_long_piece_is_cut_at_its_longest_pause() -> None:
    letters = " ".join("abcdefghijklmno")
    assert spans(letters, 0.4, {6: 0.25, 10: 0.3}) == [
        ("a b c d e f g h i j", 0.0, 4.25), ("k l m n o", 4.55, 6.55)]


def test_a_part_of_exactly_1_5_s_may_be_cut_off() -> None:
    letters = " ".join("abcdefghijklmnopqrstuvwx")
    assert spans(letters, 0.25, {6: 0.5, 12: 0.25}) == [
        ("a b c d e f", 0.0, 1.5), ("g h i j k l m n o p q r s t u v w x", 2.0, 6.75)]
