"""Keeping secrets out of every message: a provider's API key that its library copied into an
exception, credentials written into a URL."""

from __future__ import annotations

import re
from collections.abc import Iterable

HIDDEN = "***"
# Shorter values are too common to hide without hiding ordinary words.
MIN_SECRET = 4
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every secret replaced by *** and any `user:password@` of a URL removed."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET:
            text = text.replace(secret, HIDDEN)
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{HIDDEN}@", text)
