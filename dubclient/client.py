"""A typed async client for services that start and steer dubbing jobs.

It needs only temporalio and `dubbing.contract`. Uploading the input is the caller's part: the
video must already be in the service's storage under `job.input_key` (by convention
`dubbing.keys.input_key(job_id)`, i.e. `jobs/<job id>/input`) before `start` is called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.common import (
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from dubbing.contract import (
    CPU_TASK_QUEUE,
    PRIORITIES,
    QUERY_PROGRESS,
    REDUB_WORKFLOW_NAME,
    SIGNAL_CANCEL,
    UPDATE_PAUSE,
    UPDATE_REDUB,
    UPDATE_RESUME,
    WORKFLOW_NAME,
    CancelRequest,
    DubJob,
    DubResult,
    OutputSet,
    Progress,
    RedubJob,
    RedubRequest,
    webhook_workflow_id,
)
from dubbing.limits import check_limits
from workflows.attributes import start_options

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,255}")


def last_retry_error(description: WorkflowExecutionDescription) -> str | None:
    """What made a running activity of the job fail its last attempt, as "activity: type:
    message"; None when nothing is being retried. Read from the server's description of the
    job's pending activities (the workflow itself never sees an attempt fail)."""
    for pending in description.raw_description.pending_activities:
        failure = pending.last_failure
        if pending.attempt > 1 and failure.message:
            kind = failure.application_failure_info.type or "error"
            return f"{pending.activity_type.name}: {kind}: {failure.message.splitlines()[0]}"
    return None


def with_last_error(progress: Progress, description: WorkflowExecutionDescription) -> Progress:
    return progress.model_copy(update={"last_error": last_retry_error(description)})


@dataclass(frozen=True)
class WebhookDelivery:
    """How the job's end event is being delivered: "running" (being retried: `error` is the
    last attempt's failure), "completed" or "failed" (`error` is why)."""

    state: str
    error: str | None = None


@dataclass(frozen=True)
class Redubbed:
    """What a redub did: queued into the running job, or a new revision of the outputs."""

    message: str
    job: DubJob
    output: OutputSet | None = None


