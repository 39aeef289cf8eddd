"""The pipeline's steps as plain functions over a store: what each activity runs.

A step takes the store, a scratch directory, its input model and a `beat` callback that
reports progress (the activity turns it into a Temporal heartbeat).
"""

from collections.abc import Callable
from typing import Any

Beat = Callable[[Any], None]


def no_beat(_: Any = None) -> None:
    """For callers outside Temporal, such as the plain benchmark script."""
