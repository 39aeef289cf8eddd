"""The dub mix: the original audio ducked across each dubbed line's source speech, the dub voice
loudness-normalised on top, peaks limited.

The ducking follows the source speech, not the dub: every dubbed line's speech span (with short
attack and release margins) is lowered by `DUCK_DB`, so the original speaker is never heard
inside a line, even where the dub is shorter than the speaker; music and effects between lines
keep their level. The bed is never amplified. Loudness (EBU R128, `dubbing.media.loudness`):
one pass decodes the ducked bed and the voice; from their K-weighted energies the voice gets
the gain that brings it to the target, and the mix at that gain is lowered by what it is over
(a gain below 1 never lifts the bed); a look-ahead limiter, with its delay compensated, holds
the true peak under the ceiling. The delivered track is measured again, from the file.
"""

from __future__ import annotations

import re
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dubbing.errors import ToolError
from dubbing.media import loudness
from dubbing.media.render import AAC_PRIMING_SECONDS, dub_codec_args
from dubbing.media.tools import Beat, ffmpeg, require, run_piped, stream_tool

MIX_RATE = 48000
TARGET_LUFS = -16.0
TRUE_PEAK = -1.0
# The limiter works on samples; the margin covers peaks between samples and the AAC encoder.
LIMIT_DB = TRUE_PEAK - 1.5
# A quiet voice is lifted by at most this much.
MAX_VOICE_GAIN_DB = 24.0
DUCK_DB = -20.0
ATTACK, ATTACK_LEAD = 0.05, 0.08  # the ramp down ends ATTACK_LEAD - ATTACK before the onset
RELEASE, RELEASE_LAG = 0.2, 0.1  # the ramp up starts RELEASE_LAG after the speech ends
ENVELOPE_RATE = 1000
ENVELOPE_BLOCK = 60 * ENVELOPE_RATE  # samples written at a time
MIX_LABEL = "[mix]"
STEREO = f"aresample={MIX_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
# Mono is played on both speakers at its own level (ffmpeg's default upmix would lower it 3 dB).
MONO_TO_STEREO = f"aresample={MIX_RATE},pan=stereo|c0=c0|c1=c0,aformat=sample_fmts=fltp"
_METER = "ebur128=peak=true:framelog=verbose"  # per-frame lines stay out of the -v info log
FRAME_BYTES = 3 * 4  # a frame of (bed left, bed right, voice) as float32
SILENT_PEAK = -70.0  # the gain passes measure no peak
AAC_PRIMING = round(AAC_PRIMING_SECONDS * MIX_RATE)  # samples


@dataclass(frozen=True)
class Loudness:
    """What a measuring pass found: integrated loudness (LUFS) and true peak (dBTP; -70 from
    the passes that do not measure it)."""

    integrated: float
    true_peak: float


@dataclass(frozen=True)
class Levels:
    """The gains of the final mix, in dB: the voice's, and the whole mix's (never above 0)."""

    voice: float
    master: float = 0.0


def voice_gain(voice: Loudness, lufs: float = TARGET_LUFS) -> float:
    if voice.integrated <= -69.0:
        return 0.0  # no voice at all: nothing to normalise
    return round(min(MAX_VOICE_GAIN_DB, lufs - voice.integrated), 2)


def settle(voice_db: float, mixed: Loudness, lufs: float = TARGET_LUFS) -> Levels:
    """Final gains from the mix measured with `voice_db`: lower the whole mix by what it is
    over; when it is under, lift only the voice."""
    if mixed.integrated <= -69.0:
        return Levels(voice_db)
    over = round(lufs - mixed.integrated, 2)
    if over < 0:
        return Levels(voice_db, over)
    return Levels(round(min(MAX_VOICE_GAIN_DB, voice_db + over), 2))


