"""Following a running job with a live progress bar fed by the `progress` query."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError

from dubbing.contract import QUERY_PROGRESS, DubResult
from dubbing.contract import Progress as JobProgress
from dubclient.client import with_last_error
from starter.reconnect import patiently

POLL_SECONDS = 0.5


async def follow(handle: WorkflowHandle, console: Console, client: Client) -> DubResult:
    """The job's result, with a progress bar meanwhile; a server that restarts or drops away
    is waited for (`reconnect.patiently`)."""
    result_task = asyncio.ensure_future(patiently(
        client, handle.result, then=f"; the job is not lost: follow it again with "
        f"'starter watch {handle.id}' once Temporal is back"))
    columns = (TextColumn("[bold]{task.fields[stage]:<11}"), BarColumn(),
               TaskProgressColumn(), TimeElapsedColumn(), TextColumn("{task.fields[note]}"))
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("dub", total=100, stage="queued", note="")
        while not result_task.done():
            progress = await _query(handle)
            if progress is not None:
                note = "paused" if progress.paused else (
                    f"eta {progress.eta_seconds:.0f}s" if progress.eta_seconds else "")
                if progress.last_error:
                    note = f"retrying after {progress.last_error}"[:120]
                bar.update(task, completed=progress.percent, stage=progress.stage, note=note)
            await asyncio.wait([result_task], timeout=POLL_SECONDS)
        result = result_task.result()
        bar.update(task, completed=100, stage="done", note="")
    return result


async def _query(handle: WorkflowHandle) -> JobProgress | None:
    try:
        progress = await asyncio.wait_for(
            handle.query(QUERY_PROGRESS, result_type=JobProgress), timeout=5)
        return with_last_error(progress, await handle.describe())
    except (RPCError, WorkflowQueryFailedError, TimeoutError):
        return None  # no worker has picked the job up yet, or it just closed
