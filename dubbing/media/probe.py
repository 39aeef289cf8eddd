"""Probing and validating input media before any heavy work starts.

An input may carry several audio tracks (a music and effects mix, another language, a
commentary): the job names the one to dub (`DubJob.audio_track`), or the first track that
has speech is chosen, measured on a few short stretches of each track. An input with one audio
track is never measured.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Literal

from dubbing.errors import BadInputError, ToolError
from dubbing.media import audio
from dubbing.media.tools import require, run_tool
from dubbing.stages import MediaInfo

MIN_SAMPLE_RATE = 4000
MAX_SAMPLE_RATE = 384000
# Each track is measured on this much audio, in this many stretches spread over the media.
MEASURE_SECONDS = 20.0
MEASURE_STRETCHES = 4
# A track has speech with this much of it (or a fifth of what was measured, for short media),
# and at least this share of the most any track has: a little "speech" found in a music track
# does not beat the dialogue track after it.
MIN_SPEECH_SECONDS = 2.0
SHARE_OF_BEST = 0.5

Choice = Literal["asked", "speech", "only", "first"]


def probe(path: Path, name: str, audio_track: int | None = None,
          scratch: Path | None = None) -> MediaInfo:
    """Read the container and streams of `path`; `name` is how the user knows the file.

    `audio_track` (0-based among the audio streams) is the track to dub; None chooses it,
    measuring the tracks in a temporary folder under `scratch` (the system's by default)."""
    data = ffprobe(path, name)
    tracks = audio_streams(data, name)
    if audio_track is not None:
        if audio_track >= len(tracks):
            raise BadInputError(
                f"{name}: audio track {audio_track} was asked for, but the file has "
                f"{_count(len(tracks))} (0-based: 0 to {len(tracks) - 1}); pick one of them "
                "or leave the track to be chosen automatically")
        return media_info(data, name, audio_track, "asked")
    if len(tracks) == 1:
        return media_info(data, name, 0, "only")
    duration = _duration(data, tracks[0], name)
    measured = [measure_track(path, i, duration, scratch) for i in range(len(tracks))]
    track, how = choose_track([speech for speech, _ in measured],
                              max(seconds for _, seconds in measured))
    return media_info(data, name, track, how, measured)


def ffprobe(path: Path, name: str) -> dict[str, Any]:
    if path.stat().st_size == 0:
        raise BadInputError(f"{name}: the file is empty; pass a video or audio file")
    args = [require("ffprobe", "ffmpeg"), "-v", "error", "-print_format", "json",
            "-show_format", "-show_streams", str(path)]
    try:
        data: dict[str, Any] = json.loads(run_tool(args, what="ffprobe", timeout=120).stdout)
    except ToolError as exc:
        raise BadInputError(
            f"{name}: not a media file ffmpeg can read, or truncated or corrupt "
            f"({exc.message.rsplit(': ', 1)[-1]}); check that the file is a complete video or "
            "audio file, re-export or re-download it"
        ) from exc
    return data


def audio_streams(data: dict, name: str) -> list[dict]:
    audio_tracks = [s for s in data.get("streams", []) if s.get("codec_type") == "audio"]
    if not audio_tracks:
        raise BadInputError(f"{name}: the file has no audio stream, so there is nothing to dub")
    return audio_tracks


def media_info(data: dict, name: str, track: int = 0, choice: Choice | None = None,
               measured: list[tuple[float, float]] | None = None) -> MediaInfo:
    """Validate ffprobe's JSON: an exit code of 0 alone does not mean the file is usable.

    The audio facts are those of `track`; `measured` is (speech, measured) seconds a track."""
    tracks = audio_streams(data, name)
    chosen = tracks[track]
    rate = int(chosen.get("sample_rate") or 0)
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        which = f"audio track {track}" if len(tracks) > 1 else "the audio stream"
        raise BadInputError(f"{name}: {which} has an implausible sample rate ({rate} Hz)")
    video = [s for s in data.get("streams", []) if s.get("codec_type") == "video"
             and not s.get("disposition", {}).get("attached_pic")]
    return MediaInfo(
        duration=_duration(data, chosen, name),
        has_video=bool(video),
        video_codec=video[0].get("codec_name") if video else None,
        width=int(video[0].get("width") or 0) if video else 0,
        height=int(video[0].get("height") or 0) if video else 0,
        audio_codec=chosen.get("codec_name", "unknown"),
        sample_rate=rate,
        channels=int(chosen.get("channels") or 1),
        audio_track=track,
        audio_choice=choice or ("only" if len(tracks) == 1 else "first"),
        audio_tracks=[_facts(i, s, measured[i] if measured else None)
                      for i, s in enumerate(tracks)],
    )


def measure_track(path: Path, track: int, duration: float,
                  scratch: Path | None = None) -> tuple[float, float]:
    """(speech seconds, seconds measured) of one audio track; a track that does not decode
    has no speech."""
    with tempfile.TemporaryDirectory(prefix="dub-measure-", dir=scratch) as folder:
        try:
            parts = audio.decode_stretches(path, track, stretches(duration), Path(folder))
        except ToolError:
            return 0.0, 0.0
    measured = sum(len(p) for p in parts) / audio.ASR_RATE
    return sum(audio.speech_seconds(p) for p in parts), round(measured, 2)


def stretches(duration: float) -> list[tuple[float, float]]:
    """(start, seconds) of the stretches measured: all of short media, else one stretch in
    the middle of each of MEASURE_STRETCHES equal parts."""
    if duration <= MEASURE_SECONDS:
        return [(0.0, duration)]
    part, size = duration / MEASURE_STRETCHES, MEASURE_SECONDS / MEASURE_STRETCHES
    return [(i * part + (part - size) / 2, size) for i in range(MEASURE_STRETCHES)]


def choose_track(speech: list[float], measured: float = MEASURE_SECONDS
                 ) -> tuple[int, Choice]:
    """The first track with speech (see MIN_SPEECH_SECONDS), else the first track."""
    enough = max(min(MIN_SPEECH_SECONDS, measured / 5), SHARE_OF_BEST * max(speech, default=0))
    for i, seconds in enumerate(speech):
        if seconds > 0 and seconds >= enough:
            return i, "speech"
    return 0, "first"


def _facts(index: int, stream: dict, measured: tuple[float, float] | None) -> dict[str, Any]:
    return {"index": index, "codec": stream.get("codec_name", "unknown"),
            "channels": int(stream.get("channels") or 1),
            "sample_rate": int(stream.get("sample_rate") or 0),
            "language": (stream.get("tags") or {}).get("language"),
            "speech_seconds": round(measured[0], 2) if measured else None,
            "measured_seconds": measured[1] if measured else None}


def _duration(data: dict, stream: dict, name: str) -> float:
    duration = float(data.get("format", {}).get("duration") or stream.get("duration") or 0)
    if duration <= 0:
        raise BadInputError(f"{name}: the media has no duration; the file may be truncated")
    return duration


def _count(tracks: int) -> str:
    return "1 audio track" if tracks == 1 else f"{tracks} audio tracks"
