"""The service's sections: repeated runs, the scaling run and the memory profile."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.history import per_activity
from bench.memory import PeakRss
from bench.service import Service, ServiceRun
from dubbing.contract import DubJob

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample.mp4"


def job_for(video: Path, to: str, heartbeat: float) -> DubJob:
    """The job `translate` would submit; the heartbeat only makes the content-addressed id
    differ, so that every run really dubs instead of attaching to a finished job."""
    return DubJob(input_key="pending", input_name=video.name, target_langs=(to,),
                  heartbeat_seconds=heartbeat)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def warm_up(service: Service, to: str, heartbeat: float) -> None:
    """One untimed job, so the GPU worker has its model loaded before the timed ones."""
    await service.dub(SAMPLE, job_for(SAMPLE, to, heartbeat))


def _run_record(run: ServiceRun) -> dict[str, Any]:
    return {"job_id": run.job_id, "wall_seconds": run.wall_seconds,
            "workflow_seconds": run.history.workflow_seconds,
            "idle_seconds": run.history.idle_seconds, "events": run.history.events,
            "segments": run.segments, "media_seconds": run.media_seconds,
            "overhead_seconds": round(sum(a.overhead for a in run.history.activities), 3),
            "slot_wait_seconds": round(sum(a.slot_wait for a in run.history.activities), 3),
            "activities": run.history.timeline()}


def recognition_share(run: ServiceRun) -> float:
    """The share of the job's wall time in which some window was being recognised."""
    spans = sorted((a["started"], a["completed"]) for a in run.history.timeline()
                   if a["name"] == "transcribe_window")
    busy, end = 0.0, 0.0
    for start, stop in spans:
        busy += max(0.0, stop - max(start, end))
        end = max(end, stop)
    return round(busy / run.wall_seconds, 3) if run.wall_seconds else 0.0


def service_summary(service: Service, done: list[ServiceRun], peak: dict[str, Any]
                    ) -> dict[str, Any]:
    """The service's timed runs of one input: medians, the history figures, peak memory."""
    wall = statistics.median(r.wall_seconds for r in done)
    return {"runs": [_run_record(r) for r in done], "median_wall_seconds": round(wall, 3),
            "recognition_share": statistics.median(recognition_share(r) for r in done),
            "real_time_factor": round(wall / done[0].media_seconds, 4),
            "media_seconds": done[0].media_seconds, "segments": done[0].segments,
            "events_per_workflow": statistics.median(r.history.events for r in done),
            "median_idle_seconds": statistics.median(r.history.idle_seconds for r in done),
            "median_overhead_seconds": round(statistics.median(
                sum(a.overhead for a in r.history.activities) for r in done), 3),
            "median_slot_wait_seconds": round(statistics.median(
                sum(a.slot_wait for a in r.history.activities) for r in done), 3),
            "activities": per_activity([r.history for r in done]),
            "peak_rss": peak, "slots": dict(service.slots)}


async def _batch(service: Service, videos: list[Path], to: str, heartbeat: float,
                 concurrent: bool) -> dict[str, Any]:
    began = time.perf_counter()
    jobs = [service.dub(v, job_for(v, to, heartbeat)) for v in videos]
    if concurrent:
        outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    else:
        outcomes = []
        for job in jobs:
            try:
                outcomes.append(await job)
            except Exception as exc:
                outcomes.append(exc)
    wall = time.perf_counter() - began
    runs = [o for o in outcomes if isinstance(o, ServiceRun)]
    media = sum(r.media_seconds for r in runs)
    return {"jobs": len(videos), "failures": len(videos) - len(runs),
            "errors": [str(o)[:300] for o in outcomes if not isinstance(o, ServiceRun)],
            "wall_seconds": round(wall, 3), "media_seconds": round(media, 1),
            "audio_minutes_per_minute": round(media / wall, 3),
            "median_job_seconds": round(statistics.median(r.wall_seconds for r in runs), 3)
            if runs else None}


async def scale_section(service: Service, videos: list[Path], to: str,
                        gpu_slots: int) -> dict[str, Any]:
    """(e) All jobs submitted at once, then the same jobs one after another."""
    await service.restart_workers(cpu_slots=4, gpu_slots=gpu_slots)
    await warm_up(service, to, heartbeat=28)
    say(f"scaling: {len(videos)} jobs at once")
    concurrent = await _batch(service, videos, to, heartbeat=20, concurrent=True)
    say(f"scaling: {len(videos)} jobs one after another")
    sequential = await _batch(service, videos, to, heartbeat=21, concurrent=False)
    return {"slots": dict(service.slots), "concurrent": concurrent, "sequential": sequential,
            "concurrent_over_sequential": round(
                concurrent["wall_seconds"] / sequential["wall_seconds"], 3)}


async def memory_section(service: Service, videos: dict[str, Path], to: str) -> dict[str, Any]:
    """(f) One job per input, each on freshly started workers: their peak memory."""
    found: dict[str, Any] = {}
    for label, video in videos.items():
        await service.restart_workers(cpu_slots=4, gpu_slots=0)
        say(f"memory: one job on the {label} input")
        with PeakRss(service.pids()) as peak:
            run = await service.dub(video, job_for(video, to, heartbeat=40))
        found[label] = {"media_seconds": run.media_seconds, "wall_seconds": run.wall_seconds,
                        "segments": run.segments, "events": run.history.events,
                        "peak_rss": peak.report()}
    return found
