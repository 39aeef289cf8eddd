"""Worker processes against a real dev server answer their health probe: not ready until they
poll (and, on the GPU worker, until the speech model is loaded), not ready from the moment
SIGTERM arrives, and gone once they have drained and exited cleanly."""

from __future__ import annotations

import asyncio
import signal
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator

import pytest

from bench.stack import HEAVY_MODULES, Stack, free_port
from dubbing.contract import CPU_TASK_QUEUE, WEBHOOK_WORKFLOW_NAME, WebhookEvent
from dubbing.stages import WebhookCall

pytestmark = pytest.mark.slow

Seen = tuple[int, str] | None  # None: nothing listens


def fetch(port: int, path: str) -> Seen:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as reply:
            return reply.status, reply.read().decode().strip()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode().strip()
    except (urllib.error.URLError, ConnectionError):
        return None


async def ask(port: int, path: str = "/readyz") -> Seen:
    return await asyncio.to_thread(fetch, port, path)


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("health"))
    await s.start_server()
    yield s
    await s.close()


async def until_ready(stack: Stack, name: str, port: int) -> list[Seen]:
    """What /readyz said until it said 200."""
    seen: list[Seen] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and stack.workers[name].returncode is None:
        answer = await ask(port)
        seen.append(answer)
        if answer is not None and answer[0] == 200:
            return seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} never became ready; saw {sorted(set(map(str, seen)))}\n"
                         f"{log_of(stack, name)[-3000:]}")


async def until_exit(stack: Stack, name: str, port: int) -> tuple[list[Seen], int]:
    """What /readyz said until the process exited, and its exit status."""
    proc = stack.workers[name]
    seen: list[Seen] = []
    deadline = time.monotonic() + 45
    while proc.returncode is None and time.monotonic() < deadline:
        seen.append(await ask(port))
        await asyncio.sleep(0.02)
    seen.append(await ask(port))
    return seen, await stack.stop_worker(name)


def log_of(stack: Stack, name: str) -> str:
    return (stack.root / f"{name}.log").read_text(errors="replace")


def not_ready(seen: list[Seen]) -> set[str]:
    assert all(s is None or s[0] == 503 for s in seen), seen
    return {s[1] for s in seen if s is not None}


class HeldWebhook:
    """A webhook receiver that answers only when released: a delivery held in flight."""

    def __init__(self) -> None:
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        await reader.readexactly(length)
        self.arrived.set()
        await self.release.wait()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    async def close(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.close()


async def hold_an_activity(stack: Stack, hook: HeldWebhook) -> None:
    """Start a webhook delivery on the CPU worker and wait until its POST is held."""
    client = await stack.client()
    call = WebhookCall(url=await hook.start(), event=WebhookEvent(
        job_id="health-probe", state="completed", input_name="talk.mp4"))
    await client.start_workflow(WEBHOOK_WORKFLOW_NAME, call, id="health-probe-webhook",
                                task_queue=CPU_TASK_QUEUE)
    await asyncio.wait_for(hook.arrived.wait(), 30)


async def test_cpu_worker_is_ready_once_polling_and_not_ready_while_draining(
        stack: Stack) -> None:
    port = free_port()
    await stack.start_worker("cpu", "cpu", env={"DUB_HEALTH_PORT": str(port)},
                             block=HEAVY_MODULES)
    before = await until_ready(stack, "cpu", port)
    assert not_ready(before[:-1]) <= {"not ready: connecting to Temporal",
                                      "not ready: starting to poll"}
    assert await ask(port, "/healthz") == (200, "ok")
    assert await ask(port, "/nothing") == (404, "not found")
    log = log_of(stack, "cpu")
    assert f"health probe on http://0.0.0.0:{port}" in log
    assert log.index("cpu worker polling") < log.index("cpu worker ready")

    hook = HeldWebhook()
    try:
        await hold_an_activity(stack, hook)
        stack.workers["cpu"].send_signal(signal.SIGTERM)
        # Draining the held delivery: alive, but not ready.
        assert await ask(port) == (503, "not ready: shutting down")
        assert await ask(port, "/healthz") == (200, "ok")
        assert stack.workers["cpu"].returncode is None
        hook.release.set()
        after, status = await until_exit(stack, "cpu", port)
    finally:
        await hook.close()
    assert status == 0, log_of(stack, "cpu")[-3000:]
    assert not_ready(after) <= {"not ready: shutting down"}
    assert after[-1] is None, "the probe closes when the process ends"


async def test_gpu_worker_is_ready_once_the_speech_model_is_loaded(stack: Stack) -> None:
    port = free_port()
    await stack.start_worker("gpu", "gpu", env={"DUB_HEALTH_PORT": str(port)})
    before = await until_ready(stack, "gpu", port)
    assert not_ready(before[:-1]) <= {
        "not ready: connecting to Temporal", "not ready: starting to poll",
        "not ready: loading the speech model"}
    log = log_of(stack, "gpu")
    assert log.index("speech model tiny.en loaded") < log.index("gpu worker ready")

    stack.workers["gpu"].send_signal(signal.SIGTERM)
    after, status = await until_exit(stack, "gpu", port)
    assert status == 0, log_of(stack, "gpu")[-3000:]
    assert not_ready(after) <= {"not ready: shutting down"}
