"""Target subtitle cues as a viewer reads them: length, reading speed, layout."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import srt

MIN_SECONDS = 0.8
MAX_SECONDS = 7.0
MAX_CPS = 17.0


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]

    @property
    def chars(self) -> int:
        """Characters read: the lines joined by one space."""
        return len(" ".join(line.strip() for line in self.lines))

    @property
    def cps(self) -> float:
        return self.chars / self.seconds if self.seconds > 0 else float("inf")


def parse_cues(text: str) -> list[Cue]:
    return [Cue(c.start.total_seconds(), c.end.total_seconds(), c.content)
            for c in srt.parse(text)]


def cue_metrics(cues: list[Cue]) -> dict[str, float | int | None]:
    if not cues:
        return {"cues": 0, "cue_min_seconds": None, "cue_max_seconds": None,
                "cues_short": 0, "cues_long": 0, "cues_one_word": 0, "max_line_chars": 0,
                "max_cue_lines": 0, "cps_ok": None, "cps_max": None}
    seconds = [c.seconds for c in cues]
    cps = np.array([c.cps for c in cues])
    return {
        "cues": len(cues),
        "cue_min_seconds": round(min(seconds), 3),
        "cue_max_seconds": round(max(seconds), 3),
        "cues_short": sum(s < MIN_SECONDS for s in seconds),
        "cues_long": sum(s > MAX_SECONDS for s in seconds),
        "cues_one_word": sum(len(c.text.split()) == 1 for c in cues),
        "max_line_chars": max((len(line) for c in cues for line in c.lines), default=0),
        "max_cue_lines": max(len(c.lines) for c in cues),
        "cps_ok": round(float(np.mean(cps <= MAX_CPS)), 4),
        "cps_max": round(float(np.max(cps)), 2),
    }
