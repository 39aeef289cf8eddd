"""A local webhook receiver that records every request and can fail on demand."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

import pytest

from tests.local_http import LocalServer, send_json


@dataclass(frozen=True)
class Received:
    """One request; header names are lower-cased."""

    path: str
    headers: dict[str, str]
    body: bytes


class WebhookServer(LocalServer):
    """Records every request; answers 200 unless told to fail."""

    path = "/hooks/dub"

    def __init__(self) -> None:
        self.requests: list[Received] = []
        super().__init__(_handler_for(self))

    def fail(self, times: int = 1, status: int = 500) -> None:
        """Answer `status` to the next `times` requests (-1: until `recover()`)."""
        super().fail(times, status)

    def record(self, received: Received) -> int:
        """Keep the request; the status to answer."""
        self.requests.append(received)
        return self.failure() or 200


def _handler_for(server: WebhookServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = server.record(Received(self.path, headers, body))
            send_json(self, status, {} if status < 300 else {"error": "failing on purpose"})

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
