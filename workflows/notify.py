"""The job-end webhook, called from the workflow; it never changes the job's outcome."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from dubbing.contract import DubJob, DubResult, WebhookEvent
    from dubbing.stages import WebhookCall
    from workflows import policies as p
    from workflows import registry as r


async def notify(job_id: str, job: DubJob, state: str, result: DubResult | None = None,
                 error: str | None = None) -> None:
    if not job.webhook_url or not workflow.patched("job-webhook"):
        return
    event = WebhookEvent(job_id=job_id, state=state,  # type: ignore[arg-type]
                         input_name=job.input_name, result=result, error=error)
    try:
        await r.run(r.notify_webhook, WebhookCall(url=job.webhook_url, event=event),
                    summary=f"notify webhook: {state}", heartbeat=p.WEBHOOK_TIMEOUT)
    except ActivityError as err:
        workflow.logger.warning("webhook for %s failed: %s", job_id, err)
