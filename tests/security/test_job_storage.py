"""A job's storage belongs to its runs, against the real dev server and workers: a hostile
second start on a completed job's id is refused and leaves the job untouched, and a run cannot
read another job's media."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from pathlib import Path

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from bench.media import speech_video
from dubbing import keys
from dubbing.contract import CPU_TASK_QUEUE, WORKFLOW_NAME, DubJob, RedubRequest
from dubbing.settings import Settings
from dubbing.storage import open_store
from dubclient import submit
from dubclient.client import DubClient
from starter import jobs

pytestmark = pytest.mark.slow


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


async def _upload(settings: Settings, video: Path) -> tuple[DubJob, str]:
    job_id = f"owned-{uuid.uuid4().hex[:12]}"
    key = keys.input_key(job_id)
    await asyncio.to_thread(open_store(settings.store).put_file, key, video)
    return DubJob(input_key=key, input_name=video.name, heartbeat_seconds=3), job_id


async def _hostile_start(env: WorkflowEnvironment, job_id: str, job: DubJob) -> ApplicationError:
    """What `temporal workflow start --workflow-id <id>` does: a new run on the same id."""
    handle = await env.client.start_workflow(
        WORKFLOW_NAME, job, id=job_id, task_queue=CPU_TASK_QUEUE,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE)
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    assert isinstance(failed.value.cause, ApplicationError)
    return failed.value.cause


async def test_a_second_start_on_a_completed_job_is_refused_and_changes_nothing(
        env: WorkflowEnvironment, workers: Settings, tmp_path: Path) -> None:
    video = await asyncio.to_thread(speech_video, tmp_path / "owned.mp4", 20)
    job, job_id = await _upload(workers, video)
    dub = DubClient(env.client)
    await dub.start(job, job_id)
    completed = await dub.result(job_id)
    job_root = Path(workers.store) / keys.job_prefix(job_id)
    before = _digests(job_root)
    assert all((Path(workers.store) / k).is_file()
               for o in completed.outputs for k in o.keys.values())

    other = job.model_copy(update={"overflow": "shift"})
    cause = await _hostile_start(env, job_id, other)
    assert cause.type == "BadInput" and f"job {job_id} has already completed" in cause.message
    assert _digests(job_root) == before, "the refused run changed the completed job's files"
    # The client still answers with the completed run's outputs, a resubmission attaches to
    # that run (not to the refused one), and a redub still works.
    assert await dub.result(job_id) == completed
    attached = await submit.completed_before(env.client, open_store(workers.store), job_id)
    assert attached is not None and await attached.result() == completed
    redubbed = await dub.redub(job_id, RedubRequest(index=0, text="Hola de nuevo.",
                                                    target_lang="es"))
    assert redubbed.output is not None and redubbed.output.summary.revision == 1


async def test_an_input_of_another_job_is_refused_at_once(
        env: WorkflowEnvironment, workers: Settings, tmp_path: Path) -> None:
    video = await asyncio.to_thread(speech_video, tmp_path / "victim.mp4", 5)
    victim, _ = await _upload(workers, video)
    thief_id = f"thief-{uuid.uuid4().hex[:12]}"
    handle = await env.client.start_workflow(
        WORKFLOW_NAME, victim.model_copy(update={"input_name": "stolen.mp4"}), id=thief_id,
        task_queue=CPU_TASK_QUEUE)
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "BadInput"
    assert "must be stored under the job's own key" in cause.message
    attempts = [e.activity_task_started_event_attributes.attempt
                async for e in handle.fetch_history_events()
                if e.HasField("activity_task_started_event_attributes")]
    assert attempts[0] == 1 and attempts.count(1) == len(attempts), "a permanent error retried"
    assert (Path(workers.store) / victim.input_key).is_file(), "the victim's input was removed"
    assert not (Path(workers.store) / keys.job_prefix(thief_id)).exists()


async def test_a_completed_job_whose_outputs_were_removed_is_dubbed_anew(
        env: WorkflowEnvironment, workers: Settings, tmp_path: Path) -> None:
    video = await asyncio.to_thread(speech_video, tmp_path / "removed.mp4", 10)
    store = open_store(workers.store)
    job = DubJob(input_key="pending", input_name=video.name, heartbeat_seconds=3)
    first = await jobs.submit(env.client, store, video, job)
    done = await first.result()
    for key in (k for o in done.outputs for k in o.keys.values()):
        (Path(workers.store) / key).unlink()
    again = await jobs.submit(env.client, store, video, job)
    assert again.id == first.id and again.result_run_id != first.result_run_id
    redone = await again.result()
    assert all((Path(workers.store) / k).is_file() for o in redone.outputs
               for k in o.keys.values())
