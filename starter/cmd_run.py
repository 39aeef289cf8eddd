"""Commands that run a job and follow it to its outputs: translate, watch."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated, Literal

import typer
from temporalio.service import RPCError

from dubbing.contract import DubResult
from dubbing.settings import Settings
from dubbing.tracing import tracer
from starter import interrupt, jobs, watch
from starter.app import (
    EXIT_OK,
    EXIT_USAGE,
    Exit,
    app,
    client_for,
    emit_json,
    err,
    first_line,
    link,
    out,
    outcome,
    run_command,
    store_for,
)
from starter.deliver import Force, OutDir, deliver
from starter.glossary import read_glossary
from starter.options import Speakers, build_job, check_input, check_webhook
from starter.reconnect import patiently
from starter.webhook_note import note_webhook

Json = Annotated[bool, typer.Option("--json", help="print one JSON document for scripts")]


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
    audio_track: Annotated[int | None, typer.Option(
        help="the audio track to dub, 0-based among the input's audio tracks; by default "
        "the first track with speech")] = None,
    priority: Annotated[Literal["high", "normal", "low"], typer.Option(
        help="served first when workers are busy (high) or last (low)")] = "normal",
    speakers: Speakers = "auto",
    webhook: Annotated[str | None, typer.Option(
        help="URL called with the outcome when the job ends (signed, see the README)")] = None,
    webhook_unsigned: Annotated[bool, typer.Option(
        "--webhook-unsigned", help="deliver the webhook even when the workers have no secret "
        "to sign it with")] = False,
    on_interrupt: Annotated[Literal["ask", "cancel", "detach"], typer.Option(
        help="what Ctrl-C does while following the job")] = "ask",
    force: Force = False,
    as_json: Json = False,
) -> None:
    """Dub INPUT into the --to language(s) and write the outputs into --out."""

    async def main() -> int:
        started = time.monotonic()
        check_input(input)
        if reference is not None:
            check_input(reference)
        terms = await asyncio.to_thread(read_glossary, glossary)
        job = build_job(source, to, translator, voice, asr_model, input.name,
                        max_stretch=max_stretch, min_speed=min_speed, overflow=overflow,
                        subtitles=subtitles, strict=strict, glossary=terms, priority=priority,
                        webhook_url=webhook, webhook_unsigned=webhook_unsigned,
                        audio_track=audio_track, speakers=speakers)
        settings = Settings()
        if webhook is not None:
            check_webhook(webhook, settings)
        client = await client_for(settings)
        with tracer.start_as_current_span("starter translate", attributes={
                "dub.input": input.name, "dub.targets": ",".join(job.target_langs)}):
            handle = await jobs.submit(client, store_for(settings), input, job,
                                       reference=reference, settings=settings)
        if no_wait:
            emit_json({"job_id": handle.id}) if as_json else out.print(handle.id)
            return EXIT_OK
        err.print(f"job {handle.id}: {link(settings, handle.id)}", highlight=False)
        result = await interrupt.following(handle, watch.follow(handle, err, client),
                                           on_interrupt)
        if result is None:
            return EXIT_OK  # detached; the job goes on
        code = await deliver(result, out_dir, settings, started, as_json, force)
        if job.webhook_url:
            await note_webhook(client, handle.id)
        return code

    run_command(main)


@app.command("watch")
def watch_job(job_id: str, out_dir: OutDir = Path("out"), force: Force = False,
              as_json: Json = False) -> None:
    """Follow a job with a progress bar until it ends, then write its outputs into --out."""

    async def main() -> int:
        settings = Settings()
        client = await client_for(settings)
        handle = client.get_workflow_handle(job_id, result_type=DubResult)
        try:
            await patiently(client, handle.describe)
        except RPCError as exc:
            raise Exit(EXIT_USAGE, f"no job {job_id}: {first_line(exc)}") from exc
        result = await outcome(job_id, watch.follow(handle, err, client))
        return await deliver(result, out_dir, settings, None, as_json, force)

    run_command(main)
