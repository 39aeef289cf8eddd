"""The starter CLI. Exit codes: 0 done, 1 job failed, 2 usage or input error, 3 cancelled,
4 cannot reach the service."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import CancelledError, FailureError
from temporalio.service import RPCError

from dubbing.contract import QUERY_PROGRESS, DubJob, DubResult, Progress, TranscriptionSettings
from dubbing.engines.translate import TRANSLATORS
from dubbing.engines.tts import VOICES
from dubbing.settings import Settings
from dubbing.storage import open_store
from dubbing.tracing import tracer
from starter import jobs, outputs, redub, watch
from worker import telemetry
from worker.connect import connect

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED, EXIT_UNREACHABLE = 0, 1, 2, 3, 4

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Dub videos into other languages with the durable dubbing service.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class Exit(Exception):
    def __init__(self, code: int, message: str | None = None) -> None:
        self.code, self.message = code, message


def _run(coro_fn: Callable[[], Coroutine[Any, Any, int]]) -> None:
    """Run a command; print one clear line on error; exit without the SDK's exit-time crash."""
    code: int
    try:
        telemetry.setup_tracing(Settings(), "dub-starter")
        code = asyncio.run(coro_fn())
    except Exit as e:
        if e.message:
            err.print(f"[red]error:[/red] {e.message}", highlight=False)
        code = e.code
    except KeyboardInterrupt:
        code = 130
    telemetry.flush_traces()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


async def _client(settings: Settings) -> Any:
    try:
        return await connect(settings)
    except Exception as exc:
        raise Exit(EXIT_UNREACHABLE, f"cannot reach Temporal at {settings.temporal_address} "
                   f"({exc}); start the stack with 'make up'") from exc


def _check_input(path: Path) -> None:
    if not path.exists():
        raise Exit(EXIT_USAGE, f"{path}: no such file")
    if not path.is_file():
        raise Exit(EXIT_USAGE, f"{path}: not a file")
    if path.stat().st_size == 0:
        raise Exit(EXIT_USAGE, f"{path}: the file is empty; pass a video or audio file")


def _job(source: str, to: str, translator: str, voice: str, asr_model: str,
         input_name: str, **options: Any) -> DubJob:
    targets = tuple(t.strip() for t in to.split(",") if t.strip())
    if not targets:
        raise Exit(EXIT_USAGE, "--to needs at least one language code")
    if translator not in TRANSLATORS:
        raise Exit(EXIT_USAGE, f"unknown translator {translator!r}; choose one of "
                   f"{', '.join(TRANSLATORS)}")
    if voice not in VOICES:
        raise Exit(EXIT_USAGE, f"unknown voice {voice!r}; choose one of {', '.join(VOICES)}")
    try:
        return DubJob(input_key="pending", input_name=input_name, source_lang=source,
                      target_langs=targets, translator=translator, voice=voice,
                      transcription=TranscriptionSettings(model=asr_model), **options)
    except ValueError as exc:
        raise Exit(EXIT_USAGE, str(exc).splitlines()[0]) from exc


def _failure_message(exc: WorkflowFailureError) -> str:
    """The workflow fails with the root cause already phrased for the user."""
    cause = exc.cause
    if isinstance(cause, FailureError):
        return cause.message
    return str(cause or exc)


def _link(settings: Settings, job_id: str) -> str:
    return f"{settings.web_ui}/namespaces/{settings.temporal_namespace}/workflows/{job_id}"


async def _outcome(handle: Any, result_coro: Awaitable[DubResult]) -> DubResult:
    """The job's result, or the exit code and one line saying why there is none."""
    try:
        return await result_coro
    except WorkflowFailureError as exc:
        if isinstance(exc.cause, CancelledError):
            raise Exit(EXIT_CANCELLED, f"job {handle.id} was cancelled: "
                       f"{_failure_message(exc)}") from exc
        raise Exit(EXIT_FAILED, f"job {handle.id} failed: {_failure_message(exc)}") from exc


