"""The starter CLI as a user runs it, as a subprocess against the real dev server."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.client import WorkflowExecutionStatus

from bench.media import speech_video
from dubbing import keys
from dubbing.settings import Settings
from tests.conftest import service_env
from tests.helpers import SAMPLE, ffprobe, stream_md5

pytestmark = pytest.mark.slow


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def starter(settings: Settings, *args: str, seconds: float = 300) -> Ran:
    """Run the CLI without blocking the event loop the in-process workers run on."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "starter", *args, env=service_env(settings),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), seconds)
    except TimeoutError:
        proc.kill()
        raise
    return Ran(proc.returncode or 0, out.decode(), err.decode())


async def test_translate_a_file_with_shell_metacharacters(workers: Settings,
                                                         tmp_path: Path) -> None:
    odd = tmp_path / "my talk 'final' $(rm -rf x) & ;.mp4"
    shutil.copyfile(SAMPLE, odd)
    out = tmp_path / "out dir"
    proc = await starter(workers, "translate", str(odd), "--to", "es", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    stem = odd.stem
    for suffix in ("es.mp4", "en.srt", "es.srt", "en.vtt", "es.vtt", "es.report.json"):
        assert (out / f"{stem}.{suffix}").is_file(), suffix
        assert str(out / f"{stem}.{suffix}") in proc.stdout
    assert "real-time factor" in proc.stdout
    assert len(ffprobe(out / f"{stem}.es.mp4")["streams"]) == 3


async def test_no_wait_then_status_and_result(workers: Settings, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    shutil.copyfile(SAMPLE, clip)
    proc = await starter(workers, "translate", str(clip), "--to", "es", "--no-wait")
    assert proc.returncode == 0, proc.stderr
    job_id = proc.stdout.strip().splitlines()[-1]
    assert job_id.startswith("dub-clip-")
    status = await starter(workers, "status", job_id)
    assert status.returncode == 0 and job_id in status.stdout
    result = await starter(workers, "result", job_id, "--out", str(tmp_path / "res"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "res" / "clip.es.mp4").is_file()
    again = await starter(workers, "translate", str(clip), "--to", "es", "--no-wait")
    assert again.stdout.strip().splitlines()[-1] == job_id, "resubmission must attach"


async def test_missing_and_empty_files_are_usage_errors(workers: Settings, tmp_path: Path) -> None:
    missing = await starter(workers, "translate", str(tmp_path / "nope.mp4"), "--to", "es")
    assert missing.returncode == 2
    assert "nope.mp4: no such file" in missing.stderr
    empty = tmp_path / "empty.mp4"
    empty.touch()
    proc = await starter(workers, "translate", str(empty), "--to", "es")
    assert proc.returncode == 2 and "empty.mp4: the file is empty" in proc.stderr
    assert "Traceback" not in proc.stderr + missing.stderr


def _silent_film(path: Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10",
                    "-t", "2", "-pix_fmt", "yuv420p", str(path)], check=True)


def _cut_in_half(path: Path, faststart: bool = False) -> None:
    """An MP4 cut in half. Without faststart its index is lost; with it, the index at the front
    still claims the full length, and only decoding finds the audio missing."""
    whole = path.with_suffix(".whole.mp4")
    speech_video(whole, 20)
    if faststart:
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(whole), "-c", "copy", "-movflags",
                        "+faststart", str(path)], check=True)
        whole = path
    data = whole.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(("name", "make", "problem"), [
    ("notes.mp4", lambda p: p.write_text("these are my notes, not a video\n" * 50),
     "not a media file"),
    ("silent-film.mp4", _silent_film, "no audio stream"),
    ("cut short.mp4", _cut_in_half, "truncated or corrupt"),
    ("cut 'fast'.mp4", lambda p: _cut_in_half(p, faststart=True), "truncated or corrupt"),
])
async def test_bad_media_fails_fast_with_one_line(env, workers: Settings, tmp_path: Path, name,
                                                  make, problem) -> None:
    path = tmp_path / name
    await asyncio.to_thread(make, path)
    proc = await starter(workers, "translate", str(path), "--to", "es", seconds=30)
    assert proc.returncode == 1, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and name in lines[0] and problem in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    job_id = lines[0].split()[2].rstrip(":")
    store_root = Path(workers.store)
    assert not (store_root / keys.job_prefix(job_id)).exists(), "job left files in storage"
    handle = env.client.get_workflow_handle(job_id)
    assert (await handle.describe()).status == WorkflowExecutionStatus.FAILED
    attempts = [e.activity_task_started_event_attributes.attempt
                async for e in handle.fetch_history_events()
                if e.HasField("activity_task_started_event_attributes")]
    assert attempts and max(attempts) == 1, "a bad input must not be retried"


