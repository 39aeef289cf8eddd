"""Quality measures for the report: word error rate against a reference transcript, glossary."""

from __future__ import annotations

import re

import jiwer


def normalize(text: str) -> str:
    """Lower case, words only: punctuation and hyphenation do not count as errors."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^\w' ]+", " ", text)
    return " ".join(text.split())


def word_error_rate(reference: str, hypothesis: str) -> float | None:
    ref = normalize(reference)
    if not ref:
        return None
    return round(float(jiwer.wer(ref, normalize(hypothesis))), 4)


def apply_glossary(text: str, glossary: dict[str, str]) -> str:
    """Replace each glossary term (whole words, any case) by its translation; longest first."""
    for term in sorted(glossary, key=len, reverse=True):
        pattern = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)
        replacement = glossary[term]
        text = pattern.sub(lambda _match: replacement, text)  # noqa: B023 (used at once)
    return text
