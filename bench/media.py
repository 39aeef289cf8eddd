"""Building test and benchmark inputs from the bundled LibriVox clips (real speech)."""

from __future__ import annotations

import subprocess
from pathlib import Path

CLIPS = sorted((Path(__file__).resolve().parent.parent / "examples" / "librivox").glob("*.wav"))
GAP_SECONDS = 1.2


def speech_video(dest: Path, seconds: float) -> Path:
    """A video of `seconds` of real speech (the clips in turn, silences between) over a pattern."""
    inputs: list[str] = []
    for clip in CLIPS:
        inputs += ["-i", str(clip)]
    pads = "".join(f"[{i}:a]apad=pad_dur={GAP_SECONDS}[a{i}];" for i in range(len(CLIPS)))
    joined = "".join(f"[a{i}]" for i in range(len(CLIPS)))
    graph = f"{pads}{joined}concat=n={len(CLIPS)}:v=0:a=1,aloop=loop=-1:size=2e9[aout]"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-f", "lavfi", "-i",
         "testsrc2=size=160x120:rate=10", "-filter_complex", graph, "-map", f"{len(CLIPS)}:v",
         "-map", "[aout]", "-t", f"{seconds}", "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "48k", "-ar", "16000", str(dest)],
        check=True)
    return dest


def two_track_video(dest: Path, seconds: float) -> Path:
    """A video with two audio tracks: first a stereo 48 kHz tone over soft pink noise (no
    speech), second the mono real speech of `speech_video`, tagged English."""
    speech = speech_video(dest.with_name(f"{dest.stem}.speech.mp4"), seconds)
    graph = ("[1:a][2:a]amix=inputs=2:normalize=0,"
             "aformat=sample_rates=48000:channel_layouts=stereo[music]")
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(speech),
         "-f", "lavfi", "-i", f"sine=frequency=220:sample_rate=48000:duration={seconds}",
         "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.05:sample_rate=48000:"
         f"duration={seconds}", "-filter_complex", graph,
         "-map", "0:v", "-map", "[music]", "-map", "0:a", "-c:v", "copy",
         "-c:a:0", "aac", "-b:a:0", "96k", "-c:a:1", "copy",
         "-metadata:s:a:1", "language=eng", "-t", f"{seconds}", str(dest)],
        check=True)
    speech.unlink()
    return dest
