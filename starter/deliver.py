"""Writing a finished job's outputs into --out and printing what it did: existing files are
replaced only with --force (or a yes at a terminal), and a failure to write is one line."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.prompt import Confirm

from dubbing.contract import DubResult, FitSummary, OutputSet
from dubbing.settings import Settings
from starter import outputs
from starter.app import EXIT_OK, EXIT_USAGE, Exit, emit_json, err, link, out, store_for

FORCE_HINT = "pass --force to replace it, or choose another --out"
OutDir = Annotated[Path, typer.Option("--out", help="where outputs are written")]
Force = Annotated[bool, typer.Option("--force", help="replace output files that already exist")]


async def existing(paths: Sequence[Path]) -> list[Path]:
    """The paths something is at (a link counts, even a dangling one)."""
    return await asyncio.to_thread(lambda: [p for p in paths if os.path.lexists(p)])


async def may_replace(taken: Sequence[Path]) -> None:
    """Return when the user agrees, at a terminal, to replace the files in the way; without
    a terminal, or without a yes, exit 2 naming the first."""
    more = f" (and {len(taken) - 1} more)" if len(taken) > 1 else ""
    if sys.stdin.isatty() and await asyncio.to_thread(
            Confirm.ask, f"{taken[0]}{more} already exists; replace?", default=False,
            console=err):
        return
    raise Exit(EXIT_USAGE, f"{taken[0]}: already exists{more}; {FORCE_HINT}")


async def save(input_name: str, source_lang: str, sets: Sequence[OutputSet], out_dir: Path,
               settings: Settings, force: bool) -> list[Path]:
    """Download the outputs into `out_dir`. A file with other contents in the way is replaced
    only with `force` (or a yes at a terminal); an unwritable folder or file is exit 2."""
    store = store_for(settings)
    try:
        staged = await asyncio.to_thread(outputs.stage, store, input_name, source_lang, sets,
                                         out_dir)
        try:
            taken = [] if force else await asyncio.to_thread(staged.in_the_way)
            if taken:
                await may_replace(taken)
            return await asyncio.to_thread(staged.commit)
        finally:
            await asyncio.to_thread(staged.discard)
    except OSError as exc:
        where = exc.filename or out_dir
        raise Exit(EXIT_USAGE, f"{where}: cannot write the outputs there "
                   f"({exc.strerror or exc}); choose another --out") from exc


async def deliver(result: DubResult, out_dir: Path, settings: Settings, started: float | None,
                  as_json: bool, force: bool = False) -> int:
    paths = await save(result.input_name, result.source_lang, result.outputs, out_dir,
                       settings, force)
    if as_json:
        emit_json({"result": result.model_dump(mode="json"), "files": [str(p) for p in paths]})
    else:
        print_result(result, paths, settings, started)
    return EXIT_OK


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
