"""A killed and restarted Temporal server: the job goes on from its history and ends as a run
without the crash would. Its own module, so it runs beside the GPU-worker crash test."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from bench.media import speech_video
from bench.stack import Stack
from dubbing.contract import DubJob, DubResult
from dubbing.storage import open_store
from starter import jobs
from tests.e2e.test_durability import (
    _checkpoint,
    _dub_track,
    _lines,
    _outputs,
    _transcriptions,
    uninterrupted,
)
from tests.helpers import decode_track, ffprobe, integrated_lufs

pytestmark = pytest.mark.slow


async def test_server_killed_and_restarted_mid_job(stack: Stack, tmp_path: Path) -> None:
    video = speech_video(tmp_path / "talk.mp4", 90)
    client = await stack.client()
    job = DubJob(input_key="pending", input_name=video.name, heartbeat_seconds=5)
    handle = await jobs.submit(client, open_store(stack.settings.store), video, job)
    await _checkpoint(handle, chunks=0)
    await stack.kill_server()
    await asyncio.sleep(1)
    await stack.start_server()
    client = await stack.client()
    handle = client.get_workflow_handle(handle.id, result_type=DubResult)
    result: DubResult = await asyncio.wait_for(handle.result(), 600)
    resumed = [o.resumed_at for _, o in await _transcriptions(handle)
               if o.resumed_at is not None]
    print(f"{len(resumed)} transcription(s) resumed from a checkpoint: {resumed}")

    # Every line is there and voiced, and the dub track is as long as the video and at the
    # loudness the README promises (-16 LUFS).
    lines = _lines(stack, result)
    assert len(lines) == result.segments > 10
    assert all(text and placed > 0 for _, _, _, text, placed in lines), lines
    dub = _dub_track(stack, result)
    assert float(ffprobe(dub)["format"]["duration"]) == pytest.approx(
        float(ffprobe(video)["format"]["duration"]), abs=0.1)
    assert integrated_lufs(dub) == pytest.approx(-16.0, abs=1)

    # The crash changed nothing: the same lines, texts, subtitles and dub as a run without it.
    reference = await uninterrupted(client, stack, handle, job, video)
    expected: DubResult = await asyncio.wait_for(reference.result(), 600)
    assert result.segments == expected.segments > 10
    assert lines == _lines(stack, expected)
    assert _outputs(stack, result) == _outputs(stack, expected)
    clean = _dub_track(stack, expected)
    assert float(ffprobe(dub)["format"]["duration"]) == pytest.approx(
        float(ffprobe(clean)["format"]["duration"]), abs=0.05)
    assert integrated_lufs(dub) == pytest.approx(integrated_lufs(clean), abs=0.5)
    samples, reference_samples = decode_track(dub), decode_track(clean)
    assert abs(len(samples) - len(reference_samples)) <= 480
    n = min(len(samples), len(reference_samples))
    assert np.corrcoef(samples[:n], reference_samples[:n])[0, 1] > 0.99
