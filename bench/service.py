"""The service as real processes: dev server on a SQLite file, one CPU and one GPU worker."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType, TaskQueueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from bench.history import HistoryStats, analyze
from bench.stack import Stack
from dubbing import contract
from dubbing.contract import DubJob, DubResult
from dubbing.engines import asr
from dubbing.settings import Settings
from dubbing.storage import Store, open_store
from starter import jobs

SEARCH_ATTRIBUTES = {
    contract.SA_STAGE: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    contract.SA_SOURCE_LANG: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    contract.SA_TARGET_LANGS: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    contract.SA_MEDIA_SECONDS: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    contract.SA_INPUT_NAME: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
}
WORKERS = {"cpu worker": ("cpu", contract.CPU_TASK_QUEUE),
           "gpu worker": ("gpu", contract.GPU_TASK_QUEUE)}


@dataclass
class ServiceRun:
    job_id: str
    input_name: str
    media_seconds: float
    segments: int
    wall_seconds: float
    history: HistoryStats


class Service:
    """The embedded stack of `tests.stack`, with workers that can be restarted with new slots."""

    def __init__(self, root: Path) -> None:
        self.stack = Stack(root)
        self.slots = {"cpu": 4, "gpu": 1}
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        assert self._client is not None, "start the service first"
        return self._client

    @property
    def store(self) -> Store:
        return open_store(self.stack.settings.store, self.stack.settings)

    async def start(self, cpu_slots: int = 4, gpu_slots: int = 0) -> None:
        await self.stack.start_server()
        self._client = await self.stack.client()
        await register_search_attributes(self.client)
        await self.restart_workers(cpu_slots, gpu_slots)

    async def restart_workers(self, cpu_slots: int, gpu_slots: int) -> None:
        """Fresh worker processes (so their memory peaks start over), ready to poll."""
        self.slots = {"cpu": cpu_slots,
                      "gpu": asr.recognition_slots(Settings(gpu_slots=gpu_slots))}
        for name, (role, queue) in WORKERS.items():
            if name in self.stack.workers:
                await self.stack.stop_worker(name)
            await self.stack.start_worker(name, role, env={
                "DUB_CPU_SLOTS": str(cpu_slots), "DUB_GPU_SLOTS": str(gpu_slots)})
            await wait_polling(self.client, queue, self.stack.workers[name].pid)

    def queue_slots(self) -> dict[str, int]:
        return {queue: self.slots[role] for role, queue in WORKERS.values()}

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self.stack.workers.items()}

    async def dub(self, video: Path, job: DubJob) -> ServiceRun:
        """Submit, wait for the result, and read the run's history."""
        began = time.perf_counter()
        handle = await jobs.submit(self.client, self.store, video, job)
        result: DubResult = await handle.result()
        wall = time.perf_counter() - began
        history = await handle.fetch_history()
        if result.segments == 0 or not result.outputs:
            raise RuntimeError(f"job {handle.id} dubbed nothing")
        return ServiceRun(job_id=handle.id, input_name=video.name,
                          media_seconds=result.media_seconds, segments=result.segments,
                          wall_seconds=round(wall, 3),
                          history=analyze(list(history.events), self.queue_slots()))

    async def close(self) -> None:
        await self.stack.close()


async def register_search_attributes(client: Client) -> None:
    """What `make up` and docker-compose's set-up job register; the workflow sets them."""
    for name, kind in SEARCH_ATTRIBUTES.items():
        try:
            await client.operator_service.add_search_attributes(AddSearchAttributesRequest(
                namespace=client.namespace, search_attributes={name: kind}))
        except RPCError as exc:
            if "already" not in str(exc).lower():
                raise


async def wait_polling(client: Client, queue: str, pid: int) -> None:
    """Wait until the worker process `pid` polls `queue` (its identity is PID@HOST)."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueue(name=queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)
    for _ in range(300):  # a minute
        described = await client.workflow_service.describe_task_queue(request)
        if any(p.identity.startswith(f"{pid}@") for p in described.pollers):
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"worker {pid} never polled {queue}; see its log")
