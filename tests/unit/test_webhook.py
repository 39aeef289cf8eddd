"""Signed job-end webhooks: signature, delivery outcomes, and the activity's failure types."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import SECRET_VARIABLE, NotifyActivities
from dubbing import webhook
from dubbing.contract import DubResult, OutputSet, WebhookEvent
from dubbing.errors import ConfigurationError
from dubbing.settings import Settings
from dubbing.stages import WebhookCall
from dubbing.webhook import WebhookError, WebhookRejectedError, deliver, sign, verify
from tests.webhook_server import WebhookServer, webhook_server_fixture  # noqa: F401

SECRET = b"whsec-test"
BODY = b'{"job_id": "dub-x", "state": "completed"}'


def completed() -> WebhookEvent:
    result = DubResult(job_id="dub-talk-1", input_name="talk.mp4", source_lang="en",
                       media_seconds=61.5, segments=12, elapsed_seconds=9.0,
                       outputs=(OutputSet(target_lang="es", keys={"mp4": "jobs/x/out/es.mp4"}),))
    return WebhookEvent(job_id="dub-talk-1", state="completed", input_name="talk.mp4",
                        result=result)


def failed() -> WebhookEvent:
    return WebhookEvent(job_id="dub-talk-2", state="failed", input_name="talk.mp4",
                        error="talk.mp4: not a media file ffmpeg can read")


def test_sign_has_the_stripe_like_form() -> None:
    header = sign(SECRET, BODY, 1700000000)
    t, v1 = header.split(",")
    assert t == "t=1700000000" and v1.startswith("v1=") and len(v1) == 3 + 64


def test_verify_accepts_its_own_signature() -> None:
    now = time.time()
    assert verify(SECRET, BODY, sign(SECRET, BODY, int(now)), now=now)


@pytest.mark.parametrize("body,secret", [(BODY + b" ", SECRET), (BODY, b"other-secret")])
def test_verify_rejects_a_tampered_body_or_another_secret(body: bytes, secret: bytes) -> None:
    assert not verify(secret, body, sign(SECRET, BODY, int(time.time())))


def test_verify_rejects_an_old_or_future_timestamp() -> None:
    now = 1700000000.0
    assert verify(SECRET, BODY, sign(SECRET, BODY, int(now) - 299), now=now)
    assert not verify(SECRET, BODY, sign(SECRET, BODY, int(now) - 301), now=now)
    assert not verify(SECRET, BODY, sign(SECRET, BODY, int(now) + 301), now=now)
    assert verify(SECRET, BODY, sign(SECRET, BODY, int(now) - 3600), now=now,
                  tolerance_seconds=7200)


@pytest.mark.parametrize("header", ["", "garbage", "t=abc,v1=00", "t=1700000000", "v1=00"])
def test_verify_rejects_malformed_headers(header: str) -> None:
    assert not verify(SECRET, BODY, header, now=1700000000)


def test_verify_accepts_any_of_several_signatures_during_rotation() -> None:
    good = sign(SECRET, BODY, 1700000000)
    rotated = good.replace("t=1700000000,", "t=1700000000,v1=" + "0" * 64 + ",")
    assert verify(SECRET, BODY, rotated, now=1700000000)


def test_deliver_posts_a_body_the_receiver_verifies(webhook_server: WebhookServer) -> None:
    event = completed()
    assert deliver(webhook_server.url, event, SECRET, allow_private=True) == 200
    [got] = webhook_server.requests
    assert got.path == "/hooks/dub"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-dub-event"] == "completed"
    assert got.headers["user-agent"] == "dubbing-service"
    assert verify(SECRET, got.body, got.headers["x-dub-signature"])
    assert not verify(b"wrong", got.body, got.headers["x-dub-signature"])
    assert WebhookEvent.model_validate_json(got.body) == event
    assert json.loads(got.body)["result"]["segments"] == 12


def test_server_error_is_retryable(webhook_server: WebhookServer) -> None:
    webhook_server.fail(1, 500)
    with pytest.raises(WebhookError) as info:
        deliver(webhook_server.url, failed(), SECRET, allow_private=True)
    assert info.value.retryable and info.value.type == "WebhookFailed"
    assert info.value.status == 500
    assert deliver(webhook_server.url, failed(), SECRET, allow_private=True) == 200
    assert len(webhook_server.requests) == 2


def test_too_many_requests_is_retryable(webhook_server: WebhookServer) -> None:
    webhook_server.fail(1, 429)
    with pytest.raises(WebhookError) as info:
        deliver(webhook_server.url, failed(), SECRET, allow_private=True)
    assert info.value.retryable and not isinstance(info.value, WebhookRejectedError)


@pytest.mark.parametrize("status", [400, 404, 410, 302])
def test_client_error_is_not_retryable(webhook_server: WebhookServer, status: int) -> None:
    webhook_server.fail(1, status)
    with pytest.raises(WebhookRejectedError) as info:
        deliver(webhook_server.url, failed(), SECRET, allow_private=True)
    assert not info.value.retryable and info.value.type == "WebhookRejected"
    assert str(status) in info.value.message


def test_unreachable_receiver_is_retryable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(WebhookError) as info:
        deliver(f"http://127.0.0.1:{port}/hook", failed(), SECRET, timeout=2, allow_private=True)
    assert info.value.retryable and "unreachable" in info.value.message


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "file:///etc/passwd", "example.com",
                                 "http://"])
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        deliver(url, failed(), SECRET, allow_private=True)
    assert not info.value.retryable


def test_activity_failures_carry_type_and_retryability(webhook_server: WebhookServer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_VARIABLE, "from-the-environment")
    secret = Settings().webhook_secret
    assert secret is not None
    notify = NotifyActivities(secret.encode(), allow_private=True).notify_webhook
    env = ActivityEnvironment()
    webhook_server.fail(1, 503)
    with pytest.raises(ApplicationError) as info:
        env.run(notify, WebhookCall(url=webhook_server.url, event=completed()))
    assert info.value.type == "WebhookFailed" and not info.value.non_retryable
    call = WebhookCall(url=webhook_server.url, event=completed())
    assert env.run(notify, call) == 200  # the retry succeeds
    got = webhook_server.requests[-1]
    assert verify(b"from-the-environment", got.body, got.headers["x-dub-signature"])
    webhook_server.fail(1, 404)
    with pytest.raises(ApplicationError) as info:
        env.run(notify, WebhookCall(url=webhook_server.url, event=completed()))
    assert info.value.type == "WebhookRejected" and info.value.non_retryable
    with pytest.raises(ApplicationError) as info:
        env.run(notify, WebhookCall(url="mailto:ops@example.com", event=completed()))
    assert info.value.type == "Configuration" and info.value.non_retryable


def test_activity_without_a_secret_signs_with_an_empty_one_and_warns_once(
        webhook_server: WebhookServer, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv(SECRET_VARIABLE, raising=False)
    notify = NotifyActivities(allow_private=True).notify_webhook
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            ActivityEnvironment().run(notify, WebhookCall(url=webhook_server.url, event=failed()))
    assert sum(SECRET_VARIABLE in r.getMessage() for r in caplog.records) == 1
    got = webhook_server.requests[-1]
    assert got.headers["x-dub-event"] == "failed"
    header = got.headers[webhook.SIGNATURE_HEADER.lower()]
    assert header.startswith("t=")
    assert not verify(b"", got.body, header), "an empty key must verify nothing, not a forgery"
