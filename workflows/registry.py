"""Every activity the workflows call, declared once: its name, input and result models, task
queue, timeout and retry policy.

A declaration is a typed reference (`Activity[In, Out]`): workflows call `run(ref, inp)`, so
mypy checks every argument and result, and the worker implements each reference by name
(`tests/unit/test_registry.py` checks that every one is implemented, with the same types, on
the worker of its queue). Adding a stage touches this file, its step and its activity.
"""

# mypy: disable-error-code="empty-body"
from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from dubbing.contract import CPU_TASK_QUEUE, GPU_TASK_QUEUE, OutputSet, Stage
    from dubbing.stages import (
        CancelJob,
        CleanupInput,
        ClusterSpeakersInput,
        EmbedSpeakersInput,
        ExtractInput,
        FetchInput,
        FitInput,
        ManifestRef,
        MeasureInput,
        MediaInfo,
        PlanInput,
        PrepareRedubInput,
        ProbeInput,
        RedubLine,
        RenderInput,
        SpeakersOutput,
        SynthesizeInput,
        TranscribeInput,
        TranscribeOutput,
        TranslateInput,
        WebhookCall,
        Window,
    )
    from workflows import policies as p

In = TypeVar("In")
Out = TypeVar("Out")

# On cancellation, wait until in-flight activities have stopped before cleaning up, so none of
# them writes into storage after the cleanup.
WAIT_FOR_STOP = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED


@dataclass(frozen=True)
class Activity(Generic[In, Out]):
    name: str
    queue: str
    retry: RetryPolicy
    timeout: Callable[[In], timedelta]
    stage: Stage | None
    declaration: Callable[[In], Out]
    also: tuple[str, ...] = ()  # other queues whose worker implements it too

    @property
    def queues(self) -> tuple[str, ...]:
        return (self.queue, *self.also)

    @property
    def input_type(self) -> Any:
        return typing.get_type_hints(self.declaration)["inp"]

    @property
    def result_type(self) -> Any:
        return typing.get_type_hints(self.declaration)["return"]


def declare(queue: str, retry: RetryPolicy, timeout: Callable[[Any], timedelta],
            stage: Stage | None = None, also: tuple[str, ...] = ()
            ) -> Callable[[Callable[[In], Out]], Activity[In, Out]]:
    def wrap(fn: Callable[[In], Out]) -> Activity[In, Out]:
        return Activity(fn.__name__, queue, retry, timeout, stage, fn, also)
    return wrap


async def run(ref: Activity[In, Out], inp: In, *, summary: str, heartbeat: timedelta,
              queue: str | None = None) -> Out:
    """Run the activity `ref` with its timeout and policy, on its queue or on `queue`, another
    of its declared queues (`synthesize_segments` for voices that need no model)."""
    if queue is not None and queue not in ref.queues:
        raise ValueError(f"{ref.name} does not run on {queue}")
    result: Out = await workflow.execute_activity(
        ref.name, inp, task_queue=queue or ref.queue, start_to_close_timeout=ref.timeout(inp),
        heartbeat_timeout=heartbeat, retry_policy=ref.retry, summary=summary,
        result_type=ref.result_type, cancellation_type=WAIT_FOR_STOP)
    return result


def _short(_: Any) -> timedelta:
    return p.SHORT


def _media(inp: Any) -> timedelta:
    return p.media_timeout(inp.media.duration)


def _window(inp: Any) -> timedelta:
    return p.window_timeout(inp.window.end - inp.window.start)


def _plan(inp: PlanInput) -> timedelta:
    return p.media_timeout(inp.duration)


def _synthesis(inp: SynthesizeInput) -> timedelta:
    return p.SHORT if inp.lines is not None else p.window_timeout(inp.window_seconds)


# The declarations have no bodies: the workers implement each name (activities/).

@declare(CPU_TASK_QUEUE, p.FETCH_RETRY, lambda _: p.FETCH_TIMEOUT, Stage.PROBE)
def fetch_source(inp: FetchInput) -> int: ...


@declare(CPU_TASK_QUEUE, p.MEDIA_RETRY, _short, Stage.PROBE)
def probe_media(inp: ProbeInput) -> MediaInfo: ...


@declare(CPU_TASK_QUEUE, p.MEDIA_RETRY, _media, Stage.EXTRACT)
def extract_audio(inp: ExtractInput) -> str: ...


@declare(CPU_TASK_QUEUE, p.MEDIA_RETRY, _plan, Stage.PLAN)
def plan_windows(inp: PlanInput) -> list[Window]: ...


@declare(GPU_TASK_QUEUE, p.MODEL_RETRY, _window, Stage.TRANSCRIBE)
def transcribe_window(inp: TranscribeInput) -> TranscribeOutput: ...


@declare(CPU_TASK_QUEUE, p.PROVIDER_RETRY, lambda _: timedelta(minutes=10), Stage.TRANSLATE)
def translate_segments(inp: TranslateInput) -> str: ...


# Voices that need no model (espeak-ng) are voiced by the CPU worker.
@declare(GPU_TASK_QUEUE, p.MODEL_RETRY, _synthesis, Stage.SYNTHESIZE, also=(CPU_TASK_QUEUE,))
def synthesize_segments(inp: SynthesizeInput) -> str: ...


@declare(CPU_TASK_QUEUE, p.MEDIA_RETRY, _window, Stage.FIT)
def fit_segments(inp: FitInput) -> str: ...


@declare(CPU_TASK_QUEUE, p.MEDIA_RETRY, _window)
def measure_window(inp: MeasureInput) -> str: ...


@declare(CPU_TASK_QUEUE, p.MEDIA_RETRY, _media, Stage.RENDER)
def render_outputs(inp: RenderInput) -> OutputSet: ...


@declare(CPU_TASK_QUEUE, p.CLEANUP_RETRY, _short, Stage.CLEANUP)
def cleanup_job(inp: CleanupInput) -> int: ...


@declare(CPU_TASK_QUEUE, p.MEDIA_RETRY, _short)
def prepare_redub(inp: PrepareRedubInput) -> RedubLine: ...


@declare(CPU_TASK_QUEUE, p.MEDIA_RETRY, _short)
def load_manifest(inp: ManifestRef) -> RenderInput: ...


@declare(CPU_TASK_QUEUE, p.CLEANUP_RETRY, _short)
def request_cancellation(inp: CancelJob) -> None: ...


@declare(CPU_TASK_QUEUE, p.WEBHOOK_RETRY, lambda _: p.WEBHOOK_TIMEOUT)
def notify_webhook(inp: WebhookCall) -> int: ...


@declare(CPU_TASK_QUEUE, p.CLEANUP_RETRY, _short)
def start_webhook(inp: WebhookCall) -> None: ...


@declare(GPU_TASK_QUEUE, p.MODEL_RETRY, _window)
def embed_speakers(inp: EmbedSpeakersInput) -> str: ...


@declare(CPU_TASK_QUEUE, p.MEDIA_RETRY, _short)
def cluster_speakers(inp: ClusterSpeakersInput) -> SpeakersOutput: ...


ALL: tuple[Activity[Any, Any], ...] = (
    fetch_source, probe_media, extract_audio, plan_windows, transcribe_window, translate_segments,
    synthesize_segments, fit_segments, render_outputs, cleanup_job, prepare_redub,
    load_manifest, request_cancellation, notify_webhook, start_webhook, embed_speakers,
    cluster_speakers, measure_window,
)
