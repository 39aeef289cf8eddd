"""The real CPU worker SIGKILLed while it renders: its ffmpeg dies with it, the job completes on
the next worker, and nothing of the killed attempt is left in scratch."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from temporalio.client import WorkflowHandle

from bench.media import speech_video
from bench.stack import Stack
from dubbing.contract import DubJob, DubResult
from dubbing.storage import open_store
from starter import jobs
from worker import scratch

pytestmark = pytest.mark.slow


def children(pid: int, name: str) -> list[int]:
    """Pids of the processes called `name` whose parent is `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm, fields = text[text.index("(") + 1 : text.rindex(")")], text.rpartition(")")[2]
        if comm == name and int(fields.split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found


async def ffmpeg_in_render(handle: WorkflowHandle, worker_pid: int) -> list[int]:
    """Wait until the render runs an ffmpeg in the worker; return the ffmpeg pids."""
    for _ in range(6000):
        desc = await handle.describe()
        if any(a.activity_type.name == "render_outputs"
               for a in desc.raw_description.pending_activities):
            if tools := await asyncio.to_thread(children, worker_pid, "ffmpeg"):
                return tools
            await asyncio.sleep(0.02)
        else:
            await asyncio.sleep(0.2)
    raise AssertionError("the render never ran ffmpeg")


async def gone(pid: int, seconds: float = 5) -> bool:
    for _ in range(int(seconds / 0.05)):
        if not scratch.alive(pid):
            return True
        await asyncio.sleep(0.05)
    return False


async def test_cpu_worker_killed_mid_render(tmp_path: Path) -> None:
    stack = Stack(tmp_path)
    await stack.start_server()
    await stack.start_worker("cpu-1", "cpu")
    await stack.start_worker("gpu", "gpu")
    try:
        video = speech_video(tmp_path / "talk.mp4", 90)
        client = await stack.client()
        job = DubJob(input_key="pending", input_name=video.name, heartbeat_seconds=4)
        handle = await jobs.submit(client, open_store(stack.settings.store), video, job)
        killed = stack.workers["cpu-1"].pid
        tools = await ffmpeg_in_render(handle, killed)
        await stack.stop_worker("cpu-1", signal.SIGKILL)
        for pid in tools:
            assert await gone(pid, 1), f"ffmpeg {pid} outlived the worker that started it"
        left = tmp_path / "scratch" / "cpu" / str(killed)
        assert [p for p in left.rglob("*") if p.is_file()], "the render's scratch is not there"

        await stack.start_worker("cpu-2", "cpu")
        result: DubResult = await asyncio.wait_for(handle.result(), 600)
        assert result.segments > 0 and result.outputs[0].keys["mp4"]
        assert not left.exists()  # removed by cpu-2 as it started
        cpu = tmp_path / "scratch" / "cpu"
        survivor = cpu / str(stack.workers["cpu-2"].pid)
        assert list(cpu.iterdir()) == [survivor] and list(survivor.iterdir()) == []
    finally:
        await stack.close()
