"""Scale simulation: many jobs through a real Temporal dev server, the real DubVideoWorkflow on
one real CPU-worker process, and 1, 2, 4, 8, 16 GPU-worker processes (one slot each, like one
GPU) whose stand-in engines sleep for the measured real-time factors times a time scale
(`bench/scale_standins.py` gives the figures). Each configuration gets a fresh dev server (in
memory, on its own port) and fresh workers, all killed before the next one starts.

    python -m bench.scale [--jobs 200] [--workers 1,2,4,8,16] [--scale 1.0] [--out PATH]

Defaults: 60 s jobs in one window; time scale 1 (the engines' own time), so a job is 2.64 s of
GPU work and one GPU worker needs at least 528 s for 200 jobs (about 17 minutes for the five
configurations). A smaller scale runs faster but measures this machine's two cores instead of
the workers: orchestration costs about 0.2 CPU s a job, so 2 cores finish at most about 550
jobs a minute, while 16 workers at scale 0.18 would need 1,600. The CPU worker gets 64
activity slots (its stand-ins only sleep), not the product's 4 (`DUB_CPU_SLOTS`), which cap
the CPU stages of the measured engines at about 4.4 GPU workers' worth of jobs
(`--cpu-slots 4` shows it).

Per configuration: wall time from the first start to the last result, jobs a minute, that
throughput against N x the single worker's, the GPU tasks' queue wait (scheduled -> started,
from the histories), the head (the first job's start to the first GPU task's) and the tail
(the last GPU task's end to the last job's close), history events per job, the CPU seconds
per job of the dev server and of the CPU worker (/proc/<pid>/stat before the first start and
after the last result), how busy the GPU workers were (their stand-in work over N x wall),
and the machine's busy cores, of which how many went to processes not the bench's (another
run on the machine, say).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle

from bench.scale_history import history_stats
from bench.scale_standins import RTF, Timing, gpu_seconds_per_job
from bench.scale_worker import Procs, kill, start_server, start_workers
from bench.stack import ROOT
from dubbing import keys
from dubbing.contract import WORKFLOW_NAME, DubJob
from workflows.attributes import start_options

COLUMNS = ("GPU workers", "wall s", "jobs/min", "vs ideal", "GPU queue wait p50 / p99 s",
           "head / tail s", "events/job", "server CPU s/job", "CPU worker CPU s/job", "GPU busy",
           "cores busy (not ours)")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", type=int, default=200)
    p.add_argument("--workers", default="1,2,4,8,16", help="GPU-worker counts, comma-separated")
    p.add_argument("--scale", type=float, default=1.0,
                   help="stand-ins sleep this times the measured engine time")
    p.add_argument("--media", type=float, default=60.0, help="seconds of media per job")
    p.add_argument("--window", type=float, default=60.0, help="window seconds (>= 20)")
    p.add_argument("--cpu-slots", type=int, default=64, help="the CPU worker's activity slots")
    p.add_argument("--workflow-tasks", type=int, default=None, help="its workflow task slots")
    p.add_argument("--pollers", type=int, default=None, help="its pollers of each kind")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    return p.parse_args(argv)


def with_ideal(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row's throughput as a share of N x the throughput per worker of the fewest workers'
    run (the single worker's, normally): 100 is linear scaling."""
    if not rows:
        return rows
    base = min(rows, key=lambda row: row["gpu_workers"])
    per_worker = base["jobs_per_min"] / base["gpu_workers"]
    return [{**row, "vs_ideal_pct": 100 * row["jobs_per_min"] / (per_worker * row["gpu_workers"])}
            for row in rows]


