"""Submitting jobs, shared by the starter and the HTTP API: content-addressed ids, uploading
the input, starting or attaching."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from dubbing import keys
from dubbing.contract import (
    WORKFLOW_NAME,
    DubJob,
    DubResult,
)
from dubbing.errors import DubError
from dubbing.limits import check_media, check_reference
from dubbing.media.probe import probe
from dubbing.settings import Settings
from dubbing.storage import Store
from dubclient.client import DubClient
from workflows.attributes import start_options

T = TypeVar("T")
Patience = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]
"""How a call to the server is made: at once (the API), or again after an outage (the CLI)."""


async def at_once(call: Callable[[], Awaitable[T]]) -> T:
    return await call()


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def job_id_for(stem: str, content_digest: str, job: DubJob,
               reference_digest: str | None = None, tenant: str | None = None) -> str:
    """Same content, reference and settings give the same id, so a resubmission attaches;
    another reference transcript is another job. A tenant's jobs are `<tenant>.dub-...`."""
    unset = {"audio_track"} if job.audio_track is None else set()  # ids from before it
    unset |= {"speakers"} if job.speakers == "1" else set()  # ids from before diarization
    settings = job.model_dump_json(exclude={"input_key", "input_name", "source_key", *unset})
    if reference_digest is not None:
        settings += f"\nreference {reference_digest}"
    digest = hashlib.sha256(f"{content_digest}\n{settings}".encode()).hexdigest()[:16]
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:40] or "video"
    return f"dub-{slug}-{digest}" if tenant is None else f"{tenant}.dub-{slug}-{digest}"


def media_seconds(path: Path, settings: Settings | None = None) -> float | None:
    """The input's length when ffprobe is at hand (the workflow checks the file anyway); an
    input over the service's caps in `settings` is refused here, before it is uploaded."""
    try:
        info = probe(path, path.name, audio_track=0)  # no speech search here
    except DubError:
        return None
    if settings is not None:
        check_media(info, path.name, settings)
    return info.duration


async def submit(client: Client, store: Store, source: Path, job: DubJob,
                 reference: Path | None = None, settings: Settings | None = None, *,
                 patiently: Patience = at_once, tenant: str | None = None,
                 stem: str | None = None, digest: str | None = None,
                 seconds: float | None = None) -> WorkflowHandle:
    """Upload the input (once) and start the job, or attach to the same job started before.
    `stem` names the job (default: the file's); `digest` and `seconds` (its length, checked
    against the caps already): the file's, when the caller has them."""
    if seconds is None:
        seconds = await asyncio.to_thread(media_seconds, source, settings)
    if digest is None:
        digest = await asyncio.to_thread(file_digest, source)
    ref_digest = None
    if reference is not None:
        size = await asyncio.to_thread(lambda: reference.stat().st_size)
        check_reference(size, reference.name)
        ref_digest = await asyncio.to_thread(file_digest, reference)
    job_id = job_id_for(stem or source.stem, digest, job, ref_digest, tenant)
    done = await patiently(lambda: completed_before(client, store, job_id))
    if done is not None:
        return done  # dubbed before: attach to it instead of dubbing again
    key = keys.input_key(job_id)
    job = job.model_copy(update={"input_key": key})
    if not await asyncio.to_thread(store.exists, key):
        await asyncio.to_thread(store.put_file, key, source)
    if reference is not None:
        job = job.model_copy(update={"reference_key": keys.reference_key(job_id)})
        await asyncio.to_thread(store.put_file, keys.reference_key(job_id), reference)
    try:
        return await patiently(lambda: client.start_workflow(
            WORKFLOW_NAME, job, id=job_id, **start_options(job, seconds, tenant)))
    except WorkflowAlreadyStartedError:
        # Completed (just now, or with outputs since removed from the store): attach, or dub
        # it anew when its outputs are gone.
        latest = client.get_workflow_handle(job_id, result_type=DubResult)
        if not await outputs_gone(store, await latest.result()):
            return latest
        anew = {**start_options(job, seconds, tenant),
                "id_reuse_policy": WorkflowIDReusePolicy.ALLOW_DUPLICATE}
        return await patiently(lambda: client.start_workflow(
            WORKFLOW_NAME, job, id=job_id, **anew))


async def outputs_gone(store: Store, result: DubResult) -> bool:
    """Whether any of a completed job's outputs is missing from the store."""
    found = [k for o in result.outputs for k in o.keys.values()]
    return not all(await asyncio.gather(
        *(asyncio.to_thread(store.exists, key) for key in found)))


async def completed_before(client: Client, store: Store,
                           job_id: str) -> WorkflowHandle[Any, DubResult] | None:
    """The job's last completed run while its outputs are all stored, even when a later run
    of the id failed or was refused (a start by hand, say)."""
    completed = await DubClient(client).last_completed(job_id)
    if completed is None or await outputs_gone(store, await completed.result()):
        return None
    return completed