def write_duck_envelope(dest: Path, duration: float, spans: Iterable[tuple[float, float]],
                        depth_db: float = DUCK_DB) -> None:
    """The original's gain over time as a 1 kHz WAV: 1 outside lines, `depth_db` inside each
    source speech span, with linear ramps (a second longer than the media, so the product
    never ends early). Written a block at a time: an hour's envelope never sits in memory."""
    count = round((duration + 1.0) * ENVELOPE_RATE)
    low = 10 ** (depth_db / 20)
    edges = sorted((start - ATTACK_LEAD, end + RELEASE_LAG + RELEASE, start, end)
                   for start, end in spans)
    with wave.open(str(dest), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(ENVELOPE_RATE)
        for block in range(0, count, ENVELOPE_BLOCK):
            gain = _envelope_block(block, min(count, block + ENVELOPE_BLOCK), edges, low)
            out.writeframes(np.round(gain * 32767).astype(np.int16).tobytes())


def _envelope_block(first: int, last: int, edges: list[tuple[float, float, float, float]],
                    low: float) -> np.ndarray:
    """Samples [first, last) of the envelope: every span whose ramps reach into them."""
    gain = np.ones(last - first, dtype=np.float64)
    for a0, r1, start, end in edges:
        lo, hi = max(first, int(a0 * ENVELOPE_RATE)), min(last, int(r1 * ENVELOPE_RATE) + 1)
        if lo >= hi:
            continue
        seg = np.arange(lo, hi) / ENVELOPE_RATE
        a1, r0 = start - ATTACK_LEAD + ATTACK, end + RELEASE_LAG
        ramp = np.maximum(np.clip((a1 - seg) / ATTACK, 0, 1), np.clip((seg - r0) / RELEASE, 0, 1))
        gain[lo - first:hi - first] = np.minimum(gain[lo - first:hi - first],
                                                 low + (1 - low) * ramp)
    return gain


def mix_graph(levels: Levels, audio_track: int = 0, *, mono: bool = False) -> str:
    """Inputs: 0 the source (`mono`: one channel), 1 the dub voice, 2 the duck envelope; the
    result is [mix]."""
    original = MONO_TO_STEREO if mono else STEREO
    graph = (f"[0:a:{audio_track}]{original}[orig];"
             f"[2:a:0]aresample={MIX_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo[env];"
             f"[orig][env]amultiply[bed];[1:a:0]{MONO_TO_STEREO},volume={levels.voice}dB[dub];"
             f"[bed][dub]amix=inputs=2:duration=first:normalize=0")
    limit = 10 ** (LIMIT_DB / 20)
    return (f"{graph},volume={levels.master}dB,"
            f"alimiter=limit={limit:.4f}:attack=5:release=50:level=false:latency=true,"
            f"{STEREO}{MIX_LABEL}")


def levels_for(source: Path, dub: Path, envelope: Path, *, audio_track: int = 0,
               mono: bool = False, beat: Beat | None = None) -> Levels:
    """The mix's gains from one pass: the voice to the target loudness, then the whole mix
    lowered by what it is over (`settle`), both computed from the K-weighted energies."""
    return levels_of(measure_energy(source, dub, envelope, audio_track=audio_track,
                                    mono=mono, beat=beat))


def levels_of(energy: loudness.MixEnergy) -> Levels:
    """The mix's gains from its K-weighted energies (`settle`)."""
    voice = voice_gain(Loudness(energy.loudness(0.0, bed=False), SILENT_PEAK))
    return settle(voice, Loudness(energy.loudness(voice), SILENT_PEAK))


def measure_energy(source: Path, dub: Path, envelope: Path, *, audio_track: int = 0,
                   mono: bool = False, beat: Beat | None = None,
                   span: tuple[float, float] | None = None) -> loudness.MixEnergy:
    """Decode the source (only `span`, in seconds, when given: the dub and envelope then
    start at its start), duck it as the mix does, and stream (bed left, bed right, voice) at
    48 kHz into the loudness sums."""
    seek = ["-ss", f"{span[0]:.3f}", "-t", f"{span[1] - span[0]:.3f}"] if span else []
    original = MONO_TO_STEREO if mono else STEREO
    graph = (f"[0:a:{audio_track}]{original}[orig];"
             f"[2:a:0]aresample={MIX_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo[env];"
             f"[orig][env]amultiply[bed];"
             f"[1:a:0]aresample={MIX_RATE},aformat=sample_fmts=fltp:channel_layouts=mono[voice];"
             f"[bed][voice]join=inputs=2:channel_layout=3.0:map=0.0-FL|0.1-FR|1.0-FC[both]")
    args = ffmpeg(*seek, "-i", str(source), "-i", str(dub), "-i", str(envelope),
                  "-filter_complex", graph, "-map", "[both]", "-f", "f32le", "pipe:1")
    energy, rest = loudness.MixEnergy(), b""
    for data in stream_tool(args, what="ffmpeg loudness", beat=beat):
        data = rest + data
        whole = len(data) // FRAME_BYTES * FRAME_BYTES
        rest = data[whole:]
        if whole:
            energy.feed(np.frombuffer(data[:whole], np.float32).reshape(-1, 3))
    return energy


def encode_and_measure(source: Path, dub: Path, envelope: Path, dest: Path, levels: Levels,
                       *, audio_track: int = 0, mono: bool = False,
                       beat: Beat | None = None) -> Loudness:
    """Mix and encode the dub track into `dest` (ADTS AAC, for the mux to copy) while a second
    process, on the other core, copies the encoded packets into `dest` and measures them as a
    viewer's player decodes them (integrated loudness and true peak; the encoder's priming,
    which the container's edit list hides, left out)."""
    encode = ffmpeg("-i", str(source), "-i", str(dub), "-i", str(envelope),
                    "-filter_complex", mix_graph(levels, audio_track, mono=mono),
                    "-map", MIX_LABEL, *dub_codec_args(mono), "-f", "adts", "pipe:1")
    meter = [require("ffmpeg", "ffmpeg"), "-hide_banner", "-v", "info", "-y", "-f", "aac",
             "-i", "pipe:0", "-map", "0:a:0", "-c", "copy", "-f", "adts", str(dest),
             "-map", "0:a:0", "-af", f"atrim=start_sample={AAC_PRIMING},{_METER}",
             "-f", "null", "-"]
    return parse_ebur128(run_piped(encode, meter, what="ffmpeg mix and encode",
                                   timeout=6 * 3600, beat=beat))


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
