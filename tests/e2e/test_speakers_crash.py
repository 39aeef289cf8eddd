"""A GPU worker killed while the job embeds speakers: the windows embedded before the crash
are not embedded again (their stored embeddings are the checkpoint), and the outputs equal an
uninterrupted run's. Real processes: a dev server, a CPU worker, two GPU workers in turn."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import signal
from collections import Counter
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter

from bench import speakers_media as media
from bench.stack import Stack
from dubbing import keys
from dubbing.contract import CPU_TASK_QUEUE, WORKFLOW_NAME, DubJob, DubResult
from dubbing.stages import EmbedSpeakersInput
from dubbing.storage import open_store

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    importlib.util.find_spec("resemblyzer") is None,
    reason="the speech extra's speaker encoder is missing")]


async def start(stack: Stack, job_id: str, video: Path) -> WorkflowHandle:
    await asyncio.to_thread(open_store(stack.settings.store).put_file,
                            keys.input_key(job_id), video)
    job = DubJob(input_key=keys.input_key(job_id), input_name=video.name, speakers="auto",
                 window_seconds=20, max_parallel_windows=1, heartbeat_seconds=2)
    return await (await stack.client()).start_workflow(
        WORKFLOW_NAME, job, id=job_id, task_queue=CPU_TASK_QUEUE, result_type=DubResult)


async def embedding_in_flight(handle: WorkflowHandle, stack: Stack) -> int:
    """Wait until a window after the first is being embedded while the first's embeddings are
    stored; that window's index."""
    run = (await handle.describe()).run_id
    store = open_store(stack.settings.store)
    for _ in range(3000):
        pending = (await handle.describe()).raw_description.pending_activities
        for act in pending:
            if act.activity_type.name == "embed_speakers" and act.attempt == 1:
                window = await _embedding_window(handle, act.activity_id)
                first = keys.embeddings_key(handle.id, 0, run=run)
                if window > 0 and await asyncio.to_thread(store.exists, first):
                    return window
        await asyncio.sleep(0.05)
    raise AssertionError("no later window was ever being embedded")


async def _embedding_window(handle: WorkflowHandle, activity_id: str) -> int:
    async for event in handle.fetch_history_events():
        attrs = event.activity_task_scheduled_event_attributes
        if (event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                and attrs.activity_id == activity_id):
            inp = pydantic_data_converter.payload_converter.from_payloads(
                attrs.input.payloads, [EmbedSpeakersInput])[0]
            return int(inp.window.index)
    return -1


async def embed_attempts(handle: WorkflowHandle) -> Counter[int]:
    """The attempt that finished each window's embedding (the history keeps one started event
    per activity, with the number of its last attempt)."""
    windows: dict[int, int] = {}
    started: Counter[int] = Counter()
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == "embed_speakers":
                inp = pydantic_data_converter.payload_converter.from_payloads(
                    attrs.input.payloads, [EmbedSpeakersInput])[0]
                windows[event.event_id] = inp.window.index
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            began = event.activity_task_started_event_attributes
            if began.scheduled_event_id in windows:
                started[windows[began.scheduled_event_id]] += began.attempt
    return started


def outputs(stack: Stack, result: DubResult) -> tuple[bytes, bytes, list[str | None], dict]:
    store = open_store(stack.settings.store)
    out = result.outputs[0].keys
    report = json.loads(store.get_bytes(out["report"]))
    return (store.get_bytes(out["target_srt"]), store.get_bytes(out["target_vtt"]),
            [s.get("speaker") for s in report["segments"]], report["speakers"])


async def test_a_gpu_worker_killed_mid_diarization_resumes(stack: Stack, tmp_path: Path) -> None:
    truth = await asyncio.to_thread(media.dialogue, tmp_path / "talk.wav",
                                    ["reader", "m3", "f4"], 9, 3)
    video = await asyncio.to_thread(media.as_video, tmp_path / "talk.wav", tmp_path / "talk.mp4")
    handle = await start(stack, "crash-diarized", video)
    window = await embedding_in_flight(handle, stack)
    await stack.stop_worker("gpu-1", signal.SIGKILL)
    await stack.start_worker("gpu-2", "gpu")
    result = await asyncio.wait_for(handle.result(), 600)

    attempts = await embed_attempts(handle)
    # every window before the killed one was embedded once, in its first attempt
    assert all(attempts[w] == 1 for w in range(window)), attempts
    assert attempts[window] >= 2, attempts  # the killed attempt, then its retry
    assert sorted(attempts) == list(range(len(attempts)))

    reference = await asyncio.wait_for((await start(stack, "uninterrupted", video)).result(), 600)
    assert outputs(stack, result) == outputs(stack, reference)
    assert len(outputs(stack, result)[3]) == len({x.speaker for x in truth}) == 3
