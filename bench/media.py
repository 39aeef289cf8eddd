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
