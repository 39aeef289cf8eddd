"""The dub mix, judged on the mixed audio: the original is ducked across the whole source
speech span of a dubbed line (even where the dub is shorter), untouched between lines and never
lifted; the dub track lands at -16 LUFS under a -1 dBTP true peak; the original track is copied
bit for bit."""

from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from dubbing.media import mix
from dubbing.media.render import DUB_RATE, mux_args
from dubbing.media.tools import ffmpeg, run_tool
from tests.helpers import band_level, decode_track, integrated_lufs, stream_md5

BED_HZ, DUB_HZ = 1000.0, 300.0
# The source speaker talks 3-7 s; the dub of that line is shorter: it speaks 3-5 s only.
SPAN, DUB_SPEAKS = (3.0, 7.0), (3.0, 5.0)


def make_source(path: Path, seconds: float = 12.0) -> Path:
    """A video whose audio is a steady 1 kHz tone: the original under the dub."""
    run_tool(ffmpeg("-f", "lavfi", "-i", f"sine=f={BED_HZ}:d={seconds}", "-f", "lavfi",
                    "-i", f"testsrc=size=64x48:rate=10:d={seconds}", "-filter:a", "volume=0.05",
                    "-c:v", "libx264", "-c:a", "aac", "-shortest", str(path)), what="source")
    return path


def make_dub(path: Path, seconds: float, speaks: tuple[float, float], level: float) -> Path:
    """A dub track that 'speaks' (a 300 Hz tone with sharp peaks) only between two times."""
    t = np.arange(int(seconds * DUB_RATE)) / DUB_RATE
    phase = 2 * np.pi * DUB_HZ * t
    wave_ = level * (0.7 * np.sin(phase) + 0.3 * np.sin(3 * phase))
    wave_[(t < speaks[0]) | (t >= speaks[1])] = 0
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(DUB_RATE)
        out.writeframes((wave_ * 32767).astype(np.int16).tobytes())
    return path


def render(tmp: Path, dub_level: float) -> tuple[Path, Path]:
    source = make_source(tmp / "in.mp4")
    dub = make_dub(tmp / "dub.wav", 12.0, DUB_SPEAKS, dub_level)
    envelope = tmp / "duck.wav"
    mix.write_duck_envelope(envelope, 12.0, [SPAN])
    levels = mix.levels_for(source, dub, envelope, mono=True)
    out = tmp / "out.mp4"
    run_tool(mux_args(source, dub, out, envelope=envelope, target_lang="es", source_lang="en",
                      video_codec="h264", audio_codec="aac", mix=mix.mix_graph(levels, mono=True)),
             what="mux")
    return source, out


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return render(tmp_path_factory.mktemp("mix"), dub_level=0.02)


def db(ratio: float) -> float:
    return 20 * float(np.log10(ratio))


def true_peak(path: Path) -> float:
    err = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-map", "0:a:0",
         "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True,
        check=True).stderr
    summary = err[err.rindex("Summary:"):]
    return float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))  # type: ignore[union-attr]


def test_a_quiet_dub_is_brought_to_minus_16_lufs(mixed: tuple[Path, Path]) -> None:
    _, out = mixed
    assert integrated_lufs(out, "0:a:0") == pytest.approx(-16.0, abs=1.0)


def test_a_loud_dub_stays_under_the_true_peak_ceiling(tmp_path: Path) -> None:
    _, out = render(tmp_path, dub_level=0.99)
    assert true_peak(out) <= -1.0
    assert integrated_lufs(out, "0:a:0") == pytest.approx(-16.0, abs=1.0)


def test_original_track_is_bit_identical(mixed: tuple[Path, Path]) -> None:
    source, out = mixed
    assert stream_md5(out, "0:a:1") == stream_md5(source, "0:a:0")


def test_the_original_is_ducked_through_the_whole_source_span(mixed: tuple[Path, Path]) -> None:
    source, out = mixed
    track, original = decode_track(out, "0:a:0"), decode_track(source, "0:a:0")
    outside = band_level(original, 48000, BED_HZ, 8.5, 11.5)
    while_dubbed = band_level(track, 48000, BED_HZ, 3.2, 4.8)
    after_the_dub = band_level(track, 48000, BED_HZ, 5.2, 6.8)
    assert db(while_dubbed / outside) < -15, "under the dub the original drops"
    assert db(after_the_dub / outside) < -15, "and stays down while its speaker still talks"
    assert band_level(track, 48000, DUB_HZ, 3.2, 4.8) > 3 * while_dubbed, "the dub is on top"


def test_between_lines_the_original_keeps_its_own_level(mixed: tuple[Path, Path]) -> None:
    source, out = mixed
    track, original = decode_track(out, "0:a:0"), decode_track(source, "0:a:0")
    for start, end in ((0.5, 2.5), (8.5, 11.5)):
        level = db(band_level(track, 48000, BED_HZ, start, end) /
                   band_level(original, 48000, BED_HZ, start, end))
        assert level == pytest.approx(0.0, abs=0.5), "never lifted, never lowered"


