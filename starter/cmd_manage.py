"""Commands that look after jobs: status, list, cancel, pause, resume."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Literal

import typer
from rich.table import Table
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
)
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError

from dubbing.contract import (
    QUERY_PROGRESS,
    SA_INPUT_NAME,
    SA_MEDIA_SECONDS,
    SA_STAGE,
    SA_TARGET_LANGS,
    UPDATE_PAUSE,
    UPDATE_RESUME,
    WORKFLOW_NAME,
    Progress,
    Stage,
)
from dubbing.settings import Settings
from dubclient.client import with_last_error
from starter.app import EXIT_OK, EXIT_USAGE, Exit, app, client_for, emit_json, first_line, out
from starter.app import run_command as run
from starter.failures import unreachable
from starter.reconnect import patiently

Json = Annotated[bool, typer.Option("--json", help="print one JSON document for scripts")]
STATES = {"running": "Running", "completed": "Completed", "failed": "Failed",
          "canceled": "Canceled", "terminated": "Terminated", "timed-out": "TimedOut"}
STAGES = ("queued", *(stage.value for stage in Stage), "completed", "failed", "cancelling")


async def _progress(client: Client, job_id: str) -> tuple[WorkflowExecutionDescription,
                                                         Progress | None]:
    handle = client.get_workflow_handle(job_id)
    try:
        desc = await patiently(client, handle.describe)
    except RPCError as exc:
        raise Exit(EXIT_USAGE, f"no job {job_id}: {first_line(exc)}") from exc
    try:
        progress = await asyncio.wait_for(
            handle.query(QUERY_PROGRESS, result_type=Progress), 5)
    except Exception:
        return desc, None  # no worker has it yet, or the workflow is closed and evicted
    progress = with_last_error(progress, desc)
    took = _took(desc)
    if took is not None:  # finished: its own time, not one still counting
        progress = progress.model_copy(update={"elapsed_seconds": took, "eta_seconds": None})
    return desc, progress


def _took(desc: WorkflowExecutionDescription) -> float | None:
    """How long a finished job ran, from its start to its close; None while it runs."""
    if desc.close_time is None or desc.start_time is None:
        return None
    return round((desc.close_time - desc.start_time).total_seconds(), 1)


def _state(desc: WorkflowExecutionDescription) -> str:
    return desc.status.name.lower() if desc.status else "unknown"


@app.command()
def status(job_id: str, as_json: Json = False) -> None:
    """Print the state and progress of a job."""

    async def main() -> int:
        desc, p = await _progress(await client_for(Settings()), job_id)
        state, took = _state(desc), _took(desc)
        if as_json:
            emit_json({"job_id": job_id, "status": state, "elapsed_seconds": took,
                       "progress": p.model_dump(mode="json") if p else None})
            return EXIT_OK
        out.print(f"{job_id}: {state}" + (f" after {took:.0f} s" if took is not None else ""))
        if p is None:
            return EXIT_OK
        eta = f", eta {p.eta_seconds:.0f} s" if p.eta_seconds else ""
        out.print(f"stage {p.stage}, {p.percent:.0f}% done, {p.elapsed_seconds:.0f} s "
                  f"elapsed{eta}{', paused' if p.paused else ''}")
        for name, s in p.stages.items():
            out.print(f"  {name:<11} {s.done}/{s.total}")
        if p.last_error:
            out.print(f"retrying after: {p.last_error}", highlight=False)
        return EXIT_OK

    run(main)


def list_query(state: str | None, stage: str | None, lang: str | None) -> str:
    """A visibility query from validated values only (they are user input)."""
    parts = [f'WorkflowType = "{WORKFLOW_NAME}"']
    if state is not None:
        parts.append(f'ExecutionStatus = "{STATES[state]}"')
    if stage is not None:
        parts.append(f'{SA_STAGE} = "{stage}"')
    if lang is not None:
        if not re.fullmatch(r"[a-z]{2,3}", lang):
            raise Exit(EXIT_USAGE, f"--lang {lang!r} is not a language code")
        parts.append(f'{SA_TARGET_LANGS} = "{lang}"')
    return " AND ".join(parts)


def _row(w: WorkflowExecution) -> dict[str, object]:
    attrs = w.typed_search_attributes
    return {
        "job_id": w.id, "status": w.status.name.lower() if w.status else "unknown",
        "stage": attrs.get(SearchAttributeKey.for_keyword(SA_STAGE)),
        "languages": attrs.get(SearchAttributeKey.for_keyword_list(SA_TARGET_LANGS)),
        "input": attrs.get(SearchAttributeKey.for_keyword(SA_INPUT_NAME)),
        "media_seconds": attrs.get(SearchAttributeKey.for_float(SA_MEDIA_SECONDS)),
        "started": w.start_time.isoformat(timespec="seconds") if w.start_time else None,
    }


@app.command("list")
def list_jobs(
    state: Annotated[Literal["running", "completed", "failed", "canceled", "terminated",
                             "timed-out"] | None, typer.Option(help="only jobs in this state")
                     ] = None,
    stage: Annotated[str | None, typer.Option(help="only jobs at this stage")] = None,
    lang: Annotated[str | None, typer.Option(help="only jobs dubbing into this language")
                    ] = None,
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 20,
    as_json: Json = False,
) -> None:
    """List jobs, newest first, filtered by state, stage or target language."""

    async def main() -> int:
        if stage is not None and stage not in STAGES:
            raise Exit(EXIT_USAGE, f"unknown stage {stage!r}; one of: {', '.join(STAGES)}")
        client = await client_for(Settings())
        rows = [_row(w) async for w in client.list_workflows(list_query(state, stage, lang),
                                                             limit=limit)]
        if as_json:
            emit_json(rows)
            return EXIT_OK
        table = Table("job", "status", "stage", "to", "input", "length", "started")
        for r in rows:
            seconds = r["media_seconds"]
            length = f"{int(seconds) // 60}:{int(seconds) % 60:02d}" if isinstance(
                seconds, float) else ""
            langs = r["languages"]
            table.add_row(str(r["job_id"]), str(r["status"]), str(r["stage"] or ""),
                          ",".join(langs) if isinstance(langs, list) else "",
                          str(r["input"] or ""), length, str(r["started"] or ""))
        out.print(table)
        return EXIT_OK

    run(main)


@app.command()
def cancel(job_id: str,
           reason: Annotated[str, typer.Option(help="recorded with the cancellation")
                             ] = "cancelled from the starter") -> None:
    """Cancel a running job; its files are removed."""

    async def main() -> int:
        handle = (await client_for(Settings())).get_workflow_handle(job_id)
        try:
            status = (await handle.describe()).status
            if status != WorkflowExecutionStatus.RUNNING:
                state = status.name.lower() if status else "unknown"
                raise Exit(EXIT_USAGE, f"cannot cancel {job_id}: it is {state}, not running")
            await handle.cancel(reason=reason)
        except RPCError as exc:
            if unreachable(exc):
                raise
            raise Exit(EXIT_USAGE, f"cannot cancel {job_id}: {first_line(exc)}") from exc
        out.print(f"cancellation requested for {job_id}")
        return EXIT_OK

    run(main)


def _update(job_id: str, name: str, verb: str, as_json: bool) -> None:
    async def main() -> int:
        handle = (await client_for(Settings())).get_workflow_handle(job_id)
        try:
            progress = await handle.execute_update(name, result_type=Progress)
        except (WorkflowUpdateFailedError, RPCError) as exc:
            if unreachable(exc):
                raise
            raise Exit(EXIT_USAGE, f"cannot {verb} {job_id}: {first_line(exc)}") from exc
        if as_json:
            emit_json(progress)
        else:
            out.print(f"{job_id}: {progress.state.value}, {progress.percent:.0f}% done")
        return EXIT_OK

    run(main)


@app.command()
def pause(job_id: str, as_json: Json = False) -> None:
    """Pause a job: no new work starts; work in flight finishes."""
    _update(job_id, UPDATE_PAUSE, "pause", as_json)


@app.command()
def resume(job_id: str, as_json: Json = False) -> None:
    """Resume a paused job."""
    _update(job_id, UPDATE_RESUME, "resume", as_json)
