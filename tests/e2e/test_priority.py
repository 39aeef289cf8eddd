"""Priority: on saturated workers, high-priority jobs' activities are served before low ones.

Stand-in activities (a fixed 0.12 s of "work" per window) replace the engines so that the test
measures only the server's task ordering; the workflow, the starter's submit and the dev server
are real. The order is approximate (a task a worker has already polled runs first), so the test
compares medians.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from dubbing.contract import CPU_TASK_QUEUE, GPU_TASK_QUEUE, DubJob
from dubbing.stages import MediaInfo, ProbeInput, TranscribeInput, TranscribeOutput
from dubbing.storage import LocalStore
from starter import jobs
from tests.conftest import search_attribute_keys, temporal_binary
from tests.e2e import test_long_video_history as standin
from workflows.dub_video import DubVideoWorkflow

pytestmark = pytest.mark.slow
JOBS_EACH = 5


@activity.defn(name="probe_media")
async def probe_media(inp: ProbeInput) -> MediaInfo:
    return MediaInfo(duration=400.0, has_video=True, video_codec="h264", audio_codec="aac",
                     sample_rate=48000, channels=2)


@activity.defn(name="transcribe_window")
async def transcribe(inp: TranscribeInput) -> TranscribeOutput:
    await asyncio.sleep(0.12)
    return TranscribeOutput(segments_key=f"jobs/{inp.job_id}/work/w{inp.window.index:04d}/s",
                            count=3, decoded_seconds=inp.window.end - inp.window.start)


@pytest.fixture
async def saturated() -> AsyncIterator[WorkflowEnvironment]:
    """One slot on the GPU queue, so transcription tasks queue up on the server."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), data_converter=pydantic_data_converter,
        dev_server_log_level="error", search_attributes=search_attribute_keys())
    cpu = Worker(env.client, task_queue=CPU_TASK_QUEUE, workflows=[DubVideoWorkflow],
                 activities=[probe_media, standin.extract_audio, standin.plan, standin.translate,
                             standin.synthesize, standin.fit, standin.measure, standin.render,
                             standin.cleanup, standin.cluster],
                 max_concurrent_activities=8)
    gpu = Worker(env.client, task_queue=GPU_TASK_QUEUE, max_concurrent_activities=1,
                 activities=[transcribe, standin.embed, standin.synthesize])
    async with cpu, gpu:
        yield env
    await env.shutdown()


async def _submit(env: WorkflowEnvironment, store: LocalStore, tmp: Path, n: int,
                  priority: str) -> list[WorkflowHandle]:
    handles = []
    for i in range(n):
        source = tmp / f"{priority}-{i}.mp4"
        source.write_bytes(f"{priority} {i}".encode())
        job = DubJob.model_validate({"input_key": "pending", "input_name": source.name,
                                     "priority": priority, "window_seconds": 40,
                                     "max_parallel_windows": 4})
        handles.append(await jobs.submit(env.client, store, source, job))
    return handles


async def _transcribe_starts(handle: WorkflowHandle) -> list[float]:
    scheduled: set[int] = set()
    starts = []
    async for e in handle.fetch_history_events():
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED and \
                e.activity_task_scheduled_event_attributes.activity_type.name == \
                "transcribe_window":
            scheduled.add(e.event_id)
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED and \
                e.activity_task_started_event_attributes.scheduled_event_id in scheduled:
            starts.append(e.event_time.ToDatetime().timestamp())
    return starts


async def test_high_priority_work_runs_before_low(saturated: WorkflowEnvironment,
                                                  tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    low = await _submit(saturated, store, tmp_path, JOBS_EACH, "low")
    await asyncio.sleep(1.0)  # the low jobs fill the GPU queue first
    high = await _submit(saturated, store, tmp_path, JOBS_EACH, "high")
    await asyncio.wait_for(asyncio.gather(*(h.result() for h in low + high)), 240)
    low_starts = [t for h in low for t in await _transcribe_starts(h)]
    high_starts = [t for h in high for t in await _transcribe_starts(h)]
    since = min(high_starts)  # compare only the work both kinds competed for
    contested_low = [t for t in low_starts if t >= since]
    assert contested_low, "the low-priority backlog should outlast the high jobs' arrival"
    assert statistics.median(high_starts) < statistics.median(contested_low)
    served_first = sum(t < statistics.median(contested_low) for t in high_starts)
    assert served_first / len(high_starts) >= 0.7, "most high-priority work runs first"
