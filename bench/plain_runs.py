"""Running the plain script as a subprocess, so its own peak memory can be measured."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.inputs import ROOT
from bench.memory import PeakRss


def run_plain(video: Path, to: str) -> dict[str, Any]:
    """One `python -m bench.plain` run: wall time from spawn to exit, peak RSS, stage times."""
    with tempfile.TemporaryDirectory(prefix="bench-plain-") as tmp:
        timings, log = Path(tmp) / "timings.json", Path(tmp) / "plain.log"
        command = [sys.executable, "-m", "bench.plain", str(video), "--to", to,
                   "--out", str(Path(tmp) / "out"), "--timings", str(timings)]
        began = time.perf_counter()
        with log.open("wb") as sink:
            proc = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
            with PeakRss({"plain": proc.pid}) as peak:
                code = proc.wait()
        wall = time.perf_counter() - began
        if code != 0:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"bench.plain failed with exit code {code}:\n{tail}")
        inner = json.loads(timings.read_text())
    return {"wall_seconds": round(wall, 3), "script_seconds": inner["wall_seconds"],
            "media_seconds": inner["media_seconds"], "segments": inner["segments"],
            "windows": inner["windows"], "outputs": len(inner["outputs"]),
            "stages": inner["stages"], "peak_rss": peak.report()["plain"]}


def plain_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The plain script's runs, with medians of wall time and of each stage."""
    wall = statistics.median(r["wall_seconds"] for r in results)
    media = results[0]["media_seconds"]
    stages = {name: round(statistics.median(r["stages"][name] for r in results), 3)
              for name in results[0]["stages"]}
    return {"runs": results, "median_wall_seconds": round(wall, 3),
            "real_time_factor": round(wall / media, 4), "media_seconds": media,
            "segments": results[0]["segments"], "median_stage_seconds": stages,
            "peak_rss_mib": max(max(r["peak_rss"].values()) for r in results)}


def run_naive(video: Path, to: str) -> dict[str, Any]:
    """One `python -m bench.naive` run (the script a user would write with the same
    engines), timed as a user would: the process's whole wall."""
    with tempfile.TemporaryDirectory(prefix="bench-naive-") as tmp:
        timings = Path(tmp) / "timings.json"
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bench.naive", str(video), "--to", to,
                        "--out", str(Path(tmp) / "out"), "--timings", str(timings)],
                       cwd=ROOT, check=True, capture_output=True)
        return {"wall_seconds": round(time.perf_counter() - began, 3),
                "stages": json.loads(timings.read_text())}


def naive_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"runs": results, "median_wall_seconds": round(statistics.median(
        r["wall_seconds"] for r in results), 3)}
