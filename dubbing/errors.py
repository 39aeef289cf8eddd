"""Errors the domain code raises; activities turn them into Temporal failures.

`retryable=False` marks a problem that another attempt cannot fix (bad input, bad settings);
the message must tell the user what is wrong and what to do.
"""

from __future__ import annotations

import errno
import os


class DubError(Exception):
    type = "DubError"
    retryable = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInputError(DubError):
    type = "BadInput"
    retryable = False


class InvalidNameError(BadInputError, ValueError):
    """A job id, run id, language code or storage key the service cannot use: bad input,
    never retried (and still a ValueError for callers that check names themselves)."""


class UnsupportedLanguageError(DubError):
    type = "UnsupportedLanguage"
    retryable = False


class ConfigurationError(DubError):
    type = "Configuration"
    retryable = False


class ToolError(DubError):
    """An external tool (ffmpeg, apertium, espeak-ng) failed on input we believed valid."""

    type = "ToolFailed"
    retryable = True


class SegmentFailedError(DubError):
    """A line could not be voiced and the job asked for no isolation (`--strict`)."""

    type = "SegmentFailed"
    retryable = False


class StorageError(DubError):
    type = "Storage"
    retryable = True


class TranslationAuthError(DubError):
    """The translation provider refused the credentials: no retry can fix that."""

    type = "TranslationAuth"
    retryable = False


class StorageUnwritableError(ConfigurationError):
    """A store or the scratch space refuses writes for good: full, over quota, read-only, or
    not writable by the worker. No retry can fix that before someone frees space or fixes the
    mount, so it is permanent. It keeps the `Configuration` type (documented, and in the
    workflows' non-retryable list) until the README's error table has a row of its own."""


# errno -> (what the space is, what to do about it)
_REFUSALS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("is full", "free space"),
    errno.EDQUOT: ("is over its disk quota", "free space or raise the quota"),
    errno.EROFS: ("is read-only", "mount it read-write"),
    errno.EACCES: ("is not writable by the worker", "give the worker write access"),
}


def refused_write(where: str, action: str, exc: OSError,
                  then: str = "submit again") -> StorageUnwritableError | None:
    """The permanent error for a write the file system refused for good, or None when `exc`
    is another failure. `where` names the space ("storage /srv/store"), `action` what failed
    ("writing jobs/x/out/dub.es.mp4")."""
    found = _REFUSALS.get(exc.errno or 0)
    if found is None:
        return None
    state, remedy = found
    reason = exc.strerror or os.strerror(exc.errno or 0)
    return StorageUnwritableError(f"{where} {state}: {action} failed ({reason}); "
                                  f"{remedy} and {then}")
