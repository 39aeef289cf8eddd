"""Riding out a Temporal server that restarts, or drops away, while a command waits on it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio.client import Client
from temporalio.service import RPCError

from starter.app import EXIT_UNREACHABLE, Exit, err
from starter.failures import bare_endpoint, temporal_failure, unreachable

T = TypeVar("T")

RECONNECT_SECONDS = 30.0
PROBE_SECONDS = 2.0
PAUSE_SECONDS = 1.0


async def patiently(client: Client, call: Callable[[], Awaitable[T]], *,
                    patience: float = RECONNECT_SECONDS, then: str = "") -> T:
    """`call()`, called again once the server answers when it failed for want of a server.

    One outage lasts until `call()` has run for `patience` seconds without failing again; when
    the server has not answered for `patience` seconds, the command ends with exit 4 (`then`
    says what to do afterwards). Other errors are the caller's."""
    deadline: float | None = None
    while True:
        began = time.monotonic()
        try:
            return await call()
        except RPCError as exc:
            if not unreachable(exc):
                raise
            if deadline is None or time.monotonic() - began > patience:
                deadline = time.monotonic() + patience
                err.print(f"lost the connection to Temporal at {_address(client)} "
                          f"({exc.message.splitlines()[0]}); retrying for up to "
                          f"{patience:.0f} s", highlight=False)
            await _until_answering(client, exc, deadline, then)


async def _until_answering(client: Client, failure: RPCError, deadline: float,
                           then: str) -> None:
    while True:
        try:
            await client.service_client.check_health(timeout=timedelta(seconds=PROBE_SECONDS))
            return
        except RPCError as exc:
            if not unreachable(exc):
                return  # it answers, if only to refuse: the call itself says what is wrong
            failure = exc
        if time.monotonic() >= deadline:
            message = temporal_failure(failure, _address(client))
            raise Exit(EXIT_UNREACHABLE, f"{message}{then}")
        await asyncio.sleep(PAUSE_SECONDS)


def _address(client: Client) -> str:
    return bare_endpoint(client.service_client.config.target_host)
