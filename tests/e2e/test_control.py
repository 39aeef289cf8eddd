"""Cancelling (three ways in), pausing and resuming running jobs on the real dev server."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from bench.media import speech_video
from dubbing import keys
from dubbing.contract import (
    QUERY_PROGRESS,
    SIGNAL_CANCEL,
    UPDATE_PAUSE,
    UPDATE_RESUME,
    CancelRequest,
    DubJob,
    Progress,
)
from dubbing.settings import Settings
from dubbing.stages import MediaInfo, ProbeInput
from dubbing.steps import ingest
from dubbing.storage import Store, open_store
from starter import jobs
from tests.e2e.test_starter_cli import starter

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def long_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speech_video(tmp_path_factory.mktemp("media") / "long.mp4", 100)


async def _start(env: WorkflowEnvironment, settings: Settings, video: Path,
                 **changes: object) -> WorkflowHandle:
    job = DubJob(input_key="pending", input_name=video.name, heartbeat_seconds=3,
                 **changes)  # type: ignore[arg-type]
    return await jobs.submit(env.client, open_store(settings.store), video, job)


async def _wait_for_stage(handle: WorkflowHandle, stage: str) -> None:
    for _ in range(300):
        p = await handle.query(QUERY_PROGRESS, result_type=Progress)
        if p.stage == stage:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never reached {stage}")


async def _assert_cancelled(handle: WorkflowHandle, settings: Settings, reason: str) -> float:
    started = time.monotonic()
    for _ in range(200):
        desc = await handle.describe()
        if desc.status == WorkflowExecutionStatus.CANCELED:
            break
        await asyncio.sleep(0.1)
    latency = time.monotonic() - started
    assert desc.status == WorkflowExecutionStatus.CANCELED
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
            assert event.workflow_execution_cancel_requested_event_attributes.cause == reason
    assert not (Path(settings.store) / keys.job_prefix(handle.id)).exists()
    return latency


async def test_cancel_signal_ends_canceled_with_reason(env, workers: Settings,
                                                       long_video: Path) -> None:
    handle = await _start(env, workers, long_video, window_seconds=60)
    await _wait_for_stage(handle, "transcribe")
    await handle.signal(SIGNAL_CANCEL, CancelRequest(reason="customer withdrew the order"))
    latency = await _assert_cancelled(handle, workers, "customer withdrew the order")
    print(f"cancel by signal: CANCELED after {latency:.1f} s")


async def test_native_cancel_from_the_cli(env, workers: Settings, long_video: Path) -> None:
    handle = await _start(env, workers, long_video, window_seconds=70)
    await _wait_for_stage(handle, "transcribe")
    proc = await starter(workers, "cancel", handle.id, "--reason", "wrong language")
    assert proc.returncode == 0, proc.stderr
    latency = await _assert_cancelled(handle, workers, "wrong language")
    print(f"native cancel: CANCELED after {latency:.1f} s")


async def test_pause_stops_new_work_and_resume_finishes(env, workers: Settings,
                                                        long_video: Path) -> None:
    handle = await _start(env, workers, long_video, window_seconds=50, max_parallel_windows=1)
    await _wait_for_stage(handle, "transcribe")
    paused = await handle.execute_update(UPDATE_PAUSE, id="pause", result_type=Progress)
    assert paused.paused and paused.state.value == "paused"
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(UPDATE_PAUSE, result_type=Progress)
    # The work in flight when the pause came finishes; after it nothing new may start, so the
    # job ends up with no activity pending while it still has windows to do.
    idle = await _wait_until_idle(handle)
    events = [e async for e in handle.fetch_history_events()]
    paused_at = next(i for i, e in enumerate(events)
                     if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
                     and e.workflow_execution_update_completed_event_attributes.meta.update_id
                     == "pause")
    started_while_paused = _activities_scheduled(events[paused_at:])
    assert not started_while_paused, f"started while paused: {started_while_paused}"
    assert idle, "activities were still pending long after the pause"
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    status = await starter(workers, "status", handle.id)
    assert "paused" in status.stdout
    await handle.execute_update(UPDATE_RESUME, id="resume", result_type=Progress)
    result = await asyncio.wait_for(handle.result(), 300)
    assert result.segments > 10

    events = [e async for e in handle.fetch_history_events()]
    resumed_at = next(i for i, e in enumerate(events)
                      if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
                      and e.workflow_execution_update_accepted_event_attributes
                      .accepted_request.meta.update_id == "resume")
    assert not _activities_scheduled(events[paused_at:resumed_at])
    # Work was pending: the job's remaining windows were transcribed only after the resume.
    assert "transcribe_window" in _activities_scheduled(events[resumed_at:])


def _activities_scheduled(events: list) -> list[str]:
    return [e.activity_task_scheduled_event_attributes.activity_type.name for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]


async def _wait_until_idle(handle: WorkflowHandle) -> bool:
    """Wait (up to a few minutes) until the job has had no pending activity for a second."""
    quiet = 0
    for _ in range(900):
        desc = await handle.describe()
        quiet = quiet + 1 if not desc.raw_description.pending_activities else 0
        if quiet >= 5:
            return True
        await asyncio.sleep(0.2)
    return False


async def _scheduled(handle: WorkflowHandle) -> int:
    count = 0
    async for event in handle.fetch_history_events():
        count += event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    return count


async def test_cancel_right_after_start_is_not_lost(env, workers: Settings, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A cancel that lands while a short activity (probe) runs still cancels.

    The probe of this job is held until the cancel request is recorded, so the race is forced:
    the probe, which never heartbeats, cannot learn of the cancel and completes normally.
    """
    video = speech_video(tmp_path / "early.mp4", 31)
    probing, release = threading.Event(), threading.Event()
    real_probe = ingest.probe_input

    def held_probe(store: Store, scratch: Path, inp: ProbeInput,
                   settings: Settings | None = None) -> MediaInfo:
        if inp.job.input_name == video.name:
            probing.set()
            release.wait(20)
        return real_probe(store, scratch, inp, settings)

    monkeypatch.setattr(ingest, "probe_input", held_probe)
    # A heartbeat timeout well above the hold, so the held probe is not timed out and retried.
    job = DubJob(input_key="pending", input_name=video.name, heartbeat_seconds=30)
    handle = await jobs.submit(env.client, open_store(workers.store), video, job)
    try:
        for _ in range(600):
            if probing.is_set():
                break
            await asyncio.sleep(0.05)
        assert probing.is_set(), "the probe never started"
        await handle.cancel(reason="changed my mind")
    finally:
        release.set()
    await _assert_cancelled(handle, workers, "changed my mind")

    events = [e async for e in handle.fetch_history_events()]
    kinds = [e.event_type for e in events]
    cancel = kinds.index(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
    probe = next(e for e in events
                 if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                 and e.activity_task_scheduled_event_attributes.activity_type.name
                 == "probe_media")
    probe_done = next(i for i, e in enumerate(events)
                      if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
                      and e.activity_task_completed_event_attributes.scheduled_event_id
                      == probe.event_id)
    assert events.index(probe) < cancel < probe_done, "the cancel did not land during the probe"
    # Nothing of the job ran after the probe, only the cleanup.
    assert _activities_scheduled(events) == ["probe_media", "cleanup_job"]
