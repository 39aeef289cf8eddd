"""The validated updates: pause / resume, and redub_segment while the job runs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from dubbing import keys
from dubbing.contract import (
    QUERY_PROGRESS,
    UPDATE_PAUSE,
    UPDATE_REDUB,
    UPDATE_RESUME,
    JobState,
    Progress,
    RedubRequest,
)
from tests.workflow import helpers as h
from tests.workflow.standins import Call, StandIns, beat_until, fail, windows
from workflows.controls import MAX_QUEUED_REDUBS


async def refused(handle: WorkflowHandle[Any, Any], update: str, *args: Any) -> str:
    """The validator's message for an update it rejects."""
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(update, *args, result_type=str)
    cause = err.value.cause
    assert isinstance(cause, ApplicationError), repr(cause)
    return cause.message


async def scheduled(handle: WorkflowHandle[Any, Any]) -> int:
    types = await h.event_types(handle)
    return types.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)


def before(a: Call, b: Call) -> bool:
    return a.ended is not None and a.ended <= b.started


async def test_pause_starts_no_new_activity_until_resume(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    release = asyncio.Event()
    stand_ins.on(wf_id, "transcribe_window", beat_until(release))
    handle = await h.start(ts_env.client, wf_id, max_parallel_windows=1)
    await stand_ins.entered(wf_id, "transcribe_window")

    paused = await handle.execute_update(UPDATE_PAUSE, result_type=Progress)
    assert paused.paused and paused.state == JobState.PAUSED and paused.stage == "transcribe"
    assert await refused(handle, UPDATE_PAUSE) == "cannot pause a job that is paused"
    count = await scheduled(handle)
    calls = len(stand_ins.of(wf_id))

    release.set()  # the running activity finishes while paused
    await stand_ins.wait_for(lambda: stand_ins.of(wf_id, "transcribe_window")[0].outcome == "ok")
    await asyncio.sleep(0.3)  # the workflow has long seen the result
    assert await h.has_event(handle, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    assert await scheduled(handle) == count  # nothing new scheduled while paused
    assert len(stand_ins.of(wf_id)) == calls
    progress = await handle.query(QUERY_PROGRESS, result_type=Progress)
    assert progress.state == JobState.PAUSED and progress.stages["transcribe"].done == 1
    assert 0 < progress.percent < 100 and progress.eta_seconds is not None

    resumed = await handle.execute_update(UPDATE_RESUME, result_type=Progress)
    assert not resumed.paused and resumed.state == JobState.RUNNING
    assert await refused(handle, UPDATE_RESUME) == "the job is not paused"
    result = await handle.result()
    assert result.segments == 6
    names = stand_ins.names(wf_id)
    assert names[calls] == "embed_speakers"  # the first activity after the resume
    assert names[-1] == "cleanup_job"
    await h.replay(handle)


async def test_resume_is_refused_when_running(ts_env: WorkflowEnvironment,
                                              stand_ins: StandIns, wf_id: str) -> None:
    release = asyncio.Event()
    stand_ins.on(wf_id, "probe_media", beat_until(release))
    handle = await h.start(ts_env.client, wf_id)
    await stand_ins.entered(wf_id, "probe_media")
    assert await refused(handle, UPDATE_RESUME) == "the job is not paused"
    release.set()
    await handle.result()


async def test_pause_is_refused_when_the_job_has_failed(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    release = asyncio.Event()
    stand_ins.on(wf_id, "probe_media", fail("BadInput", "no audio stream", non_retryable=True))
    stand_ins.on(wf_id, "cleanup_job", beat_until(release))
    handle = await h.start(ts_env.client, wf_id)
    await stand_ins.entered(wf_id, "cleanup_job")
    assert await refused(handle, UPDATE_PAUSE) == "cannot pause a job that is failed"
    message = "the job is past its mix: redub it once it has finished"
    assert await refused(handle, UPDATE_REDUB, RedubRequest(target_lang="es", index=0,
                                                            text="Hola")) == message
    release.set()
    assert (await h.app_failure(handle)).message == "no audio stream"


async def test_redub_during_transcription_is_applied_before_the_mix(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    release = asyncio.Event()
    stand_ins.on(wf_id, "transcribe_window", beat_until(release))
    handle = await h.start(ts_env.client, wf_id, target_langs=("es", "ca"), voice="espeak",
                           min_speed=0.9)
    await stand_ins.entered(wf_id, "transcribe_window", 2)
    first = RedubRequest(target_lang="ca", index=4, text="Bon dia a tothom.")
    second = RedubRequest(target_lang="es", index=1, text="Buenos días.")
    assert await handle.execute_update(UPDATE_REDUB, first, result_type=str) == \
        "line 4 (ca) will be redubbed before the mix"
    assert await handle.execute_update(UPDATE_REDUB, second, result_type=str) == \
        "line 1 (es) will be redubbed before the mix"
    release.set()
    await handle.result()

    names = stand_ins.names(wf_id)
    first_render = names.index("render_outputs")
    tail = names[names.index("prepare_redub"):first_render]
    assert tail == ["prepare_redub", "synthesize_segments", "fit_segments"] * 2
    assert "fit_segments" not in names[first_render:]
    prepares = stand_ins.of(wf_id, "prepare_redub")
    assert [c.inp.request for c in prepares] == [first, second]
    assert prepares[0].inp.windows == windows()
    assert prepares[0].inp.fit_keys == [keys.fit_key(wf_id, w.index, "ca") for w in windows()]
    assert prepares[1].inp.fit_keys == [keys.fit_key(wf_id, w.index, "es") for w in windows()]
    voiced = stand_ins.of(wf_id, "synthesize_segments")[-2:]
    # Line 4 is line 1 of window 1 (3 lines a window); line 1 is line 1 of window 0.
    assert [(c.inp.window_index, c.inp.target_lang, c.inp.lines, c.inp.revision)
            for c in voiced] == [(1, "ca", [1], 1), (0, "es", [1], 1)]
    assert all(c.inp.strict and c.inp.voice == "espeak" and c.inp.min_speed == 0.9
               for c in voiced)
    assert voiced[0].inp.texts_key == keys.texts_key(wf_id, 1, "ca")
    assert voiced[0].inp.segments_key == keys.segments_key(wf_id, 1)
    assert voiced[0].inp.audio_key == keys.audio_key(wf_id)
    refits = stand_ins.of(wf_id, "fit_segments")[-2:]
    assert [(c.inp.window.index, c.inp.target_lang) for c in refits] == [(1, "ca"), (0, "es")]
    assert refits[0].inp.clips_key == keys.clips_key(wf_id, 1, "ca")
    renders = stand_ins.of(wf_id, "render_outputs")
    assert all(before(refits[-1], r) for r in renders)
    assert renders[0].inp.fit_keys == [keys.fit_key(wf_id, w.index, "es") for w in windows()]
    await h.replay(handle)


async def test_redub_is_refused_for_a_language_the_job_does_not_dub(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    release = asyncio.Event()
    stand_ins.on(wf_id, "transcribe_window", beat_until(release))
    handle = await h.start(ts_env.client, wf_id)
    await stand_ins.entered(wf_id, "transcribe_window")
    message = await refused(handle, UPDATE_REDUB, RedubRequest(target_lang="fr", index=0,
                                                               text="Bonjour"))
    assert message == "the job does not dub into 'fr'"
    release.set()
    await handle.result()
    assert "prepare_redub" not in stand_ins.names(wf_id)


async def test_redub_is_refused_once_the_job_mixes(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    release = asyncio.Event()
    stand_ins.on(wf_id, "render_outputs", beat_until(release))
    handle = await h.start(ts_env.client, wf_id)
    await stand_ins.entered(wf_id, "render_outputs")
    message = await refused(handle, UPDATE_REDUB, RedubRequest(target_lang="es", index=0,
                                                               text="Hola"))
    assert message == "the job is past its mix: redub it once it has finished"
    release.set()
    await handle.result()
    assert "prepare_redub" not in stand_ins.names(wf_id)
    updates = [e for e in await h.events(handle)
               if e.HasField("workflow_execution_update_accepted_event_attributes")]
    assert updates == []  # a refused update leaves no trace in the history


async def test_redub_of_a_line_that_does_not_exist_is_refused_once_lines_are_known(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    release = asyncio.Event()
    stand_ins.on(wf_id, "synthesize_segments", beat_until(release))
    handle = await h.start(ts_env.client, wf_id, max_parallel_windows=2)
    await stand_ins.entered(wf_id, "synthesize_segments")
    for _ in range(200):  # until the workflow has taken in both transcripts
        progress = await handle.query(QUERY_PROGRESS, result_type=Progress)
        if progress.stages["transcribe"].done == 2:
            break
        await asyncio.sleep(0.02)
    message = await refused(handle, UPDATE_REDUB, RedubRequest(target_lang="es", index=99,
                                                               text="x"))
    assert message == "line 99 does not exist: the job has 6 lines, numbered 0 to 5 in the report"
    assert await refused(handle, UPDATE_REDUB, RedubRequest(
        target_lang="es", index=0, text="   ")) == "the new text is empty"
    release.set()
    result = await handle.result()
    assert result.outputs and "prepare_redub" not in stand_ins.names(wf_id)


async def test_a_redub_that_cannot_be_applied_is_skipped_and_the_job_completes(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    release = asyncio.Event()
    stand_ins.on(wf_id, "transcribe_window", beat_until(release))
    stand_ins.on(wf_id, "prepare_redub", fail("BadInput", "line 40 does not exist",
                                              non_retryable=True))
    handle = await h.start(ts_env.client, wf_id)
    await stand_ins.entered(wf_id, "transcribe_window")
    accepted = await handle.execute_update(
        UPDATE_REDUB, RedubRequest(target_lang="es", index=40, text="Hola"), result_type=str)
    assert "will be redubbed" in accepted, "the line count is not known yet"
    release.set()
    result = await handle.result()
    assert result.outputs, "the job completed with its outputs"
    assert "render_outputs" in stand_ins.names(wf_id)
    assert "synthesize_segments" not in stand_ins.names(wf_id)[
        stand_ins.names(wf_id).index("prepare_redub"):]
    await h.replay(handle)


async def test_redub_text_with_control_characters_and_a_flood_of_redubs_are_refused(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    release = asyncio.Event()
    stand_ins.on(wf_id, "transcribe_window", beat_until(release))
    handle = await h.start(ts_env.client, wf_id)
    await stand_ins.entered(wf_id, "transcribe_window")
    message = await refused(handle, UPDATE_REDUB, RedubRequest(
        target_lang="es", index=0, text="Hola\x1b[2J\x00"))
    assert message == "the new text contains control characters"
    for _ in range(MAX_QUEUED_REDUBS):
        await handle.execute_update(UPDATE_REDUB, RedubRequest(
            target_lang="es", index=0, text="Hola de nuevo."), result_type=str)
    message = await refused(handle, UPDATE_REDUB, RedubRequest(
        target_lang="es", index=1, text="Hola."))
    assert message.startswith(f"{MAX_QUEUED_REDUBS} redubs are already queued")
    release.set()
    await handle.result()
    assert {c.inp.request.index for c in stand_ins.of(wf_id, "prepare_redub")} == {0}
