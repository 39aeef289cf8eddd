"""Rendering fitted clips, the dub track and the final container."""

from __future__ import annotations

import wave
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dubbing.fit import FitDecision
from dubbing.languages import iso639_2
from dubbing.media.subs import (
    SubtitleMode,
    burn_graph,
    burn_video_args,
    embed_inputs,
    embed_maps,
)
from dubbing.media.tools import ffmpeg

DUB_RATE = 48000
FADE_SECONDS = 0.05
# Codecs an MP4 can carry unchanged; anything else is re-encoded.
MP4_VIDEO = {"h264", "hevc", "av1", "mpeg4", "vp9"}
MP4_AUDIO = {"aac", "mp3", "ac3", "eac3", "opus", "alac", "flac"}


@dataclass(frozen=True)
class FitJob:
    source: Path
    dest: Path
    decision: FitDecision


def fit_clips_args(jobs: Sequence[FitJob]) -> list[str]:
    """One ffmpeg for several clips, each its own input and output: stretch (atempo),
    resample to the dub rate and, when it overflows, trim with a fade. One process a window
    instead of one a line (40 clips: 0.7 s against 4.1 s), the same samples out."""
    args: list[str] = []
    for job in jobs:
        args += ["-i", str(job.source)]
    for number, job in enumerate(jobs):
        args += ["-map", f"{number}:a:0", "-af", fit_filters(job.decision), "-ac", "1",
                 "-c:a", "pcm_s16le", str(job.dest)]
    return ffmpeg(*args)


def fit_filters(decision: FitDecision) -> str:
    filters = []
    if decision.tempo != 1.0:
        filters.append(f"atempo={decision.tempo:.4f}")
    filters.append(f"aresample={DUB_RATE}")
    if decision.trimmed:
        end = decision.placed_seconds
        filters.append(f"atrim=0:{end:.4f}")
        filters.append(f"afade=t=out:st={max(0.0, end - FADE_SECONDS):.4f}:d={FADE_SECONDS}")
    return ",".join(filters)


@dataclass(frozen=True)
class Placement:
    start: float
    path: Path


def write_dub_track(dest: Path, duration: float, placements: Iterable[Placement]) -> None:
    """Lay clips on a silent track of exactly `duration` seconds, streaming clip by clip.

    Placements must come in time order; a clip never overwrites the one before it.
    """
    total = round(duration * DUB_RATE)
    written = 0
    with wave.open(str(dest), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(DUB_RATE)
        for placement in placements:
            start = max(written, round(placement.start * DUB_RATE))
            if start >= total:
                break
            out.writeframes(bytes(2 * (start - written)))
            samples = _read_pcm(placement.path)[: total - start]
            out.writeframes(samples.tobytes())
            written = start + len(samples)
        out.writeframes(bytes(2 * (total - written)))


def _read_pcm(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as clip:
        if clip.getframerate() != DUB_RATE or clip.getsampwidth() != 2:
            raise ValueError(f"{path.name}: fitted clips must be 16-bit {DUB_RATE} Hz")
        return np.frombuffer(clip.readframes(clip.getnframes()), dtype=np.int16)


@dataclass(frozen=True)
class Subtitles:
    """Subtitles for the container: soft streams (embed) or drawn into the picture (burn)."""

    mode: SubtitleMode
    target_srt: Path
    source_srt: Path


# ffmpeg's AAC encoder starts with 1024 samples of priming; the dub track is 48 kHz (mix.MIX_RATE).
AAC_PRIMING_SECONDS = 1024 / 48000


def dub_codec_args(dual_mono: bool, stream: str = "") -> list[str]:
    """How the dub track is encoded. The fast AAC coder: 300 s encode in 4.2 s against 7.1 s
    for the default (twoloop), with a higher SNR (56 against 40 dB) and a lower log-spectral
    distance on speech (3.2 dB against 3.4) at the same bitrate (BENCHMARKS.md, "What was
    slow, and what changed"). Its mid/side search is slow on two equal channels (a mono
    source): 120 s encode in 1.1 s against 3.4 s without it, still 45 dB SNR (on real stereo
    it costs nothing, so it stays on there)."""
    args = [f"-c{stream}", "aac", "-aac_coder", "fast", f"-b{stream}", "160k"]
    return [*args, "-aac_ms", "0"] if dual_mono else args


def mux_args(video: Path, dub: Path, dest: Path, *, target_lang: str, source_lang: str,
             video_codec: str | None, audio_codec: str, mix: str | None = None,
             subtitles: Subtitles | None = None, envelope: Path | None = None,
             original_track: int = 0, dub_encoded: bool = False) -> list[str]:
    """Video copied bit for bit, dub as default first audio track, original audio second.

    The original is the input's audio track `original_track` (0-based among its audio
    tracks: the one dubbed, `MediaInfo.audio_track`; `audio_codec` is its codec). `mix` is a
    filter graph over (video, dub[, envelope]) whose output `[mix]` becomes the dub track;
    without it the dub track is used as it is. Burning subtitles re-encodes the video.
    `dub_encoded`: the dub is already the encoded track (`mix.encode_and_measure`), copied as
    it is.
    """
    mode = subtitles.mode if subtitles is not None else SubtitleMode.NONE
    burn = mode is SubtitleMode.BURN and video_codec is not None
    # An encoded dub (ADTS) carries no encoder delay: shift it back by the AAC priming, as
    # the mp4 muxer does when it encodes (an edit list), so the dub stays on its video frame.
    shift = ["-itsoffset", f"{-AAC_PRIMING_SECONDS:.6f}"] if dub_encoded else []
    args = ["-i", str(video), *shift, "-i", str(dub)]
    if envelope is not None:
        args += ["-i", str(envelope)]
    if subtitles is not None and mode is SubtitleMode.EMBED:
        args += embed_inputs(subtitles.target_srt, subtitles.source_srt)
    graphs = [g for g in (mix, burn_graph(subtitles.target_srt) if burn and subtitles else None)
              if g]
    if graphs:
        args += ["-filter_complex", ";".join(graphs)]
    if burn:
        args += burn_video_args()
    elif video_codec is not None:
        args += ["-map", "0:v:0"]
    args += ["-map", "[mix]" if mix is not None else "1:a:0", "-map", f"0:a:{original_track}"]
    if video_codec is not None and not burn:
        args += ["-c:v", "copy"] if video_codec in MP4_VIDEO else ["-c:v", "libx264"]
    args += ["-c:a:0", "copy"] if dub_encoded else dub_codec_args(False, ":a:0")
    args += (["-c:a:1", "copy"] if audio_codec in MP4_AUDIO
             else ["-c:a:1", "aac", "-b:a:1", "192k"])
    args += [
        "-metadata:s:a:0", f"language={iso639_2(target_lang)}",
        "-metadata:s:a:1", f"language={iso639_2(source_lang)}",
        "-disposition:a:0", "default", "-disposition:a:1", "0",
    ]
    if mode is SubtitleMode.EMBED:
        args += embed_maps(3 if envelope is not None else 2, target_lang, source_lang)
    args += ["-movflags", "+faststart", "-f", "mp4", str(dest)]
    return ffmpeg(*args)
