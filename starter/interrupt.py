"""Ctrl-C while following a job: cancel the job, or detach and leave it running."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable
from typing import Literal

from rich.prompt import Prompt
from temporalio.client import WorkflowHandle

from dubbing.contract import DubResult
from starter.app import err, outcome

Choice = Literal["ask", "cancel", "detach"]
CANCEL_REASON = "cancelled from the starter (Ctrl-C)"


async def following(handle: WorkflowHandle, follow: Awaitable[DubResult],
                    on_interrupt: Choice) -> DubResult | None:
    """The job's result, or None when the user detached with Ctrl-C."""
    loop = asyncio.get_running_loop()
    interrupted = asyncio.Event()
    loop.add_signal_handler(signal.SIGINT, interrupted.set)
    result = asyncio.ensure_future(outcome(handle.id, follow))
    try:
        while True:
            pressed = asyncio.ensure_future(interrupted.wait())
            await asyncio.wait({result, pressed}, return_when=asyncio.FIRST_COMPLETED)
            pressed.cancel()
            if result.done():
                return result.result()
            interrupted.clear()
            choice = on_interrupt if on_interrupt != "ask" else await _ask()
            if choice == "detach":
                result.cancel()
                err.print(f"detached: job {handle.id} goes on; follow it again with "
                          f"'starter watch {handle.id}'", highlight=False)
                return None
            if choice == "cancel":
                await handle.cancel(reason=CANCEL_REASON)
                err.print(f"cancelling job {handle.id}...", highlight=False)
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def _ask() -> str:
    if not sys.stdin.isatty():
        return "detach"
    return await asyncio.to_thread(
        Prompt.ask, "\nCtrl-C: cancel the job, detach from it, or continue watching?",
        choices=["cancel", "detach", "continue"], default="detach", console=err)
