"""The Temporal Web UI in a headless browser: a dev server with its UI, and Debian's Chromium
driven by Playwright. The browser only ever talks to 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import shutil
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import BrowserContext, Route, async_playwright

from bench.stack import Stack, free_port, search_attribute_flags
from tests.conftest import temporal_binary
from tests.helpers import ROOT

CHROMIUM = Path(os.environ.get("DUB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage")


def artifacts_dir() -> Path:
    """Where screenshots go: $DUB_TEST_ARTIFACTS, relative to the repository root."""
    path = ROOT / os.environ.get("DUB_TEST_ARTIFACTS", "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


class UIStack(Stack):
    """A `Stack` whose dev server also serves the Web UI on `ui_port`."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.ui_port = free_port()

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    async def start_server(self) -> None:
        log = (self.root / "temporal.log").open("ab")
        self.server = await asyncio.create_subprocess_exec(
            temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port",
            str(self.port), "--ui-ip", "127.0.0.1", "--ui-port", str(self.ui_port),
            "--db-filename", str(self.root / "temporal.db"), "--log-level", "error",
            *search_attribute_flags(), stdout=log, stderr=log)
        for _ in range(150):
            if self.server.returncode is not None:
                raise RuntimeError(f"dev server exited ({self.server.returncode}): see "
                                   f"{self.root / 'temporal.log'}")
            try:
                await (await self.client()).count_workflows()
                if await asyncio.to_thread(_http_ok, f"{self.ui_url}/"):
                    return
            except Exception:
                pass
            await asyncio.sleep(0.2)
        raise RuntimeError("dev server or its Web UI did not start")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return 200 <= int(resp.status) < 400
    except OSError:
        return False


def _fresh_profile(profile: Path) -> None:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium (make setup)")
    shutil.rmtree(profile, ignore_errors=True)
    profile.mkdir(parents=True)


@asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[BrowserContext]:
    """Debian's Chromium, headless, with a fresh profile and no traffic beyond loopback."""
    await asyncio.to_thread(_fresh_profile, profile)
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True,
            args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
            viewport={"width": 1600, "height": 1000}, service_workers="block")
        await context.route("**/*", _loopback_only)
        try:
            yield context
        finally:
            await context.close()


async def _loopback_only(route: Route) -> None:
    """Abort every request that is not for 127.0.0.1 (fonts, telemetry, update checks)."""
    if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
        await route.continue_()
    else:
        await route.abort()
