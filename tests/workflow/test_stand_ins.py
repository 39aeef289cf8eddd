"""The stand-ins implement exactly the registry's activities, by name, with the same input and
result types, on the worker of the declared task queue (as tests/unit/test_registry.py checks
for the real workers)."""

from __future__ import annotations

import typing

from temporalio import activity
from temporalio.client import Client

from dubbing.contract import CPU_TASK_QUEUE, GPU_TASK_QUEUE
from tests.workflow.standins import StandIns
from workflows import registry


def test_stand_ins_match_the_registry() -> None:
    found = StandIns(typing.cast(Client, None))
    by_queue = {CPU_TASK_QUEUE: found.cpu(), GPU_TASK_QUEUE: found.gpu()}
    served = {}
    for queue, fns in by_queue.items():
        for fn in fns:
            defn = activity._Definition.must_from_callable(fn)
            served[(queue, defn.name)] = fn
    assert set(served) == {(queue, ref.name) for ref in registry.ALL for queue in ref.queues}
    for ref in registry.ALL:
        hints = typing.get_type_hints(served[(ref.queue, ref.name)])
        assert [v for k, v in hints.items() if k != "return"] == [ref.input_type], ref.name
        assert hints["return"] == ref.result_type, ref.name
