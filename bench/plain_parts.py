"""The plain script's bookkeeping: stage timings, its result, one dub's store and scratch."""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from dubbing.contract import DubJob
from dubbing.storage import Store

T = TypeVar("T")


@dataclass
class Timings:
    """Wall seconds per stage, summed over windows and languages."""

    stages: dict[str, float] = field(default_factory=dict)

    def timed(self, stage: str, step: Callable[[], T]) -> T:
        began = time.perf_counter()
        try:
            return step()
        finally:
            spent = time.perf_counter() - began
            self.stages[stage] = round(self.stages.get(stage, 0.0) + spent, 3)


@dataclass
class PlainResult:
    media_seconds: float
    segments: int
    windows: int
    outputs: list[Path]
    wall_seconds: float
    stages: dict[str, float]


@dataclass
class Run:
    """One dub in progress: where things are stored and how long each stage took."""

    store: Store
    work: Path
    job: DubJob
    job_id: str
    timings: Timings = field(default_factory=Timings)

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A fresh scratch directory per step, as every activity gets."""
        with tempfile.TemporaryDirectory(dir=self.work) as tmp:
            yield Path(tmp)


def make_job(input_name: str, to: str, source: str = "en", **options: object) -> DubJob:
    """The job the service's `translate` command would build, with the same defaults."""
    targets = tuple(t.strip() for t in to.split(",") if t.strip())
    return DubJob.model_validate({"input_key": "pending", "input_name": input_name,
                                  "source_lang": source, "target_langs": targets, **options})


def job_id_for(source: Path) -> str:
    digest = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:12]
    return f"plain-{digest}"
