"""The registry and the workers agree: every declared activity is implemented, by name and with
the same input and result types, on the worker that polls its task queue, and nothing else is."""

from __future__ import annotations

import typing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity

from activities.control import ControlActivities
from activities.cpu import CpuActivities
from activities.gpu import GpuActivities
from activities.notify import NotifyActivities
from dubbing.contract import CPU_TASK_QUEUE, GPU_TASK_QUEUE, Stage
from dubbing.storage import LocalStore
from workflows import registry


def implementations(tmp_path: Path) -> dict[str, dict[str, Any]]:
    store = LocalStore(tmp_path / "store")
    cpu = [*CpuActivities(store, tmp_path / "s").all(),
           *ControlActivities(None).all(),  # type: ignore[arg-type]
           *NotifyActivities(b"k").all()]
    gpu = GpuActivities(store, tmp_path / "s").all()
    by_queue: dict[str, dict[str, Any]] = {CPU_TASK_QUEUE: {}, GPU_TASK_QUEUE: {}}
    for queue, fns in ((CPU_TASK_QUEUE, cpu), (GPU_TASK_QUEUE, gpu)):
        for fn in fns:
            defn = activity._Definition.must_from_callable(fn)
            by_queue[queue][str(defn.name)] = fn
    return by_queue


def test_every_declared_activity_is_implemented_on_its_queue_with_its_types(
        tmp_path: Path) -> None:
    found = implementations(tmp_path)
    for ref, queue in ((r, q) for r in registry.ALL for q in r.queues):
        fn = found[queue].get(ref.name)
        assert fn is not None, f"{ref.name} is not implemented on {queue}"
        hints = typing.get_type_hints(fn)
        params = [h for name, h in hints.items() if name != "return"]
        assert params == [ref.input_type], f"{ref.name} takes {params}"
        assert hints["return"] == ref.result_type, f"{ref.name} returns {hints['return']}"


def test_workers_implement_nothing_undeclared(tmp_path: Path) -> None:
    declared = {(queue, ref.name) for ref in registry.ALL for queue in ref.queues}
    found = {(queue, name) for queue, fns in implementations(tmp_path).items() for name in fns}
    assert found == declared


async def test_an_activity_runs_only_on_a_queue_declared_for_it() -> None:
    nothing: Any = None
    with pytest.raises(ValueError, match="does not run on dub-gpu"):
        await registry.run(registry.fit_segments, nothing, summary="", heartbeat=timedelta(1),
                           queue=GPU_TASK_QUEUE)


def test_every_stage_has_its_activity() -> None:
    assert {ref.stage for ref in registry.ALL if ref.stage is not None} == set(Stage)
