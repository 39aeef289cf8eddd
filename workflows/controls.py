"""What a running job answers: the `progress` query, the `cancel` signal, and the validated
updates `pause`, `resume` and `redub_segment`. A base of DubVideoWorkflow, which sets the state
these handlers read in its constructor."""

from __future__ import annotations

import unicodedata

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dubbing.contract import (
        QUERY_PROGRESS,
        SIGNAL_CANCEL,
        UPDATE_PAUSE,
        UPDATE_REDUB,
        UPDATE_RESUME,
        CancelRequest,
        DubJob,
        JobState,
        Progress,
        RedubRequest,
    )
    from dubbing.stages import CancelJob
    from workflows import policies as p
    from workflows import registry as r
    from workflows.progress import Tracker

MAX_QUEUED_REDUBS = 200  # a flood of redubs must not grow a run's history without bound
MAX_REASON = 500  # characters of a cancel reason kept


class JobControls:
    tracker: Tracker
    job_id: str
    cancel_reason: str | None
    job: DubJob | None
    redubs: list[RedubRequest]
    lines: int | None

    @workflow.query(name=QUERY_PROGRESS)
    def progress(self) -> Progress:
        return self.tracker.snapshot(workflow.now())

    @workflow.signal(name=SIGNAL_CANCEL)
    async def cancel(self, request: CancelRequest) -> None:
        """For services that can only signal: turn the signal into a real cancellation."""
        if self.cancel_reason is not None:
            return
        self.cancel_reason = request.reason[:MAX_REASON]  # a signal cannot be refused
        self.tracker.state = JobState.CANCELLING
        await r.run(r.request_cancellation,
                    CancelJob(workflow_id=self.job_id, reason=request.reason),
                    summary="request cancellation", heartbeat=p.HEARTBEAT)

    @workflow.update(name=UPDATE_PAUSE)
    def pause(self) -> Progress:
        self.tracker.paused = True
        return self.progress()

    @pause.validator
    def _validate_pause(self) -> None:
        if self.tracker.state != JobState.RUNNING or self.tracker.paused:
            raise ValueError(f"cannot pause a job that is {self.progress().state.value}")

    @workflow.update(name=UPDATE_RESUME)
    def resume(self) -> Progress:
        self.tracker.paused = False
        return self.progress()

    @resume.validator
    def _validate_resume(self) -> None:
        if not self.tracker.paused:
            raise ValueError("the job is not paused")

    @workflow.update(name=UPDATE_REDUB)
    def redub_segment(self, request: RedubRequest) -> str:
        self.redubs.append(request)
        return (f"line {request.index} ({request.target_lang}) will be redubbed before the "
                "mix")

    @redub_segment.validator
    def _validate_redub(self, request: RedubRequest) -> None:
        if self.tracker.state != JobState.RUNNING or self.tracker.stage in ("render", "cleanup"):
            raise ValueError("the job is past its mix: redub it once it has finished")
        if self.job is not None and request.target_lang not in self.job.target_langs:
            raise ValueError(f"the job does not dub into {request.target_lang!r}")
        text = request.text
        if text is not None and not text.strip():
            raise ValueError("the new text is empty")
        if text is not None and any(unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t"
                                    for c in text):
            raise ValueError("the new text contains control characters")
        if len(self.redubs) >= MAX_QUEUED_REDUBS:
            raise ValueError(f"{MAX_QUEUED_REDUBS} redubs are already queued for this run; "
                             "redub the rest once it has finished")
        if self.lines is not None and request.index >= self.lines:
            raise ValueError(f"line {request.index} does not exist: the job has {self.lines} "
                             f"lines, numbered 0 to {self.lines - 1} in the report")
