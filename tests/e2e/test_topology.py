"""The production shape with real processes: a CPU worker that cannot import the speech stack,
GPU workers that drain on SIGTERM, and metrics scraped from a worker's Prometheus endpoint."""

from __future__ import annotations

import asyncio
import signal
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from bench.media import speech_video
from bench.stack import HEAVY_MODULES, Stack, free_port
from dubbing.contract import DubJob, DubResult
from dubbing.storage import open_store
from starter import jobs

pytestmark = pytest.mark.slow


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    s = Stack(tmp_path)
    await s.start_server()
    await s.start_worker("cpu", "cpu", block=HEAVY_MODULES)
    yield s
    await s.close()


async def _running(handle: WorkflowHandle, activity_type: str) -> None:
    for _ in range(600):
        desc = await handle.describe()
        if any(a.activity_type.name == activity_type and a.last_started_time.seconds
               for a in desc.raw_description.pending_activities):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{activity_type} never started")


async def _started_by(handle: WorkflowHandle) -> list[tuple[str, str, float, int]]:
    """(activity type, worker identity, start time, attempt) for every started activity."""
    types: dict[int, str] = {}
    found = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled = event.activity_task_scheduled_event_attributes
            types[event.event_id] = scheduled.activity_type.name
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attrs = event.activity_task_started_event_attributes
            found.append((types[attrs.scheduled_event_id], attrs.identity,
                          event.event_time.ToDatetime().timestamp(), attrs.attempt))
    return found


async def test_sigterm_drains_the_gpu_worker_and_the_job_finishes_elsewhere(
        stack: Stack, tmp_path: Path) -> None:
    metrics_port = free_port()
    await stack.start_worker("gpu-1", "gpu")
    video = speech_video(tmp_path / "talk.mp4", 100)
    job = DubJob(input_key="pending", input_name=video.name, window_seconds=50,
                 max_parallel_windows=1, heartbeat_seconds=10)
    client = await stack.client()
    handle = await jobs.submit(client, open_store(stack.settings.store), video, job)
    await _running(handle, "transcribe_window")
    await stack.start_worker("gpu-2", "gpu", env={"DUB_METRICS": "prometheus",
                                                  "DUB_PROMETHEUS_PORT": str(metrics_port)})
    first = stack.workers["gpu-1"].pid
    stopped_at = time.time()
    exit_code = await asyncio.wait_for(stack.stop_worker("gpu-1", signal.SIGTERM), 45)
    assert exit_code == 0, "the worker must exit cleanly after draining"
    result: DubResult = await asyncio.wait_for(handle.result(), 300)
    assert result.segments > 10
    started = await _started_by(handle)
    assert all(attempt == 1 for *_, attempt in started), "draining must not fail an activity"
    by_first = [s for s in started if s[1].startswith(f"{first}@")]
    assert by_first and all(at <= stopped_at + 1 for _, _, at, _ in by_first), \
        "a draining worker takes no new work"
    assert any(kind == "transcribe_window" and not ident.startswith(f"{first}@")
               for kind, ident, _, _ in started), "the rest ran on the other GPU worker"
    scraped = await asyncio.to_thread(
        lambda: urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics").read())
    text = scraped.decode()
    assert "dub_segments_processed" in text and 'stage="transcribe"' in text
    assert "temporal_activity_execution_latency" in text


async def test_cpu_worker_runs_a_whole_job_without_the_speech_stack(stack: Stack,
                                                                    tmp_path: Path) -> None:
    """The CPU worker runs with faster_whisper, ctranslate2, torch, TTS and piper made
    unimportable; the whole job still completes."""
    await stack.start_worker("gpu", "gpu")
    video = speech_video(tmp_path / "short.mp4", 20)
    job = DubJob(input_key="pending", input_name=video.name)
    handle = await jobs.submit(await stack.client(), open_store(stack.settings.store), video, job)
    result: DubResult = await asyncio.wait_for(handle.result(), 300)
    assert result.segments > 0
    assert stack.workers["cpu"].returncode is None, "the CPU worker must still be running"
