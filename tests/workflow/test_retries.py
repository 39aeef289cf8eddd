"""Retries by class of work (workflows/policies.py), permanent errors, heartbeat timeouts."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import pytest
from temporalio import activity
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError, TimeoutType
from temporalio.testing import WorkflowEnvironment

from dubbing.stages import TranscribeCheckpoint
from tests.workflow import helpers as h
from tests.workflow.standins import Call, StandIns, fail
from workflows import policies as p
from workflows import registry as r


def backoffs(policy: RetryPolicy, retries: int) -> list[float]:
    """The waits the policy prescribes before retries 1..n."""
    assert policy.initial_interval is not None and policy.maximum_interval is not None
    waits = []
    for n in range(retries):
        wait = policy.initial_interval.total_seconds() * policy.backoff_coefficient ** n
        waits.append(min(wait, policy.maximum_interval.total_seconds()))
    return waits


def gaps(calls: list[Call]) -> list[float]:
    """Virtual seconds between the starts of consecutive attempts (the attempts themselves
    take milliseconds)."""
    times = [c.started_at for c in calls]
    assert all(t is not None for t in times)
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]  # type: ignore[operator]


@pytest.mark.parametrize(("ref", "kind"), [
    (r.probe_media, "ToolFailed"),          # MEDIA_RETRY
    (r.transcribe_window, "ToolFailed"),    # MODEL_RETRY
    (r.translate_segments, "TranslationFailed"),  # PROVIDER_RETRY
    (r.render_outputs, "Storage"),          # MEDIA_RETRY
    (r.cleanup_job, "Storage"),             # CLEANUP_RETRY
], ids=lambda v: getattr(v, "name", v))
async def test_a_retryable_error_is_retried_per_its_policy_then_succeeds(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str, ref: r.Activity[Any, Any],
        kind: str) -> None:
    stand_ins.on(wf_id, ref.name, fail(kind, "transient trouble", attempts=(1, 2)))
    handle = await h.start(ts_env.client, wf_id, max_parallel_windows=1)
    result = await handle.result()
    assert result.segments == 6
    calls = stand_ins.of(wf_id, ref.name)
    per_item = 2 if ref.name in ("transcribe_window", "translate_segments") else 1
    assert [c.attempt for c in calls] == [1, 2, 3] * per_item
    assert [c.outcome for c in calls] == [f"failed: {kind}", f"failed: {kind}", "ok"] * per_item
    for first in range(0, len(calls), 3):
        waited = gaps(calls[first:first + 3])
        for got, expected in zip(waited, backoffs(ref.retry, 2), strict=True):
            assert expected <= got < expected + 1.0, (waited, ref.retry)


@pytest.mark.parametrize(("ref", "attempts"), [
    (r.extract_audio, p.MEDIA_RETRY.maximum_attempts),
    (r.synthesize_segments, p.MODEL_RETRY.maximum_attempts),
    (r.translate_segments, p.PROVIDER_RETRY.maximum_attempts),
], ids=lambda v: getattr(v, "name", v))
async def test_a_retryable_error_fails_the_job_after_the_policys_last_attempt(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str, ref: r.Activity[Any, Any],
        attempts: int) -> None:
    message = "ffmpeg exited 1: Conversion failed!"
    stand_ins.on(wf_id, ref.name, fail("ToolFailed", message))
    # One window at a time: the failing window has no sibling to cancel (see test_windows.py).
    handle = await h.start(ts_env.client, wf_id, max_parallel_windows=1)
    err = await h.app_failure(handle)
    assert (err.type, err.message, err.non_retryable) == ("ToolFailed", message, True)
    assert [c.attempt for c in stand_ins.of(wf_id, ref.name)] == list(range(1, attempts + 1))
    assert [c.inp.keep_outputs for c in stand_ins.of(wf_id, "cleanup_job")] == [False]


@pytest.mark.parametrize(("kind", "non_retryable"), [
    ("BadInput", True),               # as the activities raise it
    ("BadInput", False),              # the policy alone refuses to retry it
    ("UnsupportedLanguage", False),
    ("Configuration", False),
    ("SegmentFailed", False),
])
async def test_a_permanent_error_fails_the_job_at_once_with_its_message(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str, kind: str,
        non_retryable: bool) -> None:
    message = ("talk.mp4: not a media file ffmpeg can read, or truncated or corrupt (Invalid "
               "data found when processing input)")
    stand_ins.on(wf_id, "probe_media", fail(kind, message, non_retryable=non_retryable))
    handle = await h.start(ts_env.client, wf_id)
    err = await h.app_failure(handle)
    assert (err.type, err.message, err.non_retryable) == (kind, message, True)
    assert [c.attempt for c in stand_ins.of(wf_id, "probe_media")] == [1]
    assert stand_ins.names(wf_id) == ["probe_media", "cleanup_job"]
    assert stand_ins.of(wf_id, "cleanup_job")[0].inp.keep_outputs is False


async def test_an_activity_that_stops_heartbeating_is_retried_from_its_checkpoint(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    """heartbeat_seconds=2: the first attempt beats a checkpoint, then hangs (a crashed
    worker); the server times it out and the next attempt gets the checkpoint."""
    checkpoint = TranscribeCheckpoint(chunks_done=1, position=7.0)
    hung = asyncio.Event()
    release = asyncio.Event()

    async def hang_once(call: Call) -> Any:
        if call.attempt == 1 and call.inp.window.index == 0:
            activity.heartbeat(checkpoint)
            hung.set()
            await release.wait()  # no more heartbeats
        return None

    stand_ins.on(wf_id, "transcribe_window", hang_once)
    handle = await h.start(ts_env.client, wf_id, heartbeat_seconds=2.0)
    try:
        await asyncio.wait_for(hung.wait(), 10)
        await asyncio.sleep(0.2)  # the heartbeat reaches the server (throttle 50 ms)
        await ts_env.sleep(timedelta(seconds=3))  # past the 2 s heartbeat timeout
        result = await handle.result()
    finally:
        release.set()
    assert result.segments == 6
    window0 = [c for c in stand_ins.of(wf_id, "transcribe_window") if c.inp.window.index == 0]
    assert [c.attempt for c in window0] == [1, 2]
    assert window0[1].heartbeat_details == [checkpoint.model_dump(mode="json")]
    await h.replay(handle)
    timeouts = [e for e in await h.events(handle)
                if e.HasField("activity_task_timed_out_event_attributes")]
    assert timeouts == []  # a timed-out attempt that is retried leaves no event


async def test_a_heartbeat_timeout_on_the_last_attempt_reports_the_last_error_seen(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    """Attempts 1-4 fail (ToolFailed), the 5th hangs and times out: the server puts the last
    failure under the timeout, and the job fails with that ApplicationError's message (the
    root-cause walk of workflows/concurrency.py), not with the bare "Timeout".

    The test server holds its clock while an activity runs, so a heartbeat timeout takes real
    time (2 s): the earlier attempts fail fast (their backoffs are skipped), only the last
    one hangs.
    """
    last = p.MEDIA_RETRY.maximum_attempts
    release = asyncio.Event()

    async def hang_last(call: Call) -> Any:
        if call.attempt < last:
            raise ApplicationError("ffprobe crashed (signal 11)", type="ToolFailed")
        await release.wait()  # no heartbeat: the server times it out after 2 s

    stand_ins.on(wf_id, "probe_media", hang_last)
    handle = await h.start(ts_env.client, wf_id, heartbeat_seconds=2.0)
    try:
        err = await h.app_failure(handle)
    finally:
        release.set()
    assert (err.type, err.message, err.non_retryable) == (
        "ToolFailed", "ffprobe crashed (signal 11)", True)
    assert isinstance(err.cause, ActivityError) and err.cause.activity_type == "probe_media"
    timeout = err.cause.cause
    assert isinstance(timeout, TimeoutError) and timeout.type == TimeoutType.HEARTBEAT
    assert isinstance(timeout.cause, ApplicationError)
    assert timeout.cause.message == "ffprobe crashed (signal 11)"
    assert len(stand_ins.of(wf_id, "probe_media")) == last
    assert stand_ins.of(wf_id, "cleanup_job")[0].inp.keep_outputs is False


async def test_a_cleanup_that_fails_too_keeps_the_first_error_and_says_what_was_left(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    first = "talk.mp4: not a media file ffmpeg can read"
    stand_ins.on(wf_id, "probe_media", fail("BadInput", first, non_retryable=True))
    stand_ins.on(wf_id, "cleanup_job", fail("Storage", "storage /srv/store is read-only",
                                            non_retryable=True))
    handle = await h.start(ts_env.client, wf_id)
    err = await h.app_failure(handle)
    assert err.type == "BadInput"
    assert err.message.startswith(first)
    assert "cleanup failed too: storage /srv/store is read-only" in err.message
    assert "left in storage" in err.message


async def test_every_stage_works_in_the_runs_own_storage(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    handle = await h.start(ts_env.client, wf_id)
    await handle.result()
    run_id = (await handle.describe()).run_id
    scoped = [c for c in stand_ins.calls if c.workflow_id == wf_id and hasattr(c.inp, "run_id")]
    assert {c.name for c in scoped} >= {"probe_media", "transcribe_window", "render_outputs",
                                        "cleanup_job"}
    assert {c.inp.run_id for c in scoped} == {run_id}
    final = stand_ins.of(wf_id, "cleanup_job")[-1].inp
    assert final.keep_outputs and set(final.outputs) == {
        k for o in (await handle.result()).outputs for k in o.keys.values()}
