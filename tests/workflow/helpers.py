"""Starting jobs and reading their histories in the workflow tests."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import Replayer

from dubbing import keys
from dubbing.contract import WORKFLOW_NAME, DubJob, DubResult, WebhookEvent, webhook_workflow_id
from tests.workflow.standins import StandIns
from workflows.attributes import start_options
from workflows.batch import DubBatchWorkflow
from workflows.dub_video import DubVideoWorkflow
from workflows.redub import RedubSegmentWorkflow

TIMEOUT = timedelta(minutes=30)  # virtual time: the test server skips ahead


def job(job_id: str, **settings: Any) -> DubJob:
    return DubJob(input_key=keys.input_key(job_id), input_name="talk.mp4", **settings)


async def start(client: Client, job_id: str, dub: DubJob | None = None,
                **settings: Any) -> WorkflowHandle[Any, DubResult]:
    """Start a DubVideo job the way every client does (workflows/attributes.start_options:
    id policies, summary, details, search attributes, priority, on dub-cpu)."""
    dub = dub or job(job_id, **settings)
    return await client.start_workflow(WORKFLOW_NAME, dub, id=job_id, **start_options(dub))


async def failure(handle: WorkflowHandle[Any, Any]) -> BaseException:
    """The cause of the run's failure (ApplicationError, CancelledError, ...)."""
    try:
        await handle.result()
    except WorkflowFailureError as err:
        assert err.cause is not None
        return err.cause
    raise AssertionError("the run did not fail")


async def app_failure(handle: WorkflowHandle[Any, Any]) -> ApplicationError:
    cause = await failure(handle)
    assert isinstance(cause, ApplicationError), repr(cause)
    return cause


async def cancelled(handle: WorkflowHandle[Any, Any]) -> CancelledError:
    cause = await failure(handle)
    assert isinstance(cause, CancelledError), repr(cause)
    return cause


async def events(handle: WorkflowHandle[Any, Any]) -> list[HistoryEvent]:
    return [e async for e in handle.fetch_history_events()]


async def event_types(handle: WorkflowHandle[Any, Any]) -> list[int]:
    return [e.event_type for e in await events(handle)]


async def cancel_cause(handle: WorkflowHandle[Any, Any]) -> str:
    """The reason the history records with the cancellation request."""
    for event in await events(handle):
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
            return event.workflow_execution_cancel_requested_event_attributes.cause
    raise AssertionError("no cancellation was requested")


_replayer: Replayer | None = None


async def replay(handle: WorkflowHandle[Any, Any]) -> None:
    """The run's history replays against today's workflow code (no non-determinism)."""
    global _replayer
    if _replayer is None:
        _replayer = Replayer(
            workflows=[DubVideoWorkflow, RedubSegmentWorkflow, DubBatchWorkflow],
            data_converter=pydantic_data_converter)
    await _replayer.replay_workflow(await handle.fetch_history())


async def has_event(handle: WorkflowHandle[Any, Any], event_type: int) -> bool:
    return event_type in await event_types(handle)


async def webhook_events(client: Client, stand_ins: StandIns,
                         job_id: str) -> list[WebhookEvent]:
    """The events the job's webhook workflow delivered (or tried to), once it has ended."""
    with contextlib.suppress(WorkflowFailureError):
        await client.get_workflow_handle(webhook_workflow_id(job_id)).result()
    return [c.inp.event for c in stand_ins.of(webhook_workflow_id(job_id), "notify_webhook")]
