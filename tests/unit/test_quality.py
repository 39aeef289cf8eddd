"""Glossary terms, the reference word error rate, and the words a translator left untranslated."""

from __future__ import annotations

from pathlib import Path

from dubbing.engines.apertium import unmark
from dubbing.engines.translate import make_translator
from dubbing.quality import apply_glossary, word_error_rate
from dubbing.stages import TranslateInput
from dubbing.steps.translate import engine_key, translate_window
from dubbing.storage import LocalStore


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


def test_apertium_reports_the_words_it_left_untranslated() -> None:
    translator = make_translator("apertium", "en", "es")
    out = translator.translate(["He was prudently in his power.", "It was  fine ."])
    assert out[0] == "Era prudently en su poder.", "marks stripped"
    assert translator.unknown_words == [["prudently"], []]
    assert "  " not in out[1] and " ." not in out[1], "whitespace normalised"


def test_unmark_strips_every_kind_of_mark() -> None:
    assert unmark("El *frobnicator #glimmered  @mucho .") == (
        "El frobnicator glimmered mucho.", ["frobnicator", "glimmered", "mucho"])


def test_a_glossary_term_fixes_an_unknown_word(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_json("segments.json", [{"index": 0, "start": 0.0, "end": 1.0,
                                      "text": "He was prudently in his power."}])

    def unknown(glossary: dict[str, str]) -> list[str]:
        inp = TranslateInput(job_id="j", window_index=0, segments_key="segments.json",
                             source_lang="en", target_lang="es", translator="apertium",
                             glossary=glossary)
        key = translate_window(store, inp, lambda _: None).key
        return store.get_json(engine_key(key))["lines"][0]["unknown_words"]

    assert unknown({}) == ["prudently"]
    assert unknown({"prudently": "prudentemente"}) == []
