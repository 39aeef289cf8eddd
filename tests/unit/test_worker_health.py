"""The worker's health probe, served in this process and asked over real HTTP."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.stack import free_port
from worker.health import LINE_LIMIT, Health, Probe

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"

Answer = tuple[int, str, dict[str, str]]


def fetch(port: int, path: str, method: str = "GET") -> Answer:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, reply.read().decode(), dict(reply.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), dict(err.headers)


async def ask(port: int, path: str, method: str = "GET") -> Answer:
    return await asyncio.to_thread(fetch, port, path, method)


@pytest.fixture
async def served() -> AsyncIterator[tuple[Health, int]]:
    health = Health()
    probe = Probe(health)
    port = await probe.start(0, host="127.0.0.1")
    yield health, port
    await probe.close()


async def test_readiness_follows_the_worker_and_liveness_does_not(
        served: tuple[Health, int]) -> None:
    health, port = served
    assert (await ask(port, "/healthz"))[:2] == (200, "ok\n")
    status, body, headers = await ask(port, "/readyz")
    assert (status, body) == (503, "not ready: starting\n")
    assert headers["Connection"] == "close"
    assert headers["Content-Length"] == str(len(body))
    assert headers["Content-Type"].startswith("text/plain")

    health.set_ready()
    assert (await ask(port, "/readyz"))[:2] == (200, "ready\n")
    assert (await ask(port, "/readyz?full=1"))[:2] == (200, "ready\n")

    health.set_not_ready("shutting down")
    assert (await ask(port, "/readyz"))[:2] == (503, "not ready: shutting down\n")
    assert (await ask(port, "/healthz"))[:2] == (200, "ok\n")


async def test_a_reason_stays_one_short_line(served: tuple[Health, int]) -> None:
    health, port = served
    health.set_not_ready("warm-up failed: line one\nline two\r\n" + "x" * 500)
    status, body, _ = await ask(port, "/readyz")
    assert status == 503
    assert body.startswith("not ready: warm-up failed: line one line two x")
    assert body.count("\n") == 1 and len(body) < 250


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/"), ("GET", "/metrics"), ("GET", "/healthz/x"), ("POST", "/healthz"),
    ("DELETE", "/readyz")])
async def test_anything_else_is_not_found(served: tuple[Health, int], method: str,
                                          path: str) -> None:
    health, port = served
    health.set_ready()
    assert (await ask(port, path, method))[:2] == (404, "not found\n")


async def test_head_answers_the_status_without_a_body(served: tuple[Health, int]) -> None:
    _, port = served
    status, body, headers = await ask(port, "/readyz", "HEAD")
    assert (status, body) == (503, "")
    assert int(headers["Content-Length"]) > 0


async def raw(port: int, data: bytes) -> bytes:
    """What the probe sends back for `data`, read until it closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return reply


async def test_a_malformed_request_line_is_a_bad_request(served: tuple[Health, int]) -> None:
    _, port = served
    reply = await raw(port, b"hello\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert reply.endswith(b"\r\n\r\nbad request\n")


async def test_an_overlong_line_closes_the_connection_unanswered(
        served: tuple[Health, int]) -> None:
    _, port = served
    assert await raw(port, b"GET /" + b"a" * (LINE_LIMIT * 2) + b" HTTP/1.1\r\n\r\n") == b""


async def test_a_silent_client_does_not_hold_up_the_others(served: tuple[Health, int]) -> None:
    _, port = served
    _, silent = await asyncio.open_connection("127.0.0.1", port)
    try:
        answers = await asyncio.wait_for(
            asyncio.gather(*(ask(port, "/healthz") for _ in range(5))), 5)
        assert [a[0] for a in answers] == [200] * 5
    finally:
        silent.close()


async def test_port_zero_binds_a_free_port_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    probe = Probe(Health())
    with caplog.at_level(logging.INFO, logger="worker.health"):
        port = await probe.start(0, host="127.0.0.1")
    try:
        assert port > 0
        assert f"health probe on http://127.0.0.1:{port}" in caplog.text
        assert (await ask(port, "/healthz"))[0] == 200
    finally:
        await probe.close()
    with pytest.raises(urllib.error.URLError):
        await asyncio.to_thread(fetch, port, "/healthz")


async def compose_healthcheck(service: str, variable: str, port: int) -> int:
    """The exit status of the healthcheck docker-compose.yml gives `service`, run here with
    the port variable it reads set to `port`."""
    yaml = pytest.importorskip("yaml")
    test = yaml.safe_load(COMPOSE.read_text())["services"][service]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *test[2:], env={**os.environ, variable: str(port)},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    return await asyncio.wait_for(proc.wait(), 30)


@pytest.mark.parametrize("service", ["worker-cpu", "worker-gpu"])
async def test_compose_marks_a_worker_healthy_exactly_while_it_is_ready(
        served: tuple[Health, int], service: str) -> None:
    health, port = served
    assert await compose_healthcheck(service, "DUB_HEALTH_PORT", port) != 0
    health.set_ready()
    assert await compose_healthcheck(service, "DUB_HEALTH_PORT", port) == 0
    health.set_not_ready("shutting down")
    assert await compose_healthcheck(service, "DUB_HEALTH_PORT", port) != 0


async def test_compose_api_healthcheck_asks_healthz_on_the_api_port(
        served: tuple[Health, int]) -> None:
    _, port = served  # the probe answers /healthz with 200, as the API does
    assert await compose_healthcheck("api", "DUB_API_PORT", port) == 0
    assert await compose_healthcheck("api", "DUB_API_PORT", free_port()) != 0
