"""Run one worker process until SIGINT/SIGTERM, then shut down gracefully."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer
from temporalio.worker import Worker

from dubbing.errors import ConfigurationError
from dubbing.settings import Settings
from dubclient import telemetry
from dubclient.connect import connect
from worker import memory, scratch
from worker.build import Role, build_worker, scratch_root
from worker.health import Health, Probe

log = logging.getLogger("worker")


async def serve(role: Role) -> None:
    settings = Settings()
    if role is Role.GPU:
        memory.pin_mmap_threshold(settings.malloc_mmap_threshold_mib)
    health = Health("connecting to Temporal")
    probe = Probe(health)
    if settings.health_port is not None:
        await probe.start(settings.health_port)
    try:
        await run_worker(role, settings, health)
    finally:
        await probe.close()


async def run_worker(role: Role, settings: Settings, health: Health) -> None:
    # What workers killed on this machine left (a SIGKILLed render leaves its dub.wav) goes
    # before this one takes work.
    own = await asyncio.to_thread(scratch.prepare, scratch_root(settings, role))
    telemetry.setup_tracing(settings, f"dub-worker-{role.value}")
    client = await connect(settings)
    worker = build_worker(client, settings, role)
    stop = asyncio.Event()

    def on_signal() -> None:
        health.set_not_ready("shutting down")  # at once: before the drain, not after it
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    log.info("%s worker polling %s at %s", role.value, worker.task_queue,
             settings.temporal_address)
    tasks: list[asyncio.Task[None]] = []
    async with worker:
        tasks.append(asyncio.create_task(become_ready(role, settings, worker, health, stop)))
        if role is Role.GPU and settings.model_idle_seconds > 0:
            tasks.append(asyncio.create_task(unload_idle_models(settings.model_idle_seconds)))
        try:
            await stop.wait()
        finally:
            health.set_not_ready("shutting down")
            for task in tasks:
                task.cancel()
        log.info("%s worker stopping: finishing in-flight activities", role.value)
    await asyncio.to_thread(scratch.release, own)
    telemetry.flush_traces()
    log.info("%s worker stopped", role.value)


async def become_ready(role: Role, settings: Settings, worker: Worker, health: Health,
                       stop: asyncio.Event) -> None:
    """Declare the worker ready once it polls its task queue and, on the GPU worker, once the
    default speech model is loaded."""
    warm = asyncio.create_task(warm_up_models(settings)) if role is Role.GPU else None
    try:
        health.set_not_ready("starting to poll")
        # `async with worker` has started it; it polls once its namespace check has passed.
        # The SDK offers a flag for that, not an event.
        while not worker.is_running:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if warm is not None:
            health.set_not_ready("loading the speech model")
            await warm
    except Exception as exc:
        log.error("%s worker not ready: %s", role.value, exc)
        if not stop.is_set():
            health.set_not_ready(f"warm-up failed: {exc}")
        return
    finally:
        if warm is not None:
            warm.cancel()
    if not stop.is_set():
        health.set_ready()
        log.info("%s worker ready", role.value)


async def warm_up_models(settings: Settings) -> None:
    """Load what every job uses (the bundled Whisper model, Silero VAD, and the speaker
    encoder of the default `--speakers auto`), in a thread, so the first job does not pay for
    it; activities share the loaded models. A host without resemblyzer still serves
    `--speakers 1` jobs: that is logged, not a failed warm-up."""
    from dubbing.engines import asr, speakers

    def load() -> None:
        asr.load_model(asr.BUNDLED_MODEL, settings)
        from faster_whisper.vad import get_vad_model

        get_vad_model()

    await asyncio.to_thread(load)
    log.info("speech model %s loaded", asr.BUNDLED_MODEL)
    try:
        await asyncio.to_thread(speakers.load_encoder)
    except ConfigurationError as exc:
        log.warning("speaker encoder not loaded (jobs with --speakers 1 still run): %s", exc)
    else:
        log.info("speaker encoder loaded")


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