async def _finish(handle: Any, result_coro: Awaitable[DubResult], out_dir: Path,
                  started: float | None) -> int:
    result = await _outcome(handle, result_coro)
    settings = Settings()
    paths = await asyncio.to_thread(outputs.download, open_store(settings.store, settings), result,
                                    out_dir)
    took = result.elapsed_seconds
    rtf = took / result.media_seconds if result.media_seconds else 0.0
    wall = f", {time.monotonic() - started:.1f} s end to end" if started is not None else ""
    for path in paths:
        out.print(str(path), highlight=False)
    out.print(f"job {handle.id}: {result.segments} segments, {result.media_seconds:.1f} s of "
              f"media dubbed in {took:.1f} s wall (real-time factor {rtf:.2f}){wall}",
              highlight=False)
    for output in result.outputs:
        s = output.summary
        steps = ", ".join(f"{n} {step}" for step, n in sorted(s.steps.items()))
        out.print(f"{output.target_lang}: {s.segments} lines ({steps or 'none'}); speed max "
                  f"{s.max_speed:.2f}x mean {s.mean_speed:.2f}x; {s.overflows} overflowing, "
                  f"{s.shifted} shifted, {s.isolated} kept in the original", highlight=False)
    out.print(f"Web UI: {_link(settings, handle.id)}", highlight=False)
    return EXIT_OK


@app.command()
def translate(
    input: Annotated[Path, typer.Argument(help="video or audio file to dub")],
    to: Annotated[str, typer.Option("--to", help="target language(s), comma-separated")],
    source: Annotated[str, typer.Option("--from", help="spoken language of the input")] = "en",
    out_dir: Annotated[Path, typer.Option("--out", help="where outputs are written")] = Path("out"),
    no_wait: Annotated[bool, typer.Option("--no-wait", help="print the job id and exit")] = False,
    translator: Annotated[str, typer.Option(help="apertium or a deep-translator provider")
                          ] = "apertium",
    voice: Annotated[str, typer.Option(help="auto, espeak, piper or xtts")] = "auto",
    asr_model: Annotated[str, typer.Option(help="tiny.en, a model dir or a model name")
                         ] = "tiny.en",
    max_stretch: Annotated[float, typer.Option(help="largest speed-up of a line")] = 1.3,
    overflow: Annotated[str, typer.Option(
        help="a line still too long at --max-stretch: 'trim' fades it out at its slot end, "
        "'shift' lets it run on and pushes the next lines")] = "trim",
    subtitles: Annotated[str, typer.Option(
        help="'embed' both languages' subtitles in the MP4, or 'burn' the target language's "
        "into the picture (re-encodes the video)")] = "none",
    strict: Annotated[bool, typer.Option(
        "--strict", help="fail the job when a line cannot be voiced, instead of keeping the "
        "original audio in its slot")] = False,
) -> None:
    """Dub INPUT into the --to language(s) and write the outputs into --out."""

    async def main() -> int:
        started = time.monotonic()
        _check_input(input)
        job = _job(source, to, translator, voice, asr_model, input.name,
                   max_stretch=max_stretch, overflow=overflow, subtitles=subtitles,
                   strict=strict)
        settings = Settings()
        client = await _client(settings)
        with tracer.start_as_current_span("starter translate", attributes={
                "dub.input": input.name, "dub.targets": ",".join(job.target_langs)}):
            handle = await jobs.submit(client, open_store(settings.store, settings), input, job)
        if no_wait:
            out.print(handle.id, highlight=False)
            return EXIT_OK
        err.print(f"job {handle.id}: {_link(settings, handle.id)}", highlight=False)
        return await _finish(handle, watch.follow(handle, err), out_dir, started)

    _run(main)


