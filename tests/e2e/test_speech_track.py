"""A video whose speech is on its second audio track, dubbed on the real workers and engines.

Everything is read back from the output files: the lines found, the dub's second (original)
audio track, and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import srt
from temporalio.testing import WorkflowEnvironment

from bench.media import two_track_video
from dubbing.contract import DubJob, DubResult
from dubbing.settings import Settings
from dubbing.storage import open_store
from starter import jobs, outputs
from tests.helpers import ffprobe, stream_md5

pytestmark = pytest.mark.slow

SECONDS = 24.0


@pytest.fixture(scope="module")
async def dubbed(env: WorkflowEnvironment, workers: Settings,
                 tmp_path_factory: pytest.TempPathFactory) -> tuple[DubResult, Path, Path]:
    source = two_track_video(tmp_path_factory.mktemp("in") / "interview.mp4", SECONDS)
    store = open_store(workers.store)
    job = DubJob(input_key="pending", input_name=source.name, target_langs=("es",))
    handle = await jobs.submit(env.client, store, source, job)
    result = await handle.result()
    out_dir = tmp_path_factory.mktemp("out")
    outputs.download(store, result, out_dir)
    return result, source, out_dir


async def test_lines_are_found_on_the_speech_track(dubbed) -> None:
    result, _, out_dir = dubbed
    cues = list(srt.parse((out_dir / "interview.en.srt").read_text()))
    words = " ".join(c.content for c in cues).split()
    assert result.segments >= 3 and len(cues) >= 3 and len(words) >= 20, words
    report = json.loads((out_dir / "interview.es.report.json").read_text())
    assert len(report["segments"]) == result.segments


async def test_the_original_track_of_the_dub_is_the_speech_track(dubbed) -> None:
    _, source, out_dir = dubbed
    dub = out_dir / "interview.es.mp4"
    audio = [s for s in ffprobe(dub)["streams"] if s["codec_type"] == "audio"]
    assert len(audio) == 2
    assert [s["tags"]["language"] for s in audio] == ["spa", "eng"]
    assert audio[1]["channels"] == 1 and audio[1]["sample_rate"] == "16000"
    assert stream_md5(dub, "0:a:1") == stream_md5(source, "0:a:1")


async def test_report_names_track_1_and_why(dubbed) -> None:
    _, _, out_dir = dubbed
    report = json.loads((out_dir / "interview.es.report.json").read_text())
    track = report["summary"]["audio_track"]
    assert (track["index"], track["chosen"]) == (1, "speech")
    speech = [t["speech_seconds"] for t in track["tracks"]]
    assert speech[0] == 0.0 and speech[1] >= 10.0
    assert [t["channels"] for t in track["tracks"]] == [2, 1]
