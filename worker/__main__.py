"""Run one worker process until SIGINT/SIGTERM, then shut down gracefully."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer

from dubbing.settings import Settings
from dubclient import telemetry
from dubclient.connect import connect
from worker import scratch
from worker.build import Role, build_worker, scratch_root

log = logging.getLogger("worker")


async def serve(role: Role) -> None:
    settings = Settings()
    # What workers killed on this machine left (a SIGKILLed render leaves its dub.wav) goes
    # before this one takes work.
    own = await asyncio.to_thread(scratch.prepare, scratch_root(settings, role))
    telemetry.setup_tracing(settings, f"dub-worker-{role.value}")
    client = await connect(settings)
    worker = build_worker(client, settings, role)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("%s worker polling %s at %s", role.value, worker.task_queue,
             settings.temporal_address)
    unloader = None
    async with worker:
        if role is Role.GPU and settings.model_idle_seconds > 0:
            unloader = asyncio.create_task(unload_idle_models(settings.model_idle_seconds))
        await stop.wait()
        if unloader is not None:
            unloader.cancel()
        log.info("%s worker stopping: finishing in-flight activities", role.value)
    await asyncio.to_thread(scratch.release, own)
    telemetry.flush_traces()
    log.info("%s worker stopped", role.value)


async def unload_idle_models(max_idle: float) -> None:
    """Free the memory of models no activity has used for a while (GPU worker only)."""
    from dubbing.engines import models

    while True:
        await asyncio.sleep(min(60.0, max_idle))
        for key in await asyncio.to_thread(models.evict_idle, max_idle):
            log.info("unloaded idle model %s", key)


def main(role: Annotated[Role, typer.Option("--role", help="which task queue to serve")]) -> None:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(role))


if __name__ == "__main__":
    typer.run(main)
