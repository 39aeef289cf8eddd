"""A 3-hour video stays far inside Temporal's history limits.

Stand-in activities registered under the real names replace the engines (the real engines are
covered by the other end-to-end tests); the workflow code and the dev server are real.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import pytest
from google.protobuf.json_format import MessageToDict
from temporalio import activity
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from dubbing.contract import (
    CPU_TASK_QUEUE,
    GPU_TASK_QUEUE,
    WORKFLOW_NAME,
    DubJob,
    DubResult,
    OutputSet,
)
from dubbing.stages import (
    CleanupInput,
    ClusterSpeakersInput,
    EmbedSpeakersInput,
    ExtractInput,
    FitInput,
    MeasureInput,
    MediaInfo,
    PlanInput,
    ProbeInput,
    RenderInput,
    SpeakersOutput,
    SynthesizeInput,
    TranscribeInput,
    TranscribeOutput,
    TranslateInput,
    Window,
)
from dubbing.windows import plan_windows
from tests.conftest import search_attribute_keys, temporal_binary
from workflows.dub_video import DubVideoWorkflow

pytestmark = pytest.mark.slow
THREE_HOURS = 3 * 3600.0


@activity.defn(name="probe_media")
async def probe_media(inp: ProbeInput) -> MediaInfo:
    return MediaInfo(duration=THREE_HOURS, has_video=True, video_codec="h264",
                     audio_codec="aac", sample_rate=48000, channels=2)


@activity.defn(name="extract_audio")
async def extract_audio(inp: ExtractInput) -> str:
    return f"jobs/{inp.job_id}/work/audio.wav"


@activity.defn(name="plan_windows")
async def plan(inp: PlanInput) -> list[Window]:
    silences = [(t, t + 0.6) for t in range(5, int(inp.duration), 9)]
    return plan_windows(inp.duration, [(float(s), e) for s, e in silences], inp.window_seconds)


@activity.defn(name="transcribe_window")
async def transcribe(inp: TranscribeInput) -> TranscribeOutput:
    return TranscribeOutput(segments_key=f"jobs/{inp.job_id}/work/w{inp.window.index:04d}/s",
                            count=45, decoded_seconds=inp.window.end - inp.window.start)


@activity.defn(name="embed_speakers")
async def embed(inp: EmbedSpeakersInput) -> str:
    return inp.segments_key + ".speakers.npz"


@activity.defn(name="cluster_speakers")
async def cluster(inp: ClusterSpeakersInput) -> SpeakersOutput:
    return SpeakersOutput(speakers_key=f"jobs/{inp.job_id}/work/speakers.json", count=3)


@activity.defn(name="translate_segments")
async def translate(inp: TranslateInput) -> str:
    return inp.segments_key + ".texts"


@activity.defn(name="synthesize_segments")
async def synthesize(inp: SynthesizeInput) -> str:
    return inp.texts_key + ".clips"


@activity.defn(name="fit_segments")
async def fit(inp: FitInput) -> str:
    return inp.clips_key + ".fit"


@activity.defn(name="measure_window")
async def measure(inp: MeasureInput) -> str:
    return inp.fit_key + ".energy"


@activity.defn(name="render_outputs")
async def render(inp: RenderInput) -> OutputSet:
    return OutputSet(target_lang=inp.target_lang, keys={"mp4": f"jobs/{inp.job_id}/out/x.mp4"})


@activity.defn(name="cleanup_job")
async def cleanup(inp: CleanupInput) -> int:
    return 0


@pytest.fixture(scope="module")
async def standin_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), data_converter=pydantic_data_converter,
        dev_server_log_level="error", search_attributes=search_attribute_keys())
    cpu = Worker(env.client, task_queue=CPU_TASK_QUEUE, workflows=[DubVideoWorkflow],
                 activities=[probe_media, extract_audio, plan, translate, synthesize, fit, measure,
                             render, cleanup, cluster],
                 max_concurrent_activities=8)
    gpu = Worker(env.client, task_queue=GPU_TASK_QUEUE, activities=[transcribe, embed, synthesize])
    async with cpu, gpu:
        yield env
    await env.shutdown()


def payload_sizes(history_json: str) -> list[int]:
    sizes: list[int] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("data"), str) and "metadata" in node:
                sizes.append(len(base64.b64decode(node["data"])))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(history_json))
    return sizes


async def test_three_hour_video_history_stays_small(standin_env: WorkflowEnvironment) -> None:
    job = DubJob(input_key="jobs/dub-3h/input", input_name="three-hours.mp4",
                 max_parallel_windows=4)  # speakers auto: every window embedded, one clustering
    handle = await standin_env.client.start_workflow(
        WORKFLOW_NAME, job, id="dub-3h", task_queue=CPU_TASK_QUEUE,
        result_type=DubResult)
    result = await handle.result()
    assert result.segments == 60 * 45
    history = await handle.fetch_history()
    events = len(history.events)
    largest = max(payload_sizes(history.to_json()))
    print(f"3-hour video: {events} events, largest payload {largest} bytes")
    assert events < 10_000, events
    assert largest < 64 * 1024
    last = MessageToDict(history.events[-1])["eventType"]
    assert last == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
