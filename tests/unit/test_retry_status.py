"""While an activity is being retried, `status` and DubClient.progress say why its last
attempt failed (read from the server's pending activities); nothing is said otherwise. A
job that is not running cannot be cancelled, and `cancel` says so."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from dubbing.contract import CPU_TASK_QUEUE, DubJob
from dubbing.settings import Settings
from dubbing.stages import CleanupInput, MediaInfo, ProbeInput
from dubclient.client import DubClient
from tests.conftest import search_attribute_keys, temporal_binary
from tests.e2e.test_starter_cli import starter
from workflows.dub_video import DubVideoWorkflow

FAILURES = 3


class FlakyProbe:
    def __init__(self) -> None:
        self.attempts = 0
        self.release = asyncio.Event()

    @activity.defn(name="probe_media")
    async def probe_media(self, inp: ProbeInput) -> MediaInfo:
        self.attempts += 1
        if self.attempts <= FAILURES:
            raise ApplicationError("ffprobe crashed on frame 12", type="ToolFailed")
        await self.release.wait()
        raise ApplicationError("stop here", type="BadInput", non_retryable=True)


@activity.defn(name="cleanup_job")
async def cleanup(inp: CleanupInput) -> int:
    return 0


@pytest.fixture
async def flaky(tmp_path: Path) -> AsyncIterator[tuple[WorkflowEnvironment, FlakyProbe]]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), data_converter=pydantic_data_converter,
        dev_server_log_level="error", search_attributes=search_attribute_keys())
    probe = FlakyProbe()
    async with Worker(env.client, task_queue=CPU_TASK_QUEUE, workflows=[DubVideoWorkflow],
                      activities=[probe.probe_media, cleanup]):
        yield env, probe
        probe.release.set()
    await env.shutdown()


async def test_status_shows_why_a_retried_activity_failed(
        flaky: tuple[WorkflowEnvironment, FlakyProbe], tmp_path: Path) -> None:
    env, _ = flaky
    job_id = f"dub-flaky-{uuid.uuid4().hex[:8]}"
    await env.client.start_workflow(
        "DubVideo", DubJob(input_key=f"jobs/{job_id}/input", input_name="flaky.mp4"),
        id=job_id, task_queue=CPU_TASK_QUEUE)
    client = DubClient(env.client)
    for _ in range(200):
        progress = await client.progress(job_id)
        if progress.last_error:
            break
        await asyncio.sleep(0.1)
    assert progress.last_error == "probe_media: ToolFailed: ffprobe crashed on frame 12"
    settings = Settings(temporal_address=env.client.service_client.config.target_host,
                        store=str(tmp_path / "store"))
    shown = await starter(settings, "status", job_id)
    assert "retrying after: probe_media: ToolFailed: ffprobe crashed on frame 12" in shown.stdout


async def test_no_error_is_shown_while_nothing_is_retried(
        flaky: tuple[WorkflowEnvironment, FlakyProbe]) -> None:
    env, probe = flaky
    probe.attempts = FAILURES  # the next attempt runs without failing first
    job_id = f"dub-steady-{uuid.uuid4().hex[:8]}"
    await env.client.start_workflow(
        "DubVideo", DubJob(input_key=f"jobs/{job_id}/input", input_name="steady.mp4"),
        id=job_id, task_queue=CPU_TASK_QUEUE)
    for _ in range(100):
        if probe.attempts > FAILURES:
            break
        await asyncio.sleep(0.05)
    assert (await DubClient(env.client).progress(job_id)).last_error is None


async def test_cancelling_a_job_that_is_not_running_says_so(
        flaky: tuple[WorkflowEnvironment, FlakyProbe], tmp_path: Path) -> None:
    env, probe = flaky
    probe.attempts = FAILURES
    probe.release.set()  # the probe then fails for good: the job ends FAILED
    job_id = f"dub-ended-{uuid.uuid4().hex[:8]}"
    handle = await env.client.start_workflow(
        "DubVideo", DubJob(input_key=f"jobs/{job_id}/input", input_name="ended.mp4"),
        id=job_id, task_queue=CPU_TASK_QUEUE)
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()
    settings = Settings(temporal_address=env.client.service_client.config.target_host,
                        store=str(tmp_path / "store"))
    shown = await starter(settings, "cancel", job_id)
    assert shown.returncode == 2
    assert f"cannot cancel {job_id}: it is failed, not running" in shown.stderr
