"""Headline numbers and the markdown tables `bench.run` prints."""

from __future__ import annotations

from typing import Any

SCALE_TARGET = 0.8  # concurrent wall time / sequential wall time
MEMORY_TARGET = 1.15  # 60-minute peak / 5-minute peak, per worker
BUSY_LOAD_PER_CORE = 1.5  # above this, something besides the benchmark was running


def peak_mib(peak: dict[str, float]) -> float:
    """The larger of the sampled RSS and the kernel's high-water mark."""
    return max(peak["sampled_mib"], peak["high_water_mib"])


def memory_ratios(memory: dict[str, Any]) -> dict[str, float]:
    labels = list(memory)
    if len(labels) < 2:
        return {}
    short, long = memory[labels[0]]["peak_rss"], memory[labels[-1]]["peak_rss"]
    return {name: round(peak_mib(long[name]) / peak_mib(short[name]), 3) for name in short}


def summarize(found: dict[str, Any]) -> dict[str, Any]:
    service, plain, scale = found["service"], found["plain"], found["scale"]
    ratios = memory_ratios(found["memory"])
    workers = sum(peak_mib(p) for p in service["peak_rss"].values())
    return {
        "service_over_plain": round(service["median_wall_seconds"]
                                    / plain["median_wall_seconds"], 3),
        "service_over_naive": round(service["median_wall_seconds"]
                                    / found["naive"]["median_wall_seconds"], 3),
        "recognition_share": service["recognition_share"],
        "service_rtf": service["real_time_factor"], "plain_rtf": plain["real_time_factor"],
        "workers_rss_over_plain": round(workers / plain["peak_rss_mib"], 2),
        "scale_failures": scale["concurrent"]["failures"] + scale["sequential"]["failures"],
        "concurrent_over_sequential": scale["concurrent_over_sequential"],
        "scale_target_met": scale["concurrent_over_sequential"] <= SCALE_TARGET,
        "memory_long_over_short": ratios,
        "memory_target_met": (all(r <= MEMORY_TARGET for r in ratios.values())
                              if ratios else None),
    }


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def headline(found: dict[str, Any]) -> list[str]:
    service, plain, summary = found["service"], found["plain"], found["summary"]
    rss = service["peak_rss"]
    workers = ", ".join(f"{name} {peak_mib(p):.0f}" for name, p in rss.items())
    return [
        f"### Service vs plain script ({service['media_seconds']:.0f} s of speech, "
        f"median of {len(service['runs'])})", "",
        _row("", "service", "plain script", "service / plain"), _row("---", "---", "---", "---"),
        _row("wall time (s)", service["median_wall_seconds"], plain["median_wall_seconds"],
             summary["service_over_plain"]),
        _row("naive script (s)", "", found["naive"]["median_wall_seconds"],
             summary["service_over_naive"]),
        _row("share of the service's wall time with recognition running",
             service["recognition_share"], "", ""),
        _row("real-time factor", service["real_time_factor"], plain["real_time_factor"], ""),
        _row("segments", service["segments"], plain["segments"], ""),
        _row("peak RSS (MiB, process only)", workers, f"{plain['peak_rss_mib']:.0f}",
             summary["workers_rss_over_plain"]),
    ]


def overhead(found: dict[str, Any]) -> list[str]:
    service = found["service"]
    lines = ["", "### Orchestration overhead per activity (service runs)", "",
             _row("activity", "per run", "slot wait (ms)", "dispatch (ms)", "handoff (ms)",
                  "overhead (ms)", "own run (s)"),
             _row("---", "---", "---", "---", "---", "---", "---")]
    for name, a in service["activities"].items():
        lines.append(_row(name, a["per_run"], a["slot_wait_ms"], a["dispatch_ms"],
                          a["handoff_ms"], a["overhead_ms"], a["run_s"]))
    lines += ["", "Overhead = dispatch (scheduled -> started, less the slot wait) + handoff "
              "(completed -> next workflow task completed). Per run (medians, summed over "
              f"activities): {service['median_overhead_seconds']} s overhead, "
              f"{service['median_slot_wait_seconds']} s slot wait; "
              f"{service['median_idle_seconds']} s with no activity running. "
              f"History events per workflow execution: {service['events_per_workflow']}."]
    return lines


def scaling(found: dict[str, Any]) -> list[str]:
    scale = found["scale"]
    slots = scale["slots"]
    lines = ["", f"### Scaling: {scale['concurrent']['jobs']} jobs of ~30 s speech "
             f"(CPU worker {slots['cpu']} slots, GPU worker {slots['gpu']} slots)", "",
             _row("", "wall (s)", "failures", "audio-min / min", "median job (s)"),
             _row("---", "---", "---", "---", "---")]
    for mode in ("concurrent", "sequential"):
        s = scale[mode]
        lines.append(_row(mode, s["wall_seconds"], s["failures"],
                          s["audio_minutes_per_minute"], s["median_job_seconds"]))
    met = "met" if found["summary"]["scale_target_met"] else "missed"
    lines += ["", f"Concurrent / sequential: {scale['concurrent_over_sequential']} "
              f"(target <= {SCALE_TARGET}: {met})."]
    return lines


def memory(found: dict[str, Any]) -> list[str]:
    lines = ["", "### Worker peak RSS, one job each on fresh workers (process only)", "",
             _row("input", "media (s)", "wall (s)", "cpu worker (MiB)", "gpu worker (MiB)"),
             _row("---", "---", "---", "---", "---")]
    for label, m in found["memory"].items():
        rss = m["peak_rss"]
        lines.append(_row(label, m["media_seconds"], m["wall_seconds"],
                          f"{peak_mib(rss['cpu worker']):.0f}",
                          f"{peak_mib(rss['gpu worker']):.0f}"))
    ratios = found["summary"]["memory_long_over_short"]
    if ratios:
        met = "met" if found["summary"]["memory_target_met"] else "missed"
        shown = ", ".join(f"{name} {r}" for name, r in ratios.items())
        lines += ["", f"Long / short peak: {shown} (target <= {MEMORY_TARGET}: {met})."]
    return lines


def busy_warning(found: dict[str, Any]) -> list[str]:
    """A warning when the load average shows other work: the benchmark alone stays under
    about 1.5 runnable processes per core."""
    cores = found["machine"]["cores"] or 1
    busy = {name: value for name, value in found["load_after"].items()
            if value > BUSY_LOAD_PER_CORE * cores}
    if not busy:
        return []
    shown = ", ".join(f"{name} {value}" for name, value in busy.items())
    return ["", f"**Warning:** the machine was busy with other work (1-minute load average "
            f"after: {shown}, {cores} cores); timings are unreliable, run again on an idle "
            "machine."]


def markdown(found: dict[str, Any]) -> str:
    m = found["machine"]
    lines = [*headline(found), *overhead(found), *scaling(found), *memory(found), "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB, {m['os']}, "
             f"Python {m['python']}, {m['ffmpeg'].split(' Copyright')[0]}. "
             f"Benchmark took {found['bench_seconds']} s.", *busy_warning(found)]
    return "\n".join(lines)
