"""The quality media set: real LibriVox speech laid out in ways that stress the dub, each video
with a truth file of where the source speech is. Built at run time into a cache, deterministic."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.quality.decode import FFMPEG, decode_track, read_wav, write_wav
from bench.quality.frames import RATE, Span, speech_spans

ROOT = Path(__file__).resolve().parents[2]
CLIPS = sorted((ROOT / "examples" / "librivox").glob("*.wav"))
SAMPLE = ROOT / "examples" / "sample.mp4"
CACHE = ROOT / ".state" / "quality" / "media"
VERSION = 3  # bump when a layout changes, so cached media are rebuilt
NAMES = ("plain", "dense", "repeat", "music", "sample")
DENSE_TEMPO = (1.35, 1.45, 1.4, 1.38, 1.42)


@dataclass(frozen=True)
class Piece:
    audio: np.ndarray
    text: str
    gap_before: float


@dataclass(frozen=True)
class Media:
    name: str
    video: Path
    truth: dict[str, Any]


def clip_text(clip: Path) -> str:
    return clip.with_suffix(".txt").read_text().strip()


def clip_spans(audio: np.ndarray) -> list[Span]:
    """Speech in a clean clip: 10 ms frames 15 dB over its floor, gaps < 0.25 s merged."""
    return speech_spans(audio, frame=0.01, above_db=15.0, merge_gap=0.25, min_run=0.1)


def faster(clip: Path, tempo: float, cache: Path) -> np.ndarray:
    dest = cache / f"{clip.stem}.x{tempo:g}.wav"
    if not dest.exists():
        subprocess.run([*FFMPEG, "-v", "error", "-y", "-i", str(clip), "-af", f"atempo={tempo}",
                        "-ac", "1", "-ar", str(RATE), "-c:a", "pcm_s16le", str(dest)],
                       check=True)
    audio = read_wav(dest)
    found = clip_spans(audio)  # trimmed to its speech (0.1 s either side): really dense
    return audio[max(0, int((found[0][0] - 0.1) * RATE)):int((found[-1][1] + 0.1) * RATE)]


def pieces(name: str, cache: Path) -> list[Piece]:
    gaps = {"plain": (0.5, 1.0, 1.5, 1.2, 1.35), "dense": (0.5, 0.6, 0.5, 0.7, 0.55),
            "music": (3.0, 1.2, 1.0, 1.4, 1.1)}
    texts = [clip_text(c) for c in CLIPS]
    if name == "dense":
        return [Piece(faster(c, t, cache), text, g) for c, t, text, g
                in zip(CLIPS, DENSE_TEMPO, texts, gaps["dense"], strict=True)]
    audio = [read_wav(c) for c in CLIPS]
    if name == "repeat":
        order = [1, 1, 0, 2, 3, 4]
        repeat_gaps = (0.5, 0.5, 1.2, 1.0, 1.4, 1.1)
        return [Piece(audio[i], texts[i], g) for i, g in zip(order, repeat_gaps, strict=True)]
    return [Piece(a, t, g) for a, t, g in zip(audio, texts, gaps[name], strict=True)]


def music_bed(seconds: float, rms: float) -> np.ndarray:
    """Four chords, two seconds each, on a slow pulse (2 beats/s) with a 5 Hz tremolo."""
    t = np.arange(int(seconds * RATE)) / RATE
    chords = ((220.0, 261.63, 329.63), (174.61, 220.0, 261.63),
              (130.81, 196.0, 329.63), (196.0, 246.94, 293.66))
    which = (t // 2.0).astype(int) % len(chords)
    bed = np.zeros_like(t)
    for i, notes in enumerate(chords):
        tone = sum(np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t) for f in notes)
        bed += np.where(which == i, tone, 0.0)
    pulse = 0.55 + 0.45 * np.exp(-4.0 * (t % 0.5))
    bed *= pulse * (0.85 + 0.15 * np.sin(2 * np.pi * 5.0 * t))
    return (bed * rms / np.sqrt(np.mean(bed**2))).astype(np.float32)


def layout(name: str, cache: Path) -> tuple[np.ndarray, dict[str, Any]]:
    """The whole audio track and its truth: speech spans and one line per clip."""
    chunks: list[np.ndarray] = []
    lines: list[dict[str, Any]] = []
    spans: list[Span] = []
    at = 0
    for piece in pieces(name, cache):
        chunks += [np.zeros(int(piece.gap_before * RATE), np.float32), piece.audio]
        at += len(chunks[-2])
        found = [(round(at / RATE + a, 3), round(at / RATE + b, 3))
                 for a, b in clip_spans(piece.audio)]
        spans += found
        lines.append({"start": found[0][0], "end": found[-1][1], "text": piece.text})
        at += len(piece.audio)
    chunks.append(np.zeros(int((3.0 if name == "music" else 1.0) * RATE), np.float32))
    audio = np.concatenate(chunks)
    if name == "music":
        speech = np.concatenate([audio[int(a * RATE):int(b * RATE)] for a, b in spans])
        audio = audio + music_bed(len(audio) / RATE, float(np.sqrt(np.mean(speech**2))) / 7.0)
    truth = {"name": name, "duration": round(len(audio) / RATE, 3), "lines": lines,
             "spans": spans, "speech_level_db": _level(audio, spans)}
    return audio, truth


def _level(audio: np.ndarray, spans: list[Span]) -> float:
    speech = np.concatenate([audio[int(a * RATE):int(b * RATE)] for a, b in spans])
    return round(float(10 * np.log10(np.mean(speech.astype(np.float64) ** 2) + 1e-12)), 2)


def encode(audio_wav: Path, dest: Path, seconds: float) -> None:
    partial = dest.with_name(f"{dest.stem}.part.mp4")
    subprocess.run(
        [*FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10",
         "-i", str(audio_wav), "-map", "0:v", "-map", "1:a", "-t", f"{seconds:.3f}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-threads", "1",
         "-c:a", "aac", "-b:a", "48k", "-ar", str(RATE), "-fflags", "+bitexact",
         str(partial)], check=True)
    partial.replace(dest)


def sample_truth() -> dict[str, Any]:
    """The bundled sample: speech detected on its own audio; lines are runs < 0.7 s apart."""
    audio = decode_track(SAMPLE)
    spans = speech_spans(audio)
    lines = [{"start": a, "end": b, "text": ""}
             for a, b in speech_spans(audio, merge_gap=0.7, min_run=0.3)]
    return {"name": "sample", "duration": round(len(audio) / RATE, 3), "lines": lines,
            "spans": spans, "speech_level_db": _level(audio, spans)}


def build(name: str, cache: Path = CACHE) -> Media:
    """One input of the set (built when missing or made by another VERSION)."""
    cache.mkdir(parents=True, exist_ok=True)
    truth_path = cache / f"{name}.truth.json"
    video = SAMPLE if name == "sample" else cache / f"{name}.mp4"
    if truth_path.exists():
        truth = json.loads(truth_path.read_text())
        if truth.get("version") == VERSION and video.exists():
            return Media(name, video, truth)
    if name == "sample":
        truth = sample_truth()
    else:
        audio, truth = layout(name, cache)
        wav = cache / f"{name}.wav"
        write_wav(wav, audio)
        encode(wav, video, len(audio) / RATE)
        wav.unlink()
    truth["version"] = VERSION
    truth_path.write_text(json.dumps(truth, indent=1))
    return Media(name, video, truth)


def build_all(names: tuple[str, ...] = NAMES, cache: Path = CACHE) -> list[Media]:
    return [build(name, cache) for name in names]
