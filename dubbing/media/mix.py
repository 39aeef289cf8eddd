"""The dub mix: the original audio ducked under the dub, loudness-normalised (EBU R128).

Two passes over the audio only: the first measures the mix with `loudnorm`, the second (inside
the mux) applies the measured values in linear mode, so the whole track lands on the target
instead of being pumped by the dynamic mode.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from dubbing.errors import ToolError
from dubbing.media.tools import Beat, require, run_tool

MIX_RATE = 48000
TARGET_LUFS = -16.0
TRUE_PEAK = -1.5
# A wide range keeps loudnorm in linear mode: one gain for the whole track, no pumping.
LOUDNESS_RANGE = 50.0
# The dub keys a compressor on the original: about -15 dB under speech, back up in ~0.3 s.
DUCK = "sidechaincompress=threshold=0.015:ratio=12:attack=15:release=300:knee=4"
MIX_LABEL = "[mix]"


@dataclass(frozen=True)
class Loudness:
    """What the first `loudnorm` pass measured."""

    integrated: float
    true_peak: float
    lra: float
    threshold: float
    offset: float


def mix_graph(measured: Loudness | None, lufs: float = TARGET_LUFS) -> str:
    """Input 0 is the source, input 1 the dub track; the result is labelled [mix]."""
    norm = f"loudnorm=I={lufs}:TP={TRUE_PEAK}:LRA={LOUDNESS_RANGE}"
    if measured is None:
        norm += ":print_format=json"
    else:
        norm += (f":measured_I={measured.integrated}:measured_TP={measured.true_peak}"
                 f":measured_LRA={measured.lra}:measured_thresh={measured.threshold}"
                 f":offset={measured.offset}:linear=true")
    stereo = f"aresample={MIX_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
    return (f"[0:a:0]{stereo}[orig];"
            f"[1:a:0]{stereo},asplit=2[dub][key];"
            f"[orig][key]{DUCK}[bed];"
            f"[bed][dub]amix=inputs=2:duration=first:normalize=0,{norm},"
            f"{stereo}{MIX_LABEL}")


def measure(source: Path, dub: Path, lufs: float = TARGET_LUFS,
            beat: Beat | None = None) -> Loudness:
    """First pass: decode the source's audio and the dub, mix, and measure the loudness."""
    args = [require("ffmpeg", "ffmpeg"), "-nostdin", "-hide_banner", "-v", "info",
            "-i", str(source), "-i", str(dub), "-filter_complex", mix_graph(None, lufs),
            "-map", MIX_LABEL, "-vn", "-f", "null", "-"]
    stderr = run_tool(args, what="ffmpeg loudness", timeout=6 * 3600, beat=beat).stderr
    return parse_loudnorm(stderr)


def parse_loudnorm(stderr: str) -> Loudness:
    found = re.findall(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr)
    if not found:
        raise ToolError("ffmpeg loudnorm printed no measurement")
    data = json.loads(found[-1])

    def number(name: str) -> float:
        # Silence measures as -inf (and an infinite offset); loudnorm accepts its own bounds.
        return min(max(float(data[name]), -99.0), 99.0)

    return Loudness(integrated=number("input_i"), true_peak=number("input_tp"),
                    lra=max(0.0, number("input_lra")), threshold=number("input_thresh"),
                    offset=number("target_offset"))
