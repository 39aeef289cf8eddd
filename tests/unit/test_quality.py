"""Glossary terms and the reference word error rate."""

from __future__ import annotations

from dubbing.engines.translate import make_translator
from dubbing.quality import apply_glossary, word_error_rate


def test_glossary_replaces_whole_words_in_any_case_longest_first() -> None:
    glossary = {"Dashwood": "Dashwood", "young man": "caballero joven", "man": "hombre"}
    assert apply_glossary("A YOUNG MAN and a man, not mankind.", glossary) == \
        "A caballero joven and a hombre, not mankind."


def test_glossary_terms_survive_apertium() -> None:
    translator = make_translator("apertium", "en", "es")
    text = apply_glossary("He was not an ill-disposed young man.", {"young man": "caballerete"})
    assert "caballerete" in translator.translate([text])[0]


def test_word_error_rate_ignores_case_and_punctuation() -> None:
    assert word_error_rate("Mr. Dashwood, well-disposed.", "mr dashwood well disposed") == 0.0
    assert word_error_rate("one two three four", "one two four") == 0.25
    assert word_error_rate("", "anything") is None