def format_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = (str(row["gpu_workers"]), f"{row['wall_s']:.1f}", f"{row['jobs_per_min']:.0f}",
                 f"{row['vs_ideal_pct']:.0f}%",
                 f"{row['queue_wait_p50_s']:.2f} / {row['queue_wait_p99_s']:.2f}",
                 f"{row['head_s']:.2f} / {row['tail_s']:.2f}",
                 f"{row['events_per_job']:.0f}", f"{row['server_cpu_s_per_job']:.3f}",
                 f"{row['cpu_worker_cpu_s_per_job']:.3f}", f"{row['gpu_busy_pct']:.0f}%",
                 f"{row['machine_busy_cores']:.2f} ({row['other_busy_cores']:.2f})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def orchestration(rows: list[dict[str, Any]], cores: int) -> dict[str, float]:
    """CPU seconds a job costs outside the (sleeping) engines, the median over the runs, and
    the most jobs a minute `cores` could then finish, however many GPU workers there are."""
    parts = {k: statistics.median(row[f"{k}_cpu_s_per_job"] for row in rows)
             for k in ("server", "cpu_worker", "gpu_workers", "bench")}
    total = sum(parts.values())
    return {**parts, "total": total, "cap_jobs_per_min": 60 * cores / total if total else math.inf}


def cpu_seconds(stat: str) -> float:
    """utime + stime of a /proc/<pid>/stat line (all the process's threads), in seconds."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_seconds(proc_stat: str) -> float:
    """CPU time of the whole machine that was not idle, from /proc/stat's first line."""
    ticks = [int(v) for v in proc_stat.split("\n", 1)[0].split()[1:8]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


class Meter:
    """CPU seconds of the server, the workers, this process and the machine, since `start`."""

    def __init__(self, server: int, cpu_worker: int, gpu_workers: list[int]) -> None:
        self.groups = {"server": [server], "cpu_worker": [cpu_worker], "gpu": gpu_workers,
                       "bench": [os.getpid()]}
        self.before = self.read()

    def read(self) -> dict[str, float]:
        used = {name: sum(cpu_seconds(Path(f"/proc/{pid}/stat").read_text()) for pid in pids)
                for name, pids in self.groups.items()}
        return {**used, "machine": busy_seconds(Path("/proc/stat").read_text()),
                "at": time.monotonic()}

    def since(self) -> dict[str, float]:
        now = self.read()
        return {name: now[name] - self.before[name] for name in now}


async def submit(client: Client, count: int, args: argparse.Namespace) -> list[WorkflowHandle]:
    async def one(i: int) -> WorkflowHandle:
        job_id = f"scale-{i:04d}"
        job = DubJob(input_key=keys.input_key(job_id), input_name=f"{job_id}.mp4",
                     window_seconds=args.window)
        return await client.start_workflow(WORKFLOW_NAME, job, id=job_id,
                                           **start_options(job, args.media))
    return list(await asyncio.gather(*(one(i) for i in range(count))))


def summarize(n: int, args: argparse.Namespace, used: dict[str, float]) -> dict[str, Any]:
    wall, jobs = used["at"], args.jobs
    ours = sum(used[k] for k in ("server", "cpu_worker", "gpu", "bench"))
    gpu_work = jobs * gpu_seconds_per_job(Timing(args.scale, args.media, args.window))
    return {"gpu_workers": n, "jobs": jobs, "wall_s": wall, "jobs_per_min": 60 * jobs / wall,
            "server_cpu_s_per_job": used["server"] / jobs,
            "cpu_worker_cpu_s_per_job": used["cpu_worker"] / jobs,
            "gpu_workers_cpu_s_per_job": used["gpu"] / jobs,
            "bench_cpu_s_per_job": used["bench"] / jobs,
            "gpu_busy_pct": 100 * gpu_work / (n * wall),
            "machine_busy_cores": used["machine"] / wall,
            "other_busy_cores": max(0.0, used["machine"] - ours) / wall}


async def run_config(n: int, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """One configuration on its own dev server and workers, all killed before it returns."""
    procs: Procs = []
    try:
        client = await start_server(root, procs)
        await start_workers(n, client.service_client.config.target_host, args, root, procs)
        meter = Meter(procs[0].pid, procs[1].pid, [p.pid for p in procs[2:]])
        handles = await submit(client, args.jobs, args)
        await asyncio.gather(*(h.result() for h in handles))
        row = summarize(n, args, meter.since())
        row.update(await history_stats(handles))
    finally:
        await kill(procs)
    return row


def describe(args: argparse.Namespace) -> str:
    timing = Timing(scale=args.scale, media=args.media, window=args.window)
    gpu = gpu_seconds_per_job(timing)
    return (f"{args.jobs} jobs of {args.media:g} s media ({timing.windows()} window(s)); time "
            f"scale {args.scale:g} (stand-ins sleep {args.scale:g} x the measured engine time); "
            f"GPU work {gpu:.3f} s a job, so one GPU worker needs at least "
            f"{gpu * args.jobs:.0f} s; CPU worker: {args.cpu_slots} activity slots")


async def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    print(describe(args), flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dub-scale-") as tmp:
        for n in (int(n) for n in args.workers.split(",")):
            root = Path(tmp) / f"gpu-{n}"
            root.mkdir()
            rows.append(await run_config(n, args, root))
            print(f"  {n} GPU worker(s): {rows[-1]['wall_s']:.1f} s", flush=True)
    return with_ideal(rows)


def verdict(rows: list[dict[str, Any]], cost: dict[str, float], cores: int) -> str:
    top = max(rows, key=lambda row: row["gpu_workers"])
    ideal = top["jobs_per_min"] / top["vs_ideal_pct"] * 100
    return (f"orchestration: {cost['total']:.3f} CPU s a job (server {cost['server']:.3f}, CPU "
            f"worker {cost['cpu_worker']:.3f}, GPU workers {cost['gpu_workers']:.3f}, this "
            f"client {cost['bench']:.3f}), so {cores} cores finish at most "
            f"{cost['cap_jobs_per_min']:.0f} jobs/min; linear scaling to {top['gpu_workers']} "
            f"GPU workers needs {ideal:.0f} jobs/min")


def cli() -> None:
    args = parse()
    rows = asyncio.run(main(args))
    cores = os.cpu_count() or 1
    cost = orchestration(rows, cores)
    print(format_table(rows))
    print(verdict(rows, cost, cores))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"setup": describe(args), "rtf": RTF, "scale": args.scale,
                                    "media_seconds": args.media, "cpu_slots": args.cpu_slots,
                                    "cores": cores, "orchestration": cost, "rows": rows},
                                   indent=2))
    print(f"written to {args.out}")


if __name__ == "__main__":
    cli()
