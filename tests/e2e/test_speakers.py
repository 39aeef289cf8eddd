"""Two speakers dubbed with two voices, through the real workers: a dialogue of the LibriVox
reader and the Piper voice (bench/speakers_media.py) with speakers="auto", checked from the
output files: the report's speakers and voices, the VTT's voice tags, the SRT's dashes."""

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

from bench import speakers_media as media
from dubbing import keys
from dubbing.contract import DubJob, RedubRequest
from dubbing.settings import Settings
from dubbing.storage import open_store
from dubclient.client import DubClient

# find_spec, not importorskip: importing resemblyzer loads torch into every test process
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    importlib.util.find_spec("resemblyzer") is None,
    reason="the speech extra's speaker encoder is missing")]


def _dialogue(folder: Path) -> Path:
    lines = media.dialogue(folder / "pair.wav", ["reader", "joe"], 8, seed=7)
    assert {x.speaker for x in lines} == {"reader", "joe"}
    return media.as_video(folder / "pair.wav", folder / "pair.mp4")


async def test_two_speakers_get_two_voices_and_are_marked_in_the_subtitles(
        env: WorkflowEnvironment, workers: Settings, tmp_path: Path) -> None:
    video = await asyncio.to_thread(_dialogue, tmp_path)
    store = open_store(workers.store)
    job_id = f"speakers-{uuid.uuid4().hex[:12]}"
    await asyncio.to_thread(store.put_file, keys.input_key(job_id), video)
    job = DubJob(input_key=keys.input_key(job_id), input_name=video.name, speakers="auto",
                 heartbeat_seconds=10)
    dub = DubClient(env.client)
    started = time.monotonic()
    await dub.start(job, job_id)
    result = await asyncio.wait_for(dub.result(job_id), 600)
    print(f"dubbed {result.media_seconds:.0f} s with two speakers in "
          f"{time.monotonic() - started:.1f} s")
    assert (await dub.progress(job_id)).speakers == 2
    out = result.outputs[0].keys

    report = json.loads(await asyncio.to_thread(store.get_bytes, out["report"]))
    found = report["speakers"]
    print(json.dumps(found))
    assert list(found) == ["S1", "S2"], found
    assert found["S1"]["voice"] != found["S2"]["voice"]
    assert all(v["lines"] > 0 and v["seconds"] > 0 for v in found.values())
    assert {line["speaker"] for line in report["segments"]} == {"S1", "S2"}

    vtt = (await asyncio.to_thread(store.get_bytes, out["target_vtt"])).decode()
    voices = {c.voice for c in webvtt.from_buffer(io.StringIO(vtt)).captions}
    assert voices == {"Speaker 1", "Speaker 2"}

    cues = list(srt.parse((await asyncio.to_thread(store.get_bytes,
                                                   out["target_srt"])).decode()))
    dashed = [c for c in cues if c.content.startswith("- ")]
    assert dashed and len(dashed) < len(cues)
    assert not cues[0].content.startswith("- ")

    # Moving the last line to a third speaker voices it as that speaker, in every output.
    last = len(report["segments"]) - 1
    moved = await dub.redub(job_id, RedubRequest(target_lang="es", index=last, speaker="S3"))
    assert moved.output is not None
    again = json.loads(await asyncio.to_thread(store.get_bytes, moved.output.keys["report"]))
    assert again["segments"][last]["speaker"] == "S3"
    assert again["segments"][last]["target_text"] == report["segments"][last]["target_text"]
    assert [s["speaker"] for s in again["segments"][:last]] == [
        s["speaker"] for s in report["segments"][:last]]
    assert again["speakers"]["S3"]["lines"] == 1
    assert again["speakers"]["S3"]["voice"] not in (found["S1"]["voice"], found["S2"]["voice"])
    vtt = (await asyncio.to_thread(store.get_bytes, moved.output.keys["target_vtt"])).decode()
    assert webvtt.from_buffer(io.StringIO(vtt)).captions[-1].voice == "Speaker 3"
