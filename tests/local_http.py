"""A small HTTP server on 127.0.0.1 for tests: a free port, a thread, failures on demand."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LocalServer:
    """Serves from construction until `close()`. Subclasses give the handler class."""

    path = "/"

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._fail_left = 0  # -1: fail until recover()
        self._status = 500
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{self.path}"

    def fail(self, times: int = -1, status: int = 500) -> None:
        """Answer `status` to the next `times` requests (-1: until `recover()`)."""
        with self._lock:
            self._fail_left, self._status = times, status

    def recover(self) -> None:
        with self._lock:
            self._fail_left = 0

    def failure(self) -> int | None:
        """The status to fail this request with, or None to answer it normally."""
        with self._lock:
            if self._fail_left == 0:
                return None
            if self._fail_left > 0:
                self._fail_left -= 1
            return self._status

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def send_json(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
