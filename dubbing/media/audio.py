"""Audio extraction, reading windows of samples, and silence detection."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np

from dubbing.errors import BadInputError
from dubbing.media.tools import Beat, ffmpeg, run_tool

ASR_RATE = 16000
# A container may claim more than decodes; beyond this gap the file is called truncated.
TRUNCATION_TOLERANCE = 0.05


def extract_args(source: Path, dest: Path) -> list[str]:
    return ffmpeg("-i", str(source), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(ASR_RATE),
                  "-c:a", "pcm_s16le", "-f", "wav", str(dest))


def extract_audio(source: Path, dest: Path, name: str, probed_duration: float,
                  beat: Beat | None = None) -> float:
    """Decode the first audio stream to 16 kHz mono WAV; return its length in seconds."""
    run_tool(extract_args(source, dest), what="ffmpeg audio extraction", timeout=3600,
             beat=beat)
    decoded = wav_seconds(dest)
    if decoded < probed_duration * (1 - TRUNCATION_TOLERANCE) - 0.5:
        raise BadInputError(
            f"{name}: the container says {probed_duration:.1f} s but only {decoded:.1f} s of "
            "audio decodes; the file is truncated or corrupt, re-export or re-download it"
        )
    return decoded


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def trim_silence(path: Path, floor_db: float = -40.0, margin: float = 0.02) -> float:
    """Cut the silence before and after the voice of a 16-bit mono WAV, in place; return the
    length left. Synthesizers pad their clips (espeak-ng about 0.3 s at the end), and a clip
    placed on a speaker's onset must start speaking there."""
    with wave.open(str(path), "rb") as wav:
        params = wav.getparams()
        if params.sampwidth != 2 or params.nchannels != 1:
            return params.nframes / params.framerate
        samples = np.frombuffer(wav.readframes(params.nframes), dtype=np.int16)
    rate = params.framerate
    hop = max(1, rate // 100)
    frames = samples[: len(samples) // hop * hop].astype(np.float64).reshape(-1, hop)
    if frames.size == 0:
        return len(samples) / rate
    level = 10 * np.log10(np.mean(np.square(frames / 32768.0), axis=1) + 1e-12)
    loud = np.flatnonzero(level > max(floor_db, float(level.max()) - 45.0))
    if loud.size == 0:
        return len(samples) / rate
    first = max(0, loud[0] * hop - round(margin * rate))
    last = min(len(samples), (loud[-1] + 1) * hop + round(margin * rate))
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(samples[first:last].tobytes())
    return (last - first) / rate


def read_pcm(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit mono WAV as float32 samples in [-1, 1], and its rate."""
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    return np.frombuffer(frames, dtype=np.int16).astype(np.float32) / 32768.0, rate


def write_excerpt(path: Path, dest: Path, start: float, end: float) -> None:
    """Copy [start, end) of a 16-bit mono WAV into a WAV of its own."""
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        wav.setpos(min(int(start * rate), wav.getnframes()))
        frames = wav.readframes(max(0, int((end - start) * rate)))
    with wave.open(str(dest), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


def read_window(path: Path, start: float, end: float) -> np.ndarray:
    """Samples of [start, end) from a 16-bit mono WAV as float32 in [-1, 1]."""
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        first = max(0, int(start * rate))
        wav.setpos(min(first, wav.getnframes()))
        frames = wav.readframes(max(0, int(end * rate) - first))
    return np.frombuffer(frames, dtype=np.int16).astype(np.float32) / 32768.0


_SILENCE = re.compile(r"silence_(start|end): (-?[0-9.]+)")


def detect_silences(path: Path, noise_db: float = -35.0, min_seconds: float = 0.3,
                    beat: Beat | None = None) -> list[tuple[float, float]]:
    args = ffmpeg("-v", "info", "-i", str(path), "-af",
                  f"silencedetect=noise={noise_db}dB:d={min_seconds}", "-f", "null", "-")
    out = run_tool(args, what="ffmpeg silence detection", timeout=3600, beat=beat).stderr
    return parse_silences(out)


def parse_silences(log: str) -> list[tuple[float, float]]:
    silences: list[tuple[float, float]] = []
    start: float | None = None
    for kind, value in _SILENCE.findall(log):
        if kind == "start":
            start = max(0.0, float(value))
        elif start is not None:
            silences.append((start, float(value)))
            start = None
    return silences
