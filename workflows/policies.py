"""Named retry policies and timeouts, one per class of work."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

# Errors no retry can fix; the domain raises them with non_retryable=True as well.
PERMANENT = ["BadInput", "UnsupportedLanguage", "Configuration", "SegmentFailed",
             "TranslationAuth"]

MEDIA_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30), maximum_attempts=5,
    non_retryable_error_types=PERMANENT,
)
MODEL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1), maximum_attempts=5,
    non_retryable_error_types=PERMANENT,
)
PROVIDER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=2), maximum_attempts=8,
    non_retryable_error_types=PERMANENT,
)
# Fetching a source URL: the far end may be slow or briefly away.
FETCH_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1), maximum_attempts=6,
    non_retryable_error_types=PERMANENT,
)
CLEANUP_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=20),
    maximum_attempts=10,
)

WEBHOOK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1), maximum_attempts=8,
    non_retryable_error_types=["WebhookRejected", "Configuration"],
)
WEBHOOK_TIMEOUT = timedelta(seconds=30)

SHORT = timedelta(minutes=2)
HEARTBEAT = timedelta(seconds=30)


def media_timeout(media_seconds: float) -> timedelta:
    """Whole-file media work (extraction, mux) scales with the length of the video."""
    return timedelta(seconds=max(300.0, media_seconds * 2))


def window_timeout(window_seconds: float) -> timedelta:
    return timedelta(seconds=max(600.0, window_seconds * 10))

# Fetching the largest source allowed (DUB_API_MAX_UPLOAD_MB) at a slow 1 MiB/s; the
# heartbeat notices a stalled fetch long before.
FETCH_TIMEOUT = timedelta(hours=2)
