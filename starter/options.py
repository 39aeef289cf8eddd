"""Turning command-line options into a DubJob, with usage errors for bad values."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from dubbing.contract import DubJob, RedubRequest, TranscriptionSettings
from dubbing.errors import BadInputError, ConfigurationError
from dubbing.limits import check_limits, unique_languages
from dubbing.netguard import check_outbound
from dubbing.settings import Settings
from starter.app import EXIT_USAGE, Exit

Speakers = Annotated[str, typer.Option(
    "--speakers", help="who speaks: auto (find the speakers), 1 (one voice for every line, no "
    "diarization) or a count 2-10; each speaker is dubbed with a voice of its own")]


def check_input(path: Path) -> None:
    if not path.exists():
        raise Exit(EXIT_USAGE, f"{path}: no such file")
    if not path.is_file():
        raise Exit(EXIT_USAGE, f"{path}: not a file")
    if path.stat().st_size == 0:
        raise Exit(EXIT_USAGE, f"{path}: the file is empty; pass a video or audio file")


def build_job(source: str, to: str, translator: str, voice: str, asr_model: str,
              input_name: str, **options: Any) -> DubJob:
    targets = unique_languages(tuple(t.strip() for t in to.split(",") if t.strip()))
    if not targets:
        raise Exit(EXIT_USAGE, "--to needs at least one language code")
    try:
        job = DubJob(input_key="pending", input_name=input_name, source_lang=source,
                     target_langs=targets, translator=translator, voice=voice,
                     transcription=TranscriptionSettings(model=asr_model), **options)
    except ValidationError as exc:
        raise Exit(EXIT_USAGE, problem(exc)) from exc
    try:
        check_limits(job)
    except BadInputError as exc:
        raise Exit(EXIT_USAGE, exc.message) from exc
    return job


def problem(exc: ValidationError) -> str:
    """The first thing wrong, in one line: "--max-stretch: ..." rather than pydantic's
    "1 validation error for DubJob"."""
    error = exc.errors()[0]
    field = "--" + "-".join(str(part) for part in error["loc"][:1]).replace("_", "-")
    message = str(error["msg"]).removeprefix("Value error, ")
    return message if "unknown" in message else f"{field}: {message}"


def check_webhook(url: str, settings: Settings) -> None:
    """Refuse at submit what the workers would refuse at delivery (the same guard)."""
    try:
        check_outbound(url, allow_private=settings.allow_private_addresses, what="--webhook")
    except ConfigurationError as exc:
        raise Exit(EXIT_USAGE, exc.message) from exc


def redub_request(index: int, text: str | None, speaker: str | None = None) -> RedubRequest:
    """The request, checked before anything is sent (its limits are the contract's); the
    language is filled in once the job is known."""
    try:
        return RedubRequest(target_lang="", index=index, text=text, speaker=speaker)
    except ValidationError as exc:
        error = exc.errors()[0]
        limit = (error.get("ctx") or {}).get("max_length")
        if error["type"] == "string_too_long" and limit is not None:
            raise Exit(EXIT_USAGE, f"the new text of line {index} is {len(text or ''):,} "
                       f"characters long; a redub text is at most {limit:,} characters, "
                       "shorten it") from exc
        if error["type"] == "string_too_short":
            raise Exit(EXIT_USAGE, f"the new text of line {index} is empty") from exc
        if error["loc"] == ("speaker",):
            raise Exit(EXIT_USAGE, f"speaker {speaker!r} is not a speaker label: use S1 to "
                       "S10, as the report names them") from exc
        raise Exit(EXIT_USAGE, problem(exc)) from exc
