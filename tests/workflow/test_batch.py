"""DubBatch: a sliding window of DubVideo children, at most max_running at once; failures
recorded per item; progress query; continue-as-new every `per_run` children; cancellation."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from dubbing.contract import (
    BATCH_WORKFLOW_NAME,
    CPU_TASK_QUEUE,
    QUERY_BATCH_PROGRESS,
    SA_INPUT_NAME,
    SA_STAGE,
    BatchItem,
    BatchItemResult,
    BatchJob,
    BatchProgress,
)
from tests.workflow import helpers as h
from tests.workflow.standins import Call, StandIns, beat_until, beat_until_cancelled

BAD = "clip3.mp4: no audio stream; check that the file is a complete video or audio file"


def batch(wf_id: str, count: int, max_running: int = 2) -> BatchJob:
    items = [BatchItem(job_id=f"{wf_id}-item{i}",
                       job=h.job(f"{wf_id}-item{i}").model_copy(
                           update={"input_name": f"clip{i}.mp4"}))
             for i in range(count)]
    return BatchJob(items=tuple(items), max_running=max_running)


async def start(ts_env: WorkflowEnvironment, wf_id: str, job: BatchJob,
                *args: Any) -> WorkflowHandle[Any, BatchProgress]:
    if args:
        return await ts_env.client.start_workflow(
            BATCH_WORKFLOW_NAME, args=[job, *args], id=wf_id, task_queue=CPU_TASK_QUEUE,
            result_type=BatchProgress, execution_timeout=h.TIMEOUT)
    # As the starter does: the BatchJob alone (it reaches the workflow as a dict).
    return await ts_env.client.start_workflow(
        BATCH_WORKFLOW_NAME, job, id=wf_id, task_queue=CPU_TASK_QUEUE,
        result_type=BatchProgress, execution_timeout=h.TIMEOUT)


async def progress(handle: WorkflowHandle[Any, Any]) -> BatchProgress:
    return await handle.query(QUERY_BATCH_PROGRESS, result_type=BatchProgress)


def states(found: BatchProgress) -> list[str]:
    return [i.state for i in found.items]


def max_overlap(stand_ins: StandIns, children: list[str]) -> int:
    """The most children that had work in flight at the same moment (first call to cleanup)."""
    spans = []
    for child in children:
        calls = stand_ins.of(child)
        if calls:
            end = max(c.ended or float("inf") for c in calls)
            spans.append((min(c.started for c in calls), end))
    return max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)


async def test_sliding_window_respects_max_running_and_reports_a_failed_item(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    job = batch(wf_id, 5, max_running=2)
    ids = [i.job_id for i in job.items]
    gates = {child: asyncio.Event() for child in ids}
    for child in ids:
        stand_ins.on(child, "probe_media", beat_until(gates[child]))

    async def bad_probe(call: Call) -> Any:
        await beat_until(gates[ids[3]])(call)
        raise ApplicationError(BAD, type="BadInput", non_retryable=True)
    stand_ins.on(ids[3], "probe_media", bad_probe)

    handle = await start(ts_env, wf_id, job)
    await stand_ins.entered(ids[0], "probe_media")
    await stand_ins.entered(ids[1], "probe_media")
    now = await progress(handle)
    assert (now.total, now.running, now.done, now.failed) == (5, 2, 0, 0)
    assert states(now) == ["running", "running", "pending", "pending", "pending"]
    assert [i.input_name for i in now.items] == [f"clip{i}.mp4" for i in range(5)]
    assert stand_ins.of(ids[2]) == []

    gates[ids[1]].set()  # the second finishes first: the third takes its place
    await stand_ins.entered(ids[2], "probe_media")
    now = await progress(handle)
    assert states(now) == ["running", "completed", "running", "pending", "pending"]
    assert (now.done, now.running) == (1, 2)
    assert stand_ins.of(ids[3]) == []

    for gate in gates.values():
        gate.set()
    result = await handle.result()
    assert (result.total, result.done, result.failed, result.running) == (5, 5, 1, 0)
    assert result.items[3] == BatchItemResult(job_id=ids[3], input_name="clip3.mp4",
                                              state="failed", error=BAD, segments=None)
    assert [i.state for i in result.items] == ["completed"] * 3 + ["failed", "completed"]
    assert all(i.segments == 6 and i.error is None for k, i in enumerate(result.items)
               if k != 3)
    assert max_overlap(stand_ins, ids) == 2
    assert await progress(handle) == result
    await h.replay(handle)

    # The children are DubVideo runs with the job's search attributes, as the starter sets.
    described = await ts_env.client.get_workflow_handle(ids[0]).describe()
    assert described.workflow_type == "DubVideo"
    assert described.typed_search_attributes.get(
        SearchAttributeKey.for_keyword(SA_INPUT_NAME)) == "clip0.mp4"
    assert described.typed_search_attributes.get(
        SearchAttributeKey.for_keyword(SA_STAGE)) == "completed"
    assert (await ts_env.client.get_workflow_handle(ids[3]).describe()).status == \
        WorkflowExecutionStatus.FAILED


async def run_chain(ts_env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any]) -> list[Any]:
    """The histories of every run of the batch, first to last (following continue-as-new)."""
    runs = []
    run_id = handle.first_execution_run_id or handle.result_run_id
    while run_id:
        events = [e async for e in ts_env.client.get_workflow_handle(
            handle.id, run_id=run_id).fetch_history_events()]
        runs.append(events)
        last = events[-1]
        run_id = (last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
                  if last.HasField("workflow_execution_continued_as_new_event_attributes")
                  else None)
    return runs


async def test_continue_as_new_every_per_run_children_carries_the_finished_items(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    job = batch(wf_id, 5, max_running=2)
    duplicate = job.items[0]  # the same job listed twice is dubbed once
    job = job.model_copy(update={"items": (*job.items, duplicate)})
    handle = await start(ts_env, wf_id, job, [], 2)
    result = await handle.result()
    assert (result.total, result.done, result.failed) == (5, 5, 0)
    assert [i.job_id for i in result.items] == [f"{wf_id}-item{i}" for i in range(5)]
    assert all(i.state == "completed" and i.segments == 6 for i in result.items)

    runs = await run_chain(ts_env, handle)
    started = [sum(1 for e in run if e.event_type ==
                   EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
               for run in runs]
    assert started == [2, 2, 1]
    assert [run[-1].event_type for run in runs] == [
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]
    assert len(stand_ins.of(duplicate.job_id, "probe_media")) == 1
    await h.replay(handle)  # the last run, which started with the carried items


async def test_a_video_dubbed_before_is_reported_completed_without_segments(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    job = batch(wf_id, 2)
    earlier = job.items[0]
    await (await h.start(ts_env.client, earlier.job_id, earlier.job)).result()
    result = await (await start(ts_env, wf_id, job)).result()
    assert [(i.state, i.segments) for i in result.items] == [("completed", None),
                                                            ("completed", 6)]
    assert len(stand_ins.of(earlier.job_id, "probe_media")) == 1  # not dubbed again


async def test_a_child_cancelled_on_its_own_is_a_failed_item(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    job = batch(wf_id, 2)
    ids = [i.job_id for i in job.items]
    stand_ins.on(ids[0], "transcribe_window", beat_until_cancelled)
    handle = await start(ts_env, wf_id, job)
    await stand_ins.entered(ids[0], "transcribe_window")
    await ts_env.client.get_workflow_handle(ids[0]).cancel(reason="operator stopped it")
    result = await handle.result()
    assert (result.done, result.failed) == (2, 1)
    assert result.items[0].state == "failed"
    assert result.items[0].error is not None and result.items[0].error.startswith("cancelled")
    assert result.items[1].state == "completed"


async def test_cancelling_the_batch_cancels_its_running_children(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    job = batch(wf_id, 4, max_running=2)
    ids = [i.job_id for i in job.items]
    for child in ids:
        stand_ins.on(child, "probe_media", beat_until_cancelled)
    handle = await start(ts_env, wf_id, job)
    await stand_ins.entered(ids[0], "probe_media")
    await stand_ins.entered(ids[1], "probe_media")
    await handle.cancel(reason="batch no longer needed")
    await h.cancelled(handle)
    final = await progress(handle)
    assert states(final) == ["failed", "failed", "pending", "pending"]
    assert [i.error for i in final.items[:2]] == ["cancelled: batch no longer needed"] * 2
    assert (final.failed, final.running) == (2, 0)
    for child in ids[:2]:
        assert (await ts_env.client.get_workflow_handle(child).describe()).status == \
            WorkflowExecutionStatus.CANCELED
        assert [c.inp.keep_outputs for c in stand_ins.of(child, "cleanup_job")] == [False]
    assert all(stand_ins.of(child) == [] for child in ids[2:])


async def test_a_child_failing_without_a_message_is_reported_as_an_application_error(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    """A bug in an activity (a bare `assert`) fails the child after its retries with an empty
    message; the SDK decodes an empty failure message as "Application error", which is what
    the batch reports (failure_text's `str(root)` fallback, which would name the type, is never
    reached: every decoded failure has a message)."""
    job = batch(wf_id, 1)

    async def broken(call: Call) -> Any:
        raise AssertionError
    stand_ins.on(job.items[0].job_id, "plan_windows", broken)
    result = await (await start(ts_env, wf_id, job)).result()
    assert (result.failed, result.items[0].error) == (1, "Application error")
    assert len(stand_ins.of(job.items[0].job_id, "plan_windows")) == 5  # MEDIA_RETRY
