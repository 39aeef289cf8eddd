"""Shared helpers for the tests: real ffprobe, real WER, history inspection."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
from temporalio.client import WorkflowHandle

from dubbing import quality

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.mp4"
SAMPLE_REFERENCE = ROOT / "examples" / "sample.en.txt"


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
         str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def stream_md5(path: Path, selector: str) -> str:
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", selector, "-c", "copy",
         "-f", "md5", "-"], capture_output=True, text=True, check=True).stdout
    return out.strip()


def word_error_rate(reference: str, hypothesis: str) -> float:
    wer = quality.word_error_rate(reference, hypothesis)
    assert wer is not None, "empty reference"
    return wer


async def activity_queues(handle: WorkflowHandle) -> dict[str, set[str]]:
    """Activity type -> task queues it was scheduled on, read from the real history."""
    queues: dict[str, set[str]] = {}
    async for event in handle.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            attrs = event.activity_task_scheduled_event_attributes
            queues.setdefault(attrs.activity_type.name, set()).add(attrs.task_queue.name)
    return queues


def integrated_lufs(path: Path, selector: str = "0:a:0") -> float:
    """EBU R128 integrated loudness of one audio stream, measured by ffmpeg's ebur128."""
    err = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-map", selector,
         "-af", "ebur128", "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    summary = err[err.rindex("Summary:"):]
    return float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]


def decode_track(path: Path, selector: str = "0:a:0", rate: int = 48000) -> np.ndarray:
    """One audio stream as mono float samples in [-1, 1]."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", selector, "-ac", "1",
         "-ar", str(rate), "-f", "f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.float32)


def band_level(samples: np.ndarray, rate: int, hz: float, start: float, end: float) -> float:
    """Magnitude of one frequency in a stretch of samples (a single-bin DFT)."""
    part = samples[int(start * rate):int(end * rate)].astype(np.float64)
    t = np.arange(len(part)) / rate
    return float(abs(np.dot(part, np.exp(-2j * np.pi * hz * t))) / max(1, len(part)))
