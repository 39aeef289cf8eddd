"""The service's own metrics, recorded through the Temporal runtime's meter.

They leave the process with the SDK's metrics, through whichever exporter the worker was
started with (OTLP or Prometheus; nothing when metrics are off).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from temporalio import activity

from dubbing.steps import Done


class StageMeter:
    """What one activity did: lines, audio seconds, wall seconds, real-time factor."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.segments = 0
        self.audio_seconds = 0.0
        self.speeds: list[float] = []

    def done(self, done: Done) -> str:
        """Count a step's result and hand back the key the workflow receives."""
        self.segments += done.lines
        self.audio_seconds += done.audio_seconds
        self.speeds += done.speeds
        return done.key


@contextmanager
def measured(stage: str) -> Iterator[StageMeter]:
    """Time the body and record its counts when it succeeds."""
    meter = StageMeter(stage)
    started = time.monotonic()
    yield meter
    record(meter, time.monotonic() - started)


def record(meter: StageMeter, wall_seconds: float) -> None:
    base = activity.metric_meter().with_additional_attributes({"stage": meter.stage})
    base.create_counter("dub_segments_processed", "lines processed", "lines").add(
        meter.segments)
    base.create_histogram_float("dub_audio_seconds", "audio processed per activity",
                                "s").record(meter.audio_seconds)
    base.create_histogram_float("dub_stage_wall_seconds", "wall time per activity",
                                "s").record(wall_seconds)
    if meter.audio_seconds > 0:
        base.create_histogram_float(
            "dub_real_time_factor", "wall seconds per audio second").record(
            wall_seconds / meter.audio_seconds)
    if meter.speeds:
        speeds = base.create_histogram_float("dub_speed_factor",
                                             "how much each line was sped up to fit")
        for speed in meter.speeds:
            speeds.record(speed)
