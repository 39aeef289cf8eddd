"""From a received file and settings to a started (or attached) job: the probe and the limits
first, the idempotency key, then the upload path shared with the CLI."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

from temporalio.service import RPCError, RPCStatusCode

from api.models import Dub
from api.problems import Problem
from api.service import Service
from api.settings_form import job_from
from api.uploads import client_name
from api.views import describe
from dubbing.errors import DubError
from dubbing.limits import check_media
from dubbing.media.probe import probe
from dubclient import submit as shared

MAX_IDEMPOTENCY_KEY = 200


def idempotency_record(tenant: str, key: str) -> str:
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise Problem(400, f"Idempotency-Key: at most {MAX_IDEMPOTENCY_KEY} printable "
                      "characters", "bad-request")
    return f"api/idempotency/{tenant}/{hashlib.sha256(key.encode()).hexdigest()}.json"


def _probe(path: Path, name: str, svc: Service) -> float:
    """The media's length, once it is known to be media within the service's caps."""
    try:
        info = probe(path, name, audio_track=0)
    except DubError as exc:
        raise Problem(422, exc.message, "not-media") from None
    check_media(info, name, svc.settings)
    return info.duration


async def check_idempotency(svc: Service, tenant: str, key: str | None,
                            job_id: str) -> str | None:
    """Claim the key for `job_id` (create-if-absent, so of two requests at once with one key
    only one wins); a 409 when the key belongs to another job."""
    if not key:
        return None
    record = idempotency_record(tenant, key)
    body = json.dumps({"job_id": job_id}).encode()
    if not await asyncio.to_thread(svc.store.put_new, record, body):
        earlier = (await asyncio.to_thread(svc.store.get_json, record))["job_id"]
        if earlier != job_id:
            raise Problem(409, "this Idempotency-Key was used for another input or other "
                          "settings; use a new key for a new job", "idempotency-conflict")
    return record


async def exists(svc: Service, job_id: str) -> bool:
    try:
        await svc.dubs.handle(job_id).describe()
        return True
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise


async def submit(svc: Service, tenant: str, path: Path, filename: str, fields: dict[str, Any],
                 idempotency_key: str | None) -> tuple[Dub, bool]:
    """The job's summary, and whether it was created by this request."""
    name = client_name(filename) or "upload"
    job = await asyncio.to_thread(job_from, fields, name, svc.settings)  # resolves webhooks
    seconds = await asyncio.to_thread(_probe, path, name, svc)
    digest = await asyncio.to_thread(shared.file_digest, path)
    stem = Path(name).stem
    job_id = shared.job_id_for(stem, digest, job, None, tenant)
    await check_idempotency(svc, tenant, idempotency_key, job_id)
    existed = await exists(svc, job_id)
    await shared.submit(svc.dubs.client, svc.store, path, job, None, svc.settings,
                        tenant=tenant, stem=stem, digest=digest, seconds=seconds)
    _, dub = await describe(svc.dubs, job_id, tenant)
    return dub, not existed
