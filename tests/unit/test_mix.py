"""The dub mix: the original ducked under the dub, loudness at -16 LUFS, the original untouched."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from dubbing.media import mix
from dubbing.media.render import DUB_RATE, mux_args
from dubbing.media.tools import ffmpeg, run_tool
from tests.helpers import band_level, decode_track, integrated_lufs, stream_md5

BED_HZ, DUB_HZ = 1000.0, 300.0


def make_source(path: Path, seconds: float = 12.0) -> Path:
    """A video whose audio is a steady 1 kHz tone: music that should stay under the dub."""
    run_tool(ffmpeg("-f", "lavfi", "-i", f"sine=f={BED_HZ}:d={seconds}", "-f", "lavfi",
                    "-i", f"testsrc=size=64x48:rate=10:d={seconds}", "-filter:a", "volume=0.3",
                    "-c:v", "libx264", "-c:a", "aac", "-shortest", str(path)), what="source")
    return path


def make_dub(path: Path, seconds: float, speaks: tuple[float, float]) -> Path:
    """A dub track that 'speaks' (a 300 Hz tone) only between two times."""
    t = np.arange(int(seconds * DUB_RATE)) / DUB_RATE
    wave_ = 0.5 * np.sin(2 * np.pi * DUB_HZ * t)
    wave_[(t < speaks[0]) | (t >= speaks[1])] = 0
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(DUB_RATE)
        out.writeframes((wave_ * 32767).astype(np.int16).tobytes())
    return path


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("mix")
    source = make_source(tmp / "in.mp4")
    dub = make_dub(tmp / "dub.wav", 12.0, speaks=(3.0, 7.0))
    out = tmp / "out.mp4"
    loudness = mix.measure(source, dub)
    run_tool(mux_args(source, dub, out, target_lang="es", source_lang="en", video_codec="h264",
                      audio_codec="aac", mix=mix.mix_graph(loudness)), what="mux")
    return source, out


def test_dub_track_is_normalised_to_minus_16_lufs(mixed: tuple[Path, Path]) -> None:
    _, out = mixed
    assert integrated_lufs(out, "0:a:0") == pytest.approx(-16.0, abs=1.0)


def test_original_track_is_bit_identical(mixed: tuple[Path, Path]) -> None:
    source, out = mixed
    assert stream_md5(out, "0:a:1") == stream_md5(source, "0:a:0")


def test_original_is_ducked_while_the_dub_speaks(mixed: tuple[Path, Path]) -> None:
    _, out = mixed
    track = decode_track(out, "0:a:0")
    under = band_level(track, 48000, BED_HZ, 4.0, 6.5)
    alone = band_level(track, 48000, BED_HZ, 8.5, 11.5)
    before = band_level(track, 48000, BED_HZ, 0.5, 2.5)
    assert 20 * np.log10(under / alone) < -10, "the bed must drop by more than 10 dB"
    assert before == pytest.approx(alone, rel=0.2), "outside the dub the bed is unchanged"
    assert band_level(track, 48000, DUB_HZ, 4.0, 6.5) > 3 * under, "the dub is on top"


def test_parse_reads_the_last_summary() -> None:
    stderr = ("[Parsed_ebur128_0] t: 1.0 M: -20.0\n[Parsed_ebur128_0] Summary:\n\n"
              "  Integrated loudness:\n    I:         -23.5 LUFS\n    Threshold: -34.0 LUFS\n\n"
              "  True peak:\n    Peak:       -4.1 dBFS\n")
    measured = mix.parse_ebur128(stderr)
    assert (measured.integrated, measured.true_peak) == (-23.5, -4.1)
    assert measured.gain() == 7.5


def test_silence_is_not_amplified_without_bound() -> None:
    stderr = ("Summary:\n  Integrated loudness:\n    I:         -70.0 LUFS\n"
              "  True peak:\n    Peak:       -inf dBFS\n")
    measured = mix.parse_ebur128(stderr)
    assert measured.integrated == -70.0 and measured.gain() == mix.MAX_GAIN_DB


def test_a_limiter_only_when_the_gain_would_clip() -> None:
    assert "acompressor" not in mix.mix_graph(mix.Loudness(-20.0, -9.0))
    assert "acompressor" in mix.mix_graph(mix.Loudness(-20.0, -3.0))
