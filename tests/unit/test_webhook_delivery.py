"""The job's webhook workflow, on the real dev server: a newer event of a job replaces a
delivery of an older one that is still being retried (the time-skipping server does not
implement that id-conflict policy)."""

from __future__ import annotations

from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from activities.control import start_delivery
from dubbing.contract import WebhookEvent, webhook_workflow_id
from dubbing.stages import WebhookCall


def _call(job_id: str, state: str) -> WebhookCall:
    return WebhookCall(url="https://hooks.invalid/dub", event=WebhookEvent(
        job_id=job_id, state=state, input_name="talk.mp4"))  # type: ignore[arg-type]


async def test_a_newer_event_replaces_a_delivery_still_retried(env: WorkflowEnvironment) -> None:
    job_id = "delivery-replaced"
    await start_delivery(env.client, _call(job_id, "failed"))
    old = await env.client.get_workflow_handle(webhook_workflow_id(job_id)).describe()
    await start_delivery(env.client, _call(job_id, "completed"))
    new = env.client.get_workflow_handle(webhook_workflow_id(job_id))
    try:
        described = await new.describe()
        assert described.run_id != old.run_id
        first = env.client.get_workflow_handle(webhook_workflow_id(job_id), run_id=old.run_id)
        assert (await first.describe()).status == WorkflowExecutionStatus.TERMINATED
        async for event in new.fetch_history_events():
            attrs = event.workflow_execution_started_event_attributes
            assert b'"completed"' in attrs.input.payloads[0].data
            break
    finally:
        await new.terminate("test over")
