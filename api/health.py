"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: Temporal and the store
answer, and workers poll both task queues, read from the server's task queue description)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from api.service import Service, service
from dubbing.contract import CPU_TASK_QUEUE, GPU_TASK_QUEUE

router = APIRouter(tags=["health"])
Svc = Annotated[Service, Depends(service)]
QUEUES = ((CPU_TASK_QUEUE, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
          (CPU_TASK_QUEUE, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
          (GPU_TASK_QUEUE, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY))


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _pollers(svc: Service, queue: str, kind: TaskQueueType.ValueType) -> int:
    client = svc.dubs.client
    answer = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueue(name=queue), task_queue_type=kind))
    return len(answer.pollers)


async def missing(svc: Service) -> list[str]:
    """What keeps the service from doing work, in words; empty when ready."""
    problems: list[str] = []
    try:
        counts = await asyncio.wait_for(asyncio.gather(
            *(_pollers(svc, queue, kind) for queue, kind in QUEUES)), 5)
        for (queue, kind), count in zip(QUEUES, counts, strict=True):
            if count == 0:
                what = "workflow" if kind == TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW else "activity"
                problems.append(f"no worker polls {queue} ({what} tasks)")
    except Exception as exc:
        problems.append(f"Temporal at {svc.settings.temporal_address} does not answer "
                        f"({type(exc).__name__})")
    try:
        await asyncio.wait_for(asyncio.to_thread(svc.store.exists, "api/ready-probe"), 5)
    except Exception as exc:
        problems.append(f"the store does not answer ({type(exc).__name__})")
    return problems


@router.get("/readyz", summary="Temporal, the store and workers on both queues are there")
async def readyz(svc: Svc) -> JSONResponse:
    problems = await missing(svc)
    return JSONResponse({"status": "not ready" if problems else "ready", "missing": problems},
                        status_code=503 if problems else 200)
