"""Submitting jobs: content-addressed ids, uploading the input, starting or attaching."""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    Priority,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from dubbing import keys
from dubbing.contract import (
    CPU_TASK_QUEUE,
    DEFAULT_EXECUTION_TIMEOUT,
    PRIORITIES,
    SA_INPUT_NAME,
    SA_SOURCE_LANG,
    SA_STAGE,
    SA_TARGET_LANGS,
    WORKFLOW_NAME,
    DubJob,
    DubResult,
)
from dubbing.errors import DubError
from dubbing.media.probe import probe
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


def summary(job: DubJob, media_name: str, seconds: float | None = None) -> str:
    """The one line the Web UI shows for the job: "dub talk.mp4 en->es, 6:12"."""
    length = f", {int(seconds) // 60}:{int(seconds) % 60:02d}" if seconds else ""
    return f"dub {media_name} {job.source_lang}->{','.join(job.target_langs)}{length}"


def details(job: DubJob) -> str:
    """The settings, as markdown for the Web UI's details pane."""
    rows = [("translator", job.translator), ("voice", job.voice),
            ("speech model", job.transcription.model), ("max stretch", f"{job.max_stretch}x"),
            ("overflow", job.overflow), ("subtitles", job.subtitles),
            ("priority", job.priority)]
    return "\n".join(["| setting | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])


def search_attributes(job: DubJob, media_name: str) -> TypedSearchAttributes:
    return TypedSearchAttributes([
        SearchAttributePair(SearchAttributeKey.for_keyword(SA_STAGE), "queued"),
        SearchAttributePair(SearchAttributeKey.for_keyword(SA_SOURCE_LANG), job.source_lang),
        SearchAttributePair(SearchAttributeKey.for_keyword_list(SA_TARGET_LANGS),
                            list(job.target_langs)),
        SearchAttributePair(SearchAttributeKey.for_keyword(SA_INPUT_NAME), media_name),
    ])


def media_seconds(path: Path) -> float | None:
    """The input's length when ffprobe is at hand; the workflow checks the file anyway."""
    try:
        return probe(path, path.name).duration
    except DubError:
        return None


async def submit(client: Client, store: Store, source: Path, job: DubJob,
                 reference: Path | None = None) -> WorkflowHandle:
    """Upload the input (once) and start the job, or attach to the same job started before."""
    digest = await asyncio.to_thread(file_digest, source)
    job_id = job_id_for(source.stem, digest, job)
    key = keys.input_key(job_id)
    job = job.model_copy(update={"input_key": key})
    if not await asyncio.to_thread(store.exists, key):
        await asyncio.to_thread(store.put_file, key, source)
    if reference is not None:
        job = job.model_copy(update={"reference_key": keys.reference_key(job_id)})
        await asyncio.to_thread(store.put_file, keys.reference_key(job_id), reference)
    seconds = await asyncio.to_thread(media_seconds, source)
    try:
        return await client.start_workflow(
            WORKFLOW_NAME, job, id=job_id, task_queue=CPU_TASK_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            execution_timeout=DEFAULT_EXECUTION_TIMEOUT,
            static_summary=summary(job, source.name, seconds), static_details=details(job),
            search_attributes=search_attributes(job, source.name),
            priority=Priority(priority_key=PRIORITIES[job.priority]), result_type=DubResult,
        )
    except WorkflowAlreadyStartedError:
        # Finished successfully before: attach to that run instead of dubbing again.
        return client.get_workflow_handle(job_id, result_type=DubResult)