class DubClient:
    """Start, watch, steer and collect dubbing jobs by job id (the workflow id).

    The wrapped client must use `pydantic_data_converter`, as the service does.
    """

    def __init__(self, client: Client) -> None:
        self.client = client

    @classmethod
    async def connect(cls, address: str, namespace: str = "default", api_key: str | None = None,
                      tls: bool | None = None) -> DubClient:
        """Connect with the service's data converter. `tls=None` turns TLS on exactly when an
        API key is given (Temporal Cloud)."""
        client = await Client.connect(address, namespace=namespace, api_key=api_key, tls=tls,
                                      data_converter=pydantic_data_converter)
        return cls(client)

    def handle(self, job_id: str) -> WorkflowHandle[Any, DubResult]:
        return self.client.get_workflow_handle(job_id, result_type=DubResult)

    async def start(self, job: DubJob, job_id: str, *, priority: str | None = None) -> str:
        """Start the job and return its run id; the run id of the existing run when `job_id`
        is running or has completed (a failed or cancelled job is started again).

        `priority` ("high", "normal", "low") overrides `job.priority`.
        """
        check_limits(job)  # BadInputError: the same one-line refusals as the starter's
        if priority is not None:
            if priority not in PRIORITIES:
                raise ValueError(f"priority {priority!r} is not one of {', '.join(PRIORITIES)}")
            job = job.model_copy(update={"priority": priority})
        try:
            handle = await self.client.start_workflow(WORKFLOW_NAME, job, id=job_id,
                                                      **start_options(job))
        except WorkflowAlreadyStartedError:
            # Completed before: the id is not reused, the finished run stands.
            return (await self.handle(job_id).describe()).run_id
        return handle.result_run_id or ""

    async def progress(self, job_id: str) -> Progress:
        """The job's progress, with `last_error` set while one of its activities is being
        retried (the failure of its last attempt)."""
        handle = self.handle(job_id)
        result: Progress = await handle.query(QUERY_PROGRESS, result_type=Progress)
        return with_last_error(result, await handle.describe())

    async def cancel(self, job_id: str, reason: str = "cancelled by request") -> None:
        """Ask the job to stop; it ends CANCELED with `reason` recorded and its objects removed."""
        await self.handle(job_id).signal(SIGNAL_CANCEL, CancelRequest(reason=reason))

    async def pause(self, job_id: str) -> Progress:
        """Start no new work; running activities finish. Raises WorkflowUpdateFailedError when
        the job is not running or already paused."""
        return await self.handle(job_id).execute_update(UPDATE_PAUSE, result_type=Progress)

    async def resume(self, job_id: str) -> Progress:
        """Continue a paused job. Raises WorkflowUpdateFailedError when it is not paused."""
        return await self.handle(job_id).execute_update(UPDATE_RESUME, result_type=Progress)

    async def job(self, job_id: str, run_id: str | None = None) -> DubJob:
        """The settings a job (its latest run, or run `run_id`) was started with."""
        handle = self.client.get_workflow_handle(job_id, run_id=run_id)
        async for event in handle.fetch_history_events():
            attrs = event.workflow_execution_started_event_attributes
            job: DubJob = pydantic_data_converter.payload_converter.from_payloads(
                attrs.input.payloads, [DubJob])[0]
            return job
        raise LookupError(f"job {job_id} has no history")

    async def redub(self, job_id: str, request: RedubRequest) -> Redubbed:
        """Give one line new text and voice it again.

        While the job runs this is the `redub_segment` update (applied before the mix; a job
        already mixing rejects it with WorkflowUpdateFailedError). After the job completed it
        is the `RedubSegment` workflow (id `<job id>-redub`), awaited here, which writes a new
        revision of that language's outputs (`Redubbed.output`). Other states, or a language
        the job does not dub into, raise ValueError.
        """
        handle = self.handle(job_id)
        status = (await handle.describe()).status
        if status not in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED):
            completed = await self.last_completed(job_id)  # a later run may have been refused
            if completed is not None:
                handle, status = completed, WorkflowExecutionStatus.COMPLETED
        job = await self.job(job_id, handle.run_id)
        if request.target_lang not in job.target_langs:
            raise ValueError(f"job {job_id} has no {request.target_lang!r} dub "
                             f"(it has {', '.join(job.target_langs)})")
        if status == WorkflowExecutionStatus.RUNNING:
            message = await handle.execute_update(UPDATE_REDUB, request, result_type=str)
            return Redubbed(message, job)
        if status != WorkflowExecutionStatus.COMPLETED:
            name = status.name.lower() if status else "unknown"
            raise ValueError(f"job {job_id} is {name}: only a running or completed job can be "
                             "redubbed")
        output = await self.client.execute_workflow(
            REDUB_WORKFLOW_NAME, RedubJob(job_id=job_id, request=request),
            id=f"{job_id}-redub", task_queue=CPU_TASK_QUEUE, result_type=OutputSet,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            static_summary=f"redub line {request.index} of {job_id} ({request.target_lang})")
        return Redubbed(f"line {request.index} ({request.target_lang}) redubbed: revision "
                        f"{output.summary.revision} of the outputs", job, output)

    async def result(self, job_id: str) -> DubResult:
        """Wait for the job's outcome: the latest run's, or the last completed run's when a
        later run of the same id failed (a second start by hand is refused, and the completed
        run's outputs stand). Raises WorkflowFailureError when it failed or was cancelled."""
        try:
            return await self.handle(job_id).result()
        except WorkflowFailureError:
            completed = await self.last_completed(job_id)
            if completed is None:
                raise
            return await completed.result()

    async def webhook(self, job_id: str) -> WebhookDelivery | None:
        """The delivery of the job's webhook (`<job id>-webhook`); None when it has none."""
        handle = self.client.get_workflow_handle(webhook_workflow_id(job_id))
        try:
            described = await handle.describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        status = described.status
        if status == WorkflowExecutionStatus.RUNNING:
            return WebhookDelivery("running", last_retry_error(described))
        if status == WorkflowExecutionStatus.COMPLETED:
            return WebhookDelivery("completed")
        try:
            await handle.result()
        except WorkflowFailureError as exc:
            cause = exc.cause
            return WebhookDelivery("failed", str(cause.message if isinstance(
                cause, ApplicationError) else exc))
        return WebhookDelivery(status.name.lower() if status else "unknown")

    async def last_completed(self, job_id: str) -> WorkflowHandle[Any, DubResult] | None:
        """The handle of the job's last completed run, if it has one."""
        if not _SAFE_ID.fullmatch(job_id):
            raise ValueError(f"job id {job_id!r} has characters a job id cannot have")
        query = f"WorkflowId = '{job_id}' AND ExecutionStatus = 'Completed'"
        async for run in self.client.list_workflows(query, limit=1):
            return self.client.get_workflow_handle(job_id, run_id=run.run_id,
                                                   result_type=DubResult)
        return None
