"""Dubbing the quality inputs through the real service (dev server + worker processes)."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.service import Service
from dubbing.contract import DubJob, DubResult
from dubbing.keys import output_file_name
from starter import jobs, outputs

TARGET = "es"


@dataclass
class Dubbed:
    """One input's outputs on disk (kind -> path), or why there are none."""

    video: Path
    files: dict[str, Path] = field(default_factory=dict)
    wall_seconds: float = 0.0
    error: str | None = None


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def job_for(video: Path, target: str = TARGET) -> DubJob:
    """The job `starter translate VIDEO --to es` submits: default settings."""
    return DubJob(input_key="pending", input_name=video.name, target_langs=(target,))


async def dub_one(service: Service, video: Path, out_dir: Path) -> Dubbed:
    began = time.perf_counter()
    try:
        handle = await jobs.submit(service.client, service.store, video, job_for(video))
        result: DubResult = await handle.result()
        files = await asyncio.to_thread(_download, service, result, out_dir)
    except Exception as exc:
        return Dubbed(video, error=_root_cause(exc)[:500])
    wall = round(time.perf_counter() - began, 2)
    say(f"dubbed {video.name}: {result.segments} lines in {wall} s")
    return Dubbed(video, files, wall)


def _root_cause(exc: BaseException) -> str:
    """The innermost error of a workflow or activity failure, which says what went wrong."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return f"{type(exc).__name__}: {exc}"


def _download(service: Service, result: DubResult, out_dir: Path) -> dict[str, Path]:
    shutil.rmtree(out_dir, ignore_errors=True)
    outputs.download(service.store, result, out_dir)
    stem = Path(result.input_name).stem
    return {kind: out_dir / output_file_name(stem, kind, result.source_lang, TARGET)
            for kind in result.outputs[0].keys}


async def dub_all(videos: list[Path], out_root: Path) -> list[Dubbed]:
    """Start the embedded stack in a temporary directory, dub every video (all submitted at
    once; the workers' slots bound the work), download the outputs under `out_root/STEM/`."""
    tmp = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="dub-quality-"))
    service = Service(tmp)
    say("starting the dev server and the workers")
    try:
        await service.start()
        done = await asyncio.gather(*(dub_one(service, v, out_root / v.stem) for v in videos))
        if any(d.error for d in done):
            await asyncio.to_thread(_log_tails, tmp)
    finally:
        await service.close()
        await asyncio.to_thread(shutil.rmtree, tmp, True)
    return list(done)


def _log_tails(root: Path) -> None:
    for log in sorted(root.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()[-15:]
        say(f"--- {log.name} (last lines)\n" + "\n".join(lines))
