"""Probing and validating input media."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dubbing.errors import BadInputError
from dubbing.media.probe import media_info, probe

AUDIO = {"codec_type": "audio", "codec_name": "aac", "sample_rate": "44100", "channels": 2}
VIDEO = {"codec_type": "video", "codec_name": "h264"}


def make_media(path: Path, *, video: bool, seconds: float = 1.5) -> Path:
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=d={seconds}"]
    if video:
        args += ["-f", "lavfi", "-i", f"testsrc=size=64x48:rate=10:d={seconds}",
                 "-c:v", "libx264", "-shortest"]
    subprocess.run([*args, str(path)], check=True)
    return path


def test_valid_json_gives_media_info() -> None:
    info = media_info({"streams": [VIDEO, AUDIO], "format": {"duration": "12.5"}}, "a.mp4")
    assert info.duration == 12.5
    assert info.has_video and info.video_codec == "h264"
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 44100, 2)


def test_duration_falls_back_to_the_audio_stream() -> None:
    info = media_info({"streams": [{**AUDIO, "duration": "3.25"}], "format": {}}, "a.m4a")
    assert info.duration == 3.25
    assert not info.has_video and info.video_codec is None


def test_cover_art_is_not_video() -> None:
    art = {**VIDEO, "codec_name": "mjpeg", "disposition": {"attached_pic": 1}}
    info = media_info({"streams": [AUDIO, art], "format": {"duration": "60"}}, "song.mp3")
    assert not info.has_video


@pytest.mark.parametrize(("data", "reason"), [
    ({"streams": [VIDEO], "format": {"duration": "5"}}, "no audio stream"),
    ({"streams": [], "format": {}}, "no audio stream"),
    ({"streams": [AUDIO], "format": {"duration": "0"}}, "no duration"),
    ({"streams": [AUDIO], "format": {}}, "no duration"),
    ({"streams": [{**AUDIO, "sample_rate": "8"}], "format": {"duration": "5"}}, "sample rate"),
    ({"streams": [{**AUDIO, "sample_rate": "0"}], "format": {"duration": "5"}}, "sample rate"),
    ({"streams": [{**AUDIO, "sample_rate": "1000000"}], "format": {"duration": "5"}},
     "sample rate"),
])
def test_unusable_media_is_bad_input_naming_the_file(data: dict, reason: str) -> None:
    with pytest.raises(BadInputError) as caught:
        media_info(data, "holiday.mov")
    assert caught.value.message.startswith("holiday.mov: ")
    assert reason in caught.value.message
    assert caught.value.retryable is False


def test_empty_file_is_bad_input(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(BadInputError, match=r"^clip\.mp4: the file is empty"):
        probe(empty, "clip.mp4")


@pytest.mark.parametrize("suffix", [".mp4", ".txt", ""])
def test_text_file_is_bad_input(tmp_path: Path, suffix: str) -> None:
    text = tmp_path / f"notes{suffix}"
    text.write_text("these are my notes, not a video\n" * 20)
    with pytest.raises(BadInputError, match=r"^notes\.mp4: "):
        probe(text, "notes.mp4")


def test_probe_real_video(tmp_path: Path) -> None:
    info = probe(make_media(tmp_path / "v.mp4", video=True), "v.mp4")
    assert info.has_video and info.video_codec == "h264"
    assert info.duration == pytest.approx(1.5, abs=0.1)
    assert info.sample_rate == 44100


def test_probe_real_audio_only(tmp_path: Path) -> None:
    info = probe(make_media(tmp_path / "a.wav", video=False, seconds=2.0), "a.wav")
    assert not info.has_video and info.video_codec is None
    assert info.duration == pytest.approx(2.0, abs=0.01)
    assert info.audio_codec == "pcm_s16le"
