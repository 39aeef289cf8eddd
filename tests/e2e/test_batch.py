"""Batches of videos on the real dev server: a bounded window of DubVideo children, per-video
results, resubmission, continue-as-new and cancellation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import CancelledError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from bench.media import speech_video
from dubbing import keys
from dubbing.contract import (
    BATCH_WORKFLOW_NAME,
    QUERY_BATCH_PROGRESS,
    BatchItemResult,
    BatchJob,
    BatchProgress,
    DubJob,
)
from dubbing.settings import Settings
from dubbing.storage import open_store
from starter.batch import batch_id, collect, render_table, submit_batch, upload
from workflows.batch import DubBatchWorkflow

pytestmark = pytest.mark.slow

QUEUE = "dub-batch-test"  # the batch runs here; its DubVideo children on the session's dub-cpu
TEMPLATE = DubJob(input_key="pending", input_name="pending", target_langs=("es",))
GOOD = {"talk-a.mp4": 8, "talk-b.mp4": 10, "talk-c.mp4": 12, "talk-d.mp4": 15}


@dataclass
class Ran:
    paths: list[Path]
    handle: WorkflowHandle
    final: BatchProgress
    most_running: int


@pytest.fixture(scope="module")
async def batch_worker(env: WorkflowEnvironment, workers: Settings) -> AsyncIterator[Settings]:
    async with Worker(env.client, task_queue=QUEUE, workflows=[DubBatchWorkflow]):
        yield workers


def _make_inputs(folder: Path) -> list[Path]:
    for name, seconds in GOOD.items():
        speech_video(folder / name, seconds)
    (folder / "broken.mp4").write_text("a shopping list, not a video\n" * 40)
    return collect(folder)


async def _progress(handle: WorkflowHandle) -> BatchProgress:
    return await handle.query(QUERY_BATCH_PROGRESS, result_type=BatchProgress)


async def _watch(handle: WorkflowHandle, seconds: float = 300) -> tuple[BatchProgress, int]:
    """Wait for the batch, polling its progress query; also the most children seen running."""
    result = asyncio.ensure_future(handle.result())
    most = 0
    async with asyncio.timeout(seconds):
        while not result.done():
            with contextlib.suppress(RPCError):  # not yet picked up by the worker
                most = max(most, (await _progress(handle)).running)
            await asyncio.wait({result}, timeout=0.2)
    return result.result(), most


@pytest.fixture(scope="module")
async def ran(env: WorkflowEnvironment, batch_worker: Settings,
              tmp_path_factory: pytest.TempPathFactory) -> Ran:
    paths = await asyncio.to_thread(_make_inputs, tmp_path_factory.mktemp("batch"))
    store = open_store(batch_worker.store, batch_worker)
    handle = await submit_batch(env.client, store, paths, TEMPLATE, 2, task_queue=QUEUE)
    final, most = await _watch(handle)
    return Ran(paths, handle, final, most)


def _by_name(progress: BatchProgress) -> dict[str, BatchItemResult]:
    return {item.input_name: item for item in progress.items}


async def test_batch_dubs_each_video_two_at_a_time(env: WorkflowEnvironment, ran: Ran) -> None:
    final = ran.final
    assert (final.total, final.done, final.failed, final.running) == (5, 5, 1, 0)
    items = _by_name(final)
    for name in GOOD:
        assert items[name].state == "completed" and (items[name].segments or 0) > 0, items[name]
    broken = items["broken.mp4"]
    assert broken.state == "failed" and broken.error, broken
    assert "broken.mp4" in broken.error and "not a media file" in broken.error
    assert ran.most_running == 2, "the window never filled, or overflowed"
    spans = []
    for item in final.items:
        desc = await env.client.get_workflow_handle(item.job_id).describe()
        assert desc.close_time is not None, item
        spans.append((desc.start_time, desc.close_time))
    assert all(sum(s <= t < e for s, e in spans) <= 2 for t, _ in spans), spans
    events = [e async for e in ran.handle.fetch_history_events()]
    assert len(events) <= 9 * final.total + 5, f"{len(events)} events for {final.total} videos"
    replayer = Replayer(workflows=[DubBatchWorkflow], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(await ran.handle.fetch_history())  # deterministic


async def test_resubmitted_batch_continues_as_new_and_skips_done_videos(
        env: WorkflowEnvironment, batch_worker: Settings, ran: Ran) -> None:
    store = open_store(batch_worker.store, batch_worker)
    items = await upload(store, ran.paths, TEMPLATE)
    assert batch_id(items) == ran.handle.id, "the same inputs give the same batch id"
    handle = await env.client.start_workflow(
        BATCH_WORKFLOW_NAME, args=[BatchJob(items=items, max_running=2), (), 2],
        id=f"{ran.handle.id}-again", task_queue=QUEUE, result_type=BatchProgress)
    final, _ = await _watch(handle, seconds=120)
    assert [i.input_name for i in final.items] == [i.input_name for i in ran.final.items]
    again = _by_name(final)
    for name in GOOD:
        assert again[name].state == "completed" and again[name].segments is None, again[name]
    assert again["broken.mp4"].state == "failed", "a failed video is tried again"
    runs = 1
    run = env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
    while (last := (await run.fetch_history()).events[-1]).event_type == \
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        attrs = last.workflow_execution_continued_as_new_event_attributes
        run = env.client.get_workflow_handle(handle.id, run_id=attrs.new_execution_run_id)
        runs += 1
    assert runs == 3, "5 videos, 2 per run"


async def test_cancelling_a_batch_cancels_its_running_children(
        env: WorkflowEnvironment, batch_worker: Settings, tmp_path: Path) -> None:
    paths = [await asyncio.to_thread(speech_video, tmp_path / f"long-{s}.mp4", s)
             for s in (40, 45, 50)]
    store = open_store(batch_worker.store, batch_worker)
    handle = await submit_batch(env.client, store, paths, TEMPLATE, 2, task_queue=QUEUE)
    async with asyncio.timeout(60):
        while (await _progress(handle)).running < 2:  # noqa: ASYNC110 (polling a query)
            await asyncio.sleep(0.2)
    await handle.cancel(reason="changed my mind")
    with pytest.raises(WorkflowFailureError) as failure:
        await asyncio.wait_for(handle.result(), 120)
    assert isinstance(failure.value.cause, CancelledError)
    progress = await _progress(handle)
    assert [i.state for i in progress.items] == ["failed", "failed", "pending"], progress
    for item in progress.items[:2]:
        assert item.error and "changed my mind" in item.error, item
        child = env.client.get_workflow_handle(item.job_id)
        async with asyncio.timeout(60):
            while (await child.describe()).status != WorkflowExecutionStatus.CANCELED:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
        assert not (Path(batch_worker.store) / keys.job_prefix(item.job_id)).exists()


def test_collect_reads_a_directory_or_a_list_file(tmp_path: Path) -> None:
    media = tmp_path / "media"
    (media / "sub").mkdir(parents=True)
    for name in ("b.MKV", "a.mp4", "notes.txt", "sub/c.mp4", "d.wav"):
        (media / name).write_bytes(b"x")
    assert [p.name for p in collect(media)] == ["a.mp4", "b.MKV", "d.wav"]
    listing = media / "list.txt"
    listing.write_text(f"# my videos\n\nsub/c.mp4\n  a.mp4  \n{tmp_path / 'abs.mov'}\n# end\n")
    assert collect(listing) == [media / "sub" / "c.mp4", media / "a.mp4", tmp_path / "abs.mov"]


def test_render_table_has_a_row_per_video() -> None:
    progress = BatchProgress(total=2, done=2, failed=1, running=0, items=(
        BatchItemResult(job_id="dub-a-1", input_name="a [1].mp4", state="completed", segments=7),
        BatchItemResult(job_id="dub-b-2", input_name="b.mp4", state="failed",
                        error="b.mp4: not a media file")))
    console = Console(record=True, width=120)
    console.print(render_table(progress))
    text = console.export_text()
    assert "2/2 done, 1 failed" in text and "a [1].mp4" in text
    assert "completed" in text and " 7 " in text and "b.mp4: not a media file" in text
