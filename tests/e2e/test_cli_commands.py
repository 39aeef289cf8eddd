"""The operator commands as a user runs them: list, watch, pause/resume, --json, Ctrl-C,
glossary and reference transcript. Real dev server, real workers, the CLI as a subprocess."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import sys
from pathlib import Path

import pytest
from temporalio.client import WorkflowExecutionStatus

from bench.media import speech_video
from dubbing.settings import Settings
from tests.conftest import service_env
from tests.e2e.test_starter_cli import starter
from tests.helpers import SAMPLE, SAMPLE_REFERENCE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def long_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speech_video(tmp_path_factory.mktemp("cli") / "long talk.mp4", 75)


async def test_no_wait_json_then_watch_and_list(workers: Settings, tmp_path: Path) -> None:
    clip = tmp_path / "watched.mp4"
    shutil.copyfile(SAMPLE, clip)
    started = await starter(workers, "translate", str(clip), "--to", "ca", "--no-wait", "--json")
    assert started.returncode == 0, started.stderr
    job_id = json.loads(started.stdout)["job_id"]
    watched = await starter(workers, "watch", job_id, "--out", str(tmp_path / "o"), "--json")
    assert watched.returncode == 0, watched.stderr
    body = json.loads(watched.stdout)
    assert body["result"]["job_id"] == job_id and len(body["files"]) == 6
    for _ in range(50):  # visibility catches up within moments
        listed = await starter(workers, "list", "--lang", "ca", "--state", "completed", "--json")
        rows = json.loads(listed.stdout)
        if any(r["job_id"] == job_id for r in rows):
            break
        await asyncio.sleep(0.2)
    row = next(r for r in rows if r["job_id"] == job_id)
    assert row["stage"] == "completed" and row["languages"] == ["ca"]
    assert row["input"] == "watched.mp4" and row["media_seconds"] == pytest.approx(29.3, 0.01)
    table = await starter(workers, "list", "--lang", "ca")
    assert job_id in table.stdout
    bad = await starter(workers, "list", "--stage", "dancing")
    assert bad.returncode == 2 and "unknown stage" in bad.stderr


async def test_pause_and_resume_from_the_cli(workers: Settings, long_input: Path,
                                             tmp_path: Path) -> None:
    started = await starter(workers, "translate", str(long_input), "--to", "es", "--no-wait")
    job_id = started.stdout.strip()
    paused = await starter(workers, "pause", job_id)
    assert paused.returncode == 0 and "paused" in paused.stdout, paused.stderr
    again = await starter(workers, "pause", job_id)
    assert again.returncode == 2 and "cannot pause" in again.stderr
    status = await starter(workers, "status", job_id, "--json")
    assert json.loads(status.stdout)["progress"]["paused"] is True
    resumed = await starter(workers, "resume", job_id)
    assert resumed.returncode == 0, resumed.stderr
    result = await starter(workers, "result", job_id, "--json", "--out", str(tmp_path / "o"))
    assert result.returncode == 0 and json.loads(result.stdout)["result"]["segments"] > 5


async def _interrupted(settings: Settings, video: Path, mode: str) -> tuple[int, str, str]:
    """Start `translate`, press Ctrl-C once the job is running, return (exit, stderr, id)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "starter", "translate", str(video), "--to", "es", "--priority",
        "low", "--on-interrupt", mode, env=service_env(settings),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stderr is not None
    first = (await asyncio.wait_for(proc.stderr.readline(), 60)).decode()
    job_id = first.split()[1].rstrip(":")
    await asyncio.sleep(2)
    proc.send_signal(signal.SIGINT)
    rest = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, first + rest[1].decode(), job_id


async def test_ctrl_c_can_cancel_the_job(env, workers: Settings, tmp_path: Path) -> None:
    video = speech_video(tmp_path / "to cancel.mp4", 100)
    code, stderr, job_id = await _interrupted(workers, video, "cancel")
    assert code == 3 and f"job {job_id} was cancelled" in stderr, stderr
    handle = env.client.get_workflow_handle(job_id)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    reasons = [e.workflow_execution_cancel_requested_event_attributes.cause
               async for e in handle.fetch_history_events()
               if e.HasField("workflow_execution_cancel_requested_event_attributes")]
    assert reasons == ["cancelled from the starter (Ctrl-C)"]


async def test_ctrl_c_can_detach_and_leave_the_job_running(env, workers: Settings,
                                                          tmp_path: Path) -> None:
    video = speech_video(tmp_path / "to detach.mp4", 101)
    code, stderr, job_id = await _interrupted(workers, video, "detach")
    assert code == 0 and f"starter watch {job_id}" in stderr, stderr
    handle = env.client.get_workflow_handle(job_id)
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    await handle.cancel(reason="test cleanup")


async def test_glossary_and_reference(workers: Settings, tmp_path: Path) -> None:
    glossary = tmp_path / "terms.tsv"
    glossary.write_text("# our house style\nyoung man\tcaballerete\n", encoding="utf-8")
    proc = await starter(workers, "translate", str(SAMPLE), "--to", "es", "--glossary",
                         str(glossary), "--reference", str(SAMPLE_REFERENCE), "--out",
                         str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    assert "caballerete" in (tmp_path / "o" / "sample.es.srt").read_text()
    report = json.loads((tmp_path / "o" / "sample.es.report.json").read_text())
    assert report["summary"]["transcription_wer"] <= 0.10
    assert "word error rate against the reference" in proc.stdout
    broken = tmp_path / "broken.tsv"
    broken.write_text("just one column\n")
    bad = await starter(workers, "translate", str(SAMPLE), "--to", "es", "--glossary",
                        str(broken))
    assert bad.returncode == 2 and "broken.tsv:1" in bad.stderr


async def test_batch_from_the_cli(workers: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "season 1"
    folder.mkdir()
    speech_video(folder / "episode 1.mp4", 9)
    speech_video(folder / "episode 2.mp4", 11)
    (folder / "broken.mp4").write_text("not a video at all\n" * 20)
    proc = await starter(workers, "batch", str(folder), "--to", "es", "--max-running", "2",
                         "--json")
    assert proc.returncode == 1, proc.stderr  # one video failed
    final = json.loads(proc.stdout)
    assert (final["total"], final["done"], final["failed"]) == (3, 3, 1)
    states = {item["input_name"]: item for item in final["items"]}
    assert states["broken.mp4"]["state"] == "failed"
    assert "not a media file" in states["broken.mp4"]["error"]
    assert all(states[f"episode {n}.mp4"]["state"] == "completed" for n in (1, 2))
    empty = tmp_path / "nothing here"
    empty.mkdir()
    usage = await starter(workers, "batch", str(empty), "--to", "es")
    assert usage.returncode == 2 and "no video or audio files" in usage.stderr
