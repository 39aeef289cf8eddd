"""Determinism guard: histories recorded from the current code (`python -m tests.record_histories`)
must replay against the workflow code, and a reordering without a patch must not."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
from temporalio.workflow import NondeterminismError

from workflows import registry
from workflows.batch import DubBatchWorkflow
from workflows.dub_video import DubVideoWorkflow
from workflows.notify import NotifyWebhookWorkflow
from workflows.redub import RedubSegmentWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
WORKFLOWS = [DubVideoWorkflow, RedubSegmentWorkflow, DubBatchWorkflow, NotifyWebhookWorkflow]


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def workflow_type(path: Path) -> str:
    first = json.loads(path.read_text())["events"][0]
    return str(first["workflowExecutionStartedEventAttributes"]["workflowType"]["name"])


def test_every_workflow_type_and_main_path_is_recorded() -> None:
    assert {p.stem for p in HISTORIES} >= {
        "dubvideo-completed", "dubvideo-failed", "dubvideo-cancelled",
        "dubvideo-paused-resumed-redubbed", "redubsegment-completed", "dubbatch-one-failed"}
    assert {workflow_type(p) for p in HISTORIES} == {"DubVideo", "RedubSegment", "DubBatch",
                                                     "NotifyWebhook"}


def patches(path: Path) -> set[str]:
    """The patch ids of a history's markers (their details are base64 JSON payloads)."""
    found = set()
    for event in json.loads(path.read_text())["events"]:
        marker = event.get("markerRecordedEventAttributes")
        if marker and marker.get("markerName") == "core_patch":
            data = marker["details"]["patch-data"]["payloads"][0]["data"]
            found.add(json.loads(base64.b64decode(data))["id"])
    return found


def test_histories_hold_todays_patch_markers() -> None:
    folder = Path(__file__).parent / "histories"
    assert patches(folder / "dubvideo-paused-resumed-redubbed.json") >= {
        "publish-stage", "redub-while-running", "cleanup-inside-try"}
    assert "publish-stage" in patches(folder / "dubvideo-completed.json")
    # The set recorded after run-scoped storage and the webhook workflow (`make histories
    # SUFFIX=r2`): the older set above proves runs from before them still replay.
    assert patches(folder / "dubvideo-completed-r2.json") >= {
        "run-scoped-storage", "webhook-after-result", "job-webhook", "cleanup-inside-try"}
    assert "run-scoped-storage" in patches(folder / "dubvideo-refused-after-completion-r2.json")
    assert "run-scoped-storage" in patches(folder / "dubvideo-paused-resumed-redubbed-r2.json")
    # The HTTP API's source_url (`python -m tests.record_histories r3 from_source_url`).
    assert "fetch-source-url" in patches(folder / "dubvideo-source-url-r3.json")
    # Diarization (`python -m tests.record_histories r4 diarized`); jobs with one speaker
    # never reach the patch, so the older histories hold no marker of it.
    assert "diarize-speakers" in patches(folder / "dubvideo-diarized-r4.json")
    assert "diarize-speakers" not in patches(folder / "dubvideo-completed-r2.json")


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    await replayer.replay_workflow(await asyncio.to_thread(load, path))


async def test_swapping_two_activities_without_a_patch_fails_the_replay(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Extract and plan change places in the workflow: the recorded run cannot replay. (The
    sandbox imports its own copy of the registry, so this replay runs unsandboxed.)"""
    extract, plan = registry.extract_audio, registry.plan_windows
    monkeypatch.setattr(registry, "extract_audio", dataclasses.replace(extract, name=plan.name))
    monkeypatch.setattr(registry, "plan_windows", dataclasses.replace(plan, name=extract.name))
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter,
                        workflow_runner=UnsandboxedWorkflowRunner())
    history = await asyncio.to_thread(load, HISTORIES[0].parent / "dubvideo-completed.json")
    with pytest.raises(NondeterminismError):
        await replayer.replay_workflow(history)
