"""The progress hub behind the API's Server-Sent Events: however many clients watch a job, it
is fetched once per interval; every client sees each new state and the final one."""

from __future__ import annotations

import asyncio

from api.events import Hub, stream
from api.models import Dub


def states(*names: str) -> list[Dub]:
    return [Dub(id="t.job", state=name, percent=float(10 * i))  # type: ignore[arg-type]
            for i, name in enumerate(names)]


async def test_many_watchers_share_one_fetch_per_interval() -> None:
    sequence = states("running", "running", "paused", "running", "completed")
    fetched = 0

    async def fetch() -> Dub:
        nonlocal fetched
        fetched += 1
        return sequence[min(fetched - 1, len(sequence) - 1)]

    hub = Hub(interval=0.05)

    async def watch() -> list[tuple[str, float]]:
        seen = []
        async for frame in stream(hub, "t.job", fetch, sequence[0]):
            kind, data = frame.split("\n")[:2]
            dub = Dub.model_validate_json(data.removeprefix("data: "))
            seen.append((kind.removeprefix("event: "), dub.percent))
        return seen

    results = await asyncio.wait_for(asyncio.gather(*(watch() for _ in range(50))), 10)
    assert fetched <= len(sequence) + 1  # one poller for all 50 watchers
    for seen in results:
        assert seen[0] == ("progress", 0.0) and seen[-1] == ("end", 40.0)
        assert [p for _, p in seen] == sorted({p for _, p in seen})  # each change once
        assert len(seen) == 5
    assert hub.watches == {}


async def test_a_late_watcher_gets_the_last_state_without_a_fetch() -> None:
    gate = asyncio.Event()
    fetched = 0

    async def fetch() -> Dub:
        nonlocal fetched
        fetched += 1
        if fetched > 1:
            await gate.wait()
        return states("running")[0]

    hub = Hub(interval=10)
    first = await asyncio.wait_for(hub.subscribe("t.job", fetch).get(), 5)
    assert first is not None and first.state == "running"
    assert hub.recent("t.job") is not None and fetched == 1
    hub.begin_close()
    gate.set()
