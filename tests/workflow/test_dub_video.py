"""DubVideo end to end on stand-ins: result, progress, order and queues of every stage, per
language; isolated lines and --strict; the job-end webhook; search attributes it publishes;
the histories replay."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment

from dubbing import keys
from dubbing.contract import (
    CPU_TASK_QUEUE,
    GPU_TASK_QUEUE,
    QUERY_PROGRESS,
    SA_INPUT_NAME,
    SA_MEDIA_SECONDS,
    SA_SOURCE_LANG,
    SA_STAGE,
    SA_TARGET_LANGS,
    WEBHOOK_WORKFLOW_NAME,
    JobState,
    Progress,
    WebhookEvent,
    webhook_workflow_id,
)
from dubbing.stages import WebhookCall
from tests.workflow import helpers as h
from tests.workflow.standins import (
    MEDIA_SECONDS,
    SEGMENTS_PER_WINDOW,
    Call,
    StandIns,
    fail,
    output_set,
    windows,
)
from workflows import policies, registry

STAGE = SearchAttributeKey.for_keyword(SA_STAGE)
MEDIA = SearchAttributeKey.for_float(SA_MEDIA_SECONDS)


def before(a: Call, b: Call) -> bool:
    """`a` had finished when `b` started."""
    return a.ended is not None and a.ended <= b.started


async def stage_attribute(handle: WorkflowHandle[Any, Any]) -> str | None:
    return (await handle.describe()).typed_search_attributes.get(STAGE)


@pytest.mark.parametrize(("voice", "queue"), [("auto", CPU_TASK_QUEUE),
                                             ("espeak", CPU_TASK_QUEUE),
                                             ("xtts", GPU_TASK_QUEUE)])
async def test_lines_are_voiced_on_the_gpu_only_when_their_voice_needs_a_model(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str, voice: str,
        queue: str) -> None:
    handle = await h.start(ts_env.client, wf_id, target_langs=("es",), voice=voice)
    await handle.result()
    assert {c.queue for c in stand_ins.of(wf_id, "synthesize_segments")} == {queue}


async def test_completes_with_every_stage_on_its_queue_in_order_per_language(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    langs = ("es", "ca")
    handle = await h.start(ts_env.client, wf_id, target_langs=langs, voice="espeak",
                           max_stretch=1.2, overflow="shift", speakers="1")  # one voice
    result = await handle.result()

    assert result.job_id == wf_id
    assert result.input_name == "talk.mp4"
    assert result.source_lang == "en"
    assert result.media_seconds == MEDIA_SECONDS
    assert result.segments == SEGMENTS_PER_WINDOW * len(windows())
    assert [o.target_lang for o in result.outputs] == list(langs)
    assert result.outputs[1] == output_set(wf_id, "en", "ca", segments=6)
    assert result.elapsed_seconds >= 0

    calls = stand_ins.of(wf_id)
    # espeak-ng needs no model: the CPU worker voices the lines, only recognition is on the GPU
    assert {c.queue for c in calls if c.name == "transcribe_window"} == {GPU_TASK_QUEUE}
    assert {c.queue for c in calls if c.name != "transcribe_window"} == {CPU_TASK_QUEUE}
    assert all(c.attempt == 1 and c.outcome == "ok" for c in calls)
    assert stand_ins.names(wf_id)[:3] == ["probe_media", "extract_audio", "plan_windows"]
    assert stand_ins.names(wf_id)[-3:] == ["render_outputs", "render_outputs", "cleanup_job"]
    probe, extract, plan = calls[:3]
    assert probe.inp.job.target_langs == langs and probe.inp.job_id == wf_id
    assert extract.inp.media.duration == MEDIA_SECONDS and before(probe, extract)
    assert plan.inp.audio_key == keys.audio_key(wf_id) and before(extract, plan)
    assert plan.inp.window_seconds == 180.0 and plan.inp.duration == MEDIA_SECONDS

    def one(name: str, window: int, lang: str | None = None) -> Call:
        found = [c for c in stand_ins.of(wf_id, name)
                 if getattr(c.inp, "window_index", None) == window
                 or getattr(getattr(c.inp, "window", None), "index", None) == window]
        found = [c for c in found if lang is None or c.inp.target_lang == lang]
        assert len(found) == 1, (name, window, lang, found)
        return found[0]

    fits: dict[str, list[Call]] = {lang: [] for lang in langs}
    for w in windows():
        transcribe = one("transcribe_window", w.index)
        assert before(plan, transcribe)
        assert transcribe.inp.window == w and transcribe.inp.language == "en"
        previous = transcribe
        for lang in langs:
            translate = one("translate_segments", w.index, lang)
            synthesize = one("synthesize_segments", w.index, lang)
            fit = one("fit_segments", w.index, lang)
            assert before(previous, translate) and before(translate, synthesize)
            assert before(synthesize, fit)
            previous = fit  # languages of a window one after the other, es then ca
            assert translate.inp.segments_key == keys.segments_key(wf_id, w.index)
            assert synthesize.inp.texts_key == keys.texts_key(wf_id, w.index, lang)
            assert synthesize.inp.lines is None and synthesize.inp.strict is False
            assert synthesize.inp.voice == "espeak"
            assert synthesize.inp.window_seconds == w.end - w.start
            assert fit.inp.clips_key == keys.clips_key(wf_id, w.index, lang)
            assert (fit.inp.max_stretch, fit.inp.overflow) == (1.2, "shift")
            fits[lang].append(fit)
    renders = stand_ins.of(wf_id, "render_outputs")
    for render, lang in zip(renders, langs, strict=True):
        assert render.inp.target_lang == lang
        assert render.inp.fit_keys == [keys.fit_key(wf_id, w.index, lang) for w in windows()]
        assert render.inp.windows == windows() and render.inp.job == probe.inp.job
        assert all(before(fit, render) for fit in fits["es"] + fits["ca"])
    assert before(renders[0], renders[1])
    cleanup = stand_ins.of(wf_id, "cleanup_job")
    assert [c.inp.keep_outputs for c in cleanup] == [True] and before(renders[1], cleanup[0])
    assert stand_ins.of(wf_id, "notify_webhook") == []  # no webhook_url

    progress = await handle.query(QUERY_PROGRESS, result_type=Progress)
    assert progress.state == JobState.COMPLETED and progress.percent == 100.0
    assert progress.stage == "cleanup" and progress.eta_seconds is None
    assert not progress.paused and progress.last_error is None
    assert {k: (v.done, v.total) for k, v in progress.stages.items()} == {
        "probe": (1, 1), "extract": (1, 1), "plan": (1, 1), "transcribe": (2, 2),
        "translate": (4, 4), "synthesize": (4, 4), "fit": (4, 4), "render": (2, 2),
        "cleanup": (1, 1)}
    described = await handle.describe()
    attributes = described.typed_search_attributes
    assert attributes.get(STAGE) == "completed"
    assert attributes.get(MEDIA) == MEDIA_SECONDS
    assert attributes.get(SearchAttributeKey.for_keyword(SA_SOURCE_LANG)) == "en"
    assert attributes.get(SearchAttributeKey.for_keyword_list(SA_TARGET_LANGS)) == ["es", "ca"]
    assert attributes.get(SearchAttributeKey.for_keyword(SA_INPUT_NAME)) == "talk.mp4"
    assert described.workflow_type == "DubVideo" and described.task_queue == CPU_TASK_QUEUE
    await h.replay(handle)


async def test_windows_wait_for_a_free_slot(ts_env: WorkflowEnvironment, stand_ins: StandIns,
                                            wf_id: str) -> None:
    """max_parallel_windows=1, one speaker: the second window is transcribed after the first
    one is fitted (with diarization a window gives its slot back until the labels are known)."""
    handle = await h.start(ts_env.client, wf_id, max_parallel_windows=1, speakers="1")
    await handle.result()
    first_fit = stand_ins.of(wf_id, "fit_segments")[0]
    second = stand_ins.of(wf_id, "transcribe_window")[1]
    assert first_fit.inp.window.index == 0 and second.inp.window.index == 1
    assert before(first_fit, second)


async def test_an_isolated_line_does_not_fail_the_job(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    async def isolated_render(call: Call) -> Any:
        return output_set(wf_id, "en", call.inp.target_lang, segments=6, isolated=1)
    stand_ins.on(wf_id, "render_outputs", isolated_render)
    handle = await h.start(ts_env.client, wf_id)
    result = await handle.result()
    assert result.outputs[0].summary.isolated == 1
    assert all(c.inp.strict is False for c in stand_ins.of(wf_id, "synthesize_segments"))


async def test_strict_fails_the_job_on_a_segment_failure(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    message = ("espeak-ng failed on line 2 of window 1: exit 1; run without --strict to keep "
               "the original audio there")
    stand_ins.on(wf_id, "synthesize_segments", fail("SegmentFailed", message,
                                                    non_retryable=True))
    # One window at a time: two windows failing at once race on this test server
    # (test_windows.py explains).
    handle = await h.start(ts_env.client, wf_id, strict=True, max_parallel_windows=1)
    err = await h.app_failure(handle)
    assert (err.type, err.message, err.non_retryable) == ("SegmentFailed", message, True)
    synth = stand_ins.of(wf_id, "synthesize_segments")
    assert synth and all(c.inp.strict and c.attempt == 1 for c in synth)
    assert "render_outputs" not in stand_ins.names(wf_id)
    assert [c.inp.keep_outputs for c in stand_ins.of(wf_id, "cleanup_job")] == [False]
    assert await stage_attribute(handle) == "failed"
    await h.replay(handle)


async def test_webhook_is_handed_the_completion_after_the_cleanup(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    url = "https://hooks.example/dub"
    handle = await h.start(ts_env.client, wf_id, webhook_url=url)
    result = await handle.result()
    assert await h.webhook_events(ts_env.client, stand_ins, wf_id) == [WebhookEvent(
        job_id=wf_id, state="completed", input_name="talk.mp4", result=result, error=None)]
    # The job only started the delivery, after its cleanup; it never delivers itself.
    assert stand_ins.of(wf_id, "notify_webhook") == []
    started = stand_ins.of(wf_id, "start_webhook")
    assert [c.inp.url for c in started] == [url] and started[0].queue == CPU_TASK_QUEUE
    assert before(stand_ins.of(wf_id, "cleanup_job")[0], started[0])


async def test_webhook_is_handed_the_failure(ts_env: WorkflowEnvironment, stand_ins: StandIns,
                                             wf_id: str) -> None:
    message = "talk.mp4: no audio stream"
    stand_ins.on(wf_id, "probe_media", fail("BadInput", message, non_retryable=True))
    handle = await h.start(ts_env.client, wf_id, webhook_url="https://hooks.example/dub")
    assert (await h.app_failure(handle)).message == message
    assert await h.webhook_events(ts_env.client, stand_ins, wf_id) == [WebhookEvent(
        job_id=wf_id, state="failed", input_name="talk.mp4", result=None, error=message)]


def _call(job_id: str) -> WebhookCall:
    return WebhookCall(url="https://hooks.example/dub", event=WebhookEvent(
        job_id=job_id, state="completed", input_name="talk.mp4"))


async def test_the_webhook_workflow_delivers_on_the_cpu_queue(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    status = await ts_env.client.execute_workflow(
        WEBHOOK_WORKFLOW_NAME, _call(wf_id), id=webhook_workflow_id(wf_id),
        task_queue=CPU_TASK_QUEUE)
    assert status == 204
    calls = stand_ins.of(webhook_workflow_id(wf_id), "notify_webhook")
    assert [(c.inp, c.queue) for c in calls] == [(_call(wf_id), CPU_TASK_QUEUE)]


async def test_a_rejected_delivery_fails_the_webhook_workflow_with_its_error(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    stand_ins.on(webhook_workflow_id(wf_id), "notify_webhook", fail(
        "WebhookRejected", "webhook answered 410 Gone", non_retryable=True))
    handle = await ts_env.client.start_workflow(
        WEBHOOK_WORKFLOW_NAME, _call(wf_id), id=webhook_workflow_id(wf_id),
        task_queue=CPU_TASK_QUEUE)
    failed = await h.app_failure(handle)
    assert (failed.type, failed.message) == ("WebhookRejected", "webhook answered 410 Gone")
    assert [c.attempt for c in stand_ins.of(webhook_workflow_id(wf_id), "notify_webhook")] == [1]


async def test_an_unreachable_webhook_is_retried_by_its_policy(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    """WEBHOOK_RETRY (8 attempts, from 2 s up to 1 min apart; the time-skipping server does not
    skip a workflow's retries when no parent waits, so one retry is enough here)."""
    stand_ins.on(webhook_workflow_id(wf_id), "notify_webhook", fail(
        "WebhookFailed", "connection refused", attempts=(1,)))
    status = await ts_env.client.execute_workflow(
        WEBHOOK_WORKFLOW_NAME, _call(wf_id), id=webhook_workflow_id(wf_id),
        task_queue=CPU_TASK_QUEUE)
    assert status == 204
    assert [c.outcome for c in stand_ins.of(webhook_workflow_id(wf_id), "notify_webhook")] == [
        "failed: WebhookFailed", "ok"]
    assert registry.notify_webhook.retry == policies.WEBHOOK_RETRY
