"""The processes of the scale simulation (`bench/scale.py`): a worker process (a real Temporal
`Worker` with the stand-in engines of `bench/scale_standins.py`), and how the bench starts and
kills them and the dev server.

    python -m bench.scale_worker cpu|gpu ADDRESS --scale S --media M --window W [--cpu-slots K]

The CPU worker runs the real DubVideoWorkflow and the CPU stand-ins on `dub-cpu`; a GPU worker
runs the GPU stand-ins on `dub-gpu` with one slot, like one GPU. A worker prints "ready" once it
polls and stops on SIGTERM/SIGINT. Every child is started in its own process group, which the
bench SIGKILLs, and with a parent-death signal, so a killed bench leaves none behind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker

from bench.scale_standins import Timing, cpu_activities, gpu_activities
from bench.stack import ROOT, free_port, search_attribute_flags, temporal_binary
from dubbing.contract import CPU_TASK_QUEUE, GPU_TASK_QUEUE
from dubbing.settings import Settings
from dubclient.connect import connect
from workflows.dub_video import DubVideoWorkflow

_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1
Procs = list[asyncio.subprocess.Process]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("role", choices=["cpu", "gpu"])
    parser.add_argument("address")
    parser.add_argument("--scale", type=float, required=True)
    parser.add_argument("--media", type=float, required=True)
    parser.add_argument("--window", type=float, required=True)
    parser.add_argument("--cpu-slots", type=int, default=4, help="activity slots, CPU worker")
    parser.add_argument("--workflow-tasks", type=int, default=None,
                        help="workflow task slots, CPU worker (the SDK's default when absent)")
    parser.add_argument("--pollers", type=int, default=None,
                        help="pollers of each kind, CPU worker (the SDK's default when absent)")
    return parser.parse_args(argv)


def build(client: Client, args: argparse.Namespace) -> Worker:
    timing = Timing(scale=args.scale, media=args.media, window=args.window)
    if args.role == "gpu":
        return Worker(client, task_queue=GPU_TASK_QUEUE, activities=gpu_activities(timing),
                      max_concurrent_activities=1)
    polls = PollerBehaviorSimpleMaximum(args.pollers or 5)  # 5: the SDK's default
    return Worker(client, task_queue=CPU_TASK_QUEUE, workflows=[DubVideoWorkflow],
                  activities=cpu_activities(timing), max_concurrent_activities=args.cpu_slots,
                  max_concurrent_workflow_tasks=args.workflow_tasks,
                  workflow_task_poller_behavior=polls, activity_task_poller_behavior=polls)


async def serve(args: argparse.Namespace) -> None:
    client = await connect(Settings(temporal_address=args.address))
    worker = build(client, args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        while not worker.is_running:  # noqa: ASYNC110 (the SDK offers no event)
            await asyncio.sleep(0.02)
        print("ready", flush=True)
        await stop.wait()


# --- the bench's side --------------------------------------------------------------------------

def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the bench dies, however it dies."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def worker_env(pycache: Path) -> dict[str, str]:
    """The workers' environment, with bytecode cached (outside the checkout) even where the
    shell sets PYTHONDONTWRITEBYTECODE: the workflow sandbox imports the workflow modules
    again for every job, and compiled them from source every time without it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(pycache)}


async def spawn(*argv: str, log: Path, stdout: int = asyncio.subprocess.DEVNULL,
                env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    """A child in its own process group (killed as a group), its stderr in `log`."""
    with log.open("ab") as err:
        return await asyncio.create_subprocess_exec(
            *argv, cwd=ROOT, stdout=stdout, stderr=err, env=env, start_new_session=True,
            preexec_fn=_die_with_parent)


async def kill(procs: Procs) -> None:
    """SIGKILL every process group in `procs` and reap them."""
    for proc in procs:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    await asyncio.gather(*(p.wait() for p in procs))


async def start_server(root: Path, procs: Procs) -> Client:
    """A dev server in memory on a free port (put in `procs` at once), once it answers."""
    port = free_port()
    procs.append(await spawn(
        temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port),
        "--headless", "--log-level", "error", *search_attribute_flags(),
        log=root / "temporal.log"))
    for _ in range(150):
        try:
            client = await connect(Settings(temporal_address=f"127.0.0.1:{port}"))
            await client.count_workflows()
            return client
        except Exception:
            await asyncio.sleep(0.2)
    output = await asyncio.to_thread((root / "temporal.log").read_text)
    raise RuntimeError(f"the dev server did not start: {output[-2000:]}")


async def start_worker(role: str, address: str, args: argparse.Namespace, log: Path,
                       procs: Procs) -> None:
    """Start one worker process (put in `procs` at once) and wait until it polls."""
    extra = [f"--{name.replace('_', '-')}={getattr(args, name)}"
             for name in ("cpu_slots", "workflow_tasks", "pollers")
             if getattr(args, name) is not None]
    proc = await spawn(sys.executable, "-m", "bench.scale_worker", role, address,
                       f"--scale={args.scale}", f"--media={args.media}",
                       f"--window={args.window}", *extra, log=log,
                       stdout=asyncio.subprocess.PIPE, env=worker_env(log.parent.parent / "pyc"))
    procs.append(proc)
    assert proc.stdout is not None
    if (await asyncio.wait_for(proc.stdout.readline(), 120)).strip() != b"ready":
        output = await asyncio.to_thread(log.read_text)
        raise RuntimeError(f"the {role} worker did not start: {output[-2000:]}")


async def start_workers(gpu_workers: int, address: str, args: argparse.Namespace, root: Path,
                        procs: Procs) -> None:
    """The CPU worker, then `gpu_workers` GPU workers; each logs to its own file in `root`."""
    await start_worker("cpu", address, args, root / "cpu.log", procs)
    await asyncio.gather(*(start_worker("gpu", address, args, root / f"gpu-{i}.log", procs)
                           for i in range(gpu_workers)))


if __name__ == "__main__":
    asyncio.run(serve(parse()))
