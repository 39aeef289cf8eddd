"""Telling the job's owner that it ended: the signed webhook POST."""

from __future__ import annotations

import threading

from temporalio import activity

from activities.base import translate_errors
from dubbing import webhook
from dubbing.stages import WebhookCall

SECRET_VARIABLE = "DUB_WEBHOOK_SECRET"


class NotifyActivities:
    """`secret`: the workers' DUB_WEBHOOK_SECRET (from the settings)."""

    def __init__(self, secret: bytes | None = None, timeout: float = 10, *,
                 allow_private: bool = False) -> None:
        self._secret = secret
        self._allow_private = allow_private
        self._timeout = timeout
        self._warned = False
        self._lock = threading.Lock()

    @activity.defn(name="notify_webhook")
    @translate_errors
    def notify_webhook(self, inp: WebhookCall) -> int:
        """POST the signed event; the receiver's HTTP status. Failures are WebhookFailed
        (retryable), WebhookRejected or Configuration (not retryable)."""
        url, event = inp.url, inp.event
        status = webhook.deliver(url, event, self.secret(), timeout=self._timeout,
                                 allow_private=self._allow_private)
        activity.logger.info("webhook %s answered %d for %s (%s)", url, status,
                             event.job_id, event.state)
        return status

    def secret(self) -> bytes:
        value = self._secret or b""
        if not value:
            with self._lock:
                warn, self._warned = not self._warned, True
            if warn:
                activity.logger.warning(
                    "%s is not set: webhooks are signed with an empty secret, so receivers "
                    "cannot trust them", SECRET_VARIABLE)
        return value

    def all(self) -> list:
        return [self.notify_webhook]
