"""DELETE: stop the job if it runs, remove its files, then its history (and its redub and
webhook workflows'), so nothing of it is left to list or read."""

from __future__ import annotations

import asyncio
import contextlib

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from api.service import Service
from dubbing import keys
from dubbing.contract import webhook_workflow_id

CANCEL_WAIT_SECONDS = 30.0


async def _stop(svc: Service, workflow_id: str, job: bool) -> None:
    """A running job is cancelled (its activities stop writing, its cleanup runs); what does
    not end in time, or is no job, is terminated."""
    handle = svc.dubs.client.get_workflow_handle(workflow_id)
    with contextlib.suppress(RPCError):
        if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
            return
        if job:
            await svc.dubs.cancel(workflow_id, "deleted through the API")
            with contextlib.suppress(Exception):
                await asyncio.wait_for(handle.result(), CANCEL_WAIT_SECONDS)
                return
        await handle.terminate("deleted through the API")


async def _delete_history(svc: Service, workflow_id: str) -> None:
    client = svc.dubs.client
    runs = [run.run_id async for run in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
    for run_id in runs or [""]:
        with contextlib.suppress(RPCError):
            await client.workflow_service.delete_workflow_execution(
                DeleteWorkflowExecutionRequest(
                    namespace=client.namespace,
                    workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id)))


async def _gone(svc: Service, workflow_id: str, seconds: float = 15.0) -> bool:
    """Wait until the server forgets the workflow (deletion runs in the background there), so
    a read right after the DELETE is a 404; False when it has not yet."""
    handle = svc.dubs.client.get_workflow_handle(workflow_id)
    for _ in range(int(seconds / 0.1)):
        try:
            await handle.describe()
        except RPCError:
            return True
        await asyncio.sleep(0.1)
    return False


async def remove(svc: Service, job_id: str) -> bool:
    """Whether the job is gone already (else its history is still being deleted)."""
    related = (job_id, f"{job_id}-redub", webhook_workflow_id(job_id))
    for workflow_id in related:
        await _stop(svc, workflow_id, workflow_id == job_id)
    await asyncio.to_thread(svc.store.delete_prefix, keys.job_prefix(job_id))
    for workflow_id in related:
        await _delete_history(svc, workflow_id)
    return await _gone(svc, job_id)
