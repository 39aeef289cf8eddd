"""Files in and out: downloads of outputs (Range from local storage, a redirect to a presigned
URL on S3), and the two-step upload (a signed PUT URL, then a job from its upload id)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.lines import completed_result
from api.models import Dub, UploadRequest, UploadTicket
from api.problems import Problem
from api.service import Service, service, tenant
from api.source import submit_url
from api.submit import submit
from api.uploads import client_name, receive_body, scratch, scratch_name
from api.views import CONTENT_TYPES, output_names

router = APIRouter(tags=["files"])
Svc = Annotated[Service, Depends(service)]
Tenant = Annotated[str, Depends(tenant)]


def _owner(svc: Service, request: Request, job_id: str) -> str:
    """The tenant, from the bearer key or from a valid signature of this very path."""
    params = request.query_params
    if svc.signer.valid(request.url.path, params.get("expires"), params.get("sig")):
        return job_id.partition(".")[0]
    if "sig" in params:
        raise Problem(401, "this download link is not valid (or has expired); read the dub "
                      "again for fresh links", "unauthorized")
    return svc.keys.tenant(request)


@router.get("/v1/dubs/{job_id}/outputs/{name}", summary="Download an output (Range works)",
            response_class=FileResponse)
async def output(job_id: str, name: str, request: Request, svc: Svc) -> Response:
    who = _owner(svc, request, job_id)
    result = await completed_result(svc, job_id, who)
    found = output_names(result).get(name)
    if found is None:
        raise Problem(404, f"dub {job_id} has no output {name[:60]!r}; its outputs: "
                      f"{', '.join(output_names(result))}", "not-found")
    key = found[0]
    media_type = CONTENT_TYPES[name.rsplit(".", 1)[-1]]
    path = svc.store.local_path(key)
    if path is None:
        url = await asyncio.to_thread(svc.store.presigned_url, key, timedelta(minutes=15))
        return RedirectResponse(url, status_code=307)
    if not await asyncio.to_thread(path.is_file):
        raise Problem(404, f"output {name} of dub {job_id} is no longer stored", "not-found")
    download = f"{result.input_name.rsplit('.', 1)[0]}.{name}"
    return FileResponse(path, media_type=media_type, filename=download,
                        content_disposition_type="inline")


def _upload_key(who: str, upload_id: str) -> str:
    if not (len(upload_id) == 32 and all(c in "0123456789abcdef" for c in upload_id)):
        raise Problem(404, "no such upload", "not-found")
    return f"api/uploads/{who}/{upload_id}"


async def _meta(svc: Service, key: str, upload_id: str) -> dict[str, Any]:
    if not await asyncio.to_thread(svc.store.exists, f"{key}/meta.json"):
        raise Problem(404, f"upload {upload_id} does not exist or was used for a dub already; "
                      "ask for a new one (POST /v1/uploads)", "not-found")
    meta: dict[str, Any] = await asyncio.to_thread(svc.store.get_json, f"{key}/meta.json")
    return meta


@router.post("/v1/uploads", response_model=UploadTicket, status_code=201,
             summary="Step one of a two-step upload: a signed URL to PUT the bytes to")
async def new_upload(ticket: UploadRequest, svc: Svc, who: Tenant) -> UploadTicket:
    limit = svc.settings.api_max_upload_mb
    if ticket.size is not None and ticket.size > limit * 1024 * 1024:
        raise Problem(413, f"{ticket.size} bytes is over the limit of {limit:g} MiB", "too-large")
    upload_id = uuid.uuid4().hex
    await asyncio.to_thread(svc.store.put_json, f"{_upload_key(who, upload_id)}/meta.json",
                            {"filename": client_name(ticket.filename)})
    expires = datetime.now(UTC) + timedelta(seconds=svc.signer.lifetime)
    return UploadTicket(upload_id=upload_id,
                        upload_url=svc.signer.sign(f"/v1/uploads/{who}/{upload_id}"),
                        expires_at=expires.isoformat().replace("+00:00", "Z"))


@router.put("/v1/uploads/{who}/{upload_id}", status_code=204,
            summary="Step two: the raw bytes (the URL is signed; no key needed)")
async def put_upload(who: str, upload_id: str, request: Request, svc: Svc) -> Response:
    params = request.query_params
    if not svc.signer.valid(request.url.path, params.get("expires"), params.get("sig")):
        raise Problem(401, "this upload URL is not valid (or has expired); ask for a new one",
                      "unauthorized")
    key = _upload_key(who, upload_id)
    meta = await _meta(svc, key, upload_id)
    async with scratch(svc.settings.scratch_dir) as folder:
        path = folder / scratch_name(meta["filename"])
        await receive_body(request, path, meta["filename"], svc.settings.api_max_upload_mb)
        await asyncio.to_thread(svc.store.put_file, f"{key}/data", path)
    return Response(status_code=204)


async def submit_json(svc: Service, who: str, body: dict[str, Any],
                      idempotency_key: str | None) -> tuple[Dub, bool]:
    """A job from a two-step upload (`upload_id`) or a `source_url`."""
    if "source_url" in body:
        return await submit_url(svc, who, body, idempotency_key)
    upload_id = body.pop("upload_id", None)
    if not isinstance(upload_id, str):
        raise Problem(422, "give upload_id (from POST /v1/uploads) or source_url", "bad-input")
    key = _upload_key(who, upload_id)
    if not await asyncio.to_thread(svc.store.exists, f"{key}/data"):
        raise Problem(404, f"upload {upload_id} has no data: PUT the file to its upload_url "
                      "first", "not-found")
    meta = await _meta(svc, key, upload_id)
    async with scratch(svc.settings.scratch_dir) as folder:
        path = folder / scratch_name(meta["filename"])
        await asyncio.to_thread(svc.store.get_file, f"{key}/data", path)
        made = await submit(svc, who, path, meta["filename"], body, idempotency_key)
    await asyncio.to_thread(svc.store.delete_prefix, f"{key}/")
    return made
