"""A job with a webhook calls it when it ends; the receiver verifies the HMAC signature."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from dubbing.contract import webhook_workflow_id
from dubbing.webhook import verify
from dubclient.client import DubClient
from tests.conftest import WEBHOOK_SECRET
from tests.e2e.test_starter_cli import starter
from tests.helpers import SAMPLE
from tests.webhook_server import WebhookServer, webhook_server_fixture

__all__ = ["webhook_server_fixture"]
pytestmark = pytest.mark.slow
SECRET = WEBHOOK_SECRET  # what the session's in-process CPU worker signs with


async def test_job_end_is_posted_signed_and_retried(workers, webhook_server: WebhookServer,
                                                    tmp_path: Path) -> None:
    webhook_server.fail(times=1, status=503)  # the first delivery fails and is retried
    clip = tmp_path / "hooked.mp4"
    shutil.copyfile(SAMPLE, clip)
    proc = await starter(workers, "translate", str(clip), "--to", "es", "--webhook",
                         webhook_server.url, "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    for _ in range(100):
        if any(r.headers.get("x-dub-event") == "completed" and r.body
               for r in webhook_server.requests[1:]):
            break
        await asyncio.sleep(0.1)
    delivered = webhook_server.requests[-1]
    assert len(webhook_server.requests) == 2, "one failed attempt, then the delivery"
    assert verify(SECRET.encode(), delivered.body, delivered.headers["x-dub-signature"])
    assert not verify(b"wrong", delivered.body, delivered.headers["x-dub-signature"])
    event = json.loads(delivered.body)
    assert event["state"] == "completed" and event["input_name"] == "hooked.mp4"
    assert event["result"]["outputs"][0]["target_lang"] == "es"


async def test_a_dead_webhook_never_delays_the_result_and_the_user_is_told(
        env, workers, webhook_server: WebhookServer, tmp_path: Path) -> None:
    """The receiver answers 503 to every attempt: the result and the outputs come as soon as
    the job ends, the delivery goes on retrying on its own, and `translate` says so."""
    webhook_server.fail(times=-1, status=503)
    clip = tmp_path / "dead-hook.mp4"
    shutil.copyfile(SAMPLE, clip)
    proc = await starter(workers, "translate", str(clip), "--to", "es", "--webhook",
                         webhook_server.url, "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    assert list((tmp_path / "o").glob("dead-hook.es.mp4"))
    assert "warning: the webhook has not been delivered yet" in proc.stderr, proc.stderr
    assert "503" in proc.stderr
    job_id = proc.stderr.split("job ", 1)[1].split(":", 1)[0]
    delivery = await DubClient(env.client).webhook(job_id)
    assert delivery is not None and delivery.state == "running", delivery
    await env.client.get_workflow_handle(webhook_workflow_id(job_id)).terminate("test over")
    webhook_server.recover()
