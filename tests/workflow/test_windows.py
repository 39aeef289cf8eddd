"""Windows run together (all_or_none): one window's failure stops the others and the job fails
with that failure's message."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from dubbing.contract import UPDATE_PAUSE, Progress
from tests.workflow import helpers as h
from tests.workflow.standins import Call, StandIns, beat_until, beat_until_cancelled

MESSAGE = ("speech model tiny.en recognizes English only, but the source language is 'fr'; "
           "choose a multilingual model (for example 'small') with --asr-model")


def one_window_fails(stand_ins: StandIns, wf_id: str, failing: int) -> None:
    """Window `failing` fails permanently once the other window's transcription is running;
    the other heartbeats until it is cancelled."""
    async def hook(call: Call) -> Any:
        if call.inp.window.index != failing:
            return await beat_until_cancelled(call)
        await stand_ins.wait_for(lambda: len(stand_ins.of(wf_id, "transcribe_window")) == 2)
        raise ApplicationError(MESSAGE, type="UnsupportedLanguage", non_retryable=True)
    stand_ins.on(wf_id, "transcribe_window", hook)


async def test_the_first_window_failing_stops_the_second_and_fails_the_job_with_its_message(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    one_window_fails(stand_ins, wf_id, failing=0)
    handle = await h.start(ts_env.client, wf_id)
    err = await h.app_failure(handle)
    assert (err.type, err.message) == ("UnsupportedLanguage", MESSAGE)
    outcomes = {c.inp.window.index: c.outcome for c in stand_ins.of(wf_id, "transcribe_window")}
    assert outcomes == {0: "failed: UnsupportedLanguage", 1: "cancelled"}
    cleanup = stand_ins.of(wf_id, "cleanup_job")
    assert [c.inp.keep_outputs for c in cleanup] == [False]
    # WAIT_CANCELLATION_COMPLETED: the cleanup starts only after the stopped window stopped.
    stopped = [c for c in stand_ins.of(wf_id, "transcribe_window") if c.outcome == "cancelled"]
    assert stopped[0].ended is not None and stopped[0].ended <= cleanup[0].started


async def test_a_window_waiting_for_its_slot_is_not_started_after_a_failure(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    async def hook(call: Call) -> Any:
        raise ApplicationError(MESSAGE, type="UnsupportedLanguage", non_retryable=True)
    stand_ins.on(wf_id, "transcribe_window", hook)
    handle = await h.start(ts_env.client, wf_id, max_parallel_windows=1)
    err = await h.app_failure(handle)
    assert (err.type, err.message) == ("UnsupportedLanguage", MESSAGE)
    assert [c.inp.window.index for c in stand_ins.of(wf_id, "transcribe_window")] == [0]


async def test_a_later_window_failing_fails_the_job_with_its_own_message(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    one_window_fails(stand_ins, wf_id, failing=1)
    handle = await h.start(ts_env.client, wf_id, webhook_url="https://hooks.example/dub")
    err = await h.app_failure(handle)
    # Today: err.type == "ActivityFailed", err.message == "Cancelled" (and so is the webhook's
    # error), although window 1 failed with UnsupportedLanguage and window 0 was only stopped.
    assert (err.type, err.message) == ("UnsupportedLanguage", MESSAGE)


async def test_a_window_failing_while_another_waits_for_resume_fails_with_its_message(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    gates = {0: asyncio.Event(), 1: asyncio.Event()}

    async def hook(call: Call) -> Any:
        index = call.inp.window.index
        await beat_until(gates[index])(call)
        if index == 1:
            raise ApplicationError(MESSAGE, type="UnsupportedLanguage", non_retryable=True)
        return None
    stand_ins.on(wf_id, "transcribe_window", hook)
    handle = await h.start(ts_env.client, wf_id, webhook_url="https://hooks.example/dub")
    await stand_ins.entered(wf_id, "transcribe_window", 2)
    await handle.execute_update(UPDATE_PAUSE, result_type=Progress)
    gates[0].set()  # window 0 is transcribed and now waits for the resume
    await stand_ins.wait_for(lambda: any(
        c.outcome == "ok" for c in stand_ins.of(wf_id, "transcribe_window")))
    await asyncio.sleep(0.2)
    gates[1].set()  # window 1 fails
    cause = await h.failure(handle)
    assert [c.inp.keep_outputs for c in stand_ins.of(wf_id, "cleanup_job")] == [False]
    events = await h.webhook_events(ts_env.client, stand_ins, wf_id)
    assert [e.error for e in events] == [MESSAGE]
    assert isinstance(cause, ApplicationError) and cause.message == MESSAGE, repr(cause)
