"""Models load once per process under concurrency, and idle ones are unloaded."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from dubbing.engines import models


def test_concurrent_first_use_loads_once() -> None:
    calls: list[int] = []

    def slow_loader() -> object:
        calls.append(threading.get_ident())
        time.sleep(0.2)
        return object()

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: models.shared(("test", "once"), slow_loader), range(8)))
    assert len(calls) == 1
    assert all(g is got[0] for g in got)
    models.evict_idle(0)


def test_idle_models_are_unloaded_and_busy_ones_kept() -> None:
    models.shared(("test", "idle"), object)
    time.sleep(0.3)
    models.shared(("test", "busy"), object)
    evicted = models.evict_idle(0.2)
    assert ("test", "idle") in evicted and ("test", "busy") not in evicted
    assert ("test", "busy") in models.loaded() and ("test", "idle") not in models.loaded()
    reloaded: list[object] = []

    def loader() -> object:
        reloaded.append(object())
        return reloaded[-1]

    assert models.shared(("test", "idle"), loader) is reloaded[0]
    assert len(reloaded) == 1, "an unloaded model is loaded again on next use"
    models.evict_idle(0)
