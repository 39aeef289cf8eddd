"""Models loaded once per process, lazily and thread-safely, and unloaded when idle.

Activities run on a thread pool; the first one to need a model loads it while the others wait,
and all share it. An evicted model stays alive for as long as a running activity holds it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

_lock = threading.Lock()
_loaded: dict[Hashable, Any] = {}
_used: dict[Hashable, float] = {}


def shared(key: Hashable, loader: Callable[[], Any]) -> Any:
    """The model under `key`, loading it with `loader` the first time."""
    with _lock:
        if key not in _loaded:
            _loaded[key] = loader()
        _used[key] = time.monotonic()
        return _loaded[key]


def evict_idle(max_idle_seconds: float) -> list[Hashable]:
    """Forget models unused for longer than `max_idle_seconds`; return their keys."""
    now = time.monotonic()
    with _lock:
        idle = [k for k, used in _used.items() if now - used > max_idle_seconds]
        for key in idle:
            _loaded.pop(key, None)
            _used.pop(key, None)
    return idle


def loaded() -> list[Hashable]:
    with _lock:
        return list(_loaded)
