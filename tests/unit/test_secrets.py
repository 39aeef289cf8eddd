"""Secrets stay in the process: a provider's API key that its library copies into an
exception, or credentials in a URL, never reach a message, a report field or a log line; a
provider that refuses the key is a permanent failure, not retried."""

from __future__ import annotations

import logging

import pytest

from dubbing.engines.breaker import reset_breakers
from dubbing.engines.translate import DubError, make_translator
from dubbing.redact import redact
from dubbing.settings import Settings
from tests.libre_server import LibreServer
from tests.unit.test_translate_breaker import libre

__all__ = ["libre"]
KEY = "LIBRE-SECRET-KEY-42"


def settings(server: LibreServer, fallback: str = "apertium") -> Settings:
    return Settings(translator_api_key=KEY, translator_url=server.url.rstrip("/"),
                    translator_fallback=fallback)


def test_a_refused_key_is_hidden_in_the_fallback_reason_and_the_log(
        libre: LibreServer, caplog: pytest.LogCaptureFixture) -> None:
    libre.fail(status=403)
    translator = make_translator("libre", "en", "es", settings(libre))
    with caplog.at_level(logging.INFO):  # the workers' level
        assert translator.translate(["Hello"]) == ["Hola"], "Apertium stood in"
    assert translator.fallback_reason is not None and "Authoriz" in translator.fallback_reason
    assert KEY not in translator.fallback_reason
    assert KEY not in caplog.text


def test_without_a_fallback_a_refused_key_fails_for_good_and_says_what_to_check(
        libre: LibreServer) -> None:
    reset_breakers()
    libre.fail(status=403)
    translator = make_translator("libre", "en", "es", settings(libre, fallback="none"))
    with pytest.raises(DubError) as info:
        translator.translate(["Hello"])
    assert info.value.type == "TranslationAuth" and not info.value.retryable
    assert KEY not in info.value.message and KEY not in str(info.value)


def test_urls_lose_their_credentials_and_secrets_their_text() -> None:
    assert redact("POST https://bob:hunter2@hooks.example/x failed") == \
        "POST https://***@hooks.example/x failed"
    assert redact("Unauthorized access with the api key K3Y-123", ["K3Y-123"]) == \
        "Unauthorized access with the api key ***"
    assert redact("a b c", ["", None, "b"]) == "a b c", "too short to hide safely"
