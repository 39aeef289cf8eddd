"""The README's error table matches the error types the code raises and how they are retried."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from dubbing import errors
from dubbing.engines.translate import TranslationError
from dubbing.steps import synthesize as voice
from dubbing.webhook import WebhookError, WebhookRejectedError
from tests.helpers import ROOT
from workflows.policies import MEDIA_RETRY, PERMANENT, PROVIDER_RETRY, WEBHOOK_RETRY


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


def _interval(amount: str, unit: str) -> timedelta:
    return timedelta(seconds=float(amount)) if unit == "s" else timedelta(minutes=float(amount))


# Which policy retries each error type the table gives attempts for: media work (ffmpeg,
# apertium as a tool), translation providers, webhook deliveries.
POLICY_OF_TYPE = {"ToolFailed": MEDIA_RETRY, "TranslationFailed": PROVIDER_RETRY,
                  "WebhookFailed": WEBHOOK_RETRY}


def stated_retries() -> dict[str, tuple[int, timedelta]]:
    """Type -> (attempts, longest backoff) as the README's table states them."""
    stated = {}
    for name, retried in table_rows().items():
        found = re.fullmatch(r"yes \((\d+) attempts, backoff to (\d+(?:\.\d+)?) (s|min)\)",
                             retried)
        if found:
            stated[name] = (int(found.group(1)), _interval(found.group(2), found.group(3)))
        else:
            assert "attempts" not in retried, f"unparsed retry text for {name}: {retried!r}"
    return stated


def test_the_table_states_attempts_for_every_retried_policy() -> None:
    assert set(stated_retries()) == set(POLICY_OF_TYPE)


@pytest.mark.parametrize("name", sorted(POLICY_OF_TYPE))
def test_attempts_and_backoff_are_those_of_the_policy(name: str) -> None:
    attempts, longest = stated_retries()[name]
    policy = POLICY_OF_TYPE[name]
    assert policy.maximum_attempts == attempts, f"{name}: README says {attempts} attempts"
    assert policy.maximum_interval == longest, f"{name}: README says backoff to {longest}"
    # "Backoff" means the wait grows from the first interval up to that ceiling.
    assert policy.backoff_coefficient > 1
    assert policy.initial_interval is not None and policy.initial_interval < longest


def test_an_isolated_line_is_tried_as_often_as_the_table_says() -> None:
    text = (ROOT / "README.md").read_text()
    found = re.search(r"^\| isolated line \| yes \((\d+) tries in place\) \|",
                      text[text.index("## Errors"):], flags=re.MULTILINE)
    assert found, "README error table lacks the isolated line's tries"
    assert int(found.group(1)) == voice.LINE_ATTEMPTS
