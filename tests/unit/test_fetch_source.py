"""Fetching a job's input from its source URL (dubbing/steps/fetch.py) from a real HTTP server
on loopback: redirects, size limit, media check, retryable and final failures, secrets."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dubbing import keys
from dubbing.errors import BadInputError, ConfigurationError
from dubbing.settings import Settings
from dubbing.stages import FetchInput
from dubbing.steps.fetch import SourceFetchError, fetch_source
from dubbing.storage.local import LocalStore
from tests.helpers import SAMPLE

MEDIA = SAMPLE.read_bytes()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/video.mp4":
            self._send(200, MEDIA)
        elif path == "/notes.txt":
            self._send(200, b"just some text\n" * 100)
        elif path.startswith("/hop"):
            n = int(path.removeprefix("/hop"))
            self.send_response(302)
            self.send_header("Location", "/video.mp4" if n == 0 else f"/hop{n - 1}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/busy":
            self._send(503, b"busy")
        else:
            self._send(404, b"no")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def fetch(tmp_path: Path, url: str, **settings: Any) -> tuple[LocalStore, int]:
    store = LocalStore(tmp_path / "store")
    store.put_json(keys.source_key("job-1"), {"url": url})
    beats: list[object] = []
    inp = FetchInput(job_id="job-1", source_key=keys.source_key("job-1"),
                     input_key=keys.input_key("job-1"))
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    chosen: dict[str, Any] = {"allow_private_addresses": True, "api_max_upload_mb": 4096.0,
                              **settings}
    size = fetch_source(store, scratch, inp, Settings.model_construct(**chosen), beats.append)
    return store, size


def test_the_media_arrives_in_the_input_key_once(server: str, tmp_path: Path) -> None:
    store, size = fetch(tmp_path, f"{server}/video.mp4?token=s3cr3t")
    assert size == len(MEDIA) and store.get_bytes(keys.input_key("job-1")) == MEDIA
    _, again = fetch(tmp_path, f"{server}/video.mp4")
    assert again == 0  # a retry after the input was stored fetches nothing


def test_redirects_are_followed_a_few_times_only(server: str, tmp_path: Path) -> None:
    _, size = fetch(tmp_path, f"{server}/hop3")
    assert size == len(MEDIA)
    with pytest.raises(BadInputError, match="redirects more than 5 times"):
        fetch(tmp_path / "b", f"{server}/hop9")


def test_a_redirect_into_the_network_is_refused_when_private_is_not_allowed(
        server: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="points inside the service's network"):
        fetch(tmp_path, f"{server}/hop0", allow_private_addresses=False)


def test_the_size_limit_and_the_media_check(server: str, tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"over the limit|the limit is"):
        fetch(tmp_path / "a", f"{server}/video.mp4", api_max_upload_mb=len(MEDIA) / 2**21)
    with pytest.raises(BadInputError, match="not a video or audio file"):
        fetch(tmp_path / "b", f"{server}/notes.txt")
    assert not (tmp_path / "b" / "store" / keys.input_key("job-1")).exists()


def test_a_busy_source_is_retried_and_a_missing_one_is_final(server: str,
                                                            tmp_path: Path) -> None:
    with pytest.raises(SourceFetchError, match="503"):
        fetch(tmp_path / "a", f"{server}/busy?sig=hidden-token")
    with pytest.raises(BadInputError, match="404") as missing:
        fetch(tmp_path / "b", f"{server}/gone.mp4?sig=hidden-token")
    assert "hidden-token" not in str(missing.value)


def test_another_jobs_keys_are_refused(server: str, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    inp = FetchInput(job_id="job-1", source_key=keys.source_key("job-2"),
                     input_key=keys.input_key("job-1"))
    with pytest.raises(BadInputError, match="its own keys"):
        fetch_source(store, tmp_path, inp, Settings.model_construct(), print)
