"""Sentence regrouping on constructed word lists, then on real speech from the sample video."""

from __future__ import annotations

import itertools
import random
import subprocess
from pathlib import Path

import numpy as np
import pytest

from dubbing.engines.asr import load_model
from dubbing.sentences import CLOSERS, Sentence, Word, group_sentences

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample.mp4"
ENDS = (".", "?", "!", "…")


def timed(text: str, start: float = 0.0, step: float = 0.4, gaps: dict[int, float] | None = None,
          ) -> list[Word]:
    """One Word per space-separated token, `step` seconds each, extra silence before index i."""
    words: list[Word] = []
    t = start
    for i, token in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        words.append(Word(round(t, 3), round(t + step, 3), " " + token))
        t += step
    return words


def texts(sentences: list[Sentence]) -> list[str]:
    return [s.text for s in sentences]


def norm(text: str) -> str:
    return " ".join(text.split())


def test_no_words_no_sentences() -> None:
    assert group_sentences([]) == []


def test_splits_after_sentence_ends_and_keeps_word_times() -> None:
    words = timed("Hello there, my friend. How are you today? I am fine! Well then… we go on.")
    out = group_sentences(words, min_words=1, min_seconds=0.0)
    assert texts(out) == ["Hello there, my friend.", "How are you today?", "I am fine!",
                          "Well then…", "we go on."]
    assert (out[0].start, out[0].end) == (words[0].start, words[3].end)
    assert (out[1].start, out[1].end) == (words[4].start, words[7].end)


def test_closing_quotes_and_brackets_still_end_a_sentence() -> None:
    words = timed('He said "stop it now." Then she left (quite quickly.) And so on.')
    out = group_sentences(words, min_words=1, min_seconds=0.0)
    assert texts(out) == ['He said "stop it now."', "Then she left (quite quickly.)",
                          "And so on."]


@pytest.mark.parametrize("abbreviation", ["Mr.", "MRS.", "ms.", "Dr.", "St.", "e.g.", "i.e.",
                                          "etc.", "vs.", "U.S.", "J."])
def test_abbreviations_and_initials_do_not_end_a_sentence(abbreviation: str) -> None:
    out = group_sentences(timed(f"We met {abbreviation} Smith near the river today."))
    assert texts(out) == [f"We met {abbreviation} Smith near the river today."]


def test_splits_at_a_pause_longer_than_the_threshold() -> None:
    words = timed("we walked along the river and then we sat down", gaps={5: 0.8})
    assert texts(group_sentences(words)) == ["we walked along the river", "and then we sat down"]
    assert len(group_sentences(words, pause_seconds=0.9)) == 1


def test_a_fragment_merges_into_the_closer_previous_piece() -> None:
    words = timed("This is the first sentence. Yes. And this is another one.", gaps={6: 0.5})
    assert texts(group_sentences(words)) == ["This is the first sentence. Yes.",
                                             "And this is another one."]


def test_a_fragment_merges_into_the_closer_next_piece() -> None:
    words = timed("This is the first sentence. Yes. And this is another one.", gaps={5: 0.5})
    assert texts(group_sentences(words)) == ["This is the first sentence.",
                                             "Yes. And this is another one."]


def test_a_short_piece_with_enough_words_still_merges() -> None:
    words = timed("This is the first sentence. Go now, please. Then this is another one.",
                  step=0.2, gaps={8: 0.3})
    assert texts(group_sentences(words, min_seconds=1.0, min_words=3)) == [
        "This is the first sentence. Go now, please.", "Then this is another one."]


def test_no_merge_across_a_long_gap() -> None:
    words = timed("This is the first sentence. Yes. And this is another one.",
                  gaps={5: 1.3, 6: 1.4})
    assert texts(group_sentences(words)) == ["This is the first sentence.", "Yes.",
                                             "And this is another one."]


def test_no_merge_when_the_result_would_be_too_long() -> None:
    words = timed("one two three four five six seven eight nine ten eleven twelve. Yes.",
                  step=1.0)
    assert texts(group_sentences(words, max_seconds=12.0)) == [
        "one two three four five six seven eight nine ten eleven twelve.", "Yes."]


def test_fragments_of_one_word_each_merge_together() -> None:
    out = group_sentences(timed("Yes. No. Maybe. Sure. Fine."))
    assert texts(out) == ["Yes. No. Maybe. Sure. Fine."]


def test_a_long_piece_is_cut_after_a_comma_near_the_middle() -> None:
    words = timed("we went down to the river, and after a while we sat on the bank, and we "
                  "watched the water flow by for a long time", step=0.5)
    out = group_sentences(words, max_seconds=12.0)
    assert texts(out) == ["we went down to the river, and after a while we sat on the bank,",
                          "and we watched the water flow by for a long time"]
    assert all(s.end - s.start <= 12.0 for s in out)


