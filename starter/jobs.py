"""Submitting jobs from the command line: the shared upload path, patient with the server."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client, WorkflowHandle

from dubbing.contract import DubJob
from dubbing.settings import Settings
from dubbing.storage import Store
from dubclient import submit as shared
from dubclient.submit import file_digest, job_id_for
from starter.reconnect import patiently

__all__ = ["file_digest", "job_id_for", "submit"]


async def submit(client: Client, store: Store, source: Path, job: DubJob,
                 reference: Path | None = None,
                 settings: Settings | None = None) -> WorkflowHandle:
    """Upload the input (once) and start the job, or attach to the same job started before;
    a call that fails for want of a server is made again once it answers."""
    return await shared.submit(client, store, source, job, reference, settings,
                               patiently=lambda call: patiently(client, call))
