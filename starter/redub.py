"""Redubbing a line: an update while the job runs, a follow-up workflow once it has finished."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter

from dubbing.contract import (
    CPU_TASK_QUEUE,
    REDUB_WORKFLOW_NAME,
    UPDATE_REDUB,
    DubJob,
    OutputSet,
    RedubJob,
    RedubRequest,
)


@dataclass
class Redubbed:
    """What a redub did: queued into the running job, or a new revision of the outputs."""

    message: str
    job: DubJob
    output: OutputSet | None = None


async def job_input(handle: WorkflowHandle) -> DubJob:
    """The DubJob a run was started with, read from its first history event."""
    async for event in handle.fetch_history_events():
        attrs = event.workflow_execution_started_event_attributes
        job: DubJob = pydantic_data_converter.payload_converter.from_payloads(
            attrs.input.payloads, [DubJob])[0]
        return job
    raise LookupError(f"job {handle.id} has no history")


async def redub(client: Client, job_id: str, index: int, text: str,
                lang: str | None) -> Redubbed:
    handle = client.get_workflow_handle(job_id)
    status = (await handle.describe()).status
    job = await job_input(handle)
    request = RedubRequest(target_lang=lang or job.target_langs[0], index=index, text=text)
    if status == WorkflowExecutionStatus.RUNNING:
        return Redubbed(await handle.execute_update(UPDATE_REDUB, request, result_type=str), job)
    if status != WorkflowExecutionStatus.COMPLETED:
        name = status.name.lower() if status else "unknown"
        raise ValueError(f"job {job_id} is {name}: only a running or finished job can be redubbed")
    if request.target_lang not in job.target_langs:
        raise ValueError(f"job {job_id} has no {request.target_lang!r} dub "
                         f"(it has {', '.join(job.target_langs)})")
    follow_up = await client.start_workflow(
        REDUB_WORKFLOW_NAME, RedubJob(job_id=job_id, request=request), id=f"{job_id}-redub",
        task_queue=CPU_TASK_QUEUE, result_type=OutputSet,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        static_summary=f"redub line {index} of {job_id} ({request.target_lang})")
    output = await follow_up.result()
    return Redubbed(f"line {index} ({request.target_lang}) redubbed: revision "
                    f"{output.summary.revision} of the outputs", job, output)
