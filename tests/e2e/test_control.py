"""Cancelling (three ways in), pausing and resuming running jobs on the real dev server."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

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
from dubbing.storage import open_store
from starter import jobs
from tests.e2e.test_starter_cli import starter
from tests.media import speech_video

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def long_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speech_video(tmp_path_factory.mktemp("media") / "long.mp4", 150)


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
    paused = await handle.execute_update(UPDATE_PAUSE, result_type=Progress)
    assert paused.paused and paused.state.value == "paused"
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(UPDATE_PAUSE, result_type=Progress)
    await asyncio.sleep(8)  # in-flight work finishes; nothing new may start
    before = await _scheduled(handle)
    await asyncio.sleep(4)
    assert await _scheduled(handle) == before
    status = await starter(workers, "status", handle.id)
    assert "paused" in status.stdout
    await handle.execute_update(UPDATE_RESUME, result_type=Progress)
    result = await asyncio.wait_for(handle.result(), 300)
    assert result.segments > 10


async def _scheduled(handle: WorkflowHandle) -> int:
    count = 0
    async for event in handle.fetch_history_events():
        count += event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    return count


async def test_cancel_right_after_start_is_not_lost(env, workers: Settings,
                                                    tmp_path: Path) -> None:
    """A cancel that lands while a short activity (probe, extract) runs still cancels."""
    video = speech_video(tmp_path / "early.mp4", 31)
    handle = await _start(env, workers, video)
    await handle.cancel(reason="changed my mind")
    await _assert_cancelled(handle, workers, "changed my mind")
