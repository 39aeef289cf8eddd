"""What the HTTP API refuses, against the real dev server, workers and store: no key, another
tenant's job, an upload that is no media, an upload cut off mid-stream, a source URL inside the
service's network. Each refusal is a problem document and leaves nothing stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from dubbing.settings import Settings
from tests.api_server import bearer, keyed, serving
from tests.helpers import SAMPLE


@pytest.fixture
async def api(workers: Settings, tmp_path: Path) -> AsyncIterator[tuple[str, Settings]]:
    settings = keyed(workers, scratch_dir=tmp_path / "scratch", allow_private_addresses=False)
    async with serving(settings) as base:
        yield base, settings


def stored(settings: Settings) -> set[Path]:
    root = Path(settings.store)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def scratch_files(settings: Settings) -> list[Path]:
    root = settings.scratch_dir / "api"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_problem(answer: httpx.Response, status: int, words: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["status"] == status and words in body["detail"], body
    assert "Traceback" not in answer.text


async def test_no_key_or_an_unknown_key_is_401(api: tuple[str, Settings]) -> None:
    base, _ = api
    async with httpx.AsyncClient(base_url=base) as http:
        assert_problem(await http.get("/v1/dubs"), 401, "Authorization: Bearer")
        assert_problem(await http.get("/v1/dubs", headers={"Authorization": "Bearer nope"}),
                       401, "unknown API key")
        assert (await http.get("/v1/dubs", headers=bearer("alpha"))).status_code == 200
        assert (await http.get("/healthz")).status_code == 200


async def test_a_text_file_is_415_and_nothing_is_stored(api: tuple[str, Settings]) -> None:
    base, settings = api
    before = stored(settings)
    async with httpx.AsyncClient(base_url=base, headers=bearer("alpha")) as http:
        answer = await http.post("/v1/dubs", data={"to": "es"},
                                 files={"file": ("notes.txt", b"hello\n" * 5000, "text/plain")})
    assert_problem(answer, 415, "notes.txt is not a video or audio file")
    assert stored(settings) == before and scratch_files(settings) == []


async def test_a_broken_mp4_is_422_and_nothing_is_stored(api: tuple[str, Settings]) -> None:
    base, settings = api
    before = stored(settings)
    fake = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 20000  # an MP4's first bytes, then nothing
    async with httpx.AsyncClient(base_url=base, headers=bearer("alpha")) as http:
        answer = await http.post("/v1/dubs", files={"file": ("broken.mp4", fake, "video/mp4")})
    assert_problem(answer, 422, "broken.mp4")
    assert stored(settings) == before and scratch_files(settings) == []


async def test_a_bad_setting_is_422_before_anything_is_stored(
        api: tuple[str, Settings]) -> None:
    base, settings = api
    before = stored(settings)
    async with httpx.AsyncClient(base_url=base, headers=bearer("alpha")) as http:
        answer = await http.post("/v1/dubs", data={"to": "es", "voice": "robot"},
                                 files={"file": ("sample.mp4", SAMPLE.read_bytes(), "video/mp4")})
    assert_problem(answer, 422, "unknown voice 'robot'")
    assert stored(settings) == before


async def test_an_upload_cut_off_mid_stream_leaves_nothing(api: tuple[str, Settings]) -> None:
    base, settings = api
    before = stored(settings)
    host, port = base.removeprefix("http://").split(":")
    media = SAMPLE.read_bytes()
    boundary = "cutoffboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"sample.mp4\"\r\nContent-Type: video/mp4\r\n\r\n").encode()
    length = len(head) + len(media) + 200
    _reader, writer = await asyncio.open_connection(host, int(port))
    writer.write((f"POST /v1/dubs HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer "
                  f"{bearer('alpha')['Authorization'].split()[1]}\r\nContent-Type: "
                  f"multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n\r\n"
                  ).encode() + head + media[: len(media) // 2])
    await writer.drain()
    await asyncio.sleep(0.5)  # the API is streaming it to its scratch disk now
    writer.close()
    await writer.wait_closed()
    for _ in range(50):
        if not scratch_files(settings):
            break
        await asyncio.sleep(0.1)
    assert scratch_files(settings) == []
    assert stored(settings) == before


@pytest.mark.parametrize(("url", "words"), [
    ("http://127.0.0.1:9/video.mp4", "points inside the service's network"),
    ("http://10.1.2.3/video.mp4", "points inside the service's network"),
    ("http://[::1]/v.mp4", "points inside the service's network"),
    ("http://169.254.169.254/latest", "points inside the service's network"),
    ("http://0x7f000001/v.mp4", "points inside the service's network"),
    ("file:///etc/passwd", "is not an http(s) URL"),
    ("http://user:pw@example.com/v.mp4", "carries credentials")])
async def test_a_source_url_inside_the_network_is_refused(api: tuple[str, Settings],
                                                          url: str, words: str) -> None:
    base, settings = api
    before = stored(settings)
    async with httpx.AsyncClient(base_url=base, headers=bearer("alpha")) as http:
        answer = await http.post("/v1/dubs", json={"source_url": url, "to": ["es"]})
    assert_problem(answer, 422, words)
    assert "pw" not in answer.text and stored(settings) == before


async def test_without_temporal_the_api_starts_not_ready_and_answers_503(
        tmp_path: Path) -> None:
    from bench.stack import free_port

    away = Settings(temporal_address=f"127.0.0.1:{free_port()}", store=str(tmp_path / "store"),
                    scratch_dir=tmp_path / "scratch")
    async with serving(away) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
        assert ready.status_code == 503 and "does not answer" in ready.json()["missing"][0]
        assert_problem(await http.get("/v1/dubs"), 503, "Temporal service does not answer")
