"""Saying in one line why the service could not be reached: the store or Temporal, where it
was looked for (never with credentials), and the root cause of the failure."""

from __future__ import annotations

import re
from collections.abc import Iterator

from temporalio.service import RPCError, RPCStatusCode

from dubbing.errors import StorageError
from dubbing.redact import redact as hide
from dubbing.settings import Settings

# What a server that is down, restarting or out of reach answers (or the client says for it).
_UNREACHABLE = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED})
_TRANSPORT = re.compile(r"transport|connect|connection|broken pipe|h2 protocol|reset",
                        re.IGNORECASE)
_OS_MESSAGE = re.compile(r'message: "([^"]+)"')


def unreachable(exc: BaseException) -> bool:
    """Whether a Temporal call failed for want of a server rather than being refused by one."""
    if not isinstance(exc, RPCError):
        return False
    if exc.status in _UNREACHABLE:
        return True
    return exc.status == RPCStatusCode.UNKNOWN and bool(_TRANSPORT.search(exc.message))


def connect_reason(exc: BaseException) -> str:
    """The root of a failed connect ("Connection refused") rather than the SDK's nest of
    transport errors."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    found = _OS_MESSAGE.findall(text)
    return found[-1] if found else text


def bare_endpoint(endpoint: str) -> str:
    """`host:port` of an endpoint, without a scheme, a `user:password@` or a path."""
    rest = endpoint.split("://", 1)[-1]
    return rest.rsplit("@", 1)[-1].split("/", 1)[0]


def redact(text: str, settings: Settings) -> str:
    """The text without any credential the settings hold, nor `user:password@` in URLs."""
    return hide(text, (settings.s3_access_key, settings.s3_secret_key,
                       settings.temporal_api_key, settings.translator_api_key,
                       settings.webhook_secret))


def store_location(settings: Settings) -> str:
    if settings.store.startswith("s3://"):
        return f"{bare_endpoint(settings.s3_endpoint)} ({settings.store})"
    return settings.store


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then what caused it: `reason` (urllib3), `__cause__`, `__context__`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        context = None if current.__suppress_context__ else current.__context__
        current = reason if isinstance(reason, BaseException) else (
            current.__cause__ or context)


def store_failure(exc: StorageError, settings: Settings) -> str:
    """One line for a store that could not be used: unreachable, or what it answered."""
    where = store_location(settings)
    network = [e for e in _chain(exc) if isinstance(e, OSError)]
    if network:
        root = network[-1]
        reason = root.strerror or str(root) or type(root).__name__
        hint = "check DUB_S3_ENDPOINT and that the store is running" if \
            settings.store.startswith("s3://") else "check DUB_STORE"
        return redact(f"cannot reach the store at {where}: {reason}; {hint}", settings)
    message = exc.message.splitlines()[0] if exc.message else type(exc).__name__
    return redact(f"the store at {where} failed: {message}", settings)


def temporal_failure(exc: RPCError, address: str) -> str:
    return (f"cannot reach Temporal at {bare_endpoint(address)}: {exc.message.splitlines()[0]}"
            "; start it ('make up') or check DUB_TEMPORAL_ADDRESS")
