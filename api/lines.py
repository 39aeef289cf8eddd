"""A job's lines (the fit report's) and redubbing one of them."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import ValidationError
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.models import LineEdit, Lines, Redubbed
from api.problems import Problem
from api.service import Service, service, tenant
from api.views import completed_dub, describe, full
from dubbing.contract import DubResult, RedubRequest

router = APIRouter(prefix="/v1/dubs", tags=["lines"])
Svc = Annotated[Service, Depends(service)]
Tenant = Annotated[str, Depends(tenant)]
Lang = Annotated[str, Query(min_length=2, max_length=12, description="target language")]


async def completed_result(svc: Service, job_id: str, who: str) -> DubResult:
    """The result of the job's completed run, or a 409 while it has none."""
    handle, dub = await describe(svc.dubs, job_id, who)
    if dub.state != "completed":
        completed = await svc.dubs.last_completed(job_id)
        if completed is None:
            raise Problem(409, f"dub {job_id} is {dub.state}: its lines are known once it has "
                          "completed", "conflict")
        handle = completed
    result: DubResult = await handle.result()
    return result


@router.get("/{job_id}/lines", response_model=Lines, summary="The report's lines")
async def lines(job_id: str, lang: Lang, svc: Svc, who: Tenant) -> Lines:
    result = await completed_result(svc, job_id, who)
    for out in result.outputs:
        if out.target_lang == lang and "report" in out.keys:
            report: dict[str, Any] = await asyncio.to_thread(svc.store.get_json,
                                                             out.keys["report"])
            revision = int(report.get("summary", {}).get("revision", 0))  # redubs rewrite it
            return Lines(lang=lang, revision=revision,
                         lines=list(report.get("segments", [])))
    raise Problem(404, f"dub {job_id} has no {lang!r} dub", "not-found")


@router.patch("/{job_id}/lines/{index}", response_model=Redubbed,
              summary="New text or speaker for one line, voiced again")
async def redub(job_id: str, index: int, lang: Lang, edit: LineEdit, svc: Svc,
                who: Tenant) -> Redubbed:
    _, dub = await describe(svc.dubs, job_id, who)
    try:
        request = RedubRequest(target_lang=lang, index=index, text=edit.text,
                               speaker=edit.speaker)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        where = f"{error['loc'][0]}: " if error["loc"] else ""
        raise Problem(422, f"{where}{message}", "bad-input") from None
    try:
        done = await svc.dubs.redub(job_id, request)
    except WorkflowAlreadyStartedError:
        raise Problem(409, f"a redub of dub {job_id} is running; send this one when it is "
                      "done", "conflict") from None
    except ValueError as exc:
        raise Problem(409, str(exc), "conflict") from None
    except (WorkflowUpdateFailedError, WorkflowFailureError) as exc:
        cause: BaseException | None = exc.cause
        while getattr(cause, "cause", None) is not None:
            cause = getattr(cause, "cause", None)
        raise Problem(422, str(getattr(cause, "message", cause)).splitlines()[0],
                      "redub-refused") from None
    if done.output is None:
        return Redubbed(index=index, lang=lang, revision=None, message=done.message,
                        dub=await full(svc.dubs, job_id, who, svc.signer))
    result = await completed_result(svc, job_id, who)
    fresh = result.model_copy(update={"outputs": tuple(
        done.output if o.target_lang == lang else o for o in result.outputs)})
    return Redubbed(index=index, lang=lang, revision=done.output.summary.revision,
                    message=done.message, dub=completed_dub(dub, fresh, svc.signer))
