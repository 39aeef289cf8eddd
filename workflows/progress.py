"""Progress bookkeeping for the dubbing workflow (pure, deterministic)."""

from __future__ import annotations

from datetime import datetime

from dubbing.contract import JobState, Progress, Stage, StageProgress

# Rough share of the wall time each stage takes on the reference machine.
WEIGHTS: dict[Stage, int] = {
    Stage.PROBE: 2, Stage.EXTRACT: 3, Stage.PLAN: 1, Stage.TRANSCRIBE: 40, Stage.TRANSLATE: 4,
    Stage.SYNTHESIZE: 25, Stage.FIT: 10, Stage.RENDER: 13, Stage.CLEANUP: 2,
}


class Tracker:
    def __init__(self, started: datetime) -> None:
        self.started = started
        self.stage = "queued"
        self.state = JobState.RUNNING
        self.paused = False
        self.stages = {name: [0, 1] for name in WEIGHTS}
        self.speakers: int | None = None  # once the lines are clustered by speaker

    def begin(self, stage: Stage, total: int = 1) -> None:
        self.stage = stage
        self.stages[stage] = [0, max(total, 0)]

    def set_total(self, stage: Stage, total: int) -> None:
        self.stages[stage][1] = total

    def advance(self, stage: Stage) -> None:
        self.stages[stage][0] += 1

    def finish(self, stage: Stage) -> None:
        self.stages[stage][0] = self.stages[stage][1]

    def phase(self) -> str:
        """The earliest unfinished stage, or how the job ended: moves forward only."""
        if self.state != JobState.RUNNING:
            return self.state.value
        for name in WEIGHTS:
            done, total = self.stages[name]
            if done < total:
                return name
        return "cleanup"

    def details(self) -> str:
        """A small markdown table of the stages, for the Web UI's current details."""
        rows = [f"| {name} | {done}/{total} |" for name, (done, total) in self.stages.items()
                if total]
        state = "paused" if self.paused else self.state.value
        return "\n".join([f"**{state}**, {self.percent():.0f}% ({self.stage})", "",
                          "| stage | done |", "|---|---|", *rows])

    def percent(self) -> float:
        done = 0.0
        for name, weight in WEIGHTS.items():
            count, total = self.stages[name]
            done += weight * (count / total if total else 1.0)
        return round(100 * done / sum(WEIGHTS.values()), 1)

    def snapshot(self, now: datetime) -> Progress:
        elapsed = (now - self.started).total_seconds()
        percent = self.percent()
        eta = elapsed * (100 - percent) / percent if 0 < percent < 100 else None
        return Progress(
            state=JobState.PAUSED if self.paused and self.state == JobState.RUNNING
            else self.state,
            stage=self.stage,
            stages={k: StageProgress(done=v[0], total=v[1]) for k, v in self.stages.items()},
            percent=percent,
            elapsed_seconds=round(elapsed, 1),
            eta_seconds=round(eta, 1) if eta is not None else None,
            paused=self.paused,
            speakers=self.speakers,
        )
