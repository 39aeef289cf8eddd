"""The FastAPI application: routers, problem documents, the page at `/`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api import files, health, lines, problems, routes
from api.service import Service
from dubbing.settings import Settings

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("api")


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = await Service.start(settings)
        if app.state.service.keys.local_only:
            log.warning("no API keys configured (DUB_API_KEYS): serving requests from this "
                        "machine only, as tenant 'local'")
        yield
        await app.state.service.hub.close()

    app = FastAPI(title="Dubbing service", version="1", lifespan=lifespan,
                  description="Dub a video into other languages (docs/api.md).")
    problems.install(app)
    for module in (routes, lines, files, health):
        app.include_router(module.router)
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")

        @app.get("/", include_in_schema=False)
        async def page() -> FileResponse:
            return FileResponse(STATIC / "index.html", media_type="text/html")

    return app
