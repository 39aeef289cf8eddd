"""ffmpeg at the edges: decoding audio tracks to float32 and reading the loudness meter."""

from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path

import numpy as np

from bench.quality.frames import RATE

FFMPEG = ("ffmpeg", "-nostdin", "-hide_banner")


def decode_track(path: Path, track: int = 0, rate: int = RATE) -> np.ndarray:
    """Audio track `track` of `path` as float32 mono at `rate`."""
    done = subprocess.run(
        [*FFMPEG, "-v", "error", "-i", str(path), "-map", f"0:a:{track}", "-ac", "1",
         "-ar", str(rate), "-f", "f32le", "-"], capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{path.name}: cannot decode audio track {track}: "
                           f"{done.stderr.decode(errors='replace').strip()[-300:]}")
    return np.frombuffer(done.stdout, dtype="<f4").astype(np.float32)


def audio_tracks(path: Path) -> int:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream=index",
         "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True)
    return len(done.stdout.split())


def loudness(path: Path, track: int = 0) -> dict[str, float | None]:
    """Integrated loudness (LUFS) and true peak (dBTP) of one audio track, from `ebur128`."""
    done = subprocess.run(
        [*FFMPEG, "-v", "info", "-nostats", "-i", str(path), "-map", f"0:a:{track}",
         "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        capture_output=True, text=True, check=False)
    return parse_summary(done.stderr)


def parse_summary(stderr: str) -> dict[str, float | None]:
    if "Summary:" not in stderr:
        return {"lufs": None, "true_peak_dbtp": None}
    summary = stderr[stderr.rindex("Summary:"):]
    found = {"lufs": re.search(r"I:\s+(-?[\d.]+|-?inf) LUFS", summary),
             "true_peak_dbtp": re.search(r"Peak:\s+(-?[\d.]+|-?inf) dBFS", summary)}
    return {name: _number(m) for name, m in found.items()}


def _number(match: re.Match[str] | None) -> float | None:
    if match is None or "inf" in match.group(1):
        return None
    return float(match.group(1))


def write_wav(dest: Path, x: np.ndarray, rate: int = RATE) -> None:
    """16-bit mono WAV (clipped to full scale)."""
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(dest), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as clip:
        if clip.getnchannels() != 1 or clip.getsampwidth() != 2 or clip.getframerate() != RATE:
            raise ValueError(f"{path.name}: expected 16-bit mono {RATE} Hz")
        data = clip.readframes(clip.getnframes())
    return (np.frombuffer(data, dtype="<i2") / 32768.0).astype(np.float32)
