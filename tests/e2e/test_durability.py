"""Crashes and restarts with real processes: the job survives and resumes from checkpoints."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter

from dubbing.contract import CPU_TASK_QUEUE, WORKFLOW_NAME, DubJob, DubResult
from dubbing.stages import TranscribeOutput
from dubbing.storage import open_store
from starter import jobs
from tests.media import speech_video
from tests.stack import Stack

pytestmark = pytest.mark.slow


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    s = Stack(tmp_path)
    await s.start_server()
    await s.start_worker("cpu", "cpu")
    await s.start_worker("gpu-1", "gpu")
    yield s
    await s.close()


async def _checkpoint(handle: WorkflowHandle, chunks: int) -> dict:
    """Wait until transcription has heartbeated at least `chunks` finished chunks."""
    for _ in range(600):
        desc = await handle.describe()
        for act in desc.raw_description.pending_activities:
            if act.activity_type.name != "transcribe_window":
                continue
            if chunks == 0:
                return {}
            if act.heartbeat_details.payloads:
                details = pydantic_data_converter.payload_converter.from_payloads(
                    act.heartbeat_details.payloads)[0]
                if details and details.get("chunks_done", 0) >= chunks:
                    return details
        await asyncio.sleep(0.2)
    raise AssertionError("transcription never checkpointed")


async def _transcriptions(handle: WorkflowHandle) -> list[TranscribeOutput]:
    scheduled: dict[int, str] = {}
    found = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled[event.event_id] = (
                event.activity_task_scheduled_event_attributes.activity_type.name)
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            attrs = event.activity_task_completed_event_attributes
            if scheduled.get(attrs.scheduled_event_id) == "transcribe_window":
                found.append(pydantic_data_converter.payload_converter.from_payloads(
                    attrs.result.payloads, [TranscribeOutput])[0])
    return found


def _outputs(stack: Stack, result: DubResult) -> dict[str, bytes]:
    store = open_store(stack.settings.store)
    keys = result.outputs[0].keys
    return {kind: store.get_bytes(keys[kind]) for kind in ("source_srt", "target_srt")}


async def test_gpu_worker_killed_mid_transcription_resumes(stack: Stack, tmp_path: Path) -> None:
    video = speech_video(tmp_path / "lecture.mp4", 300)
    client = await stack.client()
    store = open_store(stack.settings.store)
    job = DubJob(input_key="pending", input_name=video.name, heartbeat_seconds=4)
    handle = await jobs.submit(client, store, video, job)
    checkpoint = await _checkpoint(handle, chunks=2)
    await stack.stop_worker("gpu-1", signal.SIGKILL)
    await stack.start_worker("gpu-2", "gpu")
    result: DubResult = await asyncio.wait_for(handle.result(), 600)

    outputs = await _transcriptions(handle)
    resumed = [o for o in outputs if o.resumed_at is not None]
    assert len(resumed) == 1, outputs
    assert resumed[0].resumed_at >= checkpoint["position"] - 1e-6
    whole = next(o for o in outputs if o.resumed_at is None)
    assert resumed[0].decoded_seconds < whole.decoded_seconds
    events = len((await handle.fetch_history()).events)
    print(f"resumed at {resumed[0].resumed_at:.1f} s (checkpoint {checkpoint['position']:.1f} s);"
          f" the retried attempt decoded {resumed[0].decoded_seconds:.1f} s of its window's "
          f"{whole.decoded_seconds:.1f} s; {events} events")

    reference = await client.start_workflow(
        WORKFLOW_NAME, job.model_copy(update={"input_key": handle_input(handle)}),
        id=f"{handle.id}-uninterrupted", task_queue=CPU_TASK_QUEUE, result_type=DubResult)
    expected: DubResult = await asyncio.wait_for(reference.result(), 600)
    assert result.segments == expected.segments
    assert _outputs(stack, result) == _outputs(stack, expected)


def handle_input(handle: WorkflowHandle) -> str:
    return f"jobs/{handle.id}/input"


async def test_server_killed_and_restarted_mid_job(stack: Stack, tmp_path: Path) -> None:
    video = speech_video(tmp_path / "talk.mp4", 90)
    client = await stack.client()
    job = DubJob(input_key="pending", input_name=video.name, heartbeat_seconds=5)
    handle = await jobs.submit(client, open_store(stack.settings.store), video, job)
    await _checkpoint(handle, chunks=0)
    await stack.kill_server()
    await asyncio.sleep(1)
    await stack.start_server()
    client = await stack.client()
    result: DubResult = await asyncio.wait_for(
        client.get_workflow_handle(handle.id, result_type=DubResult).result(), 600)
    assert result.segments > 10
    assert open_store(stack.settings.store).exists(result.outputs[0].keys["mp4"])
