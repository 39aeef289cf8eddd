"""Submitting jobs: content-addressed ids, uploading the input, starting or attaching."""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from dubbing import keys
from dubbing.contract import (
    CPU_TASK_QUEUE,
    DEFAULT_EXECUTION_TIMEOUT,
    WORKFLOW_NAME,
    DubJob,
    DubResult,
)
from dubbing.storage import Store


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def job_id_for(stem: str, content_digest: str, job: DubJob) -> str:
    """Same content and same settings give the same id, so a resubmission attaches."""
    settings = job.model_dump_json(exclude={"input_key", "input_name"})
    digest = hashlib.sha256(f"{content_digest}\n{settings}".encode()).hexdigest()[:16]
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:40] or "video"
    return f"dub-{slug}-{digest}"


def summary(job: DubJob, media_name: str) -> str:
    return f"dub {media_name} {job.source_lang}->{','.join(job.target_langs)}"


async def submit(client: Client, store: Store, source: Path, job: DubJob) -> WorkflowHandle:
    digest = await asyncio.to_thread(file_digest, source)
    job_id = job_id_for(source.stem, digest, job)
    key = keys.input_key(job_id)
    job = job.model_copy(update={"input_key": key})
    if not await asyncio.to_thread(store.exists, key):
        await asyncio.to_thread(store.put_file, key, source)
    try:
        return await client.start_workflow(
            WORKFLOW_NAME, job, id=job_id, task_queue=CPU_TASK_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            execution_timeout=DEFAULT_EXECUTION_TIMEOUT,
            static_summary=summary(job, source.name), result_type=DubResult,
        )
    except WorkflowAlreadyStartedError:
        # Finished successfully before: attach to that run instead of dubbing again.
        return client.get_workflow_handle(job_id, result_type=DubResult)
