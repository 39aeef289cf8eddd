"""Commands that run a job and get its outputs: translate, watch, result, redub."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

import typer
from pydantic import ValidationError
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.service import RPCError

from dubbing.contract import DubResult, FitSummary, RedubRequest
from dubbing.settings import Settings
from dubbing.storage import open_store
from dubbing.tracing import tracer
from dubclient import DubClient
from starter import interrupt, jobs, outputs, watch
from starter.app import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    Exit,
    app,
    client_for,
    emit_json,
    err,
    failure_message,
    first_line,
    link,
    out,
    outcome,
    run_command,
)
from starter.options import build_job, check_input, check_webhook, problem, read_glossary

Json = Annotated[bool, typer.Option("--json", help="print one JSON document for scripts")]
OutDir = Annotated[Path, typer.Option("--out", help="where outputs are written")]


def print_result(result: DubResult, paths: list[Path], settings: Settings,
                 started: float | None) -> None:
    took = result.elapsed_seconds
    rtf = took / result.media_seconds if result.media_seconds else 0.0
    wall = f", {time.monotonic() - started:.1f} s end to end" if started is not None else ""
    for path in paths:
        out.print(str(path), highlight=False)
    out.print(f"job {result.job_id}: {result.segments} segments, {result.media_seconds:.1f} s of "
              f"media dubbed in {took:.1f} s wall (real-time factor {rtf:.2f}){wall}",
              highlight=False)
    for output in result.outputs:
        s = output.summary
        steps = ", ".join(f"{n} {step}" for step, n in sorted(s.steps.items()))
        out.print(f"{output.target_lang}: {s.segments} lines ({steps or 'none'}); speed "
                  f"{s.min_speed:.2f}-{s.max_speed:.2f}x; speech covered {s.coverage:.0%}; "
                  f"{s.overflows} overflowing, {s.trimmed} trimmed, {s.shifted} shifted, "
                  f"{s.isolated} kept in the original; {s.unknown_words} untranslated "
                  f"word{'s' if s.unknown_words != 1 else ''}{_loudness(s)}", highlight=False)
        if s.transcription_wer is not None:
            out.print(f"transcription word error rate against the reference: "
                      f"{s.transcription_wer:.1%}", highlight=False)
    out.print(f"Web UI: {link(settings, result.job_id)}", highlight=False)


def _loudness(s: FitSummary) -> str:
    if s.loudness_lufs is None or s.true_peak_dbtp is None:
        return ""
    return f"; {s.loudness_lufs:.1f} LUFS, peak {s.true_peak_dbtp:.1f} dBTP"


async def deliver(result: DubResult, out_dir: Path, settings: Settings, started: float | None,
                  as_json: bool) -> int:
    paths = await asyncio.to_thread(outputs.download, open_store(settings.store, settings),
                                    result, out_dir)
    if as_json:
        emit_json({"result": result.model_dump(mode="json"), "files": [str(p) for p in paths]})
    else:
        print_result(result, paths, settings, started)
    return EXIT_OK


@app.command()
def translate(
    input: Annotated[Path, typer.Argument(help="video or audio file to dub")],
    to: Annotated[str, typer.Option("--to", help="target language(s), comma-separated")],
    source: Annotated[str, typer.Option("--from", help="spoken language of the input")] = "en",
    out_dir: OutDir = Path("out"),
    no_wait: Annotated[bool, typer.Option("--no-wait", help="print the job id and exit")] = False,
    translator: Annotated[str, typer.Option(help="apertium or a deep-translator provider")
                          ] = "apertium",
    voice: Annotated[str, typer.Option(help="auto, espeak, piper or xtts")] = "auto",
    asr_model: Annotated[str, typer.Option(help="tiny.en, a model dir or a model name")
                         ] = "tiny.en",
    max_stretch: Annotated[float, typer.Option(help="largest speed-up of a line")] = 1.3,
    min_speed: Annotated[float, typer.Option(
        help="slowest a line shorter than its speaker is spoken (0.5-1.0)")] = 0.85,
    overflow: Annotated[Literal["trim", "shift"], typer.Option(
        help="a line still too long at --max-stretch, past the silence after it: 'trim' fades "
        "it out where the next line starts, 'shift' lets it run on and pushes the next lines")
                        ] = "trim",
    subtitles: Annotated[Literal["none", "embed", "burn"], typer.Option(
        help="'embed' both languages' subtitles in the MP4, or 'burn' the target language's "
        "into the picture (re-encodes the video)")] = "none",
    strict: Annotated[bool, typer.Option(
        "--strict", help="fail the job when a line cannot be voiced, instead of keeping the "
        "original audio in its slot")] = False,
    glossary: Annotated[Path | None, typer.Option(
        help="terms to translate your way: 'term<TAB>translation' per line")] = None,
    reference: Annotated[Path | None, typer.Option(
        help="a reference transcript: the report gives the transcription's word error rate")
                         ] = None,
    priority: Annotated[Literal["high", "normal", "low"], typer.Option(
        help="served first when workers are busy (high) or last (low)")] = "normal",
    webhook: Annotated[str | None, typer.Option(
        help="URL called with the outcome when the job ends (signed, see the README)")] = None,
    webhook_unsigned: Annotated[bool, typer.Option(
        "--webhook-unsigned", help="deliver the webhook even when the workers have no secret "
        "to sign it with")] = False,
    on_interrupt: Annotated[Literal["ask", "cancel", "detach"], typer.Option(
        help="what Ctrl-C does while following the job")] = "ask",
    as_json: Json = False,
) -> None:
    """Dub INPUT into the --to language(s) and write the outputs into --out."""

    async def main() -> int:
        started = time.monotonic()
        check_input(input)
        if reference is not None:
            check_input(reference)
        job = build_job(source, to, translator, voice, asr_model, input.name,
                        max_stretch=max_stretch, min_speed=min_speed, overflow=overflow,
                        subtitles=subtitles,
                        strict=strict, glossary=read_glossary(glossary), priority=priority,
                        webhook_url=webhook, webhook_unsigned=webhook_unsigned)
        settings = Settings()
        if webhook is not None:
            check_webhook(webhook, settings)
        client = await client_for(settings)
        with tracer.start_as_current_span("starter translate", attributes={
                "dub.input": input.name, "dub.targets": ",".join(job.target_langs)}):
            handle = await jobs.submit(client, open_store(settings.store, settings), input, job,
                                       reference=reference)
        if no_wait:
            emit_json({"job_id": handle.id}) if as_json else out.print(handle.id)
            return EXIT_OK
        err.print(f"job {handle.id}: {link(settings, handle.id)}", highlight=False)
        result = await interrupt.following(handle, watch.follow(handle, err), on_interrupt)
        if result is None:
            return EXIT_OK  # detached; the job goes on
        return await deliver(result, out_dir, settings, started, as_json)

    run_command(main)


@app.command("watch")
def watch_job(job_id: str, out_dir: OutDir = Path("out"), as_json: Json = False) -> None:
    """Follow a job with a progress bar until it ends, then write its outputs into --out."""

    async def main() -> int:
        settings = Settings()
        handle = (await client_for(settings)).get_workflow_handle(job_id, result_type=DubResult)
        try:
            await handle.describe()
        except RPCError as exc:
            raise Exit(EXIT_USAGE, f"no job {job_id}: {first_line(exc)}") from exc
        result = await outcome(job_id, watch.follow(handle, err))
        return await deliver(result, out_dir, settings, None, as_json)

    run_command(main)


@app.command()
def result(job_id: str, out_dir: OutDir = Path("out"),
           urls: Annotated[bool, typer.Option(
               "--urls", help="print links to the outputs (presigned for S3) instead of "
               "downloading them")] = False, as_json: Json = False) -> None:
    """Wait for a job and write its outputs into --out (or print links with --urls)."""

    async def main() -> int:
        settings = Settings()
        handle = (await client_for(settings)).get_workflow_handle(job_id, result_type=DubResult)
        done = await outcome(job_id, handle.result())
        if not urls:
            return await deliver(done, out_dir, settings, None, as_json)
        store = open_store(settings.store, settings)
        lifetime = timedelta(hours=settings.presign_hours)
        found = await asyncio.to_thread(outputs.links, store, done, lifetime)
        if as_json:
            emit_json(dict(found))
        for name, url in [] if as_json else found:
            typer.echo(f"{name}\t{url}")
        return EXIT_OK

    run_command(main)


@app.command("redub")
def redub_line(
    job_id: str,
    index: Annotated[int, typer.Argument(help="the line's index in the report")],
    text: Annotated[str, typer.Argument(help="the new text of the line")],
    to: Annotated[str | None, typer.Option("--to", help="which dub (default: the first)")
                  ] = None,
    out_dir: OutDir = Path("out"),
    as_json: Json = False,
) -> None:
    """Give one line new text and voice it again: in the running job, or as a new revision of a
    finished job's outputs."""

    async def main() -> int:
        settings = Settings()
        client = await client_for(settings)
        try:
            dub = DubClient(client)
            lang = to or (await dub.job(job_id)).target_langs[0]
            done = await dub.redub(job_id, RedubRequest(target_lang=lang, index=index,
                                                        text=text))
        except ValidationError as exc:
            raise Exit(EXIT_USAGE, f"cannot redub {job_id}: {problem(exc)}") from exc
        except (ValueError, LookupError, RPCError, WorkflowUpdateFailedError) as exc:
            raise Exit(EXIT_USAGE, f"cannot redub {job_id}: {first_line(exc)}") from exc
        except WorkflowFailureError as exc:
            raise Exit(EXIT_FAILED, f"redub of {job_id} failed: {failure_message(exc)}") from exc
        paths: list[Path] = []
        if done.output is not None:
            paths = await asyncio.to_thread(
                outputs.download_set, open_store(settings.store, settings), done.job.input_name,
                done.job.source_lang, done.output, out_dir)
        if as_json:
            emit_json({"message": done.message, "files": [str(p) for p in paths]})
            return EXIT_OK
        out.print(done.message, highlight=False)
        for path in paths:
            out.print(str(path), highlight=False)
        return EXIT_OK

    run_command(main)
