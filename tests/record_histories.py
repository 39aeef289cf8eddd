"""Record the histories the replay test guards: `python -m tests.record_histories`.

Re-record only for a change that is *meant* to be incompatible with runs already in flight;
otherwise put the change behind `workflow.patched` and keep the old histories.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from dubbing.contract import QUERY_PROGRESS, SIGNAL_CANCEL, CancelRequest, DubJob, Progress
from dubbing.settings import Settings
from dubbing.storage import open_store
from starter import jobs
from tests.conftest import search_attribute_keys, temporal_binary
from tests.helpers import SAMPLE
from tests.media import speech_video
from worker.build import Role, build_worker

OUT = Path(__file__).parent / "histories"


async def _save(handle: WorkflowHandle, name: str) -> None:
    with contextlib.suppress(Exception):
        await handle.result()
    history = await handle.fetch_history()
    (OUT / f"{name}.json").write_text(history.to_json())


async def _record(client: Client, settings: Settings, tmp: Path) -> None:
    store = open_store(settings.store)
    done = await jobs.submit(client, store, SAMPLE, DubJob(input_key="-", input_name=SAMPLE.name))
    await _save(done, "completed")
    notes = tmp / "notes.mp4"
    notes.write_text("not a video\n" * 40)
    failed = await jobs.submit(client, store, notes, DubJob(input_key="-", input_name=notes.name))
    await _save(failed, "failed")
    video = speech_video(tmp / "long.mp4", 120)
    cancelled = await jobs.submit(client, store, video,
                                  DubJob(input_key="-", input_name=video.name,
                                         heartbeat_seconds=3))
    for _ in range(600):
        progress = await cancelled.query(QUERY_PROGRESS, result_type=Progress)
        if progress.stage == "transcribe":
            break
        await asyncio.sleep(0.1)
    await cancelled.signal(SIGNAL_CANCEL, CancelRequest(reason="recorded cancellation"))
    await _save(cancelled, "cancelled")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), data_converter=pydantic_data_converter,
        search_attributes=search_attribute_keys(),
    ) as env:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(store=f"{tmp}/store", scratch_dir=Path(tmp) / "scratch")
            async with build_worker(env.client, settings, Role.CPU), \
                    build_worker(env.client, settings, Role.GPU):
                await _record(env.client, settings, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
