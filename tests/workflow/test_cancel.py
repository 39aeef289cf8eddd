"""Cancellation in every stage, each of the three ways in: native (handle.cancel), the `cancel`
signal (turned into a real request by the request_cancellation activity) and a cancel that
lands while a short activity runs (it never heartbeats, finishes normally, and the job must
still stop). Every way ends CANCELED, with the cleanup run after the stopped activity and the
reason recorded."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from dubbing.contract import (
    CPU_TASK_QUEUE,
    QUERY_PROGRESS,
    SA_STAGE,
    SIGNAL_CANCEL,
    UPDATE_PAUSE,
    CancelRequest,
    JobState,
    Progress,
    Stage,
    WebhookEvent,
)
from dubbing.stages import CancelJob
from tests.workflow import helpers as h
from tests.workflow.standins import StandIns, beat_until, beat_until_cancelled, silent_until
from workflows import registry

STAGES: list[Stage] = [s for s in Stage if s is not Stage.CLEANUP]
ACTIVITY = {ref.stage: ref.name for ref in registry.ALL if ref.stage is not None}
PER_WINDOW = {Stage.TRANSCRIBE, Stage.TRANSLATE, Stage.SYNTHESIZE, Stage.FIT}
WAYS = ["native", "signal", "short-activity"]
STAGE_ATTRIBUTE = SearchAttributeKey.for_keyword(SA_STAGE)


async def wait_for_event(handle: WorkflowHandle[Any, Any], event_type: int,
                         count: int = 1) -> None:
    for _ in range(500):
        if (await h.event_types(handle)).count(event_type) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no event of type {event_type} in the history")


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("stage", STAGES, ids=str)
async def test_cancel_in_every_stage_every_way(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str, stage: Stage,
        way: str) -> None:
    name = ACTIVITY[stage]
    reason = f"cancelled in {stage} ({way})"
    release = asyncio.Event()
    stand_ins.on(wf_id, name, silent_until(release) if way == "short-activity"
                 else beat_until_cancelled)
    handle = await h.start(ts_env.client, wf_id, webhook_url="https://hooks.example/dub")
    running = 2 if stage in PER_WINDOW else 1  # both windows reach the stage
    await stand_ins.entered(wf_id, name, running)

    if way == "signal":
        await handle.signal(SIGNAL_CANCEL, CancelRequest(reason=reason))
    else:
        await handle.cancel(reason=reason)
    if way == "short-activity":
        # The job has asked for the running activity to stop; it cannot hear that (no
        # heartbeat) and completes normally afterwards.
        await wait_for_event(handle, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
                             running)
        release.set()

    await h.cancelled(handle)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    assert await h.cancel_cause(handle) == reason

    stopped = stand_ins.of(wf_id, name)
    assert len(stopped) == running
    expected = "ok" if way == "short-activity" else "cancelled"
    assert [c.outcome for c in stopped] == [expected] * running
    later = {ACTIVITY[s] for s in STAGES[STAGES.index(stage) + 1:]}
    assert not later & set(stand_ins.names(wf_id)), stand_ins.names(wf_id)
    cleanup = stand_ins.of(wf_id, "cleanup_job")
    assert [c.inp.keep_outputs for c in cleanup] == [False]
    assert all(c.ended is not None and c.ended <= cleanup[0].started for c in stopped)
    requests = stand_ins.of(wf_id, "request_cancellation")
    if way == "signal":
        assert [(c.inp, c.queue) for c in requests] == [
            (CancelJob(workflow_id=wf_id, reason=reason), CPU_TASK_QUEUE)]
    else:
        assert requests == []
    assert await h.webhook_events(ts_env.client, stand_ins, wf_id) == [WebhookEvent(
        job_id=wf_id, state="cancelled", input_name="talk.mp4", error=reason)]
    progress = await handle.query(QUERY_PROGRESS, result_type=Progress)
    assert progress.state == JobState.CANCELLING and progress.stage == "cleanup"
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(STAGE_ATTRIBUTE) == "cancelling"
    await h.replay(handle)


async def test_a_second_cancel_signal_is_ignored(ts_env: WorkflowEnvironment,
                                                 stand_ins: StandIns, wf_id: str) -> None:
    requested = asyncio.Event()
    stand_ins.on(wf_id, "transcribe_window", beat_until_cancelled)
    stand_ins.on(wf_id, "request_cancellation", beat_until(requested))
    handle = await h.start(ts_env.client, wf_id)
    await stand_ins.entered(wf_id, "transcribe_window", 2)
    await handle.signal(SIGNAL_CANCEL, CancelRequest(reason="first"))
    await stand_ins.entered(wf_id, "request_cancellation")
    await handle.signal(SIGNAL_CANCEL, CancelRequest(reason="second"))
    await handle.signal(SIGNAL_CANCEL, CancelRequest())
    # While the request is on its way the job says it is cancelling and refuses a pause.
    progress = await handle.query(QUERY_PROGRESS, result_type=Progress)
    assert progress.state == JobState.CANCELLING
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(UPDATE_PAUSE, result_type=Progress)
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.message == "cannot pause a job that is cancelling"
    requested.set()
    await h.cancelled(handle)
    assert [c.inp.reason for c in stand_ins.of(wf_id, "request_cancellation")] == ["first"]
    assert await h.cancel_cause(handle) == "first"


async def test_the_default_signal_reason(ts_env: WorkflowEnvironment, stand_ins: StandIns,
                                         wf_id: str) -> None:
    stand_ins.on(wf_id, "probe_media", beat_until_cancelled)
    handle = await h.start(ts_env.client, wf_id)
    await stand_ins.entered(wf_id, "probe_media")
    await handle.signal(SIGNAL_CANCEL, CancelRequest())
    await h.cancelled(handle)
    assert await h.cancel_cause(handle) == "cancelled by request"


async def test_a_cancel_during_the_final_cleanup_ends_canceled_with_cleanup_and_webhook(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    stand_ins.on(wf_id, "cleanup_job", _first_cleanup_waits())
    handle = await h.start(ts_env.client, wf_id, webhook_url="https://hooks.example/dub")
    await stand_ins.entered(wf_id, "cleanup_job")
    await handle.cancel(reason="too late")
    await h.cancelled(handle)  # this much holds today
    assert [c.inp.keep_outputs for c in stand_ins.of(wf_id, "cleanup_job")] == [True, False]
    events = await h.webhook_events(ts_env.client, stand_ins, wf_id)
    assert [e.state for e in events] == ["cancelled"]


def _first_cleanup_waits() -> Any:
    async def hook(call: Any) -> Any:
        if call.inp.keep_outputs:
            return await beat_until_cancelled(call)
        return None
    return hook
