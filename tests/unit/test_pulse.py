"""`beating`: a step busy inside one long call (a model load, an encoder pass) still
heartbeats, with the checkpoint it last reported, so the heartbeat timeout does not fail a
live attempt and a retry resumes from the right place."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.base import beating


def environment(beats: list[Any], previous: Any = None) -> ActivityEnvironment:
    env = ActivityEnvironment()
    if previous is not None:
        env.info = dataclasses.replace(env.info, heartbeat_details=[previous])
    env.on_heartbeat = lambda *details: beats.append(details[0] if details else None)
    return env


def busy_step(first: Any, seconds: float) -> None:
    with beating(every=0.02) as beat:
        if first is not None:
            beat(first)
        time.sleep(seconds)  # one call that never beats


def test_a_long_call_repeats_the_last_checkpoint() -> None:
    beats: list[Any] = []
    environment(beats).run(busy_step, {"done": 3}, 0.5)
    assert len(beats) >= 5, beats
    assert all(b == {"done": 3} for b in beats), beats


def test_before_its_first_beat_a_retry_keeps_the_previous_checkpoint() -> None:
    beats: list[Any] = []
    environment(beats, previous={"done": 7}).run(busy_step, None, 0.3)
    assert len(beats) >= 3, beats
    assert all(b == {"done": 7} for b in beats), beats


def test_no_beat_after_the_step_returns() -> None:
    beats: list[Any] = []
    environment(beats).run(busy_step, {"done": 1}, 0.1)
    count = len(beats)
    time.sleep(0.2)
    assert len(beats) == count
