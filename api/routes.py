"""The `/v1/dubs` endpoints: submit, read, list, steer, delete."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api import removal
from api.events import stream
from api.files import submit_json
from api.models import CancelBody, Dub, DubList
from api.problems import Problem
from api.service import Service, service, tenant
from api.submit import submit
from api.uploads import receive_form, scratch
from api.views import describe, full, summary_of
from dubbing.contract import SA_TARGET_LANGS, SA_TENANT, WORKFLOW_NAME

router = APIRouter(prefix="/v1/dubs", tags=["dubs"])
Svc = Annotated[Service, Depends(service)]
Tenant = Annotated[str, Depends(tenant)]
MAX_JSON = 64 * 1024
STATES = {"running": "Running", "completed": "Completed", "failed": "Failed",
          "cancelled": "Canceled"}


async def _json(request: Request) -> dict[str, Any]:
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_JSON:
            raise Problem(413, f"the JSON body is over {MAX_JSON // 1024} KiB", "too-large")
    try:
        body = json.loads(data or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise Problem(400, "the body is not JSON (UTF-8, not nested too deeply)",
                      "bad-request") from None
    if not isinstance(body, dict):
        raise Problem(400, "the body is not a JSON object", "bad-request")
    return body


def is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("application/json")


def _created(dub: Dub, created: bool) -> JSONResponse:
    return JSONResponse(dub.model_dump(mode="json"), status_code=201 if created else 200,
                        headers={"Location": f"/v1/dubs/{dub.id}"})


@router.post("", response_model=Dub, status_code=201,
             summary="Dub a video: a multipart upload (field `file`), or JSON with upload_id")
async def create(request: Request, svc: Svc, who: Tenant,
                 idempotency_key: Annotated[str | None, Header()] = None) -> JSONResponse:
    if is_json(request):  # the two-step upload or a source_url
        dub, created = await submit_json(svc, who, await _json(request), idempotency_key)
        return _created(dub, created)
    async with scratch(svc.settings.scratch_dir) as folder:
        got = await receive_form(request, folder, svc.settings.api_max_upload_mb)
        assert got.path is not None
        dub, created = await submit(svc, who, got.path, got.filename, got.fields,
                                    idempotency_key)
    return _created(dub, created)


@router.get("", response_model=DubList, summary="The tenant's jobs, newest first")
async def listing(svc: Svc, who: Tenant, state: str | None = None, lang: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=100)] = 20,
                  cursor: str | None = None) -> DubList:
    query = f"WorkflowType = '{WORKFLOW_NAME}' AND {SA_TENANT} = '{who}'"
    if state is not None:
        if state not in STATES:
            raise Problem(422, f"state: one of {', '.join(STATES)}", "bad-input")
        query += f" AND ExecutionStatus = '{STATES[state]}'"
    if lang is not None:
        if not lang.replace("-", "").isalnum() or len(lang) > 12:
            raise Problem(422, "lang: a language code such as es", "bad-input")
        query += f" AND {SA_TARGET_LANGS} = '{lang}'"
    try:
        token = bytes.fromhex(cursor) if cursor else None
    except ValueError:
        raise Problem(422, "cursor: not one this API gave", "bad-input") from None
    found = svc.dubs.client.list_workflows(query, page_size=limit, next_page_token=token)
    try:
        await found.fetch_next_page()
    except RPCError as exc:
        raise Problem(422 if cursor else 503, f"listing failed: {exc.message}") from None
    items = [summary_of(execution) for execution in found.current_page or []]
    nxt = found.next_page_token
    return DubList(items=items, next_cursor=nxt.hex() if nxt else None)


@router.get("/{job_id}", response_model=Dub, summary="State, progress, outputs")
async def read(job_id: str, svc: Svc, who: Tenant) -> Dub:
    return await _current(svc, job_id, who)


async def _current(svc: Service, job_id: str, who: str) -> Dub:
    """The job now: the watchers' answer when it is under an interval old, else the server's."""
    watched = svc.hub.recent(job_id) if job_id.startswith(f"{who}.") else None
    return watched or await full(svc.dubs, job_id, who, svc.signer)


@router.get("/{job_id}/events", summary="Server-Sent Events of progress until the job ends",
            response_class=StreamingResponse)
async def events(job_id: str, svc: Svc, who: Tenant) -> StreamingResponse:
    first = await _current(svc, job_id, who)

    async def fetch() -> Dub:
        return await full(svc.dubs, job_id, who, svc.signer)

    return StreamingResponse(stream(svc.hub, job_id, fetch, first),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _steer(svc: Service, job_id: str, who: str, action: str) -> Dub:
    _, dub = await describe(svc.dubs, job_id, who)
    if dub.state != "running":
        raise Problem(409, f"dub {job_id} is {dub.state}: only a running job can be "
                      f"{action}d", "conflict")
    try:
        await getattr(svc.dubs, action)(job_id)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        raise Problem(409, str(getattr(cause, "message", cause)), "conflict") from None
    return await full(svc.dubs, job_id, who, svc.signer)


@router.post("/{job_id}/pause", response_model=Dub, summary="Start no new work")
async def pause(job_id: str, svc: Svc, who: Tenant) -> Dub:
    return await _steer(svc, job_id, who, "pause")


@router.post("/{job_id}/resume", response_model=Dub, summary="Continue a paused job")
async def resume(job_id: str, svc: Svc, who: Tenant) -> Dub:
    return await _steer(svc, job_id, who, "resume")


@router.post("/{job_id}/cancel", response_model=Dub, status_code=202, summary="Stop the job")
async def cancel(job_id: str, svc: Svc, who: Tenant, request: Request) -> JSONResponse:
    if request.headers.get("content-length", "0") not in ("", "0") and not is_json(request):
        raise Problem(415, "send the reason as application/json: {\"reason\": \"...\"}",
                      "unsupported")
    body = CancelBody.model_validate(await _json(request))
    _, dub = await describe(svc.dubs, job_id, who)
    if dub.state != "running":  # the summary's state is "running" exactly while it runs
        raise Problem(409, f"dub {job_id} is {dub.state}: only a running job can be cancelled",
                      "conflict")
    await svc.dubs.cancel(job_id, body.reason)
    dub = await full(svc.dubs, job_id, who, svc.signer)
    return JSONResponse(dub.model_dump(mode="json"), status_code=202)


@router.delete("/{job_id}", status_code=204, summary="Remove the job, its files and history")
async def delete(job_id: str, svc: Svc, who: Tenant) -> Response:
    """204 once nothing of the job is left; 202 when the server is still deleting its history
    (its files are gone already; a read may show it a little longer)."""
    await describe(svc.dubs, job_id, who)
    if await removal.remove(svc, job_id):
        return Response(status_code=204)
    return JSONResponse({"id": job_id, "state": "deleting"}, status_code=202)
