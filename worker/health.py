"""The worker's liveness and readiness probe: a tiny HTTP server on the worker's event loop.

`GET /healthz` answers 200 while the event loop runs; `GET /readyz` answers 200 only while the
worker says it is ready (polling its task queue, models warm) and 503 with the reason before
that and from the moment it starts shutting down. Anything else is 404. Only the request line is
parsed; every answer closes the connection.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

log = logging.getLogger("worker.health")

# Every interface: an orchestrator probes the container from outside. The answers hold nothing
# but "ok", "ready" and a short reason.
PROBE_HOST = "0.0.0.0"
# A client has this long to send its request line and headers.
READ_TIMEOUT = 5.0
# The longest request line or header line read; longer ones close the connection.
LINE_LIMIT = 8192
# At most this many header lines are read (and ignored) before answering.
MAX_HEADERS = 100

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 503: "Service Unavailable"}


class Health:
    """Whether the worker is ready, and why not; changed only from the event loop's thread."""

    def __init__(self, reason: str = "starting") -> None:
        self._ready = False
        self._reason = reason

    @property
    def ready(self) -> bool:
        return self._ready

    @property
    def reason(self) -> str:
        return "ready" if self._ready else self._reason

    def set_ready(self) -> None:
        self._ready = True

    def set_not_ready(self, reason: str) -> None:
        self._ready = False
        self._reason = " ".join(reason.split())[:200] or "not ready"

    def answer(self, request_line: bytes) -> tuple[int, str]:
        """The status and one-line body for an HTTP request line."""
        parts = request_line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return 400, "bad request"
        method, target = parts[0], parts[1].split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            return 404, "not found"
        if target == "/healthz":
            return 200, "ok"
        if target == "/readyz":
            return (200, "ready") if self._ready else (503, f"not ready: {self._reason}")
        return 404, "not found"


def response(status: int, body: str, *, head: bool = False) -> bytes:
    payload = f"{body}\n".encode()
    lines = [f"HTTP/1.1 {status} {REASONS[status]}", "Content-Type: text/plain; charset=utf-8",
             f"Content-Length: {len(payload)}", "Cache-Control: no-store",
             "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + (b"" if head else payload)


class Probe:
    """The HTTP server answering for `health`; `await start(port)`, later `await close()`."""

    def __init__(self, health: Health) -> None:
        self.health = health
        self._server: asyncio.Server | None = None

    async def start(self, port: int, host: str = PROBE_HOST) -> int:
        """Listen on `host:port` (port 0: any free one); return the port bound."""
        self._server = await asyncio.start_server(self._handle, host, port, limit=LINE_LIMIT)
        bound = int(self._server.sockets[0].getsockname()[1])
        log.info("health probe on http://%s:%d (/healthz, /readyz)", host, bound)
        return bound

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(self._read_request(reader), READ_TIMEOUT)
            status, body = self.health.answer(line)
            writer.write(response(status, body, head=line.startswith(b"HEAD ")))
            await asyncio.wait_for(writer.drain(), READ_TIMEOUT)
        except (TimeoutError, ConnectionError, ValueError, asyncio.IncompleteReadError):
            pass  # a client that went away or sent garbage gets no answer
        finally:
            writer.close()
            with suppress(ConnectionError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), READ_TIMEOUT)

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> bytes:
        """The request line; the headers are read and dropped, so that closing the connection
        with them unread does not reset it before the client has read the answer."""
        line = await reader.readline()
        for _ in range(MAX_HEADERS):
            header = await reader.readline()
            if header in (b"\r\n", b"\n", b""):
                break
        return line
