"""DubBatchWorkflow: many videos, each dubbed by a DubVideo child, at most `max_running` at once.

A child that fails is recorded as failed and the batch goes on. A child id that already exists
(the same video and settings, dubbed before or still running elsewhere) cannot be started again:
child starts have no "use existing" policy, so `start_child_workflow` raises
`WorkflowAlreadyStartedError` under ALLOW_DUPLICATE_FAILED_ONLY; the item is then recorded as
completed without a segment count. A failed or cancelled earlier run is started afresh.

History: a child costs at most 9 events in the batch's history (initiated, started, closed, and
the two workflow tasks of 3 events that its start and its close wake; some are shared). A run
starts at most `per_run` children, lets them finish, and continues as new carrying the finished
items, so a run stays under about 1,800 events.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from temporalio import workflow
from temporalio.common import (
    Priority,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import (
    CancelledError,
    ChildWorkflowError,
    FailureError,
    WorkflowAlreadyStartedError,
)
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from dubbing.contract import (
        BATCH_WORKFLOW_NAME,
        CPU_TASK_QUEUE,
        DEFAULT_EXECUTION_TIMEOUT,
        PRIORITIES,
        QUERY_BATCH_PROGRESS,
        WORKFLOW_NAME,
        BatchItem,
        BatchItemResult,
        BatchJob,
        BatchProgress,
        DubResult,
    )
    from workflows.attributes import details, search_attributes, summary
    from workflows.concurrency import root_cause

ITEMS_PER_RUN = 200  # children started per run before continuing as new (<= ~1,800 events)

State = Literal["pending", "running", "completed", "failed"]


def failure_text(err: BaseException) -> str:
    """The root cause of a child's failure, as the child phrased it for the user."""
    root = root_cause(err)
    if isinstance(root, CancelledError):
        return f"cancelled: {root.message}" if root.message else "cancelled"
    if isinstance(root, FailureError) and root.message:
        return root.message
    return str(root)


@workflow.defn(name=BATCH_WORKFLOW_NAME)
class DubBatchWorkflow:
    def __init__(self) -> None:
        self.results: dict[str, BatchItemResult] = {}  # by job id, in the batch's order
        self.children: list[asyncio.Task[None]] = []
        self.stop_reason: str | None = None  # set when the batch is cancelled

    @workflow.run
    async def run(self, batch: BatchJob, finished: tuple[BatchItemResult, ...] = (),
                  per_run: int = ITEMS_PER_RUN) -> BatchProgress:
        """Dub every item; `finished` and `per_run` are carried over by continue-as-new."""
        # The SDK applies the type hints only when every parameter has a payload, so a batch
        # started with the BatchJob alone arrives as a dict.
        batch = BatchJob.model_validate(batch)
        carried = {r.job_id: r for r in finished}
        for item in batch.items:
            self.results.setdefault(item.job_id, carried.get(item.job_id) or BatchItemResult(
                job_id=item.job_id, input_name=item.job.input_name, state="pending"))
        try:
            await self._window(batch, per_run)
        except asyncio.CancelledError:
            await self._stop_children()
            raise
        if self._count("pending"):
            done = tuple(r for r in self.results.values() if r.state != "pending")
            workflow.continue_as_new(args=[batch, done, per_run])
        return self.progress()

    @workflow.query(name=QUERY_BATCH_PROGRESS)
    def progress(self) -> BatchProgress:
        failed = self._count("failed")
        return BatchProgress(total=len(self.results), done=self._count("completed") + failed,
                             failed=failed, running=self._count("running"),
                             items=tuple(self.results.values()))

    async def _window(self, batch: BatchJob, per_run: int) -> None:
        """Start children in order, never more than `max_running` at once, `per_run` at most."""
        for item in batch.items:
            if self.results[item.job_id].state != "pending":
                continue  # finished in an earlier run, or the same job listed twice
            started = len(self.children)
            if started >= per_run or (started and workflow.info().is_continue_as_new_suggested()):
                break
            await workflow.wait_condition(lambda: self._count("running") < batch.max_running)
            self._set(item.job_id, "running")
            self.children.append(asyncio.create_task(self._dub(item)))
        if self.children:
            await workflow.wait(self.children)  # a cancellation here leaves them running
        for task in self.children:
            task.result()  # an unexpected error is a bug: fail the workflow task

    async def _dub(self, item: BatchItem) -> None:
        job = item.job
        try:
            handle = await workflow.start_child_workflow(
                WORKFLOW_NAME, job, id=item.job_id, task_queue=CPU_TASK_QUEUE,
                result_type=DubResult, parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                execution_timeout=DEFAULT_EXECUTION_TIMEOUT,
                static_summary=summary(job), static_details=details(job),
                search_attributes=search_attributes(job),
                priority=Priority(priority_key=PRIORITIES[job.priority]))
            result: DubResult = await handle
        except WorkflowAlreadyStartedError:
            self._set(item.job_id, "completed")  # dubbed before with the same settings
        except asyncio.CancelledError:
            # Cancelled while the child was starting or before its cancellation came back.
            self._set(item.job_id, "failed",
                      error=f"cancelled: {self.stop_reason or 'the batch was cancelled'}")
            raise
        except ChildWorkflowError as err:
            stopped = self.stop_reason is not None and isinstance(err.cause, CancelledError)
            error = f"cancelled: {self.stop_reason}" if stopped else failure_text(err)
            self._set(item.job_id, "failed", error=error)
        else:
            self._set(item.job_id, "completed", segments=result.segments)

    async def _stop_children(self) -> None:
        """Cancel the running children and wait until they have cleaned up."""
        self.stop_reason = workflow.cancellation_reason() or "the batch was cancelled"
        running = [t for t in self.children if not t.done()]
        for task in running:
            task.cancel(self.stop_reason)
        if running:
            await workflow.wait(running)

    def _count(self, state: State) -> int:
        return sum(1 for r in self.results.values() if r.state == state)

    def _set(self, job_id: str, state: State, error: str | None = None,
             segments: int | None = None) -> None:
        self.results[job_id] = self.results[job_id].model_copy(
            update={"state": state, "error": error, "segments": segments})
