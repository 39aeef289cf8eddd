"""The starter CLI against hostile or broken surroundings: links planted in --out, files in
the way, names that do not fit, unreadable glossaries, a store or a Temporal server out of
reach, oversized or impossible redubs, finished jobs. Each failure is one line, the right exit
code, no traceback and no credentials.

A real Temporal dev server, with a stand-in `DubVideo` that finishes at once with outputs the
test stored beforehand (no engines run)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from temporalio import activity, workflow
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.stack import Stack, free_port
from dubbing.contract import (
    CPU_TASK_QUEUE,
    QUERY_PROGRESS,
    WORKFLOW_NAME,
    DubJob,
    DubResult,
    JobState,
    OutputSet,
    Progress,
)
from dubbing.stages import ManifestRef, RenderInput
from dubbing.storage import LocalStore, Store
from starter import outputs
from starter.app import Exit
from starter.reconnect import patiently
from tests.conftest import search_attribute_keys, temporal_binary
from tests.helpers import SAMPLE
from workflows.redub import RedubSegmentWorkflow

KINDS = ("mp4", "source_srt", "target_srt", "source_vtt", "target_vtt", "report")
NOWHERE = {"DUB_TEMPORAL_ADDRESS": "127.0.0.1:1"}  # checks that must come before connecting


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str

    def one_error(self) -> str:
        assert "Traceback" not in self.stderr, self.stderr
        lines = [ln for ln in self.stderr.splitlines() if ln.startswith("error:")]
        assert len(lines) == 1, self.stderr
        return lines[0]


async def cli(env: dict[str, str], *args: str, seconds: float = 90) -> Ran:
    """`python -m starter ARGS` without a terminal, off the event loop's thread."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "starter", *args, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **env})
    out, err = await asyncio.wait_for(proc.communicate(), seconds)
    return Ran(proc.returncode or 0, out.decode(), err.decode())


def job_keys(job_id: str, lang: str) -> dict[str, str]:
    return {kind: f"jobs/{job_id}/out/{lang}/{kind}" for kind in KINDS}


@workflow.defn(name=WORKFLOW_NAME, sandboxed=False)
class StandInDub:
    """Ends after a second with the outputs stored under `job_keys`."""

    def __init__(self) -> None:
        self.began = time.time()

    @workflow.run
    async def run(self, job: DubJob) -> DubResult:
        await asyncio.sleep(1)
        job_id = workflow.info().workflow_id
        sets = tuple(OutputSet(target_lang=lang, keys=job_keys(job_id, lang))
                     for lang in job.target_langs)
        return DubResult(job_id=job_id, input_name=job.input_name, source_lang="en",
                         media_seconds=1.0, segments=1, outputs=sets, elapsed_seconds=1.0)

    @workflow.query(name=QUERY_PROGRESS)
    def progress(self) -> Progress:
        """A clock that runs on after the end: what `status` must not show for a closed job."""
        return Progress(state=JobState.RUNNING, stage="render", stages={}, percent=99.0,
                        elapsed_seconds=round(time.time() - self.began, 1), eta_seconds=1.0,
                        paused=False)


@activity.defn(name="load_manifest")
async def missing_line(inp: ManifestRef) -> RenderInput:
    raise ApplicationError("line 999 does not exist: the es dub has 3 lines, numbered 0 to 2",
                           type="BadInput", non_retryable=True)


