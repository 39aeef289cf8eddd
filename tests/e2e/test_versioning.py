"""Worker versioning on the dev server: a job started on build A finishes on build A (its
workflow tasks and its activities) while jobs started after build B became current run on B."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType, VersioningBehavior
from temporalio.api.workflowservice.v1 import (
    DescribeWorkerDeploymentRequest,
    SetWorkerDeploymentCurrentVersionRequest,
)
from temporalio.client import Client, WorkflowHandle

from bench.media import speech_video
from bench.stack import Stack
from dubbing.contract import DubJob
from dubbing.storage import open_store
from dubclient.client import DubClient
from starter import jobs

pytestmark = pytest.mark.slow
DEPLOYMENT = "dubbing"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    s = Stack(tmp_path)
    await s.start_server()
    yield s
    await s.close()


async def start_build(stack: Stack, build: str) -> dict[str, int]:
    """Both roles of one build, as a deploy would start them; their pids."""
    env = {"DUB_DEPLOYMENT_NAME": DEPLOYMENT, "DUB_BUILD_ID": build}
    for role in ("cpu", "gpu"):
        await stack.start_worker(f"{role}-{build}", role, env=env)
    return {role: stack.workers[f"{role}-{build}"].pid for role in ("cpu", "gpu")}


async def make_current(client: Client, build: str) -> None:
    """Wait until the build's workers are known to the deployment, then route new work to it."""
    for _ in range(600):
        try:
            info = (await client.workflow_service.describe_worker_deployment(
                DescribeWorkerDeploymentRequest(namespace=client.namespace,
                                                deployment_name=DEPLOYMENT))
                    ).worker_deployment_info
            if build in {v.deployment_version.build_id for v in info.version_summaries}:
                break
        except Exception:
            pass
        await asyncio.sleep(0.1)
    await client.workflow_service.set_worker_deployment_current_version(
        SetWorkerDeploymentCurrentVersionRequest(namespace=client.namespace,
                                                 deployment_name=DEPLOYMENT, build_id=build,
                                                 ignore_missing_task_queues=True))


async def ran_on(handle: WorkflowHandle) -> tuple[set[str], set[str]]:
    """The builds that completed the job's workflow tasks, and the workers (identities) that
    ran its activities."""
    builds, workers = set(), set()
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            attrs = event.workflow_task_completed_event_attributes
            builds.add(attrs.deployment_version.build_id or attrs.worker_version.build_id)
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            workers.add(event.activity_task_started_event_attributes.identity)
    return builds, workers


async def test_a_job_stays_on_the_build_that_started_it(stack: Stack, tmp_path: Path) -> None:
    client = await stack.client()
    store = open_store(stack.settings.store)
    a = await start_build(stack, "a")
    await make_current(client, "a")
    video = speech_video(tmp_path / "long.mp4", 40)
    first = await jobs.submit(client, store, video, DubJob(input_key="-", input_name=video.name))
    dubs = DubClient(client)
    await dubs.pause(first.id)  # it stays in flight across the deploy

    b = await start_build(stack, "b")
    await make_current(client, "b")
    clip = speech_video(tmp_path / "clip.mp4", 12)
    second = await jobs.submit(client, store, clip, DubJob(input_key="-", input_name=clip.name))
    await asyncio.wait_for(second.result(), 300)
    await dubs.resume(first.id)
    await asyncio.wait_for(first.result(), 300)

    for handle, build, pids in ((first, "a", a), (second, "b", b)):
        info = (await handle.describe()).raw_description.workflow_execution_info.versioning_info
        assert info.behavior == VersioningBehavior.VERSIONING_BEHAVIOR_PINNED
        assert info.deployment_version.build_id == build
        builds, workers = await ran_on(handle)
        assert builds == {build}, (handle.id, builds)
        assert workers and all(w.split("@")[0] in {str(p) for p in pids.values()}
                               for w in workers), (handle.id, workers, pids)
