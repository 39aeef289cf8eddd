"""Provider translation over real HTTP (a local LibreTranslate stand-in), its circuit breaker
and the Apertium fallback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dubbing import keys
from dubbing.engines.breaker import breaker_states, reset_breakers
from dubbing.engines.translate import (
    ProviderError,
    TranslationError,
    Translator,
    make_translator,
)
from dubbing.errors import ConfigurationError
from dubbing.settings import Settings
from dubbing.stages import TranslateCheckpoint, TranslateInput
from dubbing.steps.translate import engine_key, translate_window
from dubbing.storage import LocalStore
from tests.libre_server import LibreServer


@pytest.fixture
def libre(monkeypatch: pytest.MonkeyPatch) -> Iterator[LibreServer]:
    """The stand-in server, with DUB_TRANSLATOR_URL pointing at it and fresh breakers."""
    reset_breakers()
    server = LibreServer()
    monkeypatch.setenv("DUB_TRANSLATOR_URL", server.url.rstrip("/"))
    monkeypatch.setenv("DUB_TRANSLATOR_API_KEY", "test-key")
    try:
        yield server
    finally:
        server.close()
        reset_breakers()


def libre_es(reset_seconds: float = 60.0, fallback: str = "apertium",
             target: str = "es") -> Translator:
    settings = Settings(breaker_failures=3, breaker_reset_seconds=reset_seconds,
                        translator_fallback=fallback)
    return make_translator("libre", "en", target, settings)


def test_healthy_provider_translates_each_line(libre: LibreServer) -> None:
    translator = libre_es()
    assert translator.translate(["Hello", "", "Good morning"]) == [
        "[es] Hello", "", "[es] Good morning"]
    assert (translator.used, translator.fallback_reason) == ("libre", None)
    assert libre.requests == 2  # one request per non-empty line
    assert translator.translate([]) == []


@pytest.mark.parametrize(("status", "code"), [(500, "ERR_INTERNAL_SERVER_ERROR"),
                                              (429, "ERR_TOO_MANY_REQUESTS")])
def test_failing_provider_falls_back_to_apertium(
        libre: LibreServer, status: int, code: str) -> None:
    translator = libre_es()
    libre.fail(times=1, status=status)
    assert translator.translate(["Hello", "The cat is black."]) == ["Hola", "El gato es negro."]
    assert translator.used == "apertium"
    assert translator.fallback_reason == f"libre failed: ServerException: {code}"
    assert translator.translate(["Hello"]) == ["[es] Hello"]
    assert (translator.used, translator.fallback_reason) == ("libre", None)
    assert breaker_states() == {"libre": "closed"}


def test_unreachable_provider_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    reset_breakers()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("DUB_TRANSLATOR_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("DUB_TRANSLATOR_API_KEY", "test-key")
    translator = libre_es()
    assert translator.translate(["Hello"]) == ["Hola"]
    assert (translator.fallback_reason or "").startswith("libre failed: ConnectionError: ")
    reset_breakers()


def test_breaker_opens_after_fail_max_batches_and_stops_calling(libre: LibreServer) -> None:
    libre.fail()
    reasons = []
    for _ in range(3):  # a new translator per batch: the breaker is per provider, not object
        translator = libre_es()
        assert translator.translate(["Hello", "Good morning"]) == ["Hola", "Buenos días"]
        reasons.append(translator.fallback_reason)
    assert libre.requests == 3  # each batch stops at its first failed line
    assert reasons[-1] == "libre failed: ServerException: ERR_INTERNAL_SERVER_ERROR " \
        "(circuit opened)"
    assert breaker_states() == {"libre": "open"}
    libre.recover()
    for _ in range(2):
        assert translator.translate(["Hello"]) == ["Hola"]
        assert (translator.used, translator.fallback_reason) == ("apertium", "libre circuit open")
    assert libre.requests == 3


def test_after_the_cool_down_one_probe_closes_the_breaker(libre: LibreServer) -> None:
    # Opened with a minute's cool-down, so the fallback's own translations (a subprocess,
    # slow on a loaded machine) cannot outlast it; then a translator made with a short one
    # shortens the shared breaker's, and the next batch probes the provider.
    translator = libre_es(reset_seconds=60.0)
    libre.fail()
    for _ in range(3):
        translator.translate(["Hello"])
    libre.recover()
    assert translator.translate(["Hello"]) == ["Hola"]  # still cooling down
    assert libre.requests == 3
    translator = libre_es(reset_seconds=0.05)
    time.sleep(0.1)
    assert translator.translate(["Hello"]) == ["[es] Hello"]
    assert (translator.used, translator.fallback_reason) == ("libre", None)
    assert libre.requests == 4
    assert breaker_states() == {"libre": "closed"}


def test_a_failed_probe_opens_the_breaker_again(libre: LibreServer) -> None:
    # Long enough that the fallback's own translation after the failed probe (a subprocess,
    # slow on a loaded machine) cannot outlast it
    translator = libre_es(reset_seconds=2.0)
    libre.fail()
    for _ in range(3):
        translator.translate(["Hello"])
    time.sleep(2.1)
    assert translator.translate(["Hello"]) == ["Hola"]
    assert translator.fallback_reason == \
        "libre failed: ServerException: ERR_INTERNAL_SERVER_ERROR (circuit opened)"
    assert libre.requests == 4
    translator.translate(["Hello"])
    assert (libre.requests, translator.fallback_reason) == (4, "libre circuit open")
    assert breaker_states() == {"libre": "open"}


def test_pair_apertium_cannot_do_raises_the_retryable_provider_failure(
        libre: LibreServer) -> None:
    translator = libre_es(target="fr")
    assert translator.translate(["Hello"]) == ["[fr] Hello"]
    libre.fail()
    for _ in range(4):  # failures, then the open breaker: always retryable
        with pytest.raises(TranslationError, match="fallback apertium unusable") as info:
            translator.translate(["Hello"])
        assert info.value.retryable
        assert "libre" in info.value.message
    assert libre.requests == 4
    assert breaker_states() == {"libre": "open"}


def test_without_a_fallback_the_provider_failure_is_raised(libre: LibreServer) -> None:
    translator = libre_es(fallback="none")
    libre.fail(times=1)
    with pytest.raises(ProviderError, match="libre translation failed") as info:
        translator.translate(["Hello"])
    assert info.value.retryable
    assert translator.translate(["Hello"]) == ["[es] Hello"]


def test_unknown_fallback_and_missing_key_are_configuration_errors(
        libre: LibreServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="unknown fallback translator 'nope'"):
        libre_es(fallback="nope")
    monkeypatch.delenv("DUB_TRANSLATOR_API_KEY")
    monkeypatch.delenv("LIBRE_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="DUB_TRANSLATOR_API_KEY"):
        libre_es()


def test_concurrent_batches_reach_the_provider_together(libre: LibreServer) -> None:
    """The breaker does not serialise calls: both requests must be in flight at once."""
    libre.gate = threading.Barrier(2)
    results: dict[str, list[str]] = {}

    def run(word: str) -> None:
        results[word] = libre_es().translate([word])

    threads = [threading.Thread(target=run, args=(w,)) for w in ("Hello", "Goodbye")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == {"Hello": ["[es] Hello"], "Goodbye": ["[es] Goodbye"]}


def test_translate_window_records_the_engine(
        libre: LibreServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUB_TRANSLATOR_FALLBACK", "apertium")
    store = LibreStoreCase(tmp_path)
    libre.fail(times=1)
    key = translate_window(store.store, store.inp, store.beats.append,
                           settings=Settings()).key
    assert key.endswith("/es/texts.json")
    assert store.store.get_json(key) == ["Hola"]
    fell_back = {"engine": "apertium",
                 "fallback_reason": "libre failed: ServerException: ERR_INTERNAL_SERVER_ERROR"}
    line = {**fell_back, "unknown_words": []}
    assert store.store.get_json(engine_key(key)) == {**fell_back, "lines": [line]}
    assert store.beats[-1].engines == [line]
    translate_window(store.store, store.inp, store.beats.append, settings=Settings())
    assert store.store.get_json(key) == ["[es] Hello"]
    healthy = {"engine": "libre", "fallback_reason": None}
    assert store.store.get_json(engine_key(key)) == {
        **healthy, "lines": [{**healthy, "unknown_words": []}]}


def test_a_retried_window_resumes_at_the_first_unfinished_batch(
        libre: LibreServer, tmp_path: Path) -> None:
    store = LibreStoreCase(tmp_path, lines=40)
    done = ["[es] earlier"] * 32  # two batches of 16 finished before the crash
    checkpoint = TranslateCheckpoint(
        texts=done, engines=[{"engine": "libre", "fallback_reason": None}] * 32)
    before = libre.requests
    key = translate_window(store.store, store.inp, store.beats.append, checkpoint,
                           Settings()).key
    assert libre.requests - before == 8, "only the 8 unfinished lines are sent"
    texts = store.store.get_json(key)
    assert texts[:32] == done and texts[32:] == [f"[es] Line {i}" for i in range(32, 40)]


class LibreStoreCase:
    """A store holding one window of one English line, and the input that translates it."""

    def __init__(self, root: Path, lines: int = 1) -> None:
        self.store = LocalStore(root)
        segments_key = keys.segments_key("job-1", 0)
        texts = ["Hello"] if lines == 1 else [f"Line {i}" for i in range(lines)]
        self.store.put_json(segments_key, [{"index": i, "start": float(i), "end": i + 1.0,
                                            "text": t} for i, t in enumerate(texts)])
        self.inp = TranslateInput(job_id="job-1", window_index=0, segments_key=segments_key,
                                  source_lang="en", target_lang="es", translator="libre")
        self.beats: list[Any] = []
