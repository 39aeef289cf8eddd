"""The dub mix: the original audio ducked under the dub, loudness-normalised (EBU R128).

Two passes over the audio only: the first measures the mix (`ebur128`: integrated loudness and
true peak), the second (inside the mux) applies one gain to the whole track, so it lands on the
target without the pumping of a dynamic normaliser; a fast peak compressor is added only when
that gain would push the peaks past the ceiling. This is what `loudnorm` does in linear mode,
at a third of its cost (it upsamples to 192 kHz in both passes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dubbing.errors import ToolError
from dubbing.media.tools import Beat, require, run_tool

MIX_RATE = 48000
TARGET_LUFS = -16.0
TRUE_PEAK = -1.5
# Silence measures as -70 LUFS; never amplify a quiet mix by more than this.
MAX_GAIN_DB = 30.0
# The dub keys a compressor on the original: about -15 dB under speech, back up in ~0.3 s.
DUCK = "sidechaincompress=threshold=0.015:ratio=12:attack=15:release=300:knee=4"
MIX_LABEL = "[mix]"
STEREO = f"aresample={MIX_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"


@dataclass(frozen=True)
class Loudness:
    """What the measuring pass found: integrated loudness (LUFS) and true peak (dBTP)."""

    integrated: float
    true_peak: float

    def gain(self, lufs: float = TARGET_LUFS) -> float:
        return round(min(MAX_GAIN_DB, lufs - self.integrated), 2)


def mix_graph(measured: Loudness | None, lufs: float = TARGET_LUFS) -> str:
    """Input 0 is the source, input 1 the dub track; the result is labelled [mix].

    Without a measurement the graph ends in the loudness meter (the first pass)."""
    mixed = (f"[0:a:0]{STEREO}[orig];[1:a:0]{STEREO},asplit=2[dub][key];"
             f"[orig][key]{DUCK}[bed];[bed][dub]amix=inputs=2:duration=first:normalize=0")
    if measured is None:
        # framelog=verbose: the per-frame lines stay out of the log we read at -v info.
        return f"{mixed},ebur128=peak=true:framelog=verbose,{STEREO}{MIX_LABEL}"
    gain = measured.gain(lufs)
    level = f",volume={gain}dB"
    if measured.true_peak + gain > TRUE_PEAK:
        ceiling = 10 ** (TRUE_PEAK / 20)
        # A fast compressor above the ceiling: no look-ahead, so the track is not delayed.
        level += f",acompressor=threshold={ceiling:.4f}:ratio=20:attack=0.1:release=50:knee=1"
    return f"{mixed}{level},{STEREO}{MIX_LABEL}"


def measure(source: Path, dub: Path, lufs: float = TARGET_LUFS,
            beat: Beat | None = None) -> Loudness:
    """First pass: decode the source's audio and the dub, mix, and measure the loudness."""
    args = [require("ffmpeg", "ffmpeg"), "-nostdin", "-hide_banner", "-v", "info",
            "-i", str(source), "-i", str(dub), "-filter_complex", mix_graph(None, lufs),
            "-map", MIX_LABEL, "-vn", "-f", "null", "-"]
    stderr = run_tool(args, what="ffmpeg loudness", timeout=6 * 3600, beat=beat).stderr
    return parse_ebur128(stderr)


def parse_ebur128(stderr: str) -> Loudness:
    """Read the meter's summary; silence (-inf, or below its gate) counts as -70 LUFS."""
    if "Summary:" not in stderr:
        raise ToolError("ffmpeg ebur128 printed no measurement")
    summary = stderr[stderr.rindex("Summary:"):]
    integrated = re.search(r"I:\s+(-?[\d.]+|-?inf|nan) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-?inf|nan) dBFS", summary)
    if integrated is None:
        raise ToolError("ffmpeg ebur128 printed no integrated loudness")

    def number(match: re.Match[str] | None, floor: float) -> float:
        if match is None or match.group(1) in ("nan", "-inf", "inf"):
            return floor
        return max(float(match.group(1)), floor)

    return Loudness(integrated=number(integrated, -70.0), true_peak=number(peak, -70.0))
