"""The service's search attributes (dubbing.contract.SEARCH_ATTRIBUTES) on a server that does
not know them, here a time-skipping test server of its own (the session's server has them
registered, see conftest.py):

- a client start (workflows/attributes.start_options sets DubStage, DubSourceLang,
  DubTargetLangs, DubInputName) is refused: INVALID_ARGUMENT "search attribute DubSourceLang
  is not defined" (or another of the four: the server names the first it checks);
- a start without them (as `temporal workflow start` in the contract table) is accepted, but
  DubVideo's first upsert (DubStage, workflows/publish.py) fails the workflow task with
  "search attribute DubStage is not defined", again on every retry: the job never probes.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from dubbing.contract import (
    CPU_TASK_QUEUE,
    SA_INPUT_NAME,
    SA_SOURCE_LANG,
    SA_STAGE,
    SA_TARGET_LANGS,
    WORKFLOW_NAME,
)
from tests.workflow import helpers as h
from tests.workflow.conftest import cpu_worker, gpu_worker, start_test_server
from tests.workflow.standins import StandIns


async def task_failures(client: Client, job_id: str, count: int) -> list[str]:
    handle = client.get_workflow_handle(job_id)
    for _ in range(500):
        found = [e.workflow_task_failed_event_attributes.failure.message
                 for e in await h.events(handle)
                 if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.01)
    raise AssertionError("the workflow task did not fail")


async def test_unregistered_search_attributes_stop_the_job() -> None:
    env = await start_test_server()
    try:
        stand_ins = StandIns(env.client)
        async with cpu_worker(env.client, stand_ins), gpu_worker(env.client, stand_ins):
            with pytest.raises(RPCError) as refused:
                await h.start(env.client, "unregistered-attributes")
            assert refused.value.status == RPCStatusCode.INVALID_ARGUMENT
            # The server names the first unknown one it checks, in no fixed order.
            found = re.fullmatch(r"search attribute (\w+) is not defined", refused.value.message)
            assert found and found.group(1) in {SA_STAGE, SA_SOURCE_LANG, SA_TARGET_LANGS,
                                                SA_INPUT_NAME}, refused.value.message

            handle = await env.client.start_workflow(
                WORKFLOW_NAME, h.job("unregistered-upsert"), id="unregistered-upsert",
                task_queue=CPU_TASK_QUEUE)
            failures = await task_failures(env.client, handle.id, 1)
            assert "search attribute DubStage is not defined" in failures[0], failures
            assert stand_ins.calls == []
            await handle.terminate("test over")
    finally:
        await env.shutdown()
