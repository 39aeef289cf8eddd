"""The typed HTTP client against the real API, dev server and workers: the async client and
its sync wrapper (run in a thread, as a script without an event loop would)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from dubbing.settings import Settings
from dubclient.http import DubHTTP, DubHTTPError, SyncDubHTTP
from tests.api_server import KEYS, keyed, serving
from tests.helpers import SAMPLE, ffprobe

pytestmark = pytest.mark.slow


@pytest.fixture
async def api(workers: Settings, tmp_path: Path) -> AsyncIterator[str]:
    async with serving(keyed(workers, scratch_dir=tmp_path / "scratch")) as base:
        yield base


async def test_the_async_client_dubs_and_downloads(api: str, tmp_path: Path) -> None:
    async with DubHTTP(api, KEYS["alpha"]) as dubs:
        dub = await dubs.submit(SAMPLE, ["es"], max_stretch=1.25)
        seen = [kind async for kind, _ in dubs.events(dub.id)]
        assert seen[-1] == "end"
        final = await dubs.wait(dub.id)
        assert final.state == "completed"
        video = await dubs.download(dub.id, "es.mp4", tmp_path / "es.mp4")
        assert [s["codec_type"] for s in ffprobe(video)["streams"]].count("audio") == 2
        assert (await dubs.lines(dub.id, "es")).lines
        with pytest.raises(DubHTTPError) as refused:
            await dubs.pause(dub.id)
        assert refused.value.status == 409 and "completed" in refused.value.detail
    async with DubHTTP(api, KEYS["beta"]) as other:
        with pytest.raises(DubHTTPError) as hidden:
            await other.get(dub.id)
        assert hidden.value.status == 404


async def test_the_sync_client_in_a_plain_thread(api: str, tmp_path: Path) -> None:
    def script() -> tuple[str, str]:
        with SyncDubHTTP(api, KEYS["alpha"]) as dubs:
            dub = dubs.submit(SAMPLE, ["es"], overflow="shift")
            final = dubs.wait(dub.id)
            with pytest.raises(DubHTTPError) as bad:
                dubs.submit(SAMPLE, ["es"], voice="robot")
            return final.state, bad.value.detail

    state, detail = await asyncio.to_thread(script)
    assert state == "completed" and "unknown voice 'robot'" in detail
