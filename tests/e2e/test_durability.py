"""Crashes and restarts with real processes: the job survives and resumes from checkpoints."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.media import speech_video
from bench.stack import Stack
from dubbing import keys
from dubbing.contract import CPU_TASK_QUEUE, WORKFLOW_NAME, DubJob, DubResult
from dubbing.stages import TranscribeCheckpoint, TranscribeInput, TranscribeOutput, Window
from dubbing.storage import open_store
from starter import jobs

pytestmark = pytest.mark.slow


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


async def _transcriptions(handle: WorkflowHandle) -> list[tuple[Window, TranscribeOutput]]:
    """Each completed transcription with the window it was given, read from the history."""
    scheduled: dict[int, Window] = {}
    found = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == "transcribe_window":
                inp = pydantic_data_converter.payload_converter.from_payloads(
                    attrs.input.payloads, [TranscribeInput])[0]
                scheduled[event.event_id] = inp.window
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            done = event.activity_task_completed_event_attributes
            if done.scheduled_event_id in scheduled:
                found.append((scheduled[done.scheduled_event_id],
                              pydantic_data_converter.payload_converter.from_payloads(
                                  done.result.payloads, [TranscribeOutput])[0]))
    return found


async def _last_checkpoint(handle: WorkflowHandle, chunks: int) -> TranscribeCheckpoint:
    """The checkpoint of the transcription past `chunks` chunks, as the server holds it: what
    its retry starts from."""
    desc = await handle.describe()
    found = []
    for act in desc.raw_description.pending_activities:
        if act.activity_type.name != "transcribe_window" or not act.heartbeat_details.payloads:
            continue
        raw = pydantic_data_converter.payload_converter.from_payloads(
            act.heartbeat_details.payloads)[0]
        if raw is not None and TranscribeCheckpoint.model_validate(raw).chunks_done >= chunks:
            found.append(TranscribeCheckpoint.model_validate(raw))
    assert len(found) == 1, found
    return found[0]


def _outputs(stack: Stack, result: DubResult) -> dict[str, bytes]:
    store = open_store(stack.settings.store)
    keys = result.outputs[0].keys
    return {kind: store.get_bytes(keys[kind]) for kind in ("source_srt", "target_srt")}


def _lines(stack: Stack, result: DubResult) -> list[tuple[float, float, str, str, float]]:
    """The report's lines: where each was spoken, its text and its dub's placement."""
    report = json.loads(open_store(stack.settings.store).get_bytes(
        result.outputs[0].keys["report"]))
    return [(s["start"], s["end"], s["source_text"], s["target_text"], s["placed_seconds"])
            for s in report["segments"]]


def _dub_track(stack: Stack, result: DubResult) -> Path:
    return Path(stack.settings.store) / result.outputs[0].keys["mp4"]


async def test_gpu_worker_killed_mid_transcription_resumes(stack: Stack, tmp_path: Path) -> None:
    # One window of seven chunks, decoded three at a time (one checkpoint each call): after
    # the first call it has four chunks left, longer than the lag of its heartbeats (0.8 of
    # the heartbeat timeout)
    video = speech_video(tmp_path / "lecture.mp4", 210)
    client = await stack.client()
    store = open_store(stack.settings.store)
    job = DubJob(input_key="pending", input_name=video.name, window_seconds=180,
                 heartbeat_seconds=4)
    handle = await jobs.submit(client, store, video, job)
    await _checkpoint(handle, chunks=3)
    await stack.stop_worker("gpu-1", signal.SIGKILL)
    checkpoint = await _last_checkpoint(handle, chunks=3)  # no heartbeat comes after the kill
    await stack.start_worker("gpu-2", "gpu")
    result: DubResult = await asyncio.wait_for(handle.result(), 600)

    outputs = await _transcriptions(handle)
    assert len(outputs) == 1, outputs  # the killed attempt completed nothing
    window, retried = outputs[0]
    assert retried.resumed_at is not None
    chunks = window.chunk_bounds()
    assert checkpoint.chunks_done >= 3
    # The retry started at the first chunk the killed attempt had not finished, and decoded
    # exactly the rest of that window: none of its finished chunks again.
    assert retried.resumed_at == chunks[checkpoint.chunks_done][0]
    rest = window.end - chunks[checkpoint.chunks_done][0]
    assert retried.decoded_seconds == pytest.approx(rest, abs=0.01)
    assert retried.decoded_seconds < window.end - window.start
    events = len((await handle.fetch_history()).events)
    print(f"resumed at {retried.resumed_at:.1f} s (chunk {checkpoint.chunks_done} of "
          f"{len(chunks)}); the retried attempt decoded {retried.decoded_seconds:.1f} s of its "
          f"window's {window.end - window.start:.1f} s; {events} events")

    reference = await uninterrupted(client, stack, handle, job, video)
    expected: DubResult = await asyncio.wait_for(reference.result(), 600)
    assert result.segments == expected.segments
    assert _outputs(stack, result) == _outputs(stack, expected)


async def uninterrupted(client: Client, stack: Stack, handle: WorkflowHandle, job: DubJob,
                        video: Path) -> WorkflowHandle:
    """The same job without the crash, on its own id and its own copy of the input (a job
    reads only its own input)."""
    job_id = f"{handle.id}-uninterrupted"
    key = keys.input_key(job_id)
    await asyncio.to_thread(open_store(stack.settings.store).put_file, key, video)
    return await client.start_workflow(
        WORKFLOW_NAME, job.model_copy(update={"input_key": key}), id=job_id,
        task_queue=CPU_TASK_QUEUE, result_type=DubResult)
