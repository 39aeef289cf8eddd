"""The scale simulation's own arithmetic and stand-ins (`bench/scale.py`), without a server."""

from __future__ import annotations

import math
import typing

import pytest

from bench import scale, scale_history
from bench.scale_standins import (
    RTF,
    Timing,
    cpu_activities,
    gpu_activities,
    gpu_seconds_per_job,
    split,
    stage_sleep,
    windows_of,
)
from dubbing.contract import CPU_TASK_QUEUE, GPU_TASK_QUEUE, OUTPUT_KINDS, OutputSet
from dubbing.stages import PlanInput, RenderInput, TranscribeInput, TranscribeOutput, Window
from workflows import registry as r

ROW = {"gpu_workers": 16, "wall_s": 9.25, "jobs_per_min": 1297.3, "vs_ideal_pct": 85.4,
       "queue_wait_p50_s": 0.061, "queue_wait_p99_s": 0.5, "head_s": 0.41, "tail_s": 2.5,
       "events_per_job": 76.0,
       "server_cpu_s_per_job": 0.1234, "cpu_worker_cpu_s_per_job": 0.08,
       "gpu_workers_cpu_s_per_job": 0.01, "bench_cpu_s_per_job": 0.02, "gpu_busy_pct": 91.2,
       "machine_busy_cores": 1.9, "other_busy_cores": 0.25}


def test_percentile_interpolates_between_ranks() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert scale_history.percentile(values, 50) == 3.0
    assert scale_history.percentile(values, 0) == 1.0
    assert scale_history.percentile(values, 100) == 5.0
    assert scale_history.percentile(values, 99) == pytest.approx(4.96)
    assert scale_history.percentile([7.0], 99) == 7.0
    assert math.isnan(scale_history.percentile([], 50))


def test_ideal_is_n_times_the_single_workers_throughput() -> None:
    rows = scale.with_ideal([{"gpu_workers": 1, "jobs_per_min": 60.0},
                             {"gpu_workers": 4, "jobs_per_min": 204.0},
                             {"gpu_workers": 16, "jobs_per_min": 960.0}])
    assert [round(row["vs_ideal_pct"], 1) for row in rows] == [100.0, 85.0, 100.0]
    # Without a single-worker run the fewest workers' run is the base, per worker.
    assert scale.with_ideal([{"gpu_workers": 2, "jobs_per_min": 100.0},
                             {"gpu_workers": 8, "jobs_per_min": 300.0}])[1][
        "vs_ideal_pct"] == pytest.approx(75.0)
    assert scale.with_ideal([]) == []


def test_table_has_a_header_and_one_line_per_run() -> None:
    lines = scale.format_table([ROW]).splitlines()
    assert len(lines) == 3
    assert lines[0].count("|") == len(scale.COLUMNS) + 1
    assert lines[2] == ("| 16 | 9.2 | 1297 | 85% | 0.06 / 0.50 | 0.41 / 2.50 | 76 | 0.123 "
                        "| 0.080 | 91% | 1.90 (0.25) |")


def test_orchestration_cost_and_the_cap_it_sets() -> None:
    cost = scale.orchestration([ROW, {**ROW, "server_cpu_s_per_job": 0.2}], cores=2)
    assert cost["server"] == pytest.approx((0.1234 + 0.2) / 2)
    assert cost["total"] == pytest.approx(cost["server"] + 0.08 + 0.01 + 0.02)
    assert cost["cap_jobs_per_min"] == pytest.approx(120 / cost["total"])
    assert "needs 1519 jobs/min" in scale.verdict([ROW], cost, 2)


def test_cpu_seconds_from_proc_stat_lines() -> None:
    ticks = scale.os.sysconf("SC_CLK_TCK")
    stat = "4242 (temporal (dev)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9"
    assert scale.cpu_seconds(stat) == pytest.approx(300 / ticks)
    machine = "cpu  100 5 50 1000 20 3 2 0 0 0\ncpu0 1 1 1 1 1 1 1 0 0 0\n"
    assert scale.busy_seconds(machine) == pytest.approx(160 / ticks)


def test_stand_in_time_is_media_times_measured_rtf_times_scale() -> None:
    assert stage_sleep("transcribe_window", 60.0, 0.2) == pytest.approx(60 * 13.2 / 300 * 0.2)
    assert stage_sleep("render_outputs", 300.0, 1.0) == pytest.approx(6.2)
    timing = Timing(scale=0.2, media=60.0, window=60.0)
    # recognition and the speaker embeddings; espeak-ng voices on the CPU
    assert gpu_seconds_per_job(timing) == pytest.approx(60 * (13.2 + 1.05) / 300 * 0.2)
    assert 200 * gpu_seconds_per_job(timing) == pytest.approx(114.0)
    assert set(RTF) <= {ref.name for ref in r.ALL}


def test_windows_split_the_media_evenly() -> None:
    assert windows_of(60.0, 60.0) == 1
    assert windows_of(60.0, 30.0) == 2
    assert windows_of(10.0, 60.0) == 1
    assert split(60.0, 2) == [Window(index=0, start=0.0, end=30.0),
                              Window(index=1, start=30.0, end=60.0)]


def test_stand_ins_carry_the_registry_names_and_types() -> None:
    timing = Timing(scale=0.001, media=60.0, window=60.0)
    declared = {ref.name: ref for ref in r.ALL}
    for queue, activities in ((CPU_TASK_QUEUE, cpu_activities(timing)),
                              (GPU_TASK_QUEUE, gpu_activities(timing))):
        for fn in activities:
            hints = typing.get_type_hints(fn)
            ref = declared[fn.__name__]
            assert (hints["inp"], hints["return"]) == (ref.input_type, ref.result_type)
            assert queue in ref.queues, ref.name


async def test_stand_ins_return_valid_models() -> None:
    timing = Timing(scale=0.001, media=60.0, window=60.0)
    gpu = {fn.__name__: fn for fn in gpu_activities(timing)}
    cpu = {fn.__name__: fn for fn in cpu_activities(timing)}
    window = Window(index=0, start=0.0, end=60.0)
    out = await gpu["transcribe_window"](TranscribeInput.model_validate(
        {"job_id": "j", "run_id": "r", "audio_key": "a", "window": window, "language": "en",
         "settings": {}}))
    assert isinstance(out, TranscribeOutput)
    assert (out.count, out.decoded_seconds) == (10, 60.0)
    info = await cpu["probe_media"](None)
    rendered = await cpu["render_outputs"](RenderInput(
        job_id="j", run_id="r", input_key="i", input_name="x.mp4", source_lang="en",
        target_lang="es", media=info, fit_keys=["f"]))
    assert isinstance(rendered, OutputSet)
    assert set(rendered.keys) == set(OUTPUT_KINDS)
    assert rendered.summary.segments == 10
    assert await cpu["plan_windows"](PlanInput(job_id="j", audio_key="a", duration=60.0,
                                                 window_seconds=30.0)) == split(60.0, 2)


def test_cli_defaults_follow_the_issue() -> None:
    args = scale.parse([])
    assert (args.jobs, args.workers, args.scale) == (200, "1,2,4,8,16", 1.0)
    assert args.out.parts[-3:] == ("bench", "results", "scale.json")
