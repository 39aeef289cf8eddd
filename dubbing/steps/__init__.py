"""The pipeline's steps as plain functions over a store: what each activity runs.

A step takes the store, a scratch directory, its input model and a `beat` callback that
reports progress (the activity turns it into a Temporal heartbeat).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Beat = Callable[[Any], None]


@dataclass
class Done:
    """What a step stored, and how much it processed (for the activity's metrics)."""

    key: str
    lines: int = 0
    audio_seconds: float = 0.0
    speeds: list[float] = field(default_factory=list)


def no_beat(_: Any = None) -> None:
    """For callers outside Temporal, such as the plain benchmark script."""
