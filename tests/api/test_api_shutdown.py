"""Stopping the API process: open event streams end at once with a final event, the process
exits cleanly, and an upload in flight leaves nothing behind."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import httpx
import pytest

from bench.stack import free_port
from dubbing.settings import Settings
from dubclient.client import DubClient
from tests.conftest import service_env
from tests.helpers import ROOT, SAMPLE

pytestmark = pytest.mark.slow


async def start_api(settings: Settings, scratch: Path) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    env = {**service_env(settings), "DUB_API_PORT": str(port), "DUB_SCRATCH_DIR": str(scratch)}
    env.pop("DUB_API_KEYS", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api", cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(200):
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return process, base
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError("the API did not start")


async def test_sigterm_ends_the_streams_with_a_final_event(workers: Settings,
                                                           tmp_path: Path) -> None:
    process, base = await start_api(workers, tmp_path)
    dubs = await DubClient.connect(workers.temporal_address)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        made = (await http.post("/v1/dubs", data={"to": "es", "overflow": "shift"},
                                files={"file": (SAMPLE.name, SAMPLE.read_bytes())})).json()
        job_id = made["id"]
        try:
            await dubs.pause(job_id)  # it stays running while the stream is open
            frames: list[str] = []
            async with http.stream("GET", f"/v1/dubs/{job_id}/events") as answer:
                lines = answer.aiter_lines()
                while not (line := await anext(lines)).startswith("data: "):
                    pass
                frames.append(line)
                process.send_signal(signal.SIGTERM)
                async with asyncio.timeout(10):
                    async for line in lines:
                        frames.append(line)
            assert "event: end" in frames
            last = json.loads([f for f in frames if f.startswith("data: ")][-1][6:])
            assert last["id"] == job_id and last["state"] == "paused"
        finally:
            await dubs.cancel(job_id, "test over")
    async with asyncio.timeout(30):
        code = await process.wait()
    assert process.stderr is not None
    log = (await process.stderr.read()).decode()
    # uvicorn ends by raising the signal again once its shutdown is complete
    assert code in (0, -signal.SIGTERM) and "Application shutdown complete" in log, log
    assert "Traceback" not in log
