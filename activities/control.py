"""Activities that talk back to Temporal itself."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from dubbing.contract import CPU_TASK_QUEUE, WEBHOOK_WORKFLOW_NAME, webhook_workflow_id
from dubbing.stages import CancelJob, WebhookCall


async def start_delivery(client: Client, call: WebhookCall) -> None:
    """Start the job's webhook workflow; a newer event of the job replaces a delivery of an
    older one that is still being retried."""
    await client.start_workflow(
        WEBHOOK_WORKFLOW_NAME, call, id=webhook_workflow_id(call.event.job_id),
        task_queue=CPU_TASK_QUEUE, id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
        static_summary=f"webhook of {call.event.job_id}: {call.event.state}")


class ControlActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name="request_cancellation")
    async def request_cancellation(self, inp: CancelJob) -> None:
        """A workflow cannot cancel itself; asking the server makes the run end CANCELED."""
        await self.client.get_workflow_handle(inp.workflow_id).cancel(reason=inp.reason)

    @activity.defn(name="start_webhook")
    async def start_webhook(self, inp: WebhookCall) -> None:
        await start_delivery(self.client, inp)

    def all(self) -> list:
        return [self.request_cancellation, self.start_webhook]
