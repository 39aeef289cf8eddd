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


@pytest.fixture
async def local_api(workers: Settings, tmp_path: Path) -> AsyncIterator[str]:
    """The API without keys: this machine only, as tenant `local`."""
    async with serving(workers.model_copy(update={"scratch_dir": tmp_path / "scratch"})
                       ) as base:
        yield base


async def test_without_keys_other_host_names_and_origins_are_refused(local_api: str) -> None:
    async with httpx.AsyncClient(base_url=local_api) as http:
        assert (await http.get("/v1/dubs")).status_code == 200
        assert_problem(await http.get("/v1/dubs", headers={"Host": "evil.example"}), 403,
                       "answers only to 127.0.0.1")
        page = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
        answer = await http.post("/v1/dubs/local.x/cancel", content='{"reason": "csrf"}',
                                 headers=page)
        assert_problem(answer, 403, "another web origin")
        own = {"Origin": local_api}
        assert (await http.get("/v1/dubs", headers=own)).status_code == 200


async def test_malformed_requests_are_clear_4xx_not_500(api: tuple[str, Settings]) -> None:
    base, settings = api
    before = stored(settings)
    media = SAMPLE.read_bytes()[:4096]
    async with httpx.AsyncClient(base_url=base, headers=bearer("alpha")) as http:
        assert_problem(await http.post(
            "/v1/dubs", data={"to": "[es"}, files={"file": ("a.mp4", media)}), 422, "to:")
        two = [("file", ("a.mp4", media)), ("file", ("b.mp4", media))]
        assert_problem(await http.post("/v1/dubs", files=two), 422, "two 'file' fields")
        twice = await http.post("/v1/dubs", data={"voice": ["espeak", "piper"]},
                                files={"file": ("a.mp4", media)})
        assert_problem(twice, 422, "'voice' is given twice")
        garbage = await http.post("/v1/dubs", content=b"--b\r\nnot a header line\r\n\r\nx",
                                  headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert garbage.status_code in (400, 422), garbage.text
        assert garbage.headers["content-type"].startswith("application/problem+json")
        port = await http.post("/v1/dubs", json={"source_url": "http://example.com:99999/v"})
        assert_problem(port, 422, "not a valid URL")
        for body in (b'{"source_url": "http://\xff\xfe/"}', b"[" * 30000):
            answer = await http.post("/v1/dubs", content=body,
                                     headers={"Content-Type": "application/json"})
            assert_problem(answer, 400, "not JSON")
        cancel = await http.post("/v1/dubs/alpha.x/cancel", content='{"reason": "x"}',
                                 headers={"Content-Type": "text/plain"})
        assert_problem(cancel, 415, "application/json")
        long = await http.post("/v1/dubs/alpha.x/cancel", json={"reason": "x" * 600})
        assert_problem(long, 422, "reason")
        empty = await http.post("/v1/dubs", files={"file": ("empty.mp4", b"")})
        assert_problem(empty, 422, "the file is empty")
    assert stored(settings) == before
