"""Redubbing one line, while the job runs (an update) and after it finished (a follow-up)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from bench.media import speech_video
from dubbing.contract import UPDATE_REDUB, DubJob, DubResult, RedubRequest
from dubbing.settings import Settings
from dubbing.storage import open_store
from starter import jobs
from tests.e2e.test_control import _wait_for_stage
from tests.e2e.test_starter_cli import starter
from tests.helpers import decode_track

pytestmark = pytest.mark.slow
RATE = 48000


def report_of(settings: Settings, keys: dict[str, str]) -> dict:
    return json.loads((Path(settings.store) / keys["report"]).read_text())


@pytest.fixture(scope="module")
async def finished(env, workers: Settings, tmp_path_factory: pytest.TempPathFactory):
    video = speech_video(tmp_path_factory.mktemp("redub") / "lesson.mp4", 45)
    job = DubJob(input_key="pending", input_name=video.name)
    handle = await jobs.submit(env.client, open_store(workers.store), video, job)
    result: DubResult = await handle.result()
    return handle, result


async def test_redub_after_finishing_changes_exactly_one_line(
        workers: Settings, finished: tuple[WorkflowHandle, DubResult], tmp_path: Path) -> None:
    handle, result = finished
    before = report_of(workers, result.outputs[0].keys)
    old_track = decode_track(Path(workers.store) / result.outputs[0].keys["mp4"], "0:a:0")
    target = 1
    proc = await starter(workers, "redub", handle.id, str(target),
                         "Esta frase es nueva y bastante más larga que antes.",
                         "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "revision 1" in proc.stdout
    after = json.loads((tmp_path / "lesson.es.report.json").read_text())
    changed = after["segments"][target]
    assert changed["target_text"].startswith("Esta frase es nueva")
    assert changed["revision"] == 1 and changed["revisions"][0]["previous"] == \
        before["segments"][target]["target_text"]
    assert after["summary"]["revision"] == 1
    others = [i for i in range(len(before["segments"])) if i != target]
    for i in others:
        assert after["segments"][i] == {**before["segments"][i]}, f"line {i} changed"
    new_track = decode_track(tmp_path / "lesson.es.mp4", "0:a:0")
    for i in others:
        seg = after["segments"][i]
        part = slice(int(seg["placed_start"] * RATE) + 2400,
                     int((seg["placed_start"] + seg["placed_seconds"]) * RATE) - 2400)
        assert np.corrcoef(old_track[part], new_track[part])[0, 1] > 0.99, f"line {i} differs"
    part = slice(int(changed["placed_start"] * RATE),
                 int((changed["placed_start"] + changed["placed_seconds"]) * RATE))
    assert np.corrcoef(old_track[part], new_track[part])[0, 1] < 0.9, "the line was not redone"


async def test_redub_of_a_line_that_does_not_exist_is_a_usage_error(
        workers: Settings, finished: tuple[WorkflowHandle, DubResult]) -> None:
    handle, _ = finished
    proc = await starter(workers, "redub", handle.id, "999", "Hola")
    assert proc.returncode == 2 and "line 999 does not exist" in proc.stderr, proc.stderr


async def test_redub_while_running_is_applied_before_the_mix(env, workers: Settings,
                                                            tmp_path: Path) -> None:
    video = speech_video(tmp_path / "running.mp4", 80)
    # The same input under another name is another job: the reference dub without the redub.
    reference_video = tmp_path / "reference.mp4"
    shutil.copyfile(video, reference_video)
    job = DubJob(input_key="pending", input_name=video.name, window_seconds=40,
                 max_parallel_windows=1)
    store = open_store(workers.store)
    handle = await jobs.submit(env.client, store, video, job)
    await _wait_for_stage(handle, "transcribe")
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(UPDATE_REDUB, RedubRequest(target_lang="ca", index=0,
                                                               text="Hola"), result_type=str)
    ack = await handle.execute_update(
        UPDATE_REDUB, RedubRequest(target_lang="es", index=0, text="Primera línea, nueva."),
        result_type=str)
    assert "line 0" in ack
    reference = await jobs.submit(env.client, store, reference_video,
                                  job.model_copy(update={"input_name": reference_video.name}))
    assert reference.id != handle.id
    result: DubResult = await asyncio.wait_for(handle.result(), 600)
    expected: DubResult = await asyncio.wait_for(reference.result(), 600)
    redubbed = report_of(workers, result.outputs[0].keys)["segments"]
    plain = report_of(workers, expected.outputs[0].keys)["segments"]
    first = redubbed[0]
    assert first["target_text"] == "Primera línea, nueva." and first["revision"] == 1
    assert plain[0]["target_text"] != first["target_text"] and plain[0]["revision"] == 0
    assert len(redubbed) == len(plain)

    # The mix carries the new voice on line 0 and the very same audio on every other line.
    track = decode_track(Path(workers.store) / result.outputs[0].keys["mp4"], "0:a:0")
    reference_track = decode_track(Path(workers.store) / expected.outputs[0].keys["mp4"],
                                   "0:a:0")
    assert abs(len(track) - len(reference_track)) <= RATE // 100
    assert first["placed_start"] == plain[0]["placed_start"]
    line = slice(int(first["placed_start"] * RATE),
                 int((first["placed_start"] + max(first["placed_seconds"],
                                                  plain[0]["placed_seconds"])) * RATE))
    assert line.stop - line.start > RATE // 2, "line 0 has no dub to compare"
    correlation = np.corrcoef(track[line], reference_track[line])[0, 1]
    assert correlation < 0.9, f"line 0 still has its old voice in the mix ({correlation:.3f})"
    for i, (seg, same) in enumerate(zip(redubbed[1:], plain[1:], strict=True), start=1):
        assert seg["target_text"] == same["target_text"], f"line {i} changed its text"
        assert seg["revision"] == 0, f"line {i} was redubbed too"
        assert (seg["placed_start"], seg["placed_seconds"]) == (
            same["placed_start"], same["placed_seconds"]), f"line {i} moved"
        part = slice(int(seg["placed_start"] * RATE) + 2400,
                     int((seg["placed_start"] + seg["placed_seconds"]) * RATE) - 2400)
        if part.stop - part.start < RATE // 10:
            continue
        assert np.corrcoef(track[part], reference_track[part])[0, 1] > 0.99, \
            f"line {i} sounds different"