def test_the_envelope_ramps_around_the_span(tmp_path: Path) -> None:
    path = tmp_path / "env.wav"
    mix.write_duck_envelope(path, 4.0, [(1.0, 2.0)])
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        gain = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16) / 32767
    assert len(gain) == round(5.0 * rate), "a second longer than the media"
    assert gain[int(0.5 * rate)] == pytest.approx(1.0)
    assert db(gain[int(0.99 * rate)]) == pytest.approx(-20.0, abs=0.1), "down before onset"
    assert db(gain[int(2.05 * rate)]) == pytest.approx(-20.0, abs=0.1), "held past the end"
    assert gain[int(2.5 * rate)] == pytest.approx(1.0, abs=1e-3)


def test_parse_reads_the_last_summary() -> None:
    first = ("[Parsed_ebur128_0] Summary:\n\n  Integrated loudness:\n    I:         -30.0 LUFS\n"
             "  True peak:\n    Peak:       -9.0 dBFS\n")
    last = ("[Parsed_ebur128_1] Summary:\n\n  Integrated loudness:\n    I:         -23.5 LUFS\n"
            "    Threshold: -34.0 LUFS\n\n  True peak:\n    Peak:       -4.1 dBFS\n")
    measured = mix.parse_ebur128("[Parsed_ebur128_0] t: 1.0 M: -20.0\n" + first + last)
    assert (measured.integrated, measured.true_peak) == (-23.5, -4.1)


def test_silence_is_never_amplified() -> None:
    stderr = ("Summary:\n  Integrated loudness:\n    I:         -70.0 LUFS\n"
              "  True peak:\n    Peak:       -inf dBFS\n")
    measured = mix.parse_ebur128(stderr)
    assert measured.integrated == -70.0 and mix.voice_gain(measured) == 0.0
    assert mix.voice_gain(mix.Loudness(-60.0, -40.0)) == 24.0, "a quiet voice: capped lift"


def test_the_mix_is_only_ever_lowered_as_a_whole() -> None:
    assert mix.settle(3.0, mix.Loudness(-14.0, -3.0)) == mix.Levels(3.0, -2.0)
    assert mix.settle(3.0, mix.Loudness(-17.0, -3.0)) == mix.Levels(4.0, 0.0)


def ffmpeg_lufs(*args: str) -> float:
    """ffmpeg's own EBU R128 meter: the integrated loudness of what `args` feed it."""
    err = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", *args, "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    return float(err[err.rindex("Summary:"):].split("I:")[1].split("LUFS")[0])


def test_one_pass_loudness_matches_ffmpegs_meter(tmp_path: Path) -> None:
    """The voice alone and the mix at a voice gain, from the stored energies, read as
    ffmpeg's ebur128 reads the same signals (the two passes they replace)."""
    source = make_source(tmp_path / "in.mp4")
    dub = make_dub(tmp_path / "dub.wav", 12.0, DUB_SPEAKS, 0.05)
    envelope = tmp_path / "duck.wav"
    mix.write_duck_envelope(envelope, 12.0, [SPAN])
    energy = mix.measure_energy(source, dub, envelope, mono=True)
    voice = ffmpeg_lufs("-i", str(dub), "-af", f"{mix.MONO_TO_STEREO},ebur128")
    assert energy.loudness(0.0, bed=False) == pytest.approx(voice, abs=0.15)
    for voice_db in (0.0, 9.5):
        # the mix as the container gets it, before its master gain and limiter
        graph = mix.mix_graph(mix.Levels(voice_db), mono=True).split(",alimiter")[0]
        graph = graph.rsplit(",volume=", 1)[0]
        heard = ffmpeg_lufs("-i", str(source), "-i", str(dub), "-i", str(envelope),
                            "-filter_complex", f"{graph},ebur128[out]", "-map", "[out]")
        assert energy.loudness(voice_db) == pytest.approx(heard, abs=0.15)
        assert energy.loudness(voice_db) > energy.loudness(voice_db - 6.0) + 1.0


def test_the_envelope_is_written_a_block_at_a_time_with_ramps_across_blocks(
        tmp_path: Path) -> None:
    """A span across the edge of a written block ramps as if the envelope were one array."""
    edge = mix.ENVELOPE_BLOCK / mix.ENVELOPE_RATE
    span = (edge + 0.06, edge + 1.0)  # its attack starts in one block and ends in the next
    dest = tmp_path / "duck.wav"
    mix.write_duck_envelope(dest, 2 * edge, [span])
    with wave.open(str(dest), "rb") as env:
        gain = np.frombuffer(env.readframes(env.getnframes()), np.int16) / 32767
    t = np.arange(len(gain)) / mix.ENVELOPE_RATE
    low = 10 ** (mix.DUCK_DB / 20)
    inside = (t >= span[0]) & (t <= span[1])
    assert np.allclose(gain[inside], low, atol=1e-4)
    attack = (t > span[0] - mix.ATTACK_LEAD + 0.005) & (t < span[0] - mix.ATTACK_LEAD
                                                        + mix.ATTACK - 0.005)
    assert attack.any() and np.all(np.diff(gain[attack]) < 0), "one falling ramp"
    assert np.all(gain[t < span[0] - mix.ATTACK_LEAD - 0.002] > 0.999)
