"""`make bench`: the service against the plain sequential script, on real speech.

    python -m bench.run [--quick] [--runs N] [--out BENCHMARKS.json]

Sections: N alternating rounds of the plain script (a subprocess, peak RSS sampled), the
naive script and the embedded stack (dev server on SQLite, one CPU and one GPU worker
process, warm) on the same input; a scaling run (jobs submitted at once, then one after
another); and the workers' peak memory on a 5-minute against a 60-minute input. Inputs are
cached under .state/bench/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import inputs, machine, report
from bench.memory import PeakRss
from bench.plain_runs import naive_summary, plain_summary, run_naive, run_plain
from bench.service import Service
from bench.service_runs import job_for, memory_section, say, scale_section, service_summary, warm_up


@dataclass(frozen=True)
class Plan:
    quick: bool
    runs: int
    main_seconds: float
    scale_jobs: int
    long_seconds: float | None
    scale_seconds: float = 30.0
    scale_gpu_slots: int = 2
    to: str = "es"


def make_plan(quick: bool, runs: int | None) -> Plan:
    if quick:
        return Plan(quick=True, runs=runs or 1, main_seconds=120.0, scale_jobs=5,
                    long_seconds=None)
    return Plan(quick=False, runs=runs or 3, main_seconds=300.0, scale_jobs=20,
                long_seconds=3600.0)


@dataclass(frozen=True)
class Inputs:
    main: Path
    scale: list[Path]
    long: Path | None


def build_inputs(plan: Plan) -> Inputs:
    say("building inputs (cached under .state/bench/)")
    return Inputs(main=inputs.speech_input(plan.main_seconds),
                  scale=inputs.scale_inputs(plan.scale_jobs, plan.scale_seconds),
                  long=inputs.speech_input(plan.long_seconds) if plan.long_seconds else None)


def load() -> float:
    """The 1-minute load average: other work on the machine skews every number."""
    return round(os.getloadavg()[0], 2)


async def alternating_rounds(service: Service, video: Path, to: str, runs: int
                             ) -> dict[str, Any]:
    """The plain script, the naive script and the service (warm workers) in turn, round by
    round, so that the machine's drift over minutes falls on all three alike."""
    await warm_up(service, to, heartbeat=29)
    plain: list[dict[str, Any]] = []
    naive: list[dict[str, Any]] = []
    done = []
    with PeakRss(service.pids()) as peak:
        for number in range(runs):
            say(f"round {number + 1}/{runs} on {video.name}: plain script, naive script, "
                "service")
            plain.append(await asyncio.to_thread(run_plain, video, to))
            naive.append(await asyncio.to_thread(run_naive, video, to))
            done.append(await service.dub(video, job_for(video, to, 30 + number)))
    return {"plain": plain_summary(plain), "naive": naive_summary(naive),
            "service": service_summary(service, done, peak.report())}


async def service_sections(plan: Plan, videos: Inputs, loads: dict[str, float]
                           ) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="bench-stack-"))
    service = Service(root)
    try:
        say("starting the stack: dev server, one CPU and one GPU worker")
        await service.start(cpu_slots=4, gpu_slots=0)  # the product's defaults
        found = await alternating_rounds(service, videos.main, plan.to, plan.runs)
        loads["rounds"] = load()
        found["scale"] = await scale_section(service, videos.scale, plan.to,
                                             plan.scale_gpu_slots)
        loads["scale"] = load()
        memory_inputs = {f"{plan.main_seconds / 60:g} min": videos.main}
        if videos.long is not None and plan.long_seconds is not None:
            memory_inputs[f"{plan.long_seconds / 60:g} min"] = videos.long
        found["memory"] = await memory_section(service, memory_inputs, plan.to)
        loads["memory"] = load()
        return found
    finally:
        await service.close()
        shutil.rmtree(root, ignore_errors=True)


def measure(plan: Plan) -> dict[str, Any]:
    began = time.perf_counter()
    videos = build_inputs(plan)
    loads = {"start": load()}
    found: dict[str, Any] = {"machine": machine.describe(), "plan": asdict(plan),
                             "load_after": loads}
    found.update(asyncio.run(service_sections(plan, videos, loads)))
    found["summary"] = report.summarize(found)
    found["bench_seconds"] = round(time.perf_counter() - began, 1)
    return found


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 run, 2-minute input, 5 scale jobs, no 60-minute job")
    parser.add_argument("--runs", type=int, help="runs of each side (default 3, quick 1)")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.json"),
                        help="where the numbers are written as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = parse_args(argv)
    found = measure(make_plan(args.quick, args.runs))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(found, indent=2) + "\n")
    print(report.markdown(found))
    print(f"\nnumbers written to {args.out}")
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the Temporal SDK can crash at interpreter exit (sdk-python #300)
