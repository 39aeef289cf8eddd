"""How a DubVideo run ends: the cleanup, the webhook, and the failure a client sees. A base of
DubVideoWorkflow, which sets the attributes declared here."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import NoReturn

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from dubbing.contract import DubJob, DubResult, JobState, Stage
    from dubbing.stages import CleanupInput
    from workflows import registry as r
    from workflows.concurrency import user_failure
    from workflows.notify import notify
    from workflows.progress import Tracker


class JobEnding:
    tracker: Tracker
    job_id: str
    run_id: str
    heartbeat: timedelta

    async def _stopped(self, job: DubJob, err: BaseException) -> NoReturn:
        """After a failure or a cancel: remove the run's files, tell the webhook, and end the
        run CANCELED or FAILED with the first error."""
        cancelled = workflow.cancellation_reason() is not None
        self.tracker.state = JobState.CANCELLING if cancelled else JobState.FAILED
        cleanup_failure = await self._cleanup_after_failure()
        if cancelled:
            # An activity stopped by the cancellation surfaces as an ActivityError; the run
            # must still end CANCELED, which takes a CancelledError after the request.
            await notify(self.job_id, job, "cancelled", error=workflow.cancellation_reason())
            raise asyncio.CancelledError(workflow.cancellation_reason()) from None
        if not isinstance(err, ActivityError):
            raise err
        failure = user_failure(err, cleanup_failure)
        await notify(self.job_id, job, "failed", error=failure.message)
        raise failure from err

    async def _finish(self, job: DubJob, result: DubResult) -> None:
        """Keep the outputs, remove the temporaries, say so; a cancel that lands meanwhile
        still cancels the job (and removes everything)."""
        await self._cleanup(keep_outputs=True,
                            outputs=[k for o in result.outputs for k in o.keys.values()])
        await notify(self.job_id, job, "completed", result=result)

    async def _cleanup(self, keep_outputs: bool, outputs: list[str] | None = None) -> None:
        self.tracker.begin(Stage.CLEANUP)
        await r.run(r.cleanup_job,
                    CleanupInput(job_id=self.job_id, run_id=self.run_id,
                                 keep_outputs=keep_outputs, outputs=outputs or []),
                    summary="clean up", heartbeat=self.heartbeat)
        self.tracker.finish(Stage.CLEANUP)

    async def _cleanup_after_failure(self) -> str | None:
        """Remove the run's files; when that fails too, the job still fails with its first
        error, which then says what was left behind."""
        try:
            await self._cleanup(keep_outputs=False)
        except ActivityError as err:
            if not workflow.patched("first-error-kept"):
                raise
            return user_failure(err).message
        return None
