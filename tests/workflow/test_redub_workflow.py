"""RedubSegment: redub a line of a finished job from its stored manifest."""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment

from dubbing import keys
from dubbing.contract import (
    CPU_TASK_QUEUE,
    GPU_TASK_QUEUE,
    REDUB_WORKFLOW_NAME,
    OutputSet,
    RedubJob,
    RedubRequest,
)
from dubbing.stages import ManifestRef
from tests.workflow import helpers as h
from tests.workflow.standins import (
    Call,
    StandIns,
    beat_until_cancelled,
    fail,
    manifest,
    output_set,
    windows,
)

JOB = "dub-talk-0123456789abcdef"


async def start(ts_env: WorkflowEnvironment, wf_id: str, request: RedubRequest) -> Any:
    return await ts_env.client.start_workflow(
        REDUB_WORKFLOW_NAME, RedubJob(job_id=JOB, request=request), id=wf_id,
        task_queue=CPU_TASK_QUEUE, result_type=OutputSet, execution_timeout=h.TIMEOUT)


async def test_redub_loads_the_manifest_revoices_refits_and_renders_the_line(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    async def revision_two(call: Call) -> Any:
        return output_set(JOB, "en", "es", segments=6, revision=2)
    stand_ins.on(wf_id, "render_outputs", revision_two)
    request = RedubRequest(target_lang="es", index=3, text="Una frase nueva.")
    handle = await start(ts_env, wf_id, request)
    result = await handle.result()
    assert result == output_set(JOB, "en", "es", segments=6, revision=2)

    assert stand_ins.names(wf_id) == ["load_manifest", "prepare_redub", "synthesize_segments",
                                      "fit_segments", "render_outputs"]
    load, prepare, synthesize, fit, render = stand_ins.of(wf_id)
    assert [c.queue for c in (load, prepare, synthesize, fit, render)] == [
        CPU_TASK_QUEUE, CPU_TASK_QUEUE, GPU_TASK_QUEUE, CPU_TASK_QUEUE, CPU_TASK_QUEUE]
    stored = manifest(JOB, "es")
    assert load.inp == ManifestRef(job_id=JOB, target_lang="es")
    assert prepare.inp.job_id == JOB and prepare.inp.request == request
    assert prepare.inp.windows == stored.windows and prepare.inp.fit_keys == stored.fit_keys
    # Line 3 is the first line of window 1 (3 lines a window).
    assert synthesize.inp.window_index == 1 and synthesize.inp.lines == [0]
    assert synthesize.inp.revision == 1 and synthesize.inp.strict is True
    assert synthesize.inp.texts_key == keys.texts_key(JOB, 1, "es")
    assert synthesize.inp.segments_key == keys.segments_key(JOB, 1)
    assert synthesize.inp.audio_key == keys.audio_key(JOB)
    assert synthesize.inp.window_seconds == windows()[1].end - windows()[1].start
    assert fit.inp.window == windows()[1] and fit.inp.clips_key == keys.clips_key(JOB, 1, "es")
    assert render.inp == stored
    await h.replay(handle)


async def test_redub_of_a_line_that_does_not_exist_fails_with_the_message(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    message = "line 99 does not exist: the es dub has 6 lines, numbered 0 to 5 in the report"
    stand_ins.on(wf_id, "prepare_redub", fail("BadInput", message, non_retryable=True))
    handle = await start(ts_env, wf_id, RedubRequest(target_lang="es", index=99, text="Hola"))
    err = await h.app_failure(handle)
    assert (err.type, err.message, err.non_retryable) == ("BadInput", message, True)
    assert stand_ins.names(wf_id) == ["load_manifest", "prepare_redub"]
    assert stand_ins.of(wf_id, "prepare_redub")[0].attempt == 1


async def test_redub_of_a_job_without_outputs_fails_with_the_message(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    message = (f"job {JOB} has no ca dub to redub: it did not finish, or its work files were "
               "removed")
    stand_ins.on(wf_id, "load_manifest", fail("BadInput", message, non_retryable=True))
    handle = await start(ts_env, wf_id, RedubRequest(target_lang="ca", index=0, text="Hola"))
    err = await h.app_failure(handle)
    assert (err.type, err.message) == ("BadInput", message)
    assert stand_ins.names(wf_id) == ["load_manifest"]


async def test_a_cancelled_redub_ends_canceled(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    stand_ins.on(wf_id, "synthesize_segments", beat_until_cancelled)
    handle = await start(ts_env, wf_id, RedubRequest(target_lang="es", index=0, text="Hola"))
    await stand_ins.entered(wf_id, "synthesize_segments")
    await handle.cancel(reason="wrong line")
    cause = await h.failure(handle)
    assert stand_ins.of(wf_id, "synthesize_segments")[0].outcome == "cancelled"
    # Today: ApplicationError('Cancelled', type='ActivityFailed') and status FAILED.
    assert isinstance(cause, CancelledError), repr(cause)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