async def test_unknown_translator_is_a_usage_error(workers: Settings) -> None:
    proc = await starter(workers, "translate", str(SAMPLE), "--to", "es",
                         "--translator", "babel")
    assert proc.returncode == 2 and "unknown translator 'babel'" in proc.stderr


async def test_unreachable_service_exit_code(workers: Settings) -> None:
    settings = workers.model_copy(update={"temporal_address": "127.0.0.1:1"})
    proc = await starter(settings, "status", "dub-anything", seconds=60)
    assert proc.returncode == 4 and "cannot reach Temporal" in proc.stderr


@pytest.mark.parametrize(("args", "problem"), [
    (("--to", "xx"), "Apertium cannot translate en->xx"),
    (("--from", "fr", "--to", "es"), "recognizes English only"),
])
async def test_unsupported_languages_fail_before_heavy_work(workers: Settings, args,
                                                            problem) -> None:
    proc = await starter(workers, "translate", str(SAMPLE), *args, seconds=30)
    assert proc.returncode == 1, proc.stderr
    assert problem in proc.stderr and "Traceback" not in proc.stderr


async def test_all_silence_succeeds_with_no_speech(workers: Settings, tmp_path: Path) -> None:
    quiet = tmp_path / "quiet.mp4"
    await asyncio.to_thread(subprocess.run, [
        "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10",
        "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "8", "-pix_fmt", "yuv420p",
        "-c:a", "aac", str(quiet)], check=True)
    proc = await starter(workers, "translate", str(quiet), "--to", "es", "--out",
                         str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    assert "0 segments" in proc.stdout
    assert (tmp_path / "o" / "quiet.es.srt").read_text().strip() == ""


async def test_unknown_speech_model_is_a_configuration_error(workers: Settings) -> None:
    proc = await starter(workers, "translate", str(SAMPLE), "--to", "es", "--asr-model",
                         "/no/such/model", seconds=60)
    assert proc.returncode == 1, proc.stderr
    assert "speech model '/no/such/model'" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("mode", ["embed", "burn"])
async def test_subtitles_embedded_or_burned(workers: Settings, tmp_path: Path, mode: str) -> None:
    clip = tmp_path / f"subs-{mode}.mp4"
    shutil.copyfile(SAMPLE, clip)
    proc = await starter(workers, "translate", str(clip), "--to", "es", "--subtitles", mode,
                         "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    dubbed = tmp_path / "o" / f"subs-{mode}.es.mp4"
    streams = ffprobe(dubbed)["streams"]
    if mode == "embed":
        subs = [s for s in streams if s["codec_type"] == "subtitle"]
        assert [s["tags"]["language"] for s in subs] == ["spa", "eng"]
        assert stream_md5(dubbed, "0:v:0") == stream_md5(SAMPLE, "0:v:0")
    else:
        assert [s["codec_type"] for s in streams] == ["video", "audio", "audio"]
        assert stream_md5(dubbed, "0:v:0") != stream_md5(SAMPLE, "0:v:0"), "burned in"
