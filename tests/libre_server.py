"""A local LibreTranslate stand-in speaking the protocol deep-translator's LibreTranslator uses.

deep-translator POSTs one request per line to `<custom_url>translate` with `q`, `source`,
`target`, `format` and `api_key` in the query string, and reads `translatedText` from the JSON
answer. This server answers "[<target>] <q>", so a test can tell its output from Apertium's,
counts requests, and can fail on demand.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest


class LibreServer:
    """Serves on 127.0.0.1 at a free port from construction until `close()`."""

    def __init__(self) -> None:
        self.requests = 0
        self.status = 200
        self._fail_left = 0  # -1: fail until recover()
        self.gate: threading.Barrier | None = None
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def fail(self, times: int = -1, status: int = 500) -> None:
        """Answer `status` to the next `times` requests (-1: until `recover()`)."""
        with self._lock:
            self._fail_left, self.status = times, status

    def recover(self) -> None:
        with self._lock:
            self._fail_left, self.status = 0, 200

    def answer(self, params: dict[str, str]) -> tuple[int, dict[str, str]]:
        """Count the request; the status and JSON body to send."""
        with self._lock:
            self.requests += 1
            failing = self._fail_left != 0
            if self._fail_left > 0:
                self._fail_left -= 1
            status = self.status
        if self.gate is not None:
            try:
                self.gate.wait(timeout=5)
            except threading.BrokenBarrierError:
                return 503, {"error": "gate broken"}
        if failing:
            return status, {"error": f"failing on purpose ({status})"}
        if "q" not in params or "target" not in params:
            return 400, {"error": "q and target are required"}
        return 200, {"translatedText": f"[{params['target']}] {params['q']}"}

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _handler_for(server: LibreServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            url = urlparse(self.path)
            if url.path.rstrip("/") != "/translate":
                self._send(404, {"error": f"no route {url.path}"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            if body.startswith("{"):
                params.update(json.loads(body))
            else:
                params.update({k: v[0] for k, v in parse_qs(body).items()})
            self._send(*server.answer(params))

        def _send(self, status: int, body: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the tests count requests instead."""

    return Handler


@pytest.fixture
def libre_server() -> Iterator[LibreServer]:
    server = LibreServer()
    try:
        yield server
    finally:
        server.close()
