"""Errors the domain code raises; activities turn them into Temporal failures.

`retryable=False` marks a problem that another attempt cannot fix (bad input, bad settings);
the message must tell the user what is wrong and what to do.
"""

from __future__ import annotations


class DubError(Exception):
    type = "DubError"
    retryable = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInputError(DubError):
    type = "BadInput"
    retryable = False


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
