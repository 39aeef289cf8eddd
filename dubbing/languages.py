"""Language codes and the names each engine uses for them."""

from __future__ import annotations

ISO639_2 = {
    "en": "eng", "es": "spa", "ca": "cat", "gl": "glg", "fr": "fra", "de": "deu", "it": "ita",
    "pt": "por", "nl": "nld", "eo": "epo", "eu": "eus", "is": "isl", "mk": "mkd", "ja": "jpn",
    "zh": "zho", "ru": "rus", "pl": "pol", "tr": "tur", "ar": "ara", "hi": "hin", "ko": "kor",
}

# Apertium mode names for (source, target); Debian's packages name them inconsistently.
APERTIUM_MODES = {
    ("en", "es"): "eng-spa",
    ("es", "en"): "spa-eng",
    ("en", "ca"): "eng-cat",
    ("ca", "en"): "cat-eng",
    ("en", "gl"): "en-gl",
    ("gl", "en"): "gl-en",
    ("eo", "en"): "eo-en",
    ("eu", "en"): "eu-en",
    ("is", "en"): "isl-eng",
    ("mk", "en"): "mkd-eng",
}

ESPEAK_VOICES = {
    "en": "en-us", "es": "es", "ca": "ca", "gl": "gl", "fr": "fr", "de": "de", "it": "it",
    "pt": "pt", "nl": "nl", "eo": "eo", "eu": "eu", "is": "is", "mk": "mk", "ru": "ru",
    "pl": "pl", "tr": "tr", "hi": "hi", "ar": "ar", "ja": "ja", "ko": "ko", "zh": "cmn",
}


def iso639_2(code: str) -> str:
    """Three-letter tag for container metadata; 'und' when unknown."""
    return ISO639_2.get(code.split("-")[0], "und")
