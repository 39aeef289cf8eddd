"""The whole pipeline on real engines: dev server, ffmpeg, faster-whisper, Apertium, espeak-ng.

One job dubs the sample into Spanish and Catalan from a single transcription."""

from __future__ import annotations

from pathlib import Path

import pytest
import srt
import webvtt
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment

from dubbing.contract import CPU_TASK_QUEUE, GPU_TASK_QUEUE, DubJob, DubResult
from dubbing.settings import Settings
from dubbing.storage import open_store
from starter import jobs, outputs
from tests.helpers import (
    SAMPLE,
    SAMPLE_REFERENCE,
    activity_queues,
    ffprobe,
    integrated_lufs,
    stream_md5,
    word_error_rate,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
async def dubbed(env: WorkflowEnvironment, workers: Settings,
                 tmp_path_factory: pytest.TempPathFactory) -> tuple[DubResult, Path, object]:
    store = open_store(workers.store)
    job = DubJob(input_key="pending", input_name=SAMPLE.name, source_lang="en",
                 target_langs=("es", "ca"))
    handle = await jobs.submit(env.client, store, SAMPLE, job)
    result = await handle.result()
    out_dir = tmp_path_factory.mktemp("out")
    outputs.download(store, result, out_dir)
    return result, out_dir, handle


async def test_writes_all_six_outputs(dubbed) -> None:
    _, out_dir, _ = dubbed
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == sorted(["sample.en.srt", "sample.en.vtt"] + [
        f"sample.{lang}.{kind}" for lang in ("es", "ca")
        for kind in ("mp4", "srt", "vtt", "report.json")])


async def test_one_transcription_serves_both_languages(dubbed) -> None:
    result, _, handle = dubbed
    assert [o.target_lang for o in result.outputs] == ["es", "ca"]
    counts: dict[str, int] = {}
    async for event in handle.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            counts[name] = counts.get(name, 0) + 1
    assert counts["transcribe_window"] == 1  # the sample is one window
    assert counts["synthesize_segments"] == counts["render_outputs"] == 2


async def test_video_copied_and_two_tagged_audio_tracks(dubbed) -> None:
    _, out_dir, _ = dubbed
    dub = out_dir / "sample.es.mp4"
    info = ffprobe(dub)
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
    assert [s["tags"]["language"] for s in audio] == ["spa", "eng"]
    assert [s["disposition"]["default"] for s in audio] == [1, 0]
    assert stream_md5(dub, "0:v:0") == stream_md5(SAMPLE, "0:v:0")
    assert stream_md5(dub, "0:a:1") == stream_md5(SAMPLE, "0:a:0")
    original = float(ffprobe(SAMPLE)["format"]["duration"])
    assert abs(float(info["format"]["duration"]) - original) <= 0.1


@pytest.mark.parametrize("lang", ["es", "ca"])
async def test_dub_track_is_at_minus_16_lufs(dubbed, lang: str) -> None:
    _, out_dir, _ = dubbed
    assert integrated_lufs(out_dir / f"sample.{lang}.mp4", "0:a:0") == pytest.approx(-16, abs=1)


async def test_source_subtitles_match_the_reference(dubbed) -> None:
    _, out_dir, _ = dubbed
    cues = list(srt.parse((out_dir / "sample.en.srt").read_text()))
    hypothesis = " ".join(c.content.replace("\n", " ") for c in cues)
    wer = word_error_rate(SAMPLE_REFERENCE.read_text(), hypothesis)
    assert wer <= 0.10, f"WER {wer:.1%}: {hypothesis}"
    assert all(c.start < c.end for c in cues)
    assert all(len(line) <= 42 for c in cues for line in c.content.splitlines())


async def test_target_subtitles_are_spanish_and_timed(dubbed) -> None:
    _, out_dir, _ = dubbed
    cues = list(srt.parse((out_dir / "sample.es.srt").read_text()))
    vtt = webvtt.read(str(out_dir / "sample.es.vtt"))
    assert len(vtt.captions) == len(cues) > 3
    text = " ".join(c.content for c in cues).lower()
    assert "joven" in text or "hombre" in text, text


@pytest.mark.parametrize("lang", ["es", "ca"])
async def test_report_lists_every_segment(dubbed, lang: str) -> None:
    import json

    result, out_dir, _ = dubbed
    report = json.loads((out_dir / f"sample.{lang}.report.json").read_text())
    assert report["summary"]["segments"] == result.segments == len(report["segments"])
    for seg in report["segments"]:
        assert seg["target_text"] and seg["source_text"]
        assert 0.85 <= seg["speed"] <= 1.3
        assert seg["synthesized_seconds"] > 0
        assert seg["start"] < seg["end"] <= seg["slot_end"] + 1e-6
        ends = seg["placed_start"] + seg["placed_seconds"]
        assert ends <= seg["slot_end"] + 0.05, "trimmed lines never pass the next line"
        assert seg["step"] in ("fits", "slower", "rate", "stretch", "overflow")
        assert seg["start_offset"] == 0.0, "every dub starts on its speaker's onset"
        assert 0.5 <= seg["coverage"] <= 1.0 and isinstance(seg["unknown_words"], list)
    summary = report["summary"]
    assert summary["max_speed"] <= 1.3
    assert summary["loudness_lufs"] == pytest.approx(-16.0, abs=1.0)
    assert summary["true_peak_dbtp"] <= -1.0
    assert summary["cues"] == len(report["target_cues"]) > 0


async def test_history_shows_both_task_queues(dubbed) -> None:
    _, _, handle = dubbed
    queues = await activity_queues(handle)
    assert queues["transcribe_window"] == {GPU_TASK_QUEUE}
    # Spanish is voiced by espeak-ng, which needs no model: the CPU worker voices it
    assert queues["synthesize_segments"] == {CPU_TASK_QUEUE}
    assert queues["render_outputs"] == {CPU_TASK_QUEUE}
    assert queues["translate_segments"] == {CPU_TASK_QUEUE}


async def test_search_attributes_describe_the_finished_job(env, dubbed) -> None:
    _, _, handle = dubbed
    attrs = (await handle.describe()).typed_search_attributes
    assert attrs.get(SearchAttributeKey.for_keyword("DubStage")) == "completed"
    assert attrs.get(SearchAttributeKey.for_keyword_list("DubTargetLangs")) == ["es", "ca"]
    assert attrs.get(SearchAttributeKey.for_keyword("DubInputName")) == "sample.mp4"
    assert attrs.get(SearchAttributeKey.for_float("DubMediaSeconds")) == pytest.approx(29.3, 0.01)
    found = [w.id async for w in env.client.list_workflows(
        'DubTargetLangs = "ca" AND DubStage = "completed"')]
    assert handle.id in found
