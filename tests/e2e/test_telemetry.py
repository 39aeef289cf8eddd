"""One trace from the starter through the workflow to each activity and engine call."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan

from bench.media import speech_video
from dubbing.contract import DubJob, DubResult
from dubbing.settings import Settings
from dubbing.storage import open_store
from dubbing.tracing import tracer
from dubclient.connect import connect
from starter import jobs
from tests.conftest import SPANS

pytestmark = pytest.mark.slow


def seconds(span: ReadableSpan) -> float:
    value = (span.attributes or {}).get("dub.audio_seconds")
    return float(value) if isinstance(value, int | float) else 0.0


async def test_a_job_is_one_trace_down_to_the_engine_calls(workers: Settings,
                                                           tmp_path: Path) -> None:
    client = await connect(workers)
    video = speech_video(tmp_path / "traced.mp4", 25)
    job = DubJob(input_key="pending", input_name=video.name)
    with tracer.start_as_current_span("starter translate") as root:
        handle = await jobs.submit(client, open_store(workers.store), video, job)
    result: DubResult = await handle.result()
    trace_id = root.get_span_context().trace_id
    spans = [s for s in SPANS.get_finished_spans()
             if s.context is not None and s.context.trace_id == trace_id]
    names = {s.name for s in spans}
    for stage in ("transcribe_window", "translate_segments", "synthesize_segments",
                  "fit_segments", "render_outputs"):
        assert f"RunActivity:{stage}" in names, stage
    assert {"StartWorkflow:DubVideo", "RunWorkflow:DubVideo"} <= names
    by_id = {s.context.span_id: s for s in spans if s.context is not None}
    asr = [s for s in spans if s.name == "asr.transcribe"]
    assert asr and all(seconds(s) > 0 for s in asr)
    assert all(s.parent is not None and by_id[s.parent.span_id].name ==
               "RunActivity:transcribe_window" for s in asr)
    voiced = [s for s in spans if s.name == "tts.synthesize"]
    lines = {((s.attributes or {}).get("dub.window"), (s.attributes or {}).get("dub.segment"))
             for s in voiced}
    assert len(lines) == result.segments, "every line is voiced"
    assert all(seconds(s) > 0 for s in voiced)
    assert all(s.parent is not None and by_id[s.parent.span_id].name ==
               "RunActivity:synthesize_segments" for s in voiced)
    assert any(s.name == "translate.batch" for s in spans)
