"""Stopping the API process: open event streams end at once with a `close` event carrying the
last known state (the job goes on; a client reconnects), and the process exits cleanly."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import httpx
import pytest

from bench.stack import start_api
from dubbing.settings import Settings
from dubclient.client import DubClient
from tests.conftest import service_env
from tests.helpers import SAMPLE

pytestmark = pytest.mark.slow


async def test_sigterm_ends_the_streams_with_a_final_event(workers: Settings,
                                                           tmp_path: Path) -> None:
    env = {k: v for k, v in service_env(workers).items() if k != "DUB_API_KEYS"}
    process, base = await start_api({**env, "DUB_SCRATCH_DIR": str(tmp_path)},
                                    stderr=asyncio.subprocess.PIPE)
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
            assert "event: close" in frames and "event: end" not in frames
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
