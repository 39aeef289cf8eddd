"""Peak resident memory of named processes, sampled with psutil every 0.2 s.

Only the processes themselves are counted, not their children: the ffmpeg, espeak-ng and
apertium processes a step starts live for well under a second and are not the worker's memory.
Beside the sampled peak, Linux's own high-water mark (VmHWM in /proc/PID/status, over the
process's whole life) is read at each sample, so a spike between two samples is not missed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import psutil

MIB = 2**20


@dataclass
class Peak:
    sampled: int = 0
    high_water: int = 0

    def as_mib(self) -> dict[str, float]:
        return {"sampled_mib": round(self.sampled / MIB, 1),
                "high_water_mib": round(self.high_water / MIB, 1)}


def high_water_mark(pid: int) -> int:
    """The process's peak RSS so far, in bytes (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


@dataclass
class PeakRss:
    """Use as a context manager around the work to measure."""

    pids: dict[str, int]
    interval: float = 0.2
    peaks: dict[str, Peak] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> PeakRss:
        self.peaks = {name: Peak() for name in self.pids}
        self._thread = threading.Thread(target=self._poll, name="peak-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()

    def _poll(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        for name, pid in self.pids.items():
            peak = self.peaks[name]
            try:
                peak.sampled = max(peak.sampled, psutil.Process(pid).memory_info().rss)
            except psutil.Error:
                continue
            peak.high_water = max(peak.high_water, high_water_mark(pid))

    def report(self) -> dict[str, dict[str, float]]:
        return {name: peak.as_mib() for name, peak in self.peaks.items()}
