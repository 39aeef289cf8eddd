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
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import pytest

from tests.local_http import LocalServer, send_json


class LibreServer(LocalServer):
    """Answers "[<target>] <q>"; counts requests; `gate` can hold requests to prove overlap."""

    def __init__(self) -> None:
        self.requests = 0
        self.gate: threading.Barrier | None = None
        self._count = threading.Lock()
        super().__init__(_handler_for(self))

    def answer(self, params: dict[str, str]) -> tuple[int, dict[str, str]]:
        """Count the request; the status and JSON body to send."""
        with self._count:
            self.requests += 1
        failing = self.failure()
        if self.gate is not None:
            try:
                self.gate.wait(timeout=5)
            except threading.BrokenBarrierError:
                return 503, {"error": "gate broken"}
        if failing is not None:
            return failing, {"error": f"failing on purpose ({failing})"}
        if "q" not in params or "target" not in params:
            return 400, {"error": "q and target are required"}
        return 200, {"translatedText": f"[{params['target']}] {params['q']}"}


def _handler_for(server: LibreServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            url = urlparse(self.path)
            if url.path.rstrip("/") != "/translate":
                send_json(self, 404, {"error": f"no route {url.path}"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            if body.startswith("{"):
                params.update(json.loads(body))
            else:
                params.update({k: v[0] for k, v in parse_qs(body).items()})
            send_json(self, *server.answer(params))

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
