"""Record the histories the replay test guards: `python -m tests.record_histories [SUFFIX
[RECORDER ...]]` (the recorders are the functions named in `main`; all by default).

With SUFFIX every file is written as `<name>-SUFFIX.json` beside the older ones, which keep
proving that the patched branches replay runs recorded before them (`make histories
SUFFIX=r3`).

Every workflow type on its main paths, run on the real engines with today's code. Re-record
after a change that is *meant* to be incompatible with runs in flight (and say so in the
commit); otherwise put the change behind `workflow.patched` and keep the old histories, which
then prove the patch keeps old runs replaying.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench import speakers_media
from bench.media import speech_video
from dubbing import keys
from dubbing.contract import (
    CPU_TASK_QUEUE,
    QUERY_PROGRESS,
    SIGNAL_CANCEL,
    WORKFLOW_NAME,
    CancelRequest,
    DubJob,
    Progress,
    RedubRequest,
    webhook_workflow_id,
)
from dubbing.settings import Settings
from dubbing.storage import Store, open_store
from dubclient.client import DubClient
from starter import batch, jobs
from tests.conftest import search_attribute_keys, temporal_binary
from tests.helpers import SAMPLE
from tests.webhook_server import WebhookServer
from worker.build import Role, build_worker
from workflows.attributes import start_options

OUT = Path(__file__).parent / "histories"
Step = Callable[[Client, Store, Path], Awaitable[WorkflowHandle]]


SUFFIX = sys.argv[1] if len(sys.argv) > 1 else ""
ONLY = set(sys.argv[2:])


async def _save(handle: WorkflowHandle, name: str) -> None:
    with contextlib.suppress(Exception):
        await handle.result()
    history = await handle.fetch_history()
    name = f"{name}-{SUFFIX}" if SUFFIX else name
    await asyncio.to_thread((OUT / f"{name}.json").write_text, history.to_json())
    print(f"{name}: {len(history.events)} events")


def _job(path: Path, **options: object) -> DubJob:
    return DubJob(input_key="-", input_name=path.name, **options)  # type: ignore[arg-type]


async def _in_stage(handle: WorkflowHandle, stage: str) -> None:
    for _ in range(1200):
        progress = await handle.query(QUERY_PROGRESS, result_type=Progress)
        if progress.stage == stage:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{handle.id} never reached {stage}")


async def completed_then_redubbed(client: Client, store: Store, tmp: Path) -> None:
    hooks = WebhookServer()
    try:
        done = await jobs.submit(client, store, SAMPLE, _job(SAMPLE, webhook_url=hooks.url))
        await _save(done, "dubvideo-completed")
        await _save(client.get_workflow_handle(webhook_workflow_id(done.id)),
                    "notifywebhook-completed")
    finally:
        hooks.close()
    await DubClient(client).redub(done.id, RedubRequest(target_lang="es", index=1,
                                                        text="Una frase nueva."))
    await _save(client.get_workflow_handle(f"{done.id}-redub"), "redubsegment-completed")
    # A second start on the completed job's id, as `temporal workflow start` would: refused.
    again = await client.start_workflow(
        WORKFLOW_NAME, (await DubClient(client).job(done.id)), id=done.id,
        task_queue=CPU_TASK_QUEUE, id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE)
    await _save(again, "dubvideo-refused-after-completion")


async def failed(client: Client, store: Store, tmp: Path) -> None:
    notes = tmp / "notes.mp4"
    await asyncio.to_thread(notes.write_text, "not a video\n" * 40)
    await _save(await jobs.submit(client, store, notes, _job(notes)), "dubvideo-failed")


async def cancelled(client: Client, store: Store, tmp: Path) -> None:
    video = await asyncio.to_thread(speech_video, tmp / "long.mp4", 120)
    handle = await jobs.submit(client, store, video, _job(video, heartbeat_seconds=3))
    await _in_stage(handle, "transcribe")
    await handle.signal(SIGNAL_CANCEL, CancelRequest(reason="recorded cancellation"))
    await _save(handle, "dubvideo-cancelled")


async def paused_resumed_redubbed(client: Client, store: Store, tmp: Path) -> None:
    video = await asyncio.to_thread(speech_video, tmp / "paused.mp4", 60)
    handle = await jobs.submit(client, store, video, _job(video, window_seconds=30))
    await _in_stage(handle, "transcribe")
    dub = DubClient(client)
    await dub.redub(handle.id, RedubRequest(target_lang="es", index=0, text="Hola otra vez."))
    await dub.pause(handle.id)
    await asyncio.sleep(2)
    await dub.resume(handle.id)
    await _save(handle, "dubvideo-paused-resumed-redubbed")


async def batch_with_a_failed_item(client: Client, store: Store, tmp: Path) -> None:
    broken = tmp / "broken.mp4"
    await asyncio.to_thread(broken.write_text, "not a video either\n" * 40)
    clip = tmp / "clip.mp4"
    await asyncio.to_thread(speech_video, clip, 12)
    handle = await batch.submit_batch(client, store, [clip, broken], _job(clip), max_running=2)
    await _save(handle, "dubbatch-one-failed")


async def from_source_url(client: Client, store: Store, tmp: Path) -> None:
    """The HTTP API's source_url: the input fetched by the job's first activity."""
    handler = partial(QuietFiles, directory=str(SAMPLE.parent))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        job_id = "dub-source-url-recorded"
        await asyncio.to_thread(store.put_json, keys.source_key(job_id),
                                {"url": f"http://127.0.0.1:{httpd.server_address[1]}/"
                                        f"{SAMPLE.name}"})
        job = _job(SAMPLE).model_copy(update={"input_key": keys.input_key(job_id),
                                              "source_key": keys.source_key(job_id)})
        handle = await client.start_workflow(WORKFLOW_NAME, job, id=job_id,
                                             **start_options(job))
        await _save(handle, "dubvideo-source-url")
    finally:
        httpd.shutdown()


async def diarized(client: Client, store: Store, tmp: Path) -> None:
    """speakers="auto" on a two-speaker dialogue in two windows, one at a time: each
    embedded, then one clustering, then the voices."""
    def make() -> Path:
        speakers_media.dialogue(tmp / "pair.wav", ["reader", "joe"], 8, seed=7)
        return speakers_media.as_video(tmp / "pair.wav", tmp / "pair.mp4")

    video = await asyncio.to_thread(make)
    job = _job(video, speakers="auto", window_seconds=20, max_parallel_windows=1)
    await _save(await jobs.submit(client, store, video, job), "dubvideo-diarized")


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), data_converter=pydantic_data_converter,
        search_attributes=search_attribute_keys(),
    ) as env:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(store=f"{tmp}/store", scratch_dir=Path(tmp) / "scratch",
                                hf_hub_offline=True, webhook_secret="recording",
                                allow_private_addresses=True)  # the receiver is on loopback
            store = open_store(settings.store, settings)
            async with build_worker(env.client, settings, Role.CPU), \
                    build_worker(env.client, settings, Role.GPU):
                for record in (completed_then_redubbed, failed, cancelled,
                               paused_resumed_redubbed, batch_with_a_failed_item,
                               from_source_url, diarized):
                    if not ONLY or record.__name__ in ONLY:
                        await record(env.client, store, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
