"""Building the two kinds of worker.

The CPU worker runs the workflows and the media/translation activities; the GPU worker runs the
speech models. Neither imports the other's heavy dependencies.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from activities.control import ControlActivities
from activities.cpu import CpuActivities
from activities.gpu import GpuActivities
from activities.notify import NotifyActivities
from dubbing.contract import CPU_TASK_QUEUE, GPU_TASK_QUEUE
from dubbing.engines import asr
from dubbing.settings import Settings
from dubbing.storage import open_store
from worker.scratch import process_dir
from workflows.batch import DubBatchWorkflow
from workflows.dub_video import DubVideoWorkflow
from workflows.notify import NotifyWebhookWorkflow
from workflows.redub import RedubSegmentWorkflow

GRACEFUL_SHUTDOWN = timedelta(seconds=30)


class Role(StrEnum):
    CPU = "cpu"
    GPU = "gpu"


def scratch_root(settings: Settings, role: Role) -> Path:
    """Where the workers of `role` on this machine keep their per-process scratch."""
    return Path(settings.scratch_dir) / role.value


def deployment(settings: Settings) -> WorkerDeploymentConfig | None:
    """Worker versioning when the settings name a deployment and a build: every workflow is
    PINNED to the build that started it, so a deploy of changed workflow code never replays a
    job in flight on other code; both roles of one build share the version, so the pinned
    job's activities go to that build's workers too."""
    if not (settings.deployment_name and settings.build_id):
        return None
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(deployment_name=settings.deployment_name,
                                        build_id=settings.build_id),
        use_worker_versioning=True, default_versioning_behavior=VersioningBehavior.PINNED)


def single_threaded_blas() -> None:
    """numpy's OpenBLAS pool and fork() deadlock: a tool started (fork) while another activity
    thread is inside a multi-threaded matrix product leaves both stuck for good (OpenBLAS's
    fork handler waits for its busy pool). The products here are small (Whisper's mel filter,
    the speakers' clustering), so BLAS runs in the calling thread; CTranslate2 and torch keep
    their own threads."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def build_worker(client: Client, settings: Settings, role: Role,
                 task_queue: str | None = None) -> Worker:
    single_threaded_blas()
    store = open_store(settings.store, settings)
    scratch = process_dir(scratch_root(settings, role))
    if role is Role.GPU:
        gpu = GpuActivities(store, scratch, settings)
        slots = asr.recognition_slots(settings)
        return Worker(
            client, task_queue=task_queue or GPU_TASK_QUEUE, activities=gpu.all(),
            activity_executor=ThreadPoolExecutor(slots), max_concurrent_activities=slots,
            graceful_shutdown_timeout=GRACEFUL_SHUTDOWN, deployment_config=deployment(settings),
        )
    cpu = CpuActivities(store, scratch, settings)
    return Worker(
        client, task_queue=task_queue or CPU_TASK_QUEUE,
        workflows=[DubVideoWorkflow, RedubSegmentWorkflow, DubBatchWorkflow,
                   NotifyWebhookWorkflow],
        activities=[*cpu.all(), *ControlActivities(client).all(), *NotifyActivities(
            secret=settings.webhook_secret.encode() if settings.webhook_secret else None,
            allow_private=settings.allow_private_addresses).all()],
        activity_executor=ThreadPoolExecutor(settings.cpu_slots),
        max_concurrent_activities=settings.cpu_slots,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN, deployment_config=deployment(settings),
    )
