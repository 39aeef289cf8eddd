"""What the API shows of a job: a `Dub` built from the server's description, the progress
query and the result (the workflow's own answers, never a copy kept by the API)."""

from __future__ import annotations

from datetime import UTC

from temporalio.client import (
    WorkflowExecution,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.service import RPCError, RPCStatusCode

from api.models import Dub, ErrorInfo, Language, Output
from api.problems import not_found
from api.signing import Signer
from dubbing.contract import (
    QUERY_PROGRESS,
    SA_INPUT_NAME,
    SA_SOURCE_LANG,
    SA_STAGE,
    SA_TARGET_LANGS,
    SA_TENANT,
    DubResult,
    JobState,
    Progress,
)
from dubbing.redact import redact
from dubclient.client import DubClient, with_last_error

CONTENT_TYPES = {"mp4": "video/mp4", "srt": "application/x-subrip", "vtt": "text/vtt",
                 "json": "application/json"}
CLOSED = {WorkflowExecutionStatus.FAILED: "failed", WorkflowExecutionStatus.CANCELED: "cancelled",
          WorkflowExecutionStatus.TERMINATED: "cancelled",
          WorkflowExecutionStatus.TIMED_OUT: "failed"}


def output_names(result: DubResult) -> dict[str, tuple[str, str]]:
    """{name: (storage key, kind)}: `<lang>.mp4`, `<lang>.srt|vtt`, `<source>.srt|vtt`,
    `<lang>.report.json`."""
    names: dict[str, tuple[str, str]] = {}
    for out in result.outputs:
        lang, keys = out.target_lang, out.keys
        for kind, name in (("mp4", f"{lang}.mp4"), ("target_srt", f"{lang}.srt"),
                           ("target_vtt", f"{lang}.vtt"), ("report", f"{lang}.report.json"),
                           ("source_srt", f"{result.source_lang}.srt"),
                           ("source_vtt", f"{result.source_lang}.vtt")):
            if kind in keys:
                names.setdefault(name, (keys[kind], kind))
    return names


def _outputs(job_id: str, result: DubResult, lang: str, signer: Signer) -> list[Output]:
    found = []
    for name, (_, kind) in output_names(result).items():
        if name.startswith(f"{lang}.") or kind.startswith("source_"):
            path = f"/v1/dubs/{job_id}/outputs/{name}"
            found.append(Output(name=name, kind=kind, url=signer.sign(path),
                                content_type=CONTENT_TYPES[name.rsplit(".", 1)[-1]]))
    return found


def links(job_id: str, langs: list[str]) -> dict[str, str]:
    base = f"/v1/dubs/{job_id}"
    return {"self": base, "events": f"{base}/events",
            **({"lines": f"{base}/lines?lang={langs[0]}"} if langs else {})}


def _attr(execution: WorkflowExecution, name: str) -> object:
    return execution.search_attributes.get(name, [None])[0] if name in \
        execution.search_attributes else None


def summary_of(execution: WorkflowExecution) -> Dub:
    """What visibility knows: state, names, languages (no progress, no outputs)."""
    langs = [str(x) for x in execution.search_attributes.get(SA_TARGET_LANGS, [])]
    status = execution.status
    state = "running" if status == WorkflowExecutionStatus.RUNNING else (
        "completed" if status == WorkflowExecutionStatus.COMPLETED else
        CLOSED.get(status, "failed") if status else "queued")
    created = execution.start_time.astimezone(UTC).isoformat().replace("+00:00", "Z")
    stage = _attr(execution, SA_STAGE)
    return Dub(id=execution.id, state=state, stage=str(stage) if stage else None,  # type: ignore[arg-type]
               percent=100.0 if state == "completed" else 0.0,
               input_name=str(_attr(execution, SA_INPUT_NAME) or "") or None,
               source_lang=str(_attr(execution, SA_SOURCE_LANG) or "") or None,
               target_langs=langs, created_at=created, links=links(execution.id, langs),
               languages=[Language(lang=lang, state=state) for lang in langs])  # type: ignore[arg-type]


def owned(execution: WorkflowExecution, tenant: str) -> bool:
    return _attr(execution, SA_TENANT) == tenant


async def _described(dubs: DubClient, job_id: str, tenant: str
                     ) -> tuple[WorkflowHandle, WorkflowExecutionDescription]:
    if not job_id.startswith(f"{tenant}.") or len(job_id) > 255:
        raise not_found(job_id)
    handle = dubs.handle(job_id)
    try:
        described = await handle.describe()
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise not_found(job_id) from None
        raise
    if not owned(described, tenant):
        raise not_found(job_id)
    return handle, described


async def describe(dubs: DubClient, job_id: str, tenant: str) -> tuple[WorkflowHandle, Dub]:
    """The job's handle and summary, or a 404 when it is not this tenant's."""
    handle, described = await _described(dubs, job_id, tenant)
    return handle, summary_of(described)


async def full(dubs: DubClient, job_id: str, tenant: str, signer: Signer) -> Dub:
    """State, progress and outputs of one of the tenant's jobs."""
    handle, described = await _described(dubs, job_id, tenant)
    dub = summary_of(described)
    if dub.state == "running":
        return await _running(handle, described, dub)
    if dub.state != "completed":
        completed = await dubs.last_completed(job_id)  # a later run may have been refused
        if completed is None:
            return await _ended(handle, dub)
        handle = completed
    result: DubResult = await handle.result()
    return completed_dub(dub, result, signer)


def completed_dub(dub: Dub, result: DubResult, signer: Signer) -> Dub:
    languages = [Language(lang=o.target_lang, state="completed", summary=o.summary,
                          outputs=_outputs(dub.id, result, o.target_lang, signer))
                 for o in result.outputs]
    return dub.model_copy(update={"state": "completed", "stage": None, "percent": 100.0,
                                  "eta_seconds": 0.0, "languages": languages,
                                  "elapsed_seconds": result.elapsed_seconds})


async def _running(handle: WorkflowHandle, described: WorkflowExecutionDescription,
                   dub: Dub) -> Dub:
    """The progress query, with the retry error from the description already read (one
    query and one describe a poll)."""
    try:
        progress = with_last_error(
            await handle.query(QUERY_PROGRESS, result_type=Progress), described)
    except RPCError:
        return dub.model_copy(update={"state": "queued"})  # not yet picked up by a worker
    state = {JobState.PAUSED: "paused", JobState.CANCELLING: "cancelling"}.get(
        progress.state, "running")
    return dub.model_copy(update={
        "state": state, "stage": progress.stage, "percent": round(progress.percent, 1),
        "eta_seconds": progress.eta_seconds, "elapsed_seconds": progress.elapsed_seconds,
        "last_error": redact(progress.last_error) if progress.last_error else None,
        "speakers": progress.speakers,
        "languages": [lang.model_copy(update={"state": state}) for lang in dub.languages]})


async def _ended(handle: WorkflowHandle, dub: Dub) -> Dub:
    try:
        await handle.result()
    except WorkflowFailureError as exc:
        cause = exc.cause
        while cause.__cause__ is not None and not isinstance(cause, ApplicationError):
            cause = cause.__cause__
        kind = cause.type if isinstance(cause, ApplicationError) and cause.type else (
            "Cancelled" if isinstance(cause, CancelledError) else type(cause).__name__)
        message = redact((cause.message if hasattr(cause, "message") else str(cause)) or "")
        return dub.model_copy(update={"error": ErrorInfo(type=kind or "error",
                                                         message=message.splitlines()[0]
                                                         if message else dub.state)})
    return dub

