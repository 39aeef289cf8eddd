"""Job-end webhooks: a JSON POST signed with HMAC-SHA256, and its verification.

The header `X-Dub-Signature: t=<unix seconds>,v1=<hex>` signs `f"{t}.".encode() + body`, so a
receiver can check both the body and its age (replays of an old delivery are rejected).
Receivers call `verify(secret, raw_body, header)` on the bytes exactly as received.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import time
import urllib.error
import urllib.request
from email.message import Message
from typing import IO

from dubbing.contract import WebhookEvent
from dubbing.errors import DubError
from dubbing.netguard import check_outbound

SIGNATURE_HEADER = "X-Dub-Signature"
EVENT_HEADER = "X-Dub-Event"
USER_AGENT = "dubbing-service"
SCHEME = "v1"


class WebhookError(DubError):
    """The receiver could not be reached or answered 5xx/429: worth another attempt."""

    type = "WebhookFailed"
    retryable = True

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class WebhookRejectedError(WebhookError):
    """The receiver refused the delivery (4xx other than 429, or a redirect)."""

    type = "WebhookRejected"
    retryable = False


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The X-Dub-Signature value for `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},{SCHEME}={digest}"


def _parse(header: str) -> tuple[int, list[str]] | None:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return None
        if key == "t":
            if not value.isdigit():
                return None
            timestamp = int(value)
        elif key == SCHEME:
            signatures.append(value)
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def verify(secret: bytes, body: bytes, header: str, tolerance_seconds: float = 300,
           now: float | None = None) -> bool:
    """True when `header` signs `body` with `secret` and its timestamp is within the
    tolerance of `now`. Several v1 entries (during a secret rotation) are accepted. An empty
    secret verifies nothing: anyone could sign with it."""
    if not secret:
        return False
    parsed = _parse(header)
    if parsed is None:
        return False
    timestamp, signatures = parsed
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, body, timestamp).partition(f"{SCHEME}=")[2]
    # Compare every candidate so the time taken does not tell which one matched.
    matches = [hmac.compare_digest(expected, s) for s in signatures]
    return any(matches)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered to the caller instead of followed (urllib would resend a POST
    as a bodiless GET)."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Message, newurl: str) -> urllib.request.Request | None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _failure(url: str, status: int, reason: str) -> WebhookError:
    message = f"webhook {url} answered {status} {reason}".rstrip()
    if status == 429 or status >= 500:
        return WebhookError(message, status)
    if 300 <= status < 400:
        message += " (a redirect; configure the final URL)"
    return WebhookRejectedError(message, status)


def deliver(url: str, event: WebhookEvent, secret: bytes, timeout: float = 10, *,
            allow_private: bool = False) -> int:
    """POST `event` as signed JSON to `url`; the HTTP status of a 2xx answer.

    Raises WebhookError (retryable) on network errors, 5xx and 429, WebhookRejectedError on
    other 4xx and 3xx, ConfigurationError for a URL the outbound guard refuses.
    """
    check_outbound(url, allow_private=allow_private, what="webhook")
    body = event.model_dump_json().encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body, int(time.time())),
        EVENT_HEADER: event.state,
        "User-Agent": USER_AGENT,
    })
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status: int = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        raise _failure(url, exc.code, str(exc.reason or "")) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise WebhookError(f"webhook {url} unreachable: {exc}") from exc
    if not 200 <= status < 300:
        raise _failure(url, status, "")
    return status
