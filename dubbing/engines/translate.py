"""Translation engines: Apertium offline, deep-translator providers online.

A provider is called through its circuit breaker (dubbing.engines.breaker); `make_translator`
wraps it in a `ResilientTranslator` that translates a batch with the offline fallback engine
while the provider fails or its breaker is open.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import pybreaker

from dubbing.contract import TRANSLATORS
from dubbing.engines.apertium import Apertium
from dubbing.engines.breaker import get_breaker
from dubbing.errors import (
    ConfigurationError,
    DubError,
    TranslationAuthError,
    UnsupportedLanguageError,
)
from dubbing.media.tools import Beat
from dubbing.redact import redact
from dubbing.settings import Settings, defaults

log = logging.getLogger(__name__)

DEEP_PROVIDERS = {
    "google": "GoogleTranslator",
    "deepl": "DeeplTranslator",
    "libre": "LibreTranslator",
    "mymemory": "MyMemoryTranslator",
    "microsoft": "MicrosoftTranslator",
}
NO_FALLBACK = ("", "none")


class Translator(Protocol):
    """`used` names the engine that produced the last batch; `fallback_reason` says why it
    is not the requested one (None when it is); `unknown_words` lists, per line of the last
    batch, the words it could not translate (left in the source language)."""

    name: str
    used: str
    fallback_reason: str | None
    unknown_words: list[list[str]]

    def translate(self, texts: list[str]) -> list[str]: ...


class TranslationError(DubError):
    type = "TranslationFailed"
    retryable = True


class ProviderError(TranslationError):
    """A provider batch failed, or was skipped because the provider's breaker is open."""

    def __init__(self, message: str, reason: str, refused: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.refused = refused  # the provider refused the credentials: permanent
        if refused:
            self.type, self.retryable = TranslationAuthError.type, False


def _short(exc: BaseException, secrets: tuple[str | None, ...] = ()) -> str:
    """The exception's type and first line, secrets hidden, at most 160 characters."""
    lines = redact(str(exc), secrets).strip().splitlines()
    return (f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__)[:160]


def _provider_client(provider: str, source: str, target: str, settings: Settings) -> Any:
    """The deep-translator object; credentials come from the settings
    (DUB_TRANSLATOR_API_KEY / _URL)."""
    import deep_translator
    import requests
    from deep_translator.exceptions import ApiKeyException

    cls = getattr(deep_translator, DEEP_PROVIDERS[provider])
    kwargs: dict[str, str] = {"source": source, "target": target}
    if key := settings.translator_api_key:
        kwargs["api_key"] = key
    if url := settings.translator_url:
        kwargs["custom_url"] = url.rstrip("/") + "/"  # deep-translator appends "translate"
    try:
        return cls(**kwargs)
    except ApiKeyException:
        raise ConfigurationError(
            f"{provider} needs an API key: set DUB_TRANSLATOR_API_KEY") from None
    except requests.RequestException as exc:
        raise TranslationError(f"{provider} is unreachable: "
                               f"{_short(exc, _secrets(settings))}") from None
    except Exception as exc:
        raise UnsupportedLanguageError(f"{provider} cannot translate {source}->{target}: "
                                       f"{redact(str(exc), _secrets(settings))}") from None


def _is_auth_failure(exc: BaseException) -> bool:
    """deep-translator's AuthorizationException (HTTP 401/403), whatever the provider."""
    return type(exc).__name__ in ("AuthorizationException", "ApiKeyException")


def _secrets(settings: Settings) -> tuple[str | None, ...]:
    return (settings.translator_api_key, settings.translator_url)


class DeepTranslator:
    """A deep-translator provider; each batch is one success or failure of its breaker."""

    def __init__(self, provider: str, source: str, target: str,
                 settings: Settings | None = None) -> None:
        settings = settings or defaults()
        self.name = self.used = provider
        self.fallback_reason: str | None = None
        self.unknown_words: list[list[str]] = []
        self._impl = _provider_client(provider, source, target, settings)
        self._secrets = _secrets(settings)
        self._breaker = get_breaker(provider, settings.breaker_failures,
                                    settings.breaker_reset_seconds)

    def translate(self, texts: list[str]) -> list[str]:
        if not texts:
            return []  # deep-translator refuses an empty batch
        try:
            # calling() runs the body outside the breaker's lock, so threads do not queue
            with self._breaker.calling():
                out = self._impl.translate_batch(texts)
        except pybreaker.CircuitBreakerError as exc:
            raise self._breaker_error(exc) from None
        except Exception as exc:
            refused = _is_auth_failure(exc)
            check = "; check DUB_TRANSLATOR_API_KEY (the provider refused it)" if refused else ""
            raise ProviderError(f"{self.name} translation failed: {self._hide(exc)}{check}",
                                f"{self.name} failed: {_short(exc, self._secrets)}",
                                refused=refused) from None
        self.unknown_words = [[] for _ in texts]
        return [str(t or "") for t in out]

    def _hide(self, exc: BaseException) -> str:
        return redact(str(exc), self._secrets)

    def _breaker_error(self, exc: pybreaker.CircuitBreakerError) -> ProviderError:
        cause = exc.__context__
        if cause is not None and not isinstance(cause, pybreaker.CircuitBreakerError):
            return ProviderError(f"{self.name} translation failed: {self._hide(cause)}; "
                                 "circuit opened",
                                 f"{self.name} failed: {_short(cause, self._secrets)} "
                                 "(circuit opened)", refused=_is_auth_failure(cause))
        return ProviderError(
            f"{self.name} circuit open: not called for {self._breaker.reset_timeout:g} s after "
            f"{self._breaker.fail_max} failed batches", f"{self.name} circuit open")


class ResilientTranslator:
    """A provider with an offline fallback: while the provider fails or its breaker is open,
    the fallback engine translates the batch. When the fallback cannot do the pair, the
    provider's failure is raised as a retryable TranslationError."""

    def __init__(self, provider: Translator, fallback: str, source: str, target: str,
                 settings: Settings) -> None:
        self.name = self.used = provider.name
        self.fallback_reason: str | None = None
        self.unknown_words: list[list[str]] = []
        self._provider = provider
        self._fallback_name = fallback
        self._pair = (source, target)
        self._settings = settings
        self._fallback: Translator | None = None

    def translate(self, texts: list[str]) -> list[str]:
        try:
            out = self._provider.translate(texts)
        except ProviderError as exc:
            return self._fall_back(texts, exc)
        self.used, self.fallback_reason = self._provider.name, None
        self.unknown_words = self._provider.unknown_words
        return out

    def _fall_back(self, texts: list[str], failure: ProviderError) -> list[str]:
        name = self._fallback_name
        try:
            if self._fallback is None:
                self._fallback = _plain_translator(name, *self._pair, self._settings)
            out = self._fallback.translate(texts)
        except DubError as exc:
            if failure.refused:
                raise TranslationAuthError(
                    f"{failure.message}; check DUB_TRANSLATOR_API_KEY (fallback {name} "
                    f"unusable: {exc.message})") from failure
            raise TranslationError(f"{failure.message}; fallback {name} unusable: "
                                   f"{exc.message}") from failure
        log.warning("translated %d lines with %s: %s", len(texts), name, failure.reason)
        self.used, self.fallback_reason = self._fallback.used, failure.reason
        self.unknown_words = self._fallback.unknown_words
        return out


def _plain_translator(name: str, source: str, target: str, settings: Settings) -> Translator:
    if name == "apertium":
        return Apertium(source, target)
    return DeepTranslator(name, source, target, settings)


def make_translator(name: str, source: str, target: str, settings: Settings | None = None,
                    beat: Beat | None = None) -> Translator:
    """The engine `name`; a provider comes with `settings.translator_fallback` behind it.
    `beat` keeps a long Apertium run heartbeating."""
    if name not in TRANSLATORS:
        raise ConfigurationError(
            f"unknown translator {name!r}; choose one of: {', '.join(TRANSLATORS)}")
    if name == "apertium":
        return Apertium(source, target, beat)
    settings = settings or defaults()
    provider = DeepTranslator(name, source, target, settings)
    fallback = settings.translator_fallback
    if fallback in (*NO_FALLBACK, name):
        return provider
    if fallback not in TRANSLATORS:
        raise ConfigurationError(
            f"unknown fallback translator {fallback!r} (DUB_TRANSLATOR_FALLBACK); choose one "
            f"of: {', '.join((*TRANSLATORS, 'none'))}")
    return ResilientTranslator(provider, fallback, source, target, settings)
