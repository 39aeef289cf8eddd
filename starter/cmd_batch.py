"""`starter batch`: many videos, a bounded number dubbed at once, one table of results."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.live import Live
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import CancelledError

from dubbing.contract import QUERY_BATCH_PROGRESS, BatchProgress
from dubbing.settings import Settings
from starter import batch
from starter.app import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    Exit,
    app,
    client_for,
    emit_json,
    err,
    failure_message,
    link,
    out,
    run_command,
    store_for,
)
from starter.options import Speakers, build_job
from starter.reconnect import patiently


def _inputs(source: Path) -> list[Path]:
    if not source.exists():
        raise Exit(EXIT_USAGE, f"{source}: no such file or directory")
    try:
        paths = batch.collect(source)
    except (OSError, UnicodeDecodeError) as exc:
        raise Exit(EXIT_USAGE, f"{source}: cannot read the list of videos ({exc})") from exc
    if not paths:
        raise Exit(EXIT_USAGE, f"{source}: no video or audio files")
    found = batch.problems(paths)
    if found:
        raise Exit(EXIT_USAGE, "; ".join(found))
    return paths


async def _follow(client: Client, handle: WorkflowHandle, show: bool) -> BatchProgress:
    result = asyncio.ensure_future(patiently(
        client, handle.result,
        then="; the batch is not lost: submit the same videos again to follow it"))
    with Live(console=err, transient=True, auto_refresh=False) as live:
        while not result.done():
            await asyncio.wait([result], timeout=1.0)
            if show and not result.done():
                try:
                    progress = await handle.query(QUERY_BATCH_PROGRESS,
                                                  result_type=BatchProgress)
                    live.update(batch.render_table(progress), refresh=True)
                except Exception:
                    pass  # not picked up yet, or just closing
    try:
        final: BatchProgress = result.result()
    except WorkflowFailureError as exc:
        code = EXIT_CANCELLED if isinstance(exc.cause, CancelledError) else EXIT_FAILED
        raise Exit(code, f"batch {handle.id}: {failure_message(exc)}") from exc
    return final


@app.command("batch")
def run_batch(
    source: Annotated[Path, typer.Argument(help="a folder of videos, or a text file listing "
                                                 "one path per line")],
    to: Annotated[str, typer.Option("--to", help="target language(s), comma-separated")],
    lang: Annotated[str, typer.Option("--from", help="spoken language of the inputs")] = "en",
    max_running: Annotated[int, typer.Option(help="videos dubbed at once")] = 2,
    translator: Annotated[str, typer.Option(help="apertium or a deep-translator provider")
                          ] = "apertium",
    voice: Annotated[str, typer.Option(help="auto, espeak, piper or xtts")] = "auto",
    speakers: Speakers = "auto",
    no_wait: Annotated[bool, typer.Option("--no-wait", help="print the batch id and exit")
                       ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON document")] = False,
) -> None:
    """Dub every video of SOURCE; one bad video does not stop the others. Exit 1 if any
    failed. Each video's outputs: `starter result JOB_ID`."""

    async def main() -> int:
        paths = _inputs(source)
        template = build_job(lang, to, translator, voice, "tiny.en", "batch", speakers=speakers)
        settings = Settings()
        client = await client_for(settings)
        handle = await batch.submit_batch(client, store_for(settings), paths,
                                          template, max_running)
        if no_wait:
            emit_json({"batch_id": handle.id}) if as_json else out.print(handle.id)
            return EXIT_OK
        err.print(f"batch {handle.id}: {link(settings, handle.id)}", highlight=False)
        final = await _follow(client, handle, show=not as_json)
        if as_json:
            emit_json(final)
        else:
            out.print(batch.render_table(final))
        return EXIT_FAILED if final.failed else EXIT_OK

    run_command(main)