@dataclass
class Service:
    env: dict[str, str]  # the CLI's environment
    client: Client
    store: Store


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    """A dev server of this module's own and a stand-in worker."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), data_converter=pydantic_data_converter,
        dev_server_log_level="error", search_attributes=search_attribute_keys())
    root = tmp_path_factory.mktemp("hostile") / "store"
    async with Worker(env.client, task_queue=CPU_TASK_QUEUE, activities=[missing_line],
                      workflows=[StandInDub, RedubSegmentWorkflow]):
        yield Service({"DUB_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
                       "DUB_STORE": str(root)}, env.client, LocalStore(root))
    await env.shutdown()


async def finished_job(client: Client, store: Store, input_name: str = "clip.mp4") -> str:
    """A completed job whose outputs hold `KIND of JOB`."""
    job_id = f"dub-hostile-{uuid.uuid4().hex[:10]}"
    for kind, key in job_keys(job_id, "es").items():
        await asyncio.to_thread(store.put_bytes, key, f"{kind} of {job_id}".encode())
    handle = await client.start_workflow(
        WORKFLOW_NAME, DubJob(input_key=f"jobs/{job_id}/input", input_name=input_name),
        id=job_id, task_queue=CPU_TASK_QUEUE, result_type=DubResult)
    await handle.result()
    return job_id


# --- outputs: links, files in the way, names --------------------------------------------


async def test_a_planted_part_link_is_never_written_through(service: Service,
                                                            tmp_path: Path) -> None:
    job_id = await finished_job(service.client, service.store)
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("precious")
    (out / "clip.es.srt.part").symlink_to(victim)
    ran = await cli(service.env, "result", job_id, "--out", str(out))
    assert ran.code == 0, ran.stderr
    assert victim.read_text() == "precious"
    assert (out / "clip.es.srt.part").is_symlink(), "the planted link was touched"
    assert not (out / "clip.es.srt").is_symlink()
    assert (out / "clip.es.srt").read_text() == f"target_srt of {job_id}"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["clip.es.srt.part", "clip.es.mp4", "clip.en.srt", "clip.es.srt", "clip.en.vtt",
         "clip.es.vtt", "clip.es.report.json"]), "temporary files left behind"
    again = await cli(service.env, "result", job_id, "--out", str(out))
    assert again.code == 0, "the same files again are not in the way"


@pytest.mark.parametrize("in_the_way", ["file", "link"])
async def test_an_existing_output_needs_force(service: Service, tmp_path: Path,
                                              in_the_way: str) -> None:
    job_id = await finished_job(service.client, service.store)
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("precious")
    taken = out / "clip.es.vtt"
    if in_the_way == "link":
        taken.symlink_to(victim)
    else:
        taken.write_text("my own edit")
    refused = await cli(service.env, "result", job_id, "--out", str(out))
    assert refused.code == 2, refused.stderr
    line = refused.one_error()
    assert str(taken) in line and "already exists" in line and "--force" in line
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == ["clip.es.vtt"], "wrote before refusing"
    forced = await cli(service.env, "result", job_id, "--out", str(out), "--force")
    assert forced.code == 0, forced.stderr
    assert not taken.is_symlink() and taken.read_text() == f"target_vtt of {job_id}"
    assert victim.read_text() == "precious"


@pytest.mark.parametrize("input_name", [
    "n" * 245 + ".mp4",  # 249 characters: STEM.es.report.json would pass 255 bytes
    "é" * 150 + ".mp4",  # 300 bytes of UTF-8 in 150 characters
    "../../up/there\\and\x1b[31mred\u202eflip.mp4",
])
def test_output_names_are_plain_and_fit(tmp_path: Path, input_name: str) -> None:
    store = LocalStore(tmp_path / "store")
    keys = job_keys("dub-names", "es")
    for kind, key in keys.items():
        store.put_bytes(key, kind.encode())
    result = DubResult(job_id="dub-names", input_name=input_name, source_lang="en",
                       media_seconds=1.0, segments=1, elapsed_seconds=1.0,
                       outputs=(OutputSet(target_lang="es", keys=keys),))
    out = tmp_path / "out"
    written = outputs.download(store, result, out, replace=False)
    assert len(written) == len(KINDS)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    stems = {p.name.split(".")[0] for p in written}
    assert len(stems) == 1, "one stem for all the outputs"
    for path in written:
        assert path.parent == out and len(path.name.encode()) <= 255
        assert not any(c in path.name for c in "/\\\x1b\u202e")
    assert (out / written[-1].name).read_bytes() == b"report"
    assert written[-1].name.endswith(".es.report.json")


# --- input checked before anything is sent ----------------------------------------------

GLOSSARIES = [
    ("utf16.tsv", "hello\thola\n".encode("utf-16"), "UTF-16"),
    ("utf16-no-bom.tsv", "hello\thola\nworld\tmundo\n".encode("utf-16-le"), "UTF-16"),
    ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "binary"),
    ("latin1.tsv", "café\tcafé con leche\n".encode("latin-1"), ":1: not UTF-8"),
    ("escape.tsv", b"hello\thola\nred\t\x1b[31mrojo\n", ":2: control character U+001B"),
]


@pytest.mark.parametrize(("name", "data", "problem"), GLOSSARIES)
async def test_an_unreadable_glossary_is_one_line(tmp_path: Path, name: str, data: bytes,
                                                  problem: str) -> None:
    glossary = tmp_path / name
    glossary.write_bytes(data)
    ran = await cli(NOWHERE, "translate", str(SAMPLE), "--to", "es", "--glossary",
                    str(glossary))
    assert ran.code == 2, ran.stderr
    line = ran.one_error()
    assert str(glossary) in line and problem in line, line


async def test_an_oversized_redub_text_names_the_limit() -> None:
    ran = await cli(NOWHERE, "redub", "dub-any", "3", "x" * 100_000)
    assert ran.code == 2, ran.stderr
    line = ran.one_error()
    assert "100,000 characters" in line and "at most 2,000" in line, line
    assert "validation error" not in line


async def test_a_relabel_to_an_unknown_speaker_says_which_labels_exist() -> None:
    ran = await cli(NOWHERE, "relabel", "dub-any", "3", "Bob")
    assert ran.code == 2, ran.stderr
    line = ran.one_error()
    assert "'Bob'" in line and "S1 to S10" in line, line
    assert "validation error" not in line and "Traceback" not in ran.stderr


# --- the store and the Temporal server out of reach -------------------------------------


@pytest.mark.parametrize("userinfo", ["", "http://AKIAHOSTILE:hostile-secret-value@"])
async def test_an_unreachable_store_is_one_line_without_credentials(
        service: Service, userinfo: str) -> None:
    port = free_port()  # nothing listens there
    env = {**service.env, "DUB_STORE": "s3://hostile-bucket",
           "DUB_S3_ENDPOINT": f"{userinfo}127.0.0.1:{port}",
           "DUB_S3_ACCESS_KEY": "AKIAHOSTILE", "DUB_S3_SECRET_KEY": "hostile-secret-value"}
    ran = await cli(env, "translate", str(SAMPLE), "--to", "es", "--no-wait")
    line = ran.one_error()
    assert f"127.0.0.1:{port}" in line, line
    assert "AKIAHOSTILE" not in ran.stdout + ran.stderr
    assert "hostile-secret-value" not in ran.stdout + ran.stderr
    if userinfo:
        assert ran.code == 2 and "DUB_S3_ENDPOINT" in line, line
    else:
        assert ran.code == 4 and line.startswith(
            f"error: cannot reach the store at 127.0.0.1:{port} (s3://hostile-bucket): "), line


async def test_waiting_gives_up_on_a_server_that_stays_away(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = Stack(tmp_path)
    await stack.start_server()
    client = await stack.client()
    await stack.kill_server()
    with pytest.raises(Exit) as refused:
        await patiently(client, lambda: client.workflow_service.get_system_info(
            GetSystemInfoRequest()), patience=1.5, then="; follow it later")
    assert refused.value.code == 4
    message = refused.value.message or ""
    assert message.startswith(f"cannot reach Temporal at {stack.settings.temporal_address}: ")
    assert message.endswith("; follow it later")
    assert "retrying for up to 2 s" in capsys.readouterr().err


@pytest.mark.slow
async def test_result_rides_out_a_server_restart(tmp_path: Path) -> None:
    stack = Stack(tmp_path)
    await stack.start_server()
    try:
        client = await stack.client()
        job_id = f"dub-restart-{uuid.uuid4().hex[:8]}"
        store = LocalStore(Path(stack.settings.store))
        for kind, key in job_keys(job_id, "es").items():
            store.put_bytes(key, kind.encode())
        await client.start_workflow(  # no worker yet: the job waits
            WORKFLOW_NAME, DubJob(input_key=f"jobs/{job_id}/input", input_name="up.mp4"),
            id=job_id, task_queue=CPU_TASK_QUEUE)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "starter", "result", job_id, "--out", str(tmp_path / "out"),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env={**stack.env(), "DUB_METRICS": "none"})
        await connected(proc.pid, stack.settings.temporal_address)
        await stack.kill_server()
        assert proc.stderr is not None
        notice = (await asyncio.wait_for(proc.stderr.readline(), 40)).decode()
        assert notice.startswith("lost the connection to Temporal"), notice
        await stack.start_server()  # the same port and database
        client = await stack.client()
        async with Worker(client, task_queue=CPU_TASK_QUEUE, workflows=[StandInDub]):
            out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, notice + err.decode()
        assert "Traceback" not in err.decode()
        assert f"job {job_id}: 1 segments" in out.decode()
        assert (tmp_path / "out" / "up.es.mp4").read_bytes() == b"mp4"
    finally:
        await stack.close()


async def connected(pid: int, address: str, patience: float = 60) -> None:
    """Until process `pid` holds a connection to the server at `address`: killing the server
    before the command has connected would test the refusal to start, not the restart."""
    port = int(address.rsplit(":", 1)[1])
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        held = psutil.Process(pid).net_connections(kind="tcp")
        if any(c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
               for c in held):
            await asyncio.sleep(0.5)  # its first call is under way
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the command never connected to {address}")


# --- finished jobs ----------------------------------------------------------------------


async def test_redub_of_a_missing_line_after_the_end_is_a_usage_error(
        service: Service, tmp_path: Path) -> None:
    job_id = await finished_job(service.client, service.store)
    ran = await cli(service.env, "redub", job_id, "999", "Hola", "--out", str(tmp_path))
    assert ran.code == 2, ran.stderr
    assert "line 999 does not exist" in ran.one_error()


async def test_status_of_a_finished_job_shows_its_own_time(service: Service) -> None:
    job_id = await finished_job(service.client, service.store)
    desc = await service.client.get_workflow_handle(job_id).describe()
    assert desc.close_time is not None and desc.start_time is not None
    took = (desc.close_time - desc.start_time).total_seconds()
    await asyncio.sleep(1.0)  # the clock runs on: a status counting to now would be 1 s over
    shown = json.loads((await cli(service.env, "status", job_id, "--json")).stdout)
    assert shown["status"] == "completed"
    assert shown["elapsed_seconds"] == pytest.approx(took, abs=0.1)
    assert shown["progress"]["elapsed_seconds"] == pytest.approx(took, abs=0.1)
    assert shown["progress"]["eta_seconds"] is None
    plain = await cli(service.env, "status", job_id)
    assert f"{job_id}: completed after {took:.0f} s" in plain.stdout, plain.stdout
    assert "eta" not in plain.stdout
