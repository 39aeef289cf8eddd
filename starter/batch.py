"""Submitting a batch of videos: collecting the inputs, uploading them under the same
content-addressed ids as `starter translate`, starting the batch workflow, and its result table."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from pathlib import Path

from rich.table import Table
from rich.text import Text
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from dubbing import keys
from dubbing.contract import (
    BATCH_WORKFLOW_NAME,
    CPU_TASK_QUEUE,
    BatchItem,
    BatchJob,
    BatchProgress,
    DubJob,
)
from dubbing.errors import BadInputError
from dubbing.limits import check_input_name
from dubbing.storage import Store
from starter.jobs import file_digest, job_id_for

MEDIA_SUFFIXES = frozenset({".mp4", ".mkv", ".mov", ".webm", ".m4a", ".mp3", ".wav", ".avi"})
UPLOADS_AT_ONCE = 4
STATE_STYLES = {"completed": "green", "failed": "red", "running": "yellow", "pending": "dim"}


def collect(source: Path) -> list[Path]:
    """The inputs of a batch: the media files directly in a directory (sorted by name), or the
    paths listed one per line in a text file (blank lines and `#` comments skipped, relative
    paths taken from the list file's directory). A single media file is a batch of one."""
    if source.is_dir():
        return sorted(p for p in source.iterdir()
                      if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES)
    if source.suffix.lower() in MEDIA_SUFFIXES:
        return [source]
    paths = []
    for line in source.read_text(encoding="utf-8").splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            path = Path(entry).expanduser()
            paths.append(path if path.is_absolute() else source.parent / path)
    return paths


MAX_BATCH_ITEMS = 1000


def problems(paths: Sequence[Path]) -> list[str]:
    """One line per input that cannot be submitted (missing, not a file, empty, a name over
    the limits), or one for a batch over MAX_BATCH_ITEMS inputs."""
    if len(paths) > MAX_BATCH_ITEMS:
        return [f"{len(paths)} inputs; a batch takes at most {MAX_BATCH_ITEMS}: split the list"]
    found = []
    for path in paths:
        try:
            check_input_name(path.name)
        except BadInputError as exc:
            found.append(f"{path}: {exc.message}")
            continue
        if not path.exists():
            found.append(f"{path}: no such file")
        elif not path.is_file():
            found.append(f"{path}: not a file")
        elif path.stat().st_size == 0:
            found.append(f"{path}: the file is empty; pass a video or audio file")
    return found


def batch_id(items: Sequence[BatchItem]) -> str:
    """The same set of jobs gives the same batch id, so a resubmission attaches."""
    joined = "\n".join(sorted(item.job_id for item in items))
    return f"batch-{hashlib.sha256(joined.encode()).hexdigest()[:16]}"


async def _upload(store: Store, path: Path, template: DubJob,
                  slots: asyncio.Semaphore) -> BatchItem:
    async with slots:
        job = template.model_copy(update={"input_name": path.name})
        job_id = job_id_for(path.stem, await asyncio.to_thread(file_digest, path), job)
        key = keys.input_key(job_id)
        if not await asyncio.to_thread(store.exists, key):
            await asyncio.to_thread(store.put_file, key, path)
        return BatchItem(job=job.model_copy(update={"input_key": key}), job_id=job_id)


async def upload(store: Store, paths: Sequence[Path], template: DubJob) -> tuple[BatchItem, ...]:
    """Store every input as `starter translate` would; the same video twice is one item."""
    slots = asyncio.Semaphore(UPLOADS_AT_ONCE)
    items = await asyncio.gather(*(_upload(store, p, template, slots) for p in paths))
    unique: dict[str, BatchItem] = {}
    for item in items:
        unique.setdefault(item.job_id, item)
    return tuple(unique.values())


async def submit_batch(client: Client, store: Store, paths: Sequence[Path],
                       job_template: DubJob, max_running: int,
                       task_queue: str = CPU_TASK_QUEUE) -> WorkflowHandle:
    """Upload the inputs and start the batch, or attach to the same batch while it runs.

    A finished batch submitted again runs again: videos already dubbed are not dubbed a second
    time, failed ones are retried."""
    items = await upload(store, paths, job_template)
    batch = BatchJob(items=items, max_running=max_running)
    langs = f"{job_template.source_lang}->{','.join(job_template.target_langs)}"
    return await client.start_workflow(
        BATCH_WORKFLOW_NAME, batch, id=batch_id(items), task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        static_summary=f"dub a batch of {len(items)} videos {langs}, {max_running} at once",
        result_type=BatchProgress)


def render_table(progress: BatchProgress) -> Table:
    """One row per video: name, state, segments, error."""
    table = Table(title=f"{progress.done}/{progress.total} done, {progress.failed} failed, "
                  f"{progress.running} running", title_justify="left")
    table.add_column("video", overflow="fold")
    table.add_column("state")
    table.add_column("segments", justify="right")
    table.add_column("error", overflow="fold")
    for item in progress.items:
        segments = "" if item.segments is None else str(item.segments)
        table.add_row(Text(item.input_name), Text(item.state, style=STATE_STYLES[item.state]),
                      segments, Text(item.error or ""))
    return table
