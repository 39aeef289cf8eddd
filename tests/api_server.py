"""The HTTP API served by uvicorn on a free loopback port, in this process, over the session's
dev server, workers and store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

from api.app import create_app
from api.auth import hash_key
from bench.stack import free_port
from dubbing.settings import Settings

KEYS = {"alpha": "alpha-key-0123456789", "beta": "beta-key-9876543210"}


def keyed(settings: Settings, **extra: object) -> Settings:
    """The session's settings with the two test tenants' keys."""
    keys = ",".join(f"{tenant}:{hash_key(key)}" for tenant, key in KEYS.items())
    return settings.model_copy(update={"api_keys": keys, **extra})


def bearer(tenant: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[tenant]}"}


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[str]:
    """The API's base URL while it runs."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
