"""A worker, as it starts, removes the scratch that killed workers left and keeps its own
under its pid; the scratch of live processes stays."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.helpers import ROOT


async def dead_pid() -> int:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await proc.wait()
    return proc.pid


async def wait_for_line(log: Path, text: str, proc: asyncio.subprocess.Process) -> str:
    """The worker's log once it holds `text`."""
    for _ in range(600):
        seen = await asyncio.to_thread(log.read_text, errors="replace")
        if text in seen:
            return seen
        if proc.returncode is not None:
            break
        await asyncio.sleep(0.1)
    raise AssertionError(f"worker never said {text!r}:\n{seen[-3000:]}")


@pytest.mark.parametrize("role", ["cpu", "gpu"])
async def test_worker_start_removes_scratch_of_gone_processes(
        env: WorkflowEnvironment, tmp_path: Path, role: str) -> None:
    root = tmp_path / "scratch" / role
    left = root / str(await dead_pid())
    (left / "tmpab12").mkdir(parents=True)
    (left / "tmpab12" / "dub.wav").write_bytes(bytes(1 << 20))
    live = root / str(os.getpid())  # this test's process is alive: its scratch stays
    other = root / "notes"  # not a pid: not the workers' to remove
    for keep in (live, other):
        keep.mkdir(parents=True)
        (keep / "f").write_bytes(b"x")

    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "worker", "--role", role, cwd=ROOT, stdout=out, stderr=out,
            env={**os.environ, "DUB_SCRATCH_DIR": str(tmp_path / "scratch"),
                 "DUB_STORE": str(tmp_path / "store"), "HF_HUB_OFFLINE": "1",
                 "DUB_TEMPORAL_ADDRESS": env.client.service_client.config.target_host})
    try:
        seen = await wait_for_line(log, "worker polling", worker)
        assert not left.exists()
        assert f"removed scratch {left}" in seen
        assert (live / "f").is_file() and (other / "f").is_file()
        assert (root / str(worker.pid)).is_dir()  # its own, by pid
    finally:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
        await asyncio.wait_for(worker.wait(), 60)
    assert worker.returncode == 0
    assert not (root / str(worker.pid)).exists()  # a clean stop takes its own along
