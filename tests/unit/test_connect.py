"""An API key never crosses the network in clear text: with a key and TLS unset, the client
opens the connection with a TLS handshake."""

from __future__ import annotations

import asyncio
import contextlib

from dubbing.settings import Settings
from dubclient.connect import connect

KEY = "TEMPORAL-SECRET-KEY-42"


async def first_bytes(settings_for: dict[str, object]) -> bytes:
    """What the client sends first to a listener that never answers."""
    received = bytearray()
    got = asyncio.Event()

    async def listen(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            received.extend(await asyncio.wait_for(reader.read(4096), 5))
        got.set()
        writer.close()

    server = await asyncio.start_server(listen, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = Settings(temporal_address=f"127.0.0.1:{port}", **settings_for)  # type: ignore[arg-type]
    attempt = asyncio.ensure_future(connect(settings))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(got.wait(), 10)
    attempt.cancel()
    with contextlib.suppress(BaseException):
        await attempt
    server.close()
    return bytes(received)


async def test_an_api_key_turns_tls_on() -> None:
    sent = await first_bytes({"temporal_api_key": KEY})
    assert sent[:1] == b"\x16", "a TLS handshake record, not HTTP/2 in clear text"
    assert KEY.encode() not in sent


async def test_without_a_key_the_local_server_is_reached_in_clear_text() -> None:
    sent = await first_bytes({})
    assert sent.startswith(b"PRI * HTTP/2.0"), sent[:20]
