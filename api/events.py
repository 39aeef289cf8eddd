"""Server-Sent Events of a job's progress. One poller per watched job and API process queries
the server at a bounded rate and fans the answer out to every client watching that job."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable

from api.models import Dub

ENDED = ("completed", "failed", "cancelled")
Fetch = Callable[[], Awaitable[Dub]]


class _Watch:
    """The clients of one job and the task that polls it while any are there."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[Dub | None]] = set()
        self.last: Dub | None = None
        self.at = 0.0  # when `last` was fetched (loop time)
        self.task: asyncio.Task[None] | None = None


class Hub:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.watches: dict[str, _Watch] = {}
        self.closing = False

    async def _poll(self, job_id: str, watch: _Watch, fetch: Fetch) -> None:
        try:
            while watch.queues:
                dub = await fetch()
                watch.at = asyncio.get_running_loop().time()
                if watch.last is None or dub != watch.last:
                    watch.last = dub
                    for queue in watch.queues:
                        queue.put_nowait(dub)
                if dub.state in ENDED or self.closing:
                    break
                await asyncio.sleep(self.interval)
        finally:
            for queue in watch.queues:
                queue.put_nowait(None)
            self.watches.pop(job_id, None)

    def recent(self, job_id: str) -> Dub | None:
        """The watched job's state when fetched within the interval, so reads of a watched
        job cost the server nothing more."""
        watch = self.watches.get(job_id)
        if watch is None or watch.last is None:
            return None
        fresh = asyncio.get_running_loop().time() - watch.at < self.interval
        return watch.last if fresh else None

    def subscribe(self, job_id: str, fetch: Fetch) -> asyncio.Queue[Dub | None]:
        """A queue of the job's new states (None: no more), polled while anyone listens."""
        watch = self.watches.setdefault(job_id, _Watch())
        queue: asyncio.Queue[Dub | None] = asyncio.Queue()
        watch.queues.add(queue)
        if watch.last is not None:
            queue.put_nowait(watch.last)
        if self.closing:
            queue.put_nowait(None)
        elif watch.task is None or watch.task.done():
            watch.task = asyncio.create_task(self._poll(job_id, watch, fetch))
        return queue

    def unsubscribe(self, job_id: str, queue: asyncio.Queue[Dub | None]) -> None:
        watch = self.watches.get(job_id)
        if watch is not None:
            watch.queues.discard(queue)

    def begin_close(self) -> None:
        """The API is stopping: every stream gets its final event and ends now (called from
        the signal handler, so a graceful shutdown is not held up by open streams)."""
        self.closing = True
        for watch in list(self.watches.values()):
            for queue in watch.queues:
                queue.put_nowait(None)
            if watch.task is not None:
                watch.task.cancel()

    async def close(self) -> None:
        self.begin_close()
        tasks = [w.task for w in self.watches.values() if w.task is not None]
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def frame(event: str, dub: Dub) -> str:
    return f"event: {event}\ndata: {json.dumps(dub.model_dump(mode='json'))}\n\n"


KEEP_ALIVE_SECONDS = 15.0


async def stream(hub: Hub, job_id: str, fetch: Fetch, first: Dub) -> AsyncIterator[str]:
    """The SSE body: `progress` events, then one `end` event with the final state; a comment
    line while nothing changes (so proxies keep the stream), and `close` with the last known
    state when the API stops before the job ends (reconnect to go on)."""
    last = first
    if first.state in ENDED:
        yield frame("end", first)
        return
    yield frame("progress", first)
    queue = hub.subscribe(job_id, fetch)
    try:
        while True:
            try:
                dub = await asyncio.wait_for(queue.get(), KEEP_ALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if dub is None:
                break
            if dub != last:
                last = dub
                if dub.state not in ENDED:
                    yield frame("progress", dub)
    finally:
        hub.unsubscribe(job_id, queue)
    yield frame("end" if last.state in ENDED else "close", last)
