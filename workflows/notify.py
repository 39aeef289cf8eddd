"""The job-end webhook, called from the workflow; it never changes the job's outcome."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from dubbing.contract import CPU_TASK_QUEUE, DubJob, DubResult, WebhookEvent
    from workflows import policies as p


async def notify(job_id: str, job: DubJob, state: str, result: DubResult | None = None,
                 error: str | None = None) -> None:
    if not job.webhook_url or not workflow.patched("job-webhook"):
        return
    event = WebhookEvent(job_id=job_id, state=state,  # type: ignore[arg-type]
                         input_name=job.input_name, result=result, error=error)
    try:
        await workflow.execute_activity(
            "notify_webhook", args=[job.webhook_url, event], task_queue=CPU_TASK_QUEUE,
            start_to_close_timeout=p.WEBHOOK_TIMEOUT, retry_policy=p.WEBHOOK_RETRY,
            result_type=int, summary=f"notify webhook: {state}")
    except ActivityError as err:
        workflow.logger.warning("webhook for %s failed: %s", job_id, err)
