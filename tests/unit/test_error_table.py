"""The README's error table matches the error types the code raises and how they are retried."""

from __future__ import annotations

import re

import pytest

from dubbing import errors
from dubbing.engines.translate import TranslationError
from dubbing.webhook import WebhookError, WebhookRejectedError
from tests.helpers import ROOT
from workflows.policies import PERMANENT, WEBHOOK_RETRY


def table_rows() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Errors"):]
    rows = re.findall(r"^\| `([A-Za-z]+)` \| ([^|]+) \|", section, flags=re.MULTILINE)
    return {name: retried.strip() for name, retried in rows}


ERROR_TYPES = [cls for cls in vars(errors).values()
               if isinstance(cls, type) and issubclass(cls, errors.DubError)
               and cls is not errors.DubError] + [TranslationError]
WEBHOOK_TYPES: list[type[errors.DubError]] = [WebhookError, WebhookRejectedError]


@pytest.mark.parametrize("cls", ERROR_TYPES + WEBHOOK_TYPES, ids=lambda c: c.type)
def test_every_error_type_is_documented_with_its_retry_behaviour(cls) -> None:
    rows = table_rows()
    assert cls.type in rows, f"README error table lacks {cls.type}"
    assert rows[cls.type].startswith("yes") == cls.retryable


def test_permanent_types_are_exactly_the_non_retryable_ones() -> None:
    non_retryable = {c.type for c in ERROR_TYPES if not c.retryable}
    assert set(PERMANENT) == non_retryable
    assert set(WEBHOOK_RETRY.non_retryable_error_types or []) == {
        "WebhookRejected", "Configuration"}
