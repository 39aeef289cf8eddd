"""The job-end webhook. It never changes the job's outcome and never delays it: the job only
starts the delivery, a workflow of its own (`NotifyWebhook`, id `<job id>-webhook`, through the
`start_webhook` activity), so the result is there while the webhook is still being retried."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from dubbing.contract import WEBHOOK_WORKFLOW_NAME, DubJob, DubResult, WebhookEvent
    from dubbing.stages import WebhookCall
    from workflows import policies as p
    from workflows import registry as r
    from workflows.concurrency import user_failure


@workflow.defn(name=WEBHOOK_WORKFLOW_NAME)
class NotifyWebhookWorkflow:
    """Deliver one job-end event with the webhook retry policy; fails with the last error."""

    @workflow.run
    async def run(self, call: WebhookCall) -> int:
        try:
            return await r.run(r.notify_webhook, call, summary=f"notify webhook: "
                               f"{call.event.state}", heartbeat=p.WEBHOOK_TIMEOUT)
        except ActivityError as err:
            raise user_failure(err) from err


async def notify(job_id: str, job: DubJob, state: str, result: DubResult | None = None,
                 error: str | None = None) -> None:
    if not job.webhook_url or not workflow.patched("job-webhook"):
        return
    event = WebhookEvent(job_id=job_id, state=state,  # type: ignore[arg-type]
                         input_name=job.input_name, result=result, error=error)
    call = WebhookCall(url=job.webhook_url, event=event)
    try:
        if workflow.patched("webhook-after-result"):
            await r.run(r.start_webhook, call, summary=f"start webhook delivery: {state}",
                        heartbeat=p.HEARTBEAT)
        else:
            await r.run(r.notify_webhook, call, summary=f"notify webhook: {state}",
                        heartbeat=p.WEBHOOK_TIMEOUT)
    except ActivityError as err:
        workflow.logger.warning("webhook for %s failed: %s", job_id, err)
