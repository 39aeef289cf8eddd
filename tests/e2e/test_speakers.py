"""Three real speakers dubbed with three voices, through the real workers: a dialogue of
LibriSpeech speakers (examples/librispeech, bench/librispeech.py) with speakers="auto", checked
from the output files against the truth: who speaks each line in the report, the speakers and
their voices, the VTT's voice tags and the SRT's dashes; then a line moved to a new speaker."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import json
import time
import uuid
from pathlib import Path

import pytest
import srt
import webvtt
from temporalio.testing import WorkflowEnvironment

from bench import librispeech
from bench import speakers_media as media
from dubbing import diarize, keys
from dubbing.contract import DubJob, RedubRequest
from dubbing.settings import Settings
from dubbing.storage import open_store
from dubclient.client import DubClient

# find_spec, not importorskip: importing resemblyzer loads torch into every test process
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    importlib.util.find_spec("resemblyzer") is None,
    reason="the speech extra's speaker encoder is missing")]
SPEECH = Path(__file__).resolve().parents[2] / "examples" / "librispeech"
CAST = ["1688", "3331", "2414"]


def _dialogue(folder: Path) -> tuple[Path, list[tuple[float, float, str]]]:
    samples, truth = librispeech.dialogue(SPEECH, CAST, 12, seed=7)
    media.write_wav(folder / "talk.wav", samples)
    return media.as_video(folder / "talk.wav", folder / "talk.mp4"), truth


async def test_three_real_speakers_get_three_voices_and_are_marked_in_the_subtitles(
        env: WorkflowEnvironment, workers: Settings, tmp_path: Path) -> None:
    video, truth = await asyncio.to_thread(_dialogue, tmp_path)
    store = open_store(workers.store)
    job_id = f"speakers-{uuid.uuid4().hex[:12]}"
    await asyncio.to_thread(store.put_file, keys.input_key(job_id), video)
    job = DubJob(input_key=keys.input_key(job_id), input_name=video.name, speakers="auto",
                 heartbeat_seconds=10)
    dub = DubClient(env.client)
    started = time.monotonic()
    await dub.start(job, job_id)
    result = await asyncio.wait_for(dub.result(job_id), 600)
    print(f"dubbed {result.media_seconds:.0f} s with three speakers in "
          f"{time.monotonic() - started:.1f} s")
    assert (await dub.progress(job_id)).speakers == 3
    out = result.outputs[0].keys

    report = json.loads(await asyncio.to_thread(store.get_bytes, out["report"]))
    found = report["speakers"]
    print(json.dumps(found))
    assert list(found) == ["S1", "S2", "S3"], found
    assert len({v["voice"] for v in found.values()}) == 3
    assert all(v["lines"] > 0 and v["seconds"] > 0 for v in found.values())
    lines = report["segments"]
    said = librispeech.owners([(x["start"], x["end"]) for x in lines], truth)
    accuracy = diarize.pair_accuracy([x["speaker"] for x in lines], said)
    print(f"{len(lines)} lines, pair accuracy {accuracy:.3f}")
    assert accuracy >= 0.95

    vtt = (await asyncio.to_thread(store.get_bytes, out["target_vtt"])).decode()
    voices = {c.voice for c in webvtt.from_buffer(io.StringIO(vtt)).captions}
    assert voices == {"Speaker 1", "Speaker 2", "Speaker 3"}

    cues = list(srt.parse((await asyncio.to_thread(store.get_bytes,
                                                   out["target_srt"])).decode()))
    dashed = [c for c in cues if c.content.startswith("- ")]
    assert dashed and len(dashed) < len(cues)
    assert not cues[0].content.startswith("- ")

    # Moving the last line to a fourth speaker voices it as that speaker, in every output.
    last = len(report["segments"]) - 1
    moved = await dub.redub(job_id, RedubRequest(target_lang="es", index=last, speaker="S4"))
    assert moved.output is not None
    again = json.loads(await asyncio.to_thread(store.get_bytes, moved.output.keys["report"]))
    assert again["segments"][last]["speaker"] == "S4"
    assert again["segments"][last]["target_text"] == report["segments"][last]["target_text"]
    assert [s["speaker"] for s in again["segments"][:last]] == [
        s["speaker"] for s in report["segments"][:last]]
    assert again["speakers"]["S4"]["lines"] == 1
    assert again["speakers"]["S4"]["voice"] not in {v["voice"] for v in found.values()}
    vtt = (await asyncio.to_thread(store.get_bytes, moved.output.keys["target_vtt"])).decode()
    assert webvtt.from_buffer(io.StringIO(vtt)).captions[-1].voice == "Speaker 4"
