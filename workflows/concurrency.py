"""Workflow-side helpers: running windows together, naming time spans, phrasing failures."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

T = TypeVar("T")


async def all_or_none(coros: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run all; on the first failure or a cancellation, stop the rest and wait until their
    activities have stopped, so that cleanup never races a running activity. The failure
    raised is the one that stopped the others, not a sibling's stop."""
    tasks = [asyncio.create_task(c) for c in coros]
    first: list[asyncio.Task[T]] = []
    try:
        done, _ = await workflow.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        first = [t for t in tasks if t in done and not t.cancelled() and t.exception()]
    finally:
        pending = [t for t in tasks if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            await workflow.wait(pending)
    if first and workflow.patched("first-failure-wins"):
        raise first[0].exception()  # type: ignore[misc]
    return [t.result() for t in tasks]


def clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def root_cause(err: BaseException) -> BaseException:
    """The first ApplicationError down the chain of causes, or the last cause there is."""
    root = err
    while root.__cause__ is not None and not isinstance(root, ApplicationError):
        root = root.__cause__
    return root


def user_failure(err: ActivityError, also: str | None = None) -> ApplicationError:
    """Fail the run with the root cause's message and type, so clients print one clear line;
    `also` is a later failure (of the cleanup, say) added to it, never put in its place."""
    cause = root_cause(err)
    note = f" (and the cleanup failed too: {also}; the job's files were left in storage)" \
        if also else ""
    if not isinstance(cause, ApplicationError):
        return ApplicationError(str(err.__cause__ or err) + note, type="ActivityFailed",
                                non_retryable=True)
    return ApplicationError(cause.message + note, type=cause.type, non_retryable=True)
