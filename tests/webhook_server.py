"""A local webhook receiver that records every request and can fail on demand."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass(frozen=True)
class Received:
    """One request; header names are lower-cased."""

    path: str
    headers: dict[str, str]
    body: bytes


class WebhookServer:
    """Serves on 127.0.0.1 at a free port from construction until `close()`; answers 200
    unless told to fail."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._fail_left = 0
        self._status = 500
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/hooks/dub"

    def fail(self, times: int = 1, status: int = 500) -> None:
        """Answer `status` to the next `times` requests (-1: until `recover()`)."""
        with self._lock:
            self._fail_left, self._status = times, status

    def recover(self) -> None:
        with self._lock:
            self._fail_left = 0

    def record(self, received: Received) -> int:
        """Keep the request; the status to answer."""
        with self._lock:
            self.requests.append(received)
            if self._fail_left == 0:
                return 200
            if self._fail_left > 0:
                self._fail_left -= 1
            return self._status

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _handler_for(server: WebhookServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = server.record(Received(self.path, headers, body))
            data = b"{}" if status < 300 else b'{"error": "failing on purpose"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the tests read `requests` instead."""

    return Handler


@pytest.fixture(name="webhook_server")
def webhook_server_fixture() -> Iterator[WebhookServer]:
    """Import `webhook_server_fixture` into a test module to use the `webhook_server` fixture."""
    server = WebhookServer()
    try:
        yield server
    finally:
        server.close()
