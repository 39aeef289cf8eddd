"""One circuit breaker per translation provider, shared by every thread of the process.

Activities run on a thread pool, so all translations through one provider in a worker see
the same breaker: after `fail_max` failed batches in a row it opens and the provider is not
called until `reset_timeout` seconds have passed; then one batch probes it (half-open) and
a success closes the breaker again (pybreaker semantics).
"""

from __future__ import annotations

import logging
import threading

import pybreaker

log = logging.getLogger(__name__)

_lock = threading.Lock()
_breakers: dict[str, pybreaker.CircuitBreaker] = {}


class _LogStateChanges(pybreaker.CircuitBreakerListener):
    def state_change(self, cb: pybreaker.CircuitBreaker,
                     old_state: pybreaker.CircuitBreakerState | None,
                     new_state: pybreaker.CircuitBreakerState) -> None:
        old = old_state.name if old_state is not None else "none"
        log.warning("circuit breaker %s: %s -> %s", cb.name, old, new_state.name)


def get_breaker(name: str, fail_max: int, reset_timeout: float) -> pybreaker.CircuitBreaker:
    """The breaker of provider `name`, created on first use; its limits follow the caller's."""
    with _lock:
        breaker = _breakers.get(name)
        if breaker is None:
            breaker = pybreaker.CircuitBreaker(
                fail_max=fail_max, reset_timeout=reset_timeout, name=name,
                listeners=[_LogStateChanges()],
            )
            _breakers[name] = breaker
        else:
            breaker.fail_max = fail_max
            breaker.reset_timeout = reset_timeout
        return breaker


def breaker_states() -> dict[str, str]:
    """Provider name -> 'closed', 'open' or 'half-open'."""
    with _lock:
        return {name: b.current_state for name, b in _breakers.items()}


def reset_breakers() -> None:
    """Forget every breaker, so the next call starts closed (for tests)."""
    with _lock:
        _breakers.clear()
