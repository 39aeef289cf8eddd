"""What the scale simulation reads from the jobs' histories: the GPU tasks' queue waits, the
events per job, and where the wall time goes beyond the GPU work: the head (first job started
to the first GPU task started) and the tail (the last GPU task done to the last job closed,
the CPU stages of the last jobs)."""

from __future__ import annotations

import asyncio
import math
import statistics
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle

from dubbing.contract import GPU_TASK_QUEUE


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear between the closest ranks; nan when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Seen:
    """Times gathered over every job's history (epoch seconds)."""

    waits: list[float] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    closes: list[float] = field(default_factory=list)
    gpu_starts: list[float] = field(default_factory=list)
    gpu_ends: list[float] = field(default_factory=list)

    def add(self, events: list[HistoryEvent]) -> None:
        self.events.append(len(events))
        self.starts.append(_at(events[0]))
        self.closes.append(_at(events[-1]))
        started: set[int] = set()  # the GPU tasks' scheduled-event ids
        queued: dict[int, float] = {}
        for e in events:
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED and \
                    e.activity_task_scheduled_event_attributes.task_queue.name == GPU_TASK_QUEUE:
                queued[e.event_id] = _at(e)
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                since = queued.get(e.activity_task_started_event_attributes.scheduled_event_id)
                if since is not None:
                    self.waits.append(_at(e) - since)
                    self.gpu_starts.append(_at(e))
                    started.add(e.activity_task_started_event_attributes.scheduled_event_id)
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED and \
                    e.activity_task_completed_event_attributes.scheduled_event_id in started:
                self.gpu_ends.append(_at(e))

    def stats(self) -> dict[str, float]:
        return {"queue_wait_p50_s": percentile(self.waits, 50),
                "queue_wait_p99_s": percentile(self.waits, 99),
                "events_per_job": statistics.mean(self.events),
                "head_s": min(self.gpu_starts, default=math.nan) - min(self.starts),
                "tail_s": max(self.closes) - max(self.gpu_ends, default=math.nan)}


def _at(event: HistoryEvent) -> float:
    return event.event_time.ToDatetime().timestamp()


async def history_stats(handles: list[WorkflowHandle]) -> dict[str, float]:
    """Queue waits, events per job, head and tail, from the histories of `handles`."""
    seen = Seen()
    gate = asyncio.Semaphore(16)

    async def one(handle: WorkflowHandle) -> None:
        async with gate:
            history = await handle.fetch_history()
        seen.add(list(history.events))

    await asyncio.gather(*(one(h) for h in handles))
    return seen.stats()
