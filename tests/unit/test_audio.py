"""Audio: extraction to 16 kHz mono, truncation detection, windows of samples, silences."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from dubbing.errors import BadInputError, ToolError
from dubbing.media.audio import (
    ASR_RATE,
    detect_silences,
    extract_audio,
    parse_silences,
    read_window,
    wav_seconds,
    write_excerpt,
)
from dubbing.media.probe import probe
from dubbing.media.tools import run_tool

LOG = """\
Input #0, wav, from 'audio.wav':
[silencedetect @ 0x55d0c8a3c2c0] silence_start: -0.00133333
[silencedetect @ 0x55d0c8a3c2c0] silence_end: 1.52 | silence_duration: 1.52133
size=N/A time=00:00:05.00 bitrate=N/A speed= 612x
[silencedetect @ 0x55d0c8a3c2c0] silence_start: 3.1
[silencedetect @ 0x55d0c8a3c2c0] silence_end: 3.75 | silence_duration: 0.65
[silencedetect @ 0x55d0c8a3c2c0] silence_start: 4.8
"""


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def test_parse_silences_pairs_starts_with_ends() -> None:
    # The negative start is clamped to 0; a silence still open at the end is dropped.
    assert parse_silences(LOG) == [(0.0, 1.52), (3.1, 3.75)]


def test_parse_silences_of_a_log_without_any() -> None:
    assert parse_silences("size=N/A time=00:00:05.00\n") == []


def test_detect_silences_finds_the_gap(tmp_path: Path) -> None:
    path = tmp_path / "gap.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=d=1", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono:d=1",
           "-f", "lavfi", "-i", "sine=d=1", "-filter_complex", "[0][1][2]concat=n=3:v=0:a=1",
           str(path))
    [(start, end)] = detect_silences(path)
    assert start == pytest.approx(1.0, abs=0.05)
    assert end == pytest.approx(2.0, abs=0.05)


def test_extract_audio_gives_16_khz_mono(tmp_path: Path) -> None:
    source = tmp_path / "in.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=d=2:sample_rate=48000", "-ac", "2", "-c:a", "aac",
           str(source))
    dest = tmp_path / "audio.wav"
    seconds = extract_audio(source, dest, "in.mp4", probe(source, "in.mp4").duration)
    assert seconds == pytest.approx(2.0, abs=0.05)
    with wave.open(str(dest), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (ASR_RATE, 1, 2)
    assert wav_seconds(dest) == seconds


def test_truncated_file_is_bad_input(tmp_path: Path) -> None:
    # A faststart MP4 cut in half still claims its full length in the header.
    full = tmp_path / "full.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=d=10", "-f", "lavfi", "-i",
           "testsrc=size=64x48:rate=10:d=10", "-c:v", "libx264", "-c:a", "aac",
           "-movflags", "+faststart", "-shortest", str(full))
    data = full.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    info = probe(cut, "cut.mp4")
    assert info.duration == pytest.approx(10.0, abs=0.1)
    with pytest.raises(BadInputError, match=r"^cut\.mp4: .*truncated"):
        extract_audio(cut, tmp_path / "audio.wav", "cut.mp4", info.duration)


def test_claimed_duration_longer_than_decoded_is_bad_input(tmp_path: Path) -> None:
    source = tmp_path / "short.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=d=3", str(source))
    with pytest.raises(BadInputError, match=r"says 20\.0 s but only 3\.0 s"):
        extract_audio(source, tmp_path / "audio.wav", "short.wav", probed_duration=20.0)


def test_small_shortfall_is_tolerated(tmp_path: Path) -> None:
    source = tmp_path / "short.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=d=3", str(source))
    assert extract_audio(source, tmp_path / "a.wav", "short.wav", probed_duration=3.4) == 3.0


def write_ramp(path: Path, seconds: float) -> np.ndarray:
    samples = (np.arange(int(seconds * ASR_RATE)) % 20000 - 10000).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(ASR_RATE)
        out.writeframes(samples.tobytes())
    return samples


def test_read_window_returns_exactly_those_samples(tmp_path: Path) -> None:
    samples = write_ramp(tmp_path / "a.wav", 3.0)
    window = read_window(tmp_path / "a.wav", 1.0, 2.5)
    assert window.dtype == np.float32
    assert len(window) == int(1.5 * ASR_RATE)
    np.testing.assert_array_equal(window, samples[16000:40000] / 32768.0)
    assert np.abs(window).max() <= 1.0


def test_read_window_past_the_end_is_short_or_empty(tmp_path: Path) -> None:
    write_ramp(tmp_path / "a.wav", 1.0)
    assert len(read_window(tmp_path / "a.wav", 0.5, 5.0)) == 8000
    assert len(read_window(tmp_path / "a.wav", 2.0, 3.0)) == 0


def test_a_long_tool_run_keeps_beating(tmp_path: Path) -> None:
    beats: list[str] = []
    run_tool(["sleep", "2.5"], what="sleep", beat=beats.append)
    assert len(beats) >= 2 and set(beats) == {"sleep"}


def test_a_beating_run_still_reports_failures_and_output() -> None:
    with pytest.raises(ToolError, match=r"ls failed \(exit 2\)"):
        run_tool(["ls", "/no/such/dir"], what="ls", beat=lambda _: None)
    done = run_tool(["cat"], what="cat", input_text="hello", beat=lambda _: None)
    assert done.stdout == "hello"


def test_write_excerpt_copies_exactly_that_stretch(tmp_path: Path) -> None:
    source = tmp_path / "ramp.wav"
    samples = write_ramp(source, 3.0)
    write_excerpt(source, tmp_path / "part.wav", 1.0, 2.5)
    with wave.open(str(tmp_path / "part.wav"), "rb") as part:
        got = np.frombuffer(part.readframes(part.getnframes()), np.int16)
    assert np.array_equal(got, samples[ASR_RATE: int(2.5 * ASR_RATE)])
