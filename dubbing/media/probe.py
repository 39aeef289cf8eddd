"""Probing and validating input media before any heavy work starts."""

from __future__ import annotations

import json
from pathlib import Path

from dubbing.errors import BadInputError, ToolError
from dubbing.media.tools import require, run_tool
from dubbing.stages import MediaInfo

MIN_SAMPLE_RATE = 4000
MAX_SAMPLE_RATE = 384000


def probe(path: Path, name: str) -> MediaInfo:
    """Read the container and streams of `path`; `name` is how the user knows the file."""
    if path.stat().st_size == 0:
        raise BadInputError(f"{name}: the file is empty; pass a video or audio file")
    args = [require("ffprobe", "ffmpeg"), "-v", "error", "-print_format", "json",
            "-show_format", "-show_streams", str(path)]
    try:
        data = json.loads(run_tool(args, what="ffprobe", timeout=120).stdout)
    except ToolError as exc:
        raise BadInputError(
            f"{name}: not a media file ffmpeg can read, or truncated or corrupt "
            f"({exc.message.rsplit(': ', 1)[-1]}); check that the file is a complete video or "
            "audio file, re-export or re-download it"
        ) from exc
    return media_info(data, name)


def media_info(data: dict, name: str) -> MediaInfo:
    """Validate ffprobe's JSON: an exit code of 0 alone does not mean the file is usable."""
    streams = data.get("streams", [])
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    video = [s for s in streams if s.get("codec_type") == "video"
             and not s.get("disposition", {}).get("attached_pic")]
    if not audio:
        raise BadInputError(f"{name}: the file has no audio stream, so there is nothing to dub")
    first = audio[0]
    rate = int(first.get("sample_rate") or 0)
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise BadInputError(f"{name}: the audio stream has an implausible sample rate ({rate} Hz)")
    duration = float(data.get("format", {}).get("duration") or first.get("duration") or 0)
    if duration <= 0:
        raise BadInputError(f"{name}: the media has no duration; the file may be truncated")
    return MediaInfo(
        duration=duration,
        has_video=bool(video),
        video_codec=video[0].get("codec_name") if video else None,
        audio_codec=first.get("codec_name", "unknown"),
        sample_rate=rate,
        channels=int(first.get("channels") or 1),
    )