def test_a_comma_at_the_edge_loses_to_a_pause_in_the_middle() -> None:
    words = timed("well, " + " ".join(f"w{i}" for i in range(28)), step=0.5, gaps={15: 0.3})
    out = group_sentences(words, max_seconds=12.0)
    assert len(out) == 2
    assert out[1].text.startswith("w14 ")


def test_without_punctuation_a_long_piece_is_cut_at_its_longest_pause() -> None:
    words = timed(" ".join(f"w{i}" for i in range(30)), step=0.45, gaps={12: 0.4, 20: 0.1})
    out = group_sentences(words, max_seconds=12.0)
    assert [s.text.split()[0] for s in out] == ["w0", "w12"]


def test_cutting_recurses_until_every_piece_fits() -> None:
    out = group_sentences(timed(" ".join(f"w{i}" for i in range(100)), step=0.5), max_seconds=7.0)
    assert len(out) > 7
    assert all(s.end - s.start <= 7.0 for s in out)


def test_a_single_word_longer_than_the_cap_stays_whole() -> None:
    words = [Word(0.0, 15.0, " Ooooh."), Word(15.1, 15.5, " Yes"), Word(15.5, 16.5, " indeed.")]
    out = group_sentences(words, max_seconds=12.0)
    assert out[0] == Sentence(0.0, 15.0, "Ooooh.")


def test_no_boundary_inside_a_word_continued_without_a_space() -> None:
    words = [Word(0.0, 0.3, " He"), Word(0.3, 0.6, " was"), Word(0.6, 0.8, " ill"),
             Word(1.8, 2.2, "-disposed."), Word(2.2, 2.5, " Yes"), Word(2.5, 3.6, " indeed.")]
    assert texts(group_sentences(words, min_words=1, min_seconds=0)) == [
        "He was ill-disposed.", "Yes indeed."]


def generated(seed: int) -> list[Word]:
    rng = random.Random(seed)
    vocabulary = ["the", "river", "Mr.", "went", "on,", "slowly;", "home.", "why?", "no!", "U.S.",
                  "and", "then", "so", "it", '"ends."', "waited", "-ly", "…"]
    words: list[Word] = []
    t = rng.uniform(0.0, 2.0)
    for _ in range(rng.randint(1, 400)):
        t += rng.choice([0.0, 0.0, 0.05, 0.2, 0.7, 1.5, 3.0])
        length = rng.choice([0.1, 0.3, 0.5, 1.0, 14.0]) if rng.random() < 0.02 else 0.3
        token = rng.choice(vocabulary)
        words.append(Word(round(t, 3), round(t + length, 3),
                          token if token.startswith("-") else " " + token))
        t += length
    return words


@pytest.mark.parametrize("seed", range(25))
def test_every_word_is_covered_once_and_in_order(seed: int) -> None:
    words = generated(seed)
    out = group_sentences(words, max_seconds=8.0)
    starts = [w.start for w in words]
    ends = [w.end for w in words]
    assert out[0].start == words[0].start and out[-1].end == words[-1].end
    assert norm(" ".join(texts(out))) == norm("".join(w.text for w in words))
    count = 0
    for a, b in itertools.pairwise(out):
        assert a.end <= b.start
    for s in out:
        first, last = starts.index(s.start, count), ends.index(s.end, count)
        assert first == count and s.text == norm("".join(w.text for w in words[first:last + 1]))
        # Longer only when no boundary inside may be cut: every later word continues the first.
        inner = words[first + 1:last + 1]
        assert s.end - s.start <= 8.0 or all(not w.text.startswith(" ") for w in inner)
        count = last + 1
    assert count == len(words)


def decode(path: Path, seconds: float) -> np.ndarray:
    """The first `seconds` of `path`'s audio as 16 kHz mono float32."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-t", f"{seconds}", "-vn",
         "-ac", "1", "-ar", "16000", "-f", "f32le", "-"],
        check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32)


def test_sentences_from_real_speech() -> None:
    model = load_model("tiny.en")
    segments, _ = model.transcribe(
        decode(SAMPLE, 30.0), language="en", word_timestamps=True, temperature=0.0,
        condition_on_previous_text=False, vad_filter=True, beam_size=5)
    words = [Word(float(w.start), float(w.end), w.word) for seg in segments for w in seg.words]
    assert len(words) > 40
    out = group_sentences(words)
    assert len(out) >= 3
    for s, after in itertools.pairwise(out):
        ends = s.text.rstrip(CLOSERS).endswith(ENDS)
        assert ends or after.start - s.end > 0.6, s.text
    assert out[-1].text.endswith(ENDS)
    assert all(s.end - s.start <= 12.0 for s in out)
    assert " ".join(texts(out)) == norm("".join(w.text for w in words))
    assert any("Dashwood" in s.text for s in out)
