"""Jobs from a `source_url`: checked by the outbound guard at submit, stored beside the job
(the URL stays out of the workflow's history), fetched by the job's first activity."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from temporalio.exceptions import WorkflowAlreadyStartedError

from api.models import Dub
from api.problems import Problem
from api.service import Service
from api.settings_form import job_from
from api.submit import check_idempotency, exists
from api.views import describe
from dubbing import keys
from dubbing.contract import WORKFLOW_NAME
from dubbing.netguard import check_outbound
from dubclient import submit as shared
from workflows.attributes import start_options

MAX_URL = 2048


def _name(url: str) -> str:
    """The input's name from the URL's last path segment."""
    last = PurePosixPath(unquote(urlsplit(url).path)).name
    clean = "".join(c for c in last if c.isprintable() and c not in "/\\")[:120]
    return clean or "source"


async def submit_url(svc: Service, who: str, body: dict[str, Any],
                     idempotency_key: str | None) -> tuple[Dub, bool]:
    url = body.pop("source_url")
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise Problem(422, f"source_url: an http(s) URL of at most {MAX_URL} characters",
                      "bad-input")
    await asyncio.to_thread(check_outbound, url,
                            allow_private=svc.settings.allow_private_addresses,
                            what="source_url")
    name = _name(url)
    job = await asyncio.to_thread(job_from, body, name, svc.settings)  # resolves webhooks
    digest = hashlib.sha256(f"url\n{url}".encode()).hexdigest()
    job_id = shared.job_id_for(PurePosixPath(name).stem, digest, job, None, who)
    job = job.model_copy(update={"input_key": keys.input_key(job_id),
                                 "source_key": keys.source_key(job_id)})
    await check_idempotency(svc, who, idempotency_key, job_id)
    existed = await exists(svc, job_id)
    assert job.source_key is not None
    await asyncio.to_thread(svc.store.put_json, job.source_key, {"url": url})
    with contextlib.suppress(WorkflowAlreadyStartedError):  # completed before: it stands
        await svc.dubs.client.start_workflow(WORKFLOW_NAME, job, id=job_id,
                                             **start_options(job, None, who))
    _, dub = await describe(svc.dubs, job_id, who)
    return dub, not existed
