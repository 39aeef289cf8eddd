"""Inputs with several audio tracks: which one is dubbed, extracted and kept as the original.

The media are real: a video whose first audio track is a tone over noise and whose second is
real speech (`bench.media.two_track_video`)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from bench.media import two_track_video
from dubbing.contract import DubJob, FitSummary
from dubbing.errors import BadInputError
from dubbing.media import audio
from dubbing.media.probe import choose_track, probe, stretches
from dubbing.media.render import mux_args
from dubbing.media.tools import run_tool
from dubbing.report import build_report, summary_fields
from dubbing.stages import MediaInfo, RenderInput
from tests.helpers import SAMPLE, band_level, ffprobe, stream_md5

SECONDS = 24.0  # longer than the 20 s measured, so the tracks are measured in stretches


@pytest.fixture(scope="module")
def two_tracks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return two_track_video(tmp_path_factory.mktemp("tracks") / "interview.mp4", SECONDS)


def test_automatic_choice_takes_the_track_with_speech(two_tracks: Path) -> None:
    info = probe(two_tracks, "interview.mp4")
    assert (info.audio_track, info.audio_choice) == (1, "speech")
    # The audio facts are the chosen track's: mono 16 kHz speech, not the stereo 48 kHz tone.
    assert (info.audio_codec, info.channels, info.sample_rate) == ("aac", 1, 16000)
    first, second = info.audio_tracks
    assert (first["index"], first["channels"], first["sample_rate"]) == (0, 2, 48000)
    assert (second["index"], second["channels"], second["language"]) == (1, 1, "eng")
    assert first["speech_seconds"] == 0.0
    assert second["speech_seconds"] >= 10.0
    assert first["measured_seconds"] == second["measured_seconds"] == pytest.approx(20, abs=0.1)


def test_an_asked_track_is_used_and_nothing_is_measured(
        two_tracks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audio, "decode_stretches", _not_measured)
    info = probe(two_tracks, "interview.mp4", audio_track=0)
    assert (info.audio_track, info.audio_choice, info.channels) == (0, "asked", 2)
    assert [t["speech_seconds"] for t in info.audio_tracks] == [None, None]


def test_a_missing_track_is_bad_input_naming_file_track_and_count(two_tracks: Path) -> None:
    with pytest.raises(BadInputError) as caught:
        probe(two_tracks, "interview.mp4", audio_track=2)
    message = caught.value.message
    assert message.startswith("interview.mp4: audio track 2 was asked for")
    assert "2 audio tracks" in message
    assert caught.value.retryable is False


def test_a_single_track_input_is_never_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audio, "decode_stretches", _not_measured)
    info = probe(SAMPLE, "sample.mp4")
    assert (info.audio_track, info.audio_choice) == (0, "only")
    assert info.audio_tracks[0]["speech_seconds"] is None


def _not_measured(*args: object) -> list[np.ndarray]:
    raise AssertionError("the tracks were measured")


@pytest.mark.parametrize(("speech", "measured", "chosen"), [
    ([0.0, 16.5], 20.0, (1, "speech")),
    ([0.0, 0.0, 9.0], 20.0, (2, "speech")),
    ([3.0, 16.5], 20.0, (1, "speech")),  # a little "speech" in music does not win
    ([9.0, 16.5], 20.0, (0, "speech")),  # the first track with speech
    ([1.5, 0.0], 20.0, (0, "first")),  # under 2 s: no track has speech
    ([1.5, 0.0], 6.0, (0, "speech")),  # short media: a fifth of what was measured
    ([0.0, 0.0], 20.0, (0, "first")),
])
def test_choice_rule(speech: list[float], measured: float, chosen: tuple[int, str]) -> None:
    assert choose_track(speech, measured) == chosen


def test_stretches_are_spread_over_long_media() -> None:
    assert stretches(12.0) == [(0.0, 12.0)]
    parts = stretches(400.0)
    assert [round(start) for start, _ in parts] == [48, 148, 248, 348]
    assert sum(seconds for _, seconds in parts) == pytest.approx(20.0)


def test_speech_is_told_from_tone_noise_and_silence() -> None:
    rate = audio.ASR_RATE
    t = np.arange(10 * rate) / rate
    speech, _ = audio.read_pcm(sorted((SAMPLE.parent / "librivox").glob("*.wav"))[0])
    noise = np.random.default_rng(1).standard_normal(len(t)) * 0.1
    assert audio.speech_seconds(speech[: 10 * rate]) >= 6.0
    for other in (0.3 * np.sin(2 * np.pi * 440 * t), noise, np.zeros(len(t))):
        assert audio.speech_seconds(other.astype(np.float32)) == 0.0


@pytest.mark.parametrize(("track", "tone"), [(0, True), (1, False)])
def test_extraction_decodes_the_chosen_track(two_tracks: Path, tmp_path: Path, track: int,
                                             tone: bool) -> None:
    dest = tmp_path / "audio.wav"
    audio.extract_audio(two_tracks, dest, "interview.mp4", SECONDS, track=track)
    samples, rate = audio.read_pcm(dest)
    assert rate == audio.ASR_RATE
    assert (band_level(samples, rate, 220.0, 1.0, 9.0) > 0.02) is tone
    assert (audio.speech_seconds(samples) >= 10.0) is not tone


def test_mux_keeps_the_chosen_track_as_the_original(two_tracks: Path, tmp_path: Path) -> None:
    dub = tmp_path / "dub.wav"
    with wave.open(str(dub), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(bytes(2 * 48000 * int(SECONDS)))
    video = tmp_path / "dub.mp4"
    run_tool(mux_args(two_tracks, dub, video, target_lang="es", source_lang="en",
                      video_codec="h264", audio_codec="aac", original_track=1), what="mux")
    streams = [s for s in ffprobe(video)["streams"] if s["codec_type"] == "audio"]
    assert [s["channels"] for s in streams] == [1, 1]
    assert stream_md5(video, "0:a:1") == stream_md5(two_tracks, "0:a:1")


def test_report_names_the_track_and_why() -> None:
    tracks = [{"index": 0, "codec": "aac", "channels": 2, "sample_rate": 48000,
               "language": None, "speech_seconds": 0.0, "measured_seconds": 20.0},
              {"index": 1, "codec": "aac", "channels": 1, "sample_rate": 16000,
               "language": "eng", "speech_seconds": 16.5, "measured_seconds": 20.0}]
    media = MediaInfo(duration=24.0, has_video=True, video_codec="h264", audio_codec="aac",
                      sample_rate=16000, channels=1, audio_track=1, audio_choice="speech",
                      audio_tracks=tracks)
    inp = RenderInput(job_id="j", input_key="jobs/j/input", input_name="interview.mp4",
                      source_lang="en", target_lang="es", media=media, fit_keys=[])
    report = build_report(inp, [])
    assert report["summary"]["audio_track"] == {"index": 1, "chosen": "speech",
                                                "tracks": tracks}
    assert FitSummary.model_validate(summary_fields(report)).segments == 0


def test_stored_models_from_before_still_validate() -> None:
    old = {"duration": 3.0, "has_video": False, "video_codec": None, "audio_codec": "aac",
           "sample_rate": 44100, "channels": 2}
    info = MediaInfo.model_validate(old)
    assert (info.audio_track, info.audio_choice, info.audio_tracks) == (0, "first", [])
    assert DubJob.model_validate({"input_key": "k", "input_name": "a.mp4"}).audio_track is None


@pytest.mark.parametrize("track", [-1, 32])
def test_a_job_asks_for_a_sane_track(track: int) -> None:
    with pytest.raises(ValidationError, match="audio_track"):
        DubJob(input_key="k", input_name="a.mp4", audio_track=track)
    assert DubJob(input_key="k", input_name="a.mp4", audio_track=3).audio_track == 3
    assert "0-based" in (DubJob.model_fields["audio_track"].description or "")
