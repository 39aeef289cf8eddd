"""Calling activities by name on the two task queues, with the service's timeouts and policies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from dubbing.contract import CPU_TASK_QUEUE, GPU_TASK_QUEUE
    from workflows import policies as p

# On cancellation, wait until in-flight activities have stopped before cleaning up, so none of
# them writes into storage after the cleanup.
WAIT_FOR_STOP = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED


async def cpu(name: str, *args: Any, limit: timedelta, retry: RetryPolicy, summary: str,
              heartbeat: timedelta, result_type: Any = None) -> Any:
    return await workflow.execute_activity(
        name, args=list(args), task_queue=CPU_TASK_QUEUE, start_to_close_timeout=limit,
        heartbeat_timeout=heartbeat, retry_policy=retry, summary=summary,
        result_type=result_type, cancellation_type=WAIT_FOR_STOP)


async def gpu(name: str, *args: Any, limit: timedelta, summary: str, heartbeat: timedelta,
              result_type: Any = None) -> Any:
    return await workflow.execute_activity(
        name, args=list(args), task_queue=GPU_TASK_QUEUE, start_to_close_timeout=limit,
        heartbeat_timeout=heartbeat, retry_policy=p.MODEL_RETRY, summary=summary,
        result_type=result_type, cancellation_type=WAIT_FOR_STOP)