@app.command()
def status(job_id: str) -> None:
    """Print the state and progress of a job."""

    async def main() -> int:
        handle = (await _client(Settings())).get_workflow_handle(job_id)
        try:
            desc = await handle.describe()
        except Exception as exc:
            raise Exit(EXIT_USAGE, f"no job {job_id}: {exc}") from exc
        out.print(f"{job_id}: {desc.status.name.lower() if desc.status else 'unknown'}")
        try:
            p = await asyncio.wait_for(handle.query(QUERY_PROGRESS, result_type=Progress), 5)
        except Exception:
            return EXIT_OK
        eta = f", eta {p.eta_seconds:.0f} s" if p.eta_seconds else ""
        out.print(f"stage {p.stage}, {p.percent:.0f}% done, {p.elapsed_seconds:.0f} s "
                  f"elapsed{eta}{', paused' if p.paused else ''}")
        for name, s in p.stages.items():
            out.print(f"  {name:<11} {s.done}/{s.total}")
        return EXIT_OK

    _run(main)


@app.command()
def cancel(job_id: str,
           reason: Annotated[str, typer.Option(help="recorded with the cancellation")
                             ] = "cancelled from the starter") -> None:
    """Cancel a running job; its temporary files are removed."""

    async def main() -> int:
        handle = (await _client(Settings())).get_workflow_handle(job_id)
        try:
            await handle.cancel(reason=reason)
        except Exception as exc:
            raise Exit(EXIT_USAGE, f"cannot cancel {job_id}: {exc}") from exc
        out.print(f"cancellation requested for {job_id}")
        return EXIT_OK

    _run(main)


@app.command()
def result(job_id: str,
           out_dir: Annotated[Path, typer.Option("--out", help="where outputs are written")
                              ] = Path("out"),
           urls: Annotated[bool, typer.Option(
               "--urls", help="print links to the outputs (presigned for S3) instead of "
               "downloading them")] = False) -> None:
    """Wait for a job and write its outputs into --out (or print links with --urls)."""

    async def main() -> int:
        settings = Settings()
        client = await _client(settings)
        handle = client.get_workflow_handle(job_id, result_type=DubResult)
        if not urls:
            return await _finish(handle, handle.result(), out_dir, None)
        done = await _outcome(handle, handle.result())
        store = open_store(settings.store, settings)
        lifetime = timedelta(hours=settings.presign_hours)
        for name, link in await asyncio.to_thread(outputs.links, store, done, lifetime):
            typer.echo(f"{name}\t{link}")
        return EXIT_OK

    _run(main)


@app.command("redub")
def redub_line(
    job_id: str,
    index: Annotated[int, typer.Argument(help="the line's index in the report")],
    text: Annotated[str, typer.Argument(help="the new text of the line")],
    to: Annotated[str | None, typer.Option("--to", help="which dub (default: the first)")
                  ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="where the new outputs are written")
                       ] = Path("out"),
) -> None:
    """Give one line new text and voice it again: in the running job, or as a new revision of a
    finished job's outputs."""

    async def main() -> int:
        settings = Settings()
        client = await _client(settings)
        try:
            done = await redub.redub(client, job_id, index, text, to)
        except (ValueError, RPCError, WorkflowUpdateFailedError) as exc:
            raise Exit(EXIT_USAGE, f"cannot redub {job_id}: {_cause(exc)}") from exc
        except WorkflowFailureError as exc:
            raise Exit(EXIT_FAILED, f"redub of {job_id} failed: {_failure_message(exc)}") from exc
        out.print(done.message, highlight=False)
        if done.output is not None:
            paths = await asyncio.to_thread(
                outputs.download_set, open_store(settings.store, settings), done.job.input_name,
                done.job.source_lang, done.output, out_dir)
            for path in paths:
                out.print(str(path), highlight=False)
        return EXIT_OK

    _run(main)


def _cause(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)
    return str(getattr(cause, "message", None) or cause or exc).splitlines()[0]


def run() -> None:
    app()
