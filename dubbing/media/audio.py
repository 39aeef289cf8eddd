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


def extract_args(source: Path, dest: Path, track: int = 0) -> list[str]:
    """Decode audio track `track` (0-based among the audio streams) to 16 kHz mono WAV."""
    return ffmpeg("-i", str(source), "-map", f"0:a:{track}", "-vn", "-ac", "1",
                  "-ar", str(ASR_RATE), "-c:a", "pcm_s16le", "-f", "wav", str(dest))


def extract_audio(source: Path, dest: Path, name: str, probed_duration: float,
                  beat: Beat | None = None, *, track: int = 0) -> float:
    """Decode the chosen audio track (`MediaInfo.audio_track`) to 16 kHz mono WAV; return its
    length in seconds."""
    run_tool(extract_args(source, dest, track), what="ffmpeg audio extraction", timeout=3600,
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


# How much speech an audio track holds, measured cheaply on a few stretches of it (to tell
# the track with the dialogue from music, effects, tones or silence): 32 ms frames every
# 10 ms; a second is speech-like when its speech-band level (300-3400 Hz) is modulated at the
# syllable rate (2-8 Hz) and its spectrum keeps changing, as phonemes do and held notes,
# tones and steady noise do not. Singing or busy music can pass for speech.
MEASURE_FRAME, MEASURE_HOP = 512, 160  # samples at ASR_RATE
SPEECH_BAND = (300.0, 3400.0)
SYLLABLE_HZ = (2.0, 8.0)
MIN_MODULATION = 0.45  # the syllable-rate part of the envelope against its mean
MIN_FLUX = 0.45  # rms change of the log band spectrum from frame to frame (decades)
MAX_QUIET_SHARE = 0.65  # more frames than this 20 dB under the second's peak: clicks, taps
MIN_SPEECH_DB = -60.0
SECOND, HALF = 100, 50  # frames


def decode_stretches(source: Path, track: int, stretches: list[tuple[float, float]],
                     folder: Path) -> list[np.ndarray]:
    """Audio track `track` over each (start, seconds) stretch, 16 kHz mono, in one ffmpeg."""
    args: list[str] = []
    for start, seconds in stretches:
        args += ["-ss", f"{start:.3f}", "-t", f"{seconds:.3f}", "-i", str(source)]
    dests = [folder / f"track{track}-{i}.wav" for i in range(len(stretches))]
    for i, dest in enumerate(dests):
        args += ["-map", f"{i}:a:{track}", "-vn", "-ac", "1", "-ar", str(ASR_RATE),
                 "-c:a", "pcm_s16le", "-f", "wav", str(dest)]
    run_tool(ffmpeg(*args), what="ffmpeg speech measure", timeout=600)
    return [read_pcm(dest)[0] for dest in dests]


def speech_seconds(samples: np.ndarray) -> float:
    """Seconds of 16 kHz mono `samples` that lie in speech-like seconds (see above)."""
    if len(samples) < MEASURE_FRAME + SECOND * MEASURE_HOP:
        return 0.0
    frames = np.lib.stride_tricks.sliding_window_view(samples, MEASURE_FRAME)[::MEASURE_HOP]
    window = np.hanning(MEASURE_FRAME)
    freqs = np.fft.rfftfreq(MEASURE_FRAME, 1 / ASR_RATE)
    band = (freqs >= SPEECH_BAND[0]) & (freqs < SPEECH_BAND[1])
    power = np.square(np.abs(np.fft.rfft(frames * window, axis=1)[:, band]))
    scale = MEASURE_FRAME**2 * float(np.mean(window**2)) / 2
    level = 10 * np.log10(power.sum(axis=1) / scale + 1e-12)
    flux = np.sqrt(np.mean(np.square(np.diff(np.log10(power + 1e-8), axis=0)), axis=1))
    covered = np.zeros(len(level), dtype=bool)
    for start in range(0, len(level) - SECOND + 1, HALF):
        part = slice(start, start + SECOND)
        if _speech_like(level[part], power[part].sum(axis=1), flux[start:start + SECOND - 1]):
            covered[part] = True
    return round(float(covered.sum()) * MEASURE_HOP / ASR_RATE, 2)


def _speech_like(level: np.ndarray, power: np.ndarray, flux: np.ndarray) -> bool:
    """One second of frames: loud enough, modulated at the syllable rate, never held."""
    peak = float(np.percentile(level, 90))
    if peak < MIN_SPEECH_DB or np.mean(level < peak - 20) > MAX_QUIET_SHARE:
        return False
    envelope = np.sqrt(power)
    spectrum = np.abs(np.fft.rfft(envelope / (envelope.mean() + 1e-12) - 1)) ** 2
    rates = np.fft.rfftfreq(len(envelope), MEASURE_HOP / ASR_RATE)
    syllabic = (rates >= SYLLABLE_HZ[0]) & (rates <= SYLLABLE_HZ[1])
    modulation = float(np.sqrt(2 * spectrum[syllabic].sum()) / len(envelope))
    active = level[:-1] > peak - 15
    return modulation >= MIN_MODULATION and float(np.median(flux[active])) >= MIN_FLUX
