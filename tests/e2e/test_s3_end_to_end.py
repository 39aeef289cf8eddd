"""The whole service on object storage: worker processes and the starter CLI on an S3 server."""

from __future__ import annotations

import asyncio
import sys
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.stack import Stack
from dubbing import keys
from dubbing.storage import open_store
from tests.e2e.test_long_video_history import payload_sizes
from tests.helpers import SAMPLE, ffprobe
from tests.s3 import s3_server, s3_settings

__all__ = ["s3_server"]  # the fixture, imported for pytest
pytestmark = pytest.mark.slow


@pytest.fixture
async def stack(tmp_path: Path, s3_server: str) -> AsyncIterator[Stack]:
    s = Stack(tmp_path)
    s.settings = s3_settings(s3_server, "s3://dub-e2e", s.settings)
    await s.start_server()
    await s.start_worker("cpu", "cpu")
    await s.start_worker("gpu", "gpu")
    yield s
    await s.close()


async def cli(stack: Stack, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "starter", *args, env=stack.env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_dub_through_s3_storage(stack: Stack, tmp_path: Path) -> None:
    code, out, err = await cli(stack, "translate", str(SAMPLE), "--to", "es", "--out",
                               str(tmp_path / "out"))
    assert code == 0, err
    job_id = out.rsplit("/workflows/", 1)[1].split()[0]
    mp4 = tmp_path / "out" / "sample.es.mp4"
    assert [s["codec_type"] for s in ffprobe(mp4)["streams"]] == ["video", "audio", "audio"]

    code, links, err = await cli(stack, "result", job_id, "--urls")
    assert code == 0, err
    urls = dict(line.split("\t") for line in links.strip().splitlines())
    assert len(urls) == 6 and all(u.startswith("http://127.0.0.1:") for u in urls.values())
    srt = await asyncio.to_thread(lambda: urllib.request.urlopen(urls["sample.es.srt"]).read())
    assert srt == (tmp_path / "out" / "sample.es.srt").read_bytes()

    store = open_store(stack.settings.store, stack.settings)
    assert not store.exists(keys.audio_key(job_id)), "temporaries must be cleaned up"
    history = await (await stack.client()).get_workflow_handle(job_id).fetch_history()
    assert max(payload_sizes(history.to_json())) < 64 * 1024
