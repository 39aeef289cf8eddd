"""Orchestration overhead read from a workflow's history.

For every activity, (ActivityTaskCompleted - ActivityTaskScheduled) minus its own run time
(Started -> Completed) is approximated as two latencies: pick-up (Scheduled -> Started) plus
hand-off (Completed -> the next WorkflowTaskCompleted, when the workflow has acted on the
result). Pick-up includes time spent waiting for a busy worker: while all of its queue's slots
run other activities, the task simply waits (a single-slot GPU worker, say). That part is
reported apart as the slot wait: the part of the pick-up during which the queue's other
activities filled every slot; the rest of the pick-up is the dispatch latency, and dispatch plus
hand-off is the overhead Temporal adds. The run's idle time is how long no activity was
running at all between the workflow's start and its close: orchestration on the critical path.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent


@dataclass
class ActivityTiming:
    name: str
    task_queue: str
    scheduled: float
    started: float = 0.0
    completed: float = 0.0
    handled: float = 0.0  # the next WorkflowTaskCompleted after the completion
    slot_wait: float = 0.0

    @property
    def pickup(self) -> float:
        return self.started - self.scheduled

    @property
    def dispatch(self) -> float:
        return self.pickup - self.slot_wait

    @property
    def run(self) -> float:
        return self.completed - self.started

    @property
    def handoff(self) -> float:
        return self.handled - self.completed

    @property
    def overhead(self) -> float:
        return self.dispatch + self.handoff

    def relative(self, origin: float) -> dict[str, Any]:
        """Its timestamps in seconds since `origin`, for the JSON record."""
        return {"name": self.name, "task_queue": self.task_queue,
                **{k: round(getattr(self, k) - origin, 3)
                   for k in ("scheduled", "started", "completed", "handled")},
                "slot_wait": round(self.slot_wait, 3)}


@dataclass
class HistoryStats:
    events: int
    started: float
    workflow_seconds: float
    idle_seconds: float
    activities: list[ActivityTiming] = field(default_factory=list)

    def timeline(self) -> list[dict[str, Any]]:
        return [a.relative(self.started) for a in sorted(self.activities,
                                                         key=lambda a: a.scheduled)]


def _seconds(event: HistoryEvent) -> float:
    return event.event_time.ToNanoseconds() / 1e9


def activity_timings(events: list[HistoryEvent]) -> list[ActivityTiming]:
    """The completed activities of a history, with their four timestamps."""
    by_id: dict[int, ActivityTiming] = {}
    waiting: list[ActivityTiming] = []
    for event in events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            by_id[event.event_id] = ActivityTiming(attrs.activity_type.name,
                                                   attrs.task_queue.name, _seconds(event))
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            by_id[event.activity_task_started_event_attributes.scheduled_event_id].started = (
                _seconds(event))
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            done = by_id[event.activity_task_completed_event_attributes.scheduled_event_id]
            done.completed = _seconds(event)
            waiting.append(done)
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            for timing in waiting:
                timing.handled = _seconds(event)
            waiting.clear()
    return [t for t in by_id.values() if t.completed and t.handled]


def slot_wait(timing: ActivityTiming, others: list[ActivityTiming], slots: int) -> float:
    """How long, between being scheduled and started, the task found every slot of its queue
    busy with other activities (a sweep over their run intervals clipped to that span)."""
    low, high = timing.scheduled, timing.started
    edges: list[tuple[float, int]] = []
    for other in others:
        if other is timing or other.task_queue != timing.task_queue:
            continue
        begin, end = max(other.started, low), min(other.completed, high)
        if end > begin:
            edges += [(begin, 1), (end, -1)]
    waited, running, last = 0.0, 0, low
    for moment, change in sorted(edges):
        if running >= slots:
            waited += moment - last
        running, last = running + change, moment
    return waited


def idle_seconds(begin: float, end: float, timings: list[ActivityTiming]) -> float:
    """How much of [begin, end] no activity was running."""
    busy, reach = 0.0, begin
    for t in sorted(timings, key=lambda t: t.started):
        start, stop = max(t.started, reach), min(t.completed, end)
        if stop > start:
            busy += stop - start
            reach = stop
    return max(0.0, end - begin - busy)


def analyze(events: list[HistoryEvent], slots: dict[str, int]) -> HistoryStats:
    """`slots`: concurrent activities per task queue (the workers' slot settings)."""
    timings = activity_timings(events)
    for timing in timings:
        timing.slot_wait = slot_wait(timing, timings, slots.get(timing.task_queue, 1))
    begin, end = _seconds(events[0]), _seconds(events[-1])
    return HistoryStats(events=len(events), started=begin,
                        workflow_seconds=round(end - begin, 3),
                        idle_seconds=round(idle_seconds(begin, end, timings), 3),
                        activities=timings)


def per_activity(runs: list[HistoryStats]) -> dict[str, dict[str, float]]:
    """Per activity type over all runs: count per run and mean milliseconds of each part."""
    names = dict.fromkeys(t.name for run in runs for t in run.activities)
    table: dict[str, dict[str, float]] = {}
    for name in names:
        found = [t for run in runs for t in run.activities if t.name == name]

        def mean_ms(part: str, found: list[ActivityTiming] = found) -> float:
            return round(1000 * statistics.mean(getattr(t, part) for t in found), 1)

        table[name] = {"per_run": round(len(found) / len(runs), 2),
                       **{f"{part}_ms": mean_ms(part) for part in
                          ("slot_wait", "dispatch", "handoff", "overhead")},
                       "run_s": round(statistics.mean(t.run for t in found), 3)}
    return table
