"""Benchmark inputs: real speech from the bundled LibriVox clips, built once and cached."""

from __future__ import annotations

from pathlib import Path

from bench.media import speech_video

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".state" / "bench"


def speech_input(seconds: float, cache: Path = CACHE) -> Path:
    """`seconds` of speech over a test pattern, under `cache` (built when missing)."""
    cache.mkdir(parents=True, exist_ok=True)
    dest = cache / f"speech-{seconds:g}s.mp4"
    if not dest.exists():
        partial = dest.with_name(f"{dest.stem}.part.mp4")
        speech_video(partial, seconds)
        partial.replace(dest)
    return dest


def scale_inputs(count: int, seconds: float = 30.0, cache: Path = CACHE) -> list[Path]:
    """`count` distinct inputs, each 0.1 s longer than the last, so every job id differs."""
    return [speech_input(round(seconds + 0.1 * i, 1), cache) for i in range(count)]
