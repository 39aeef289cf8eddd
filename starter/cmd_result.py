"""Commands that get a job's outputs: result (files or links), redub (one line again)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from dubbing.contract import RedubRequest
from dubbing.errors import BadInputError
from dubbing.settings import Settings
from dubclient import DubClient
from starter import outputs
from starter.app import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    Exit,
    app,
    client_for,
    emit_json,
    failure_message,
    first_line,
    out,
    outcome,
    run_command,
    store_for,
)
from starter.deliver import Force, OutDir, deliver, existing, may_replace, save
from starter.failures import unreachable
from starter.options import redub_request
from starter.reconnect import patiently

T = TypeVar("T")
Json = Annotated[bool, typer.Option("--json", help="print one JSON document for scripts")]
Urls = Annotated[bool, typer.Option("--urls", help="print links to the outputs (presigned for "
                                    "S3) instead of downloading them")]


@app.command()
def result(job_id: str, out_dir: OutDir = Path("out"), urls: Urls = False, force: Force = False,
           as_json: Json = False) -> None:
    """Wait for a job and write its outputs into --out (or print links with --urls)."""

    async def main() -> int:
        settings = Settings()
        client = await client_for(settings)
        # The last completed run's outputs, even when a later run of the id failed.
        done = await outcome(job_id, patiently(
            client, lambda: DubClient(client).result(job_id),
            then=f"; run 'starter result {job_id}' again once Temporal is back"))
        if not urls:
            return await deliver(done, out_dir, settings, None, as_json, force)
        lifetime = timedelta(hours=settings.presign_hours)
        found = await asyncio.to_thread(outputs.links, store_for(settings), done, lifetime)
        if as_json:
            emit_json(dict(found))
        for name, url in [] if as_json else found:
            typer.echo(f"{name}\t{url}")
        return EXIT_OK

    run_command(main)


async def _asking(job_id: str, call: Awaitable[T]) -> T:
    """What the job answers; a request it refuses (a line that does not exist, say) is exit 2,
    a redub that failed otherwise exit 1."""
    try:
        return await call
    except RPCError as exc:
        if unreachable(exc):
            raise
        raise Exit(EXIT_USAGE, f"cannot redub {job_id}: {first_line(exc)}") from exc
    except (ValueError, LookupError, WorkflowUpdateFailedError) as exc:
        raise Exit(EXIT_USAGE, f"cannot redub {job_id}: {first_line(exc)}") from exc
    except WorkflowFailureError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == BadInputError.type:
            raise Exit(EXIT_USAGE, f"cannot redub {job_id}: {cause.message}") from exc
        raise Exit(EXIT_FAILED, f"redub of {job_id} failed: {failure_message(exc)}") from exc


async def _targets(dub: DubClient, job_id: str, lang: str, out_dir: Path) -> list[Path]:
    """The files a redub of a finished job will write (none for a running job)."""
    if (await dub.handle(job_id).describe()).status != WorkflowExecutionStatus.COMPLETED:
        return []
    done = await dub.result(job_id)
    sets = [output for output in done.outputs if output.target_lang == lang]
    return outputs.targets(done.input_name, done.source_lang, sets, out_dir)


LineIndex = Annotated[int, typer.Argument(help="the line's index in the report")]
WhichDub = Annotated[str | None, typer.Option("--to", help="which dub (default: the first)")]


@app.command("redub")
def redub_line(
    job_id: str,
    index: LineIndex,
    text: Annotated[str, typer.Argument(help="the new text of the line")],
    speaker: Annotated[str | None, typer.Option(
        "--speaker", help="also move the line to this speaker (S1-S10)")] = None,
    to: WhichDub = None,
    out_dir: OutDir = Path("out"),
    force: Force = False,
    as_json: Json = False,
) -> None:
    """Give one line new text and voice it again: in the running job, or as a new revision of a
    finished job's outputs."""
    run_command(lambda: _redub(job_id, redub_request(index, text, speaker), to, out_dir,
                               force, as_json))


@app.command("relabel")
def relabel_line(
    job_id: str,
    index: LineIndex,
    speaker: Annotated[str, typer.Argument(help="the speaker who says it: S1-S10")],
    to: WhichDub = None,
    out_dir: OutDir = Path("out"),
    force: Force = False,
    as_json: Json = False,
) -> None:
    """Move one line to another speaker and voice it again in that speaker's voice (its text
    stays); the report and subtitles name the new speaker."""
    run_command(lambda: _redub(job_id, redub_request(index, None, speaker), to, out_dir,
                               force, as_json))


async def _redub(job_id: str, request: RedubRequest, to: str | None, out_dir: Path,
                 force: bool, as_json: bool) -> int:
    settings = Settings()
    dub = DubClient(await client_for(settings))
    lang = to or (await _asking(job_id, dub.job(job_id))).target_langs[0]
    taken = await existing(await _asking(job_id, _targets(dub, job_id, lang, out_dir)))
    if taken and not force:
        await may_replace(taken)  # before the redub: its files will differ
    done = await _asking(job_id, dub.redub(
        job_id, request.model_copy(update={"target_lang": lang})))
    paths: list[Path] = []
    if done.output is not None:
        paths = await save(done.job.input_name, done.job.source_lang, [done.output],
                           out_dir, settings, force or bool(taken))
    if as_json:
        emit_json({"message": done.message, "files": [str(p) for p in paths]})
        return EXIT_OK
    out.print(done.message, highlight=False)
    for path in paths:
        out.print(str(path), highlight=False)
    return EXIT_OK
