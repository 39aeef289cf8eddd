"""The typed client other services use, against the real dev server and in-process workers."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment

from bench.media import speech_video
from dubbing import keys
from dubbing.contract import PRIORITIES, DubJob, JobState, RedubRequest
from dubbing.settings import Settings
from dubbing.storage import open_store
from dubclient.client import DubClient

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
async def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Made in threads: the workers share this event loop."""
    root = tmp_path_factory.mktemp("client")
    made = await asyncio.gather(*(asyncio.to_thread(speech_video, root / f"speech{s}.mp4", s)
                                  for s in (30, 60)))
    return dict(zip((30, 60), made, strict=True))


@pytest.fixture
def dub(env: WorkflowEnvironment) -> DubClient:
    return DubClient(env.client)


async def _upload(settings: Settings, video: Path, **changes: object) -> tuple[DubJob, str]:
    """Put the input where the service expects it; a fresh job id and its job."""
    job_id = f"client-{uuid.uuid4().hex[:12]}"
    key = keys.input_key(job_id)
    await asyncio.to_thread(open_store(settings.store).put_file, key, video)
    job = DubJob(input_key=key, input_name=video.name, heartbeat_seconds=3,
                 **changes)  # type: ignore[arg-type]
    return job, job_id


async def _wait_for_stage(dub: DubClient, job_id: str, stage: str) -> None:
    for _ in range(300):
        if (await dub.progress(job_id)).stage == stage:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{job_id} never reached {stage}")


async def test_start_pause_resume_and_result(dub: DubClient, workers: Settings,
                                             videos: dict[int, Path]) -> None:
    job, job_id = await _upload(workers, videos[60], window_seconds=20, max_parallel_windows=1)
    assert await dub.start(job, job_id)
    await _wait_for_stage(dub, job_id, "transcribe")
    paused = await dub.pause(job_id)
    assert paused.paused and paused.state == JobState.PAUSED
    now = await dub.progress(job_id)
    assert now.paused and now.state == JobState.PAUSED
    queued = await dub.redub(job_id, RedubRequest(target_lang="es", index=0, text="Hola."))
    assert "before the mix" in queued.message and queued.output is None
    resumed = await dub.resume(job_id)
    assert not resumed.paused and resumed.state == JobState.RUNNING
    result = await asyncio.wait_for(dub.result(job_id), 300)
    assert result.job_id == job_id and result.segments > 3
    assert [o.target_lang for o in result.outputs] == ["es"]
    assert (await dub.progress(job_id)).state == JobState.COMPLETED


async def test_cancel_with_a_reason_ends_canceled(dub: DubClient, workers: Settings,
                                                  videos: dict[int, Path]) -> None:
    job, job_id = await _upload(workers, videos[60], window_seconds=20, max_parallel_windows=1)
    await dub.start(job, job_id)
    await _wait_for_stage(dub, job_id, "transcribe")
    await dub.cancel(job_id, "the customer withdrew the order")
    with pytest.raises(WorkflowFailureError) as info:
        await asyncio.wait_for(dub.result(job_id), 60)
    assert isinstance(info.value.cause, CancelledError)
    handle = dub.handle(job_id)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    causes = [e.workflow_execution_cancel_requested_event_attributes.cause
              async for e in handle.fetch_history_events()
              if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED]
    assert causes == ["the customer withdrew the order"]
    assert not (Path(workers.store) / keys.job_prefix(job_id)).exists()


async def test_start_is_idempotent_and_redub_after_the_end(dub: DubClient, workers: Settings,
                                                           videos: dict[int, Path]) -> None:
    job, job_id = await _upload(workers, videos[30])
    first, second = await asyncio.gather(dub.start(job, job_id, priority="high"),
                                         dub.start(job, job_id, priority="high"))
    assert first and first == second
    desc = await dub.handle(job_id).describe()
    assert desc.raw_info.priority.priority_key == PRIORITIES["high"]
    result = await asyncio.wait_for(dub.result(job_id), 300)
    assert await dub.start(job, job_id) == first  # completed: attaches, no second run
    runs = [w.run_id async for w in dub.client.list_workflows(f"WorkflowId = '{job_id}'")]
    assert set(runs) <= {first}
    done = await dub.redub(job_id, RedubRequest(target_lang="es", index=0, text="Hola."))
    assert "revision 1" in done.message
    assert done.output is not None and done.output.summary.revision == 1
    assert result.outputs[0].summary.revision == 0


async def test_bad_priority_and_redub_of_a_cancelled_job_are_refused(
        dub: DubClient, workers: Settings, videos: dict[int, Path]) -> None:
    job, job_id = await _upload(workers, videos[30])
    with pytest.raises(ValueError, match="priority"):
        await dub.start(job, job_id, priority="urgent")
    await dub.start(job, job_id)
    await _wait_for_stage(dub, job_id, "transcribe")
    await dub.client.get_workflow_handle(job_id).cancel()
    with pytest.raises(WorkflowFailureError):
        await asyncio.wait_for(dub.result(job_id), 60)
    with pytest.raises(ValueError, match="canceled"):
        await dub.redub(job_id, RedubRequest(target_lang="es", index=0, text="Hola."))
