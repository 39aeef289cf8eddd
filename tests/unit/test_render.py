"""Rendering: ffmpeg argument lists for fitting and muxing, and the dub track itself."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from dubbing.fit import FitDecision, Step
from dubbing.media.mix import (
    Levels,
    encode_and_measure,
    mix_graph,
    parse_ebur128,
    write_duck_envelope,
)
from dubbing.media.render import (
    DUB_RATE,
    FitJob,
    Placement,
    fit_clips_args,
    mux_args,
    write_dub_track,
)
from dubbing.media.tools import run_tool
from tests.helpers import decode_track


def write_clip(path: Path, samples: np.ndarray, rate: int = DUB_RATE) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype(np.int16).tobytes())
    return path


def read_track(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        return wav.getframerate(), np.frombuffer(wav.readframes(wav.getnframes()), np.int16)


def stretch(tempo: float, placed: float, over: float) -> FitDecision:
    return FitDecision(Step.STRETCH, 1.0, tempo, placed, over, over > 0)


def af(args: list[str]) -> str:
    return args[args.index("-af") + 1]


def ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                          "-show_streams", str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def fit_clip_args(source: Path, dest: Path, decision: FitDecision) -> list[str]:
    return fit_clips_args([FitJob(source, dest, decision)])


def test_fit_args_at_normal_speed_only_resample() -> None:
    args = fit_clip_args(Path("in.wav"), Path("out.wav"), stretch(1.0, 1.5, 0.0))
    assert all(isinstance(a, str) for a in args)
    assert af(args) == f"aresample={DUB_RATE}"
    assert args[-1] == "out.wav"
    assert "in.wav" in args


def test_fit_args_speed_up_without_trim() -> None:
    filters = af(fit_clip_args(Path("a.wav"), Path("b.wav"), stretch(1.2, 2.0, 0.0)))
    assert "atempo=1.2000" in filters
    assert "atrim" not in filters and "afade" not in filters


def test_fit_args_trim_with_fade_when_overflowing() -> None:
    filters = af(fit_clip_args(Path("a.wav"), Path("b.wav"), stretch(1.3, 2.0, 0.7)))
    parts = filters.split(",")
    assert parts[0] == "atempo=1.3000"
    assert "atrim=0:2.0000" in parts
    assert any(p.startswith("afade=t=out:st=1.9500") for p in parts)


def test_fit_args_keep_odd_file_names_as_single_arguments(tmp_path: Path) -> None:
    source = tmp_path / "my clip; rm -rf $HOME.wav"
    args = fit_clip_args(source, tmp_path / "o.wav", stretch(1.0, 1.0, 0.0))
    assert str(source) in args


def test_fitted_clip_really_lasts_the_placed_time(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    source = write_clip(tmp_path / "in.wav", rng.integers(-8000, 8000, 3 * 22050), rate=22050)
    decision = stretch(1.3, 2.0, 3.0 / 1.3 - 2.0)
    run_tool(fit_clip_args(source, tmp_path / "out.wav", decision), what="fit")
    rate, samples = read_track(tmp_path / "out.wav")
    assert rate == DUB_RATE
    assert len(samples) / rate == pytest.approx(2.0, abs=0.01)


def test_mux_copies_h264_and_tags_languages() -> None:
    args = mux_args(Path("v.mp4"), Path("dub.wav"), Path("o.mp4"), target_lang="es",
                    source_lang="en", video_codec="h264", audio_codec="aac")
    joined = " ".join(args)
    assert all(isinstance(a, str) for a in args)
    assert "-c:v copy" in joined
    assert "-map 1:a:0 -map 0:a:0" in joined  # dub first, original second
    assert "-metadata:s:a:0 language=spa" in joined
    assert "-metadata:s:a:1 language=eng" in joined
    assert "-disposition:a:0 default" in joined
    assert "-disposition:a:1 0" in joined
    assert "-c:a:1 copy" in joined


def test_mux_reencodes_what_mp4_cannot_carry() -> None:
    args = mux_args(Path("v.mkv"), Path("d.wav"), Path("o.mp4"), target_lang="ca",
                    source_lang="en", video_codec="prores", audio_codec="pcm_s24le")
    joined = " ".join(args)
    assert "-c:v libx264" in joined
    assert "-c:a:1 aac" in joined
    assert "language=cat" in joined


def test_mux_audio_only_maps_no_video() -> None:
    args = mux_args(Path("a.m4a"), Path("d.wav"), Path("o.mp4"), target_lang="es",
                    source_lang="en", video_codec=None, audio_codec="aac")
    assert "0:v:0" not in args and "-c:v" not in args


def test_mux_output_has_copied_video_and_tagged_tracks(tmp_path: Path) -> None:
    video = tmp_path / "in.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=d=1",
                    "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:d=1", "-c:v", "libx264",
                    "-c:a", "aac", "-shortest", str(video)], check=True)
    dub = write_clip(tmp_path / "dub.wav", np.zeros(DUB_RATE, np.int16))
    out = tmp_path / "out.mp4"
    run_tool(mux_args(video, dub, out, target_lang="es", source_lang="en",
                      video_codec="h264", audio_codec="aac"), what="mux")
    streams = ffprobe(out)["streams"]
    assert [s["codec_type"] for s in streams] == ["video", "audio", "audio"]
    assert streams[0]["codec_name"] == "h264"
    assert [s["tags"]["language"] for s in streams[1:]] == ["spa", "eng"]
    assert [s["disposition"]["default"] for s in streams[1:]] == [1, 0]


def test_dub_track_has_exact_length_and_clips_at_their_start(tmp_path: Path) -> None:
    a = write_clip(tmp_path / "a.wav", np.full(4800, 1000))
    b = write_clip(tmp_path / "b.wav", np.full(2400, -2000))
    duration = 2.00001
    write_dub_track(tmp_path / "dub.wav", duration,
                    [Placement(0.5, a), Placement(1.25, b)])
    rate, track = read_track(tmp_path / "dub.wav")
    assert rate == DUB_RATE
    assert len(track) == round(duration * DUB_RATE)
    assert not track[:24000].any()
    assert (track[24000:28800] == 1000).all()
    assert not track[28800:60000].any()
    assert (track[60000:62400] == -2000).all()
    assert not track[62400:].any()


def test_dub_track_cuts_a_clip_at_the_end_and_skips_clips_past_it(tmp_path: Path) -> None:
    a = write_clip(tmp_path / "a.wav", np.full(DUB_RATE, 500))
    write_dub_track(tmp_path / "dub.wav", 1.0,
                    [Placement(0.75, a), Placement(1.5, a)])
    _, track = read_track(tmp_path / "dub.wav")
    assert len(track) == DUB_RATE
    assert (track[36000:] == 500).all()


def test_overlapping_clip_does_not_overwrite_the_previous_one(tmp_path: Path) -> None:
    a = write_clip(tmp_path / "a.wav", np.full(4800, 7))
    b = write_clip(tmp_path / "b.wav", np.full(4800, 9))
    write_dub_track(tmp_path / "dub.wav", 1.0, [Placement(0.0, a), Placement(0.05, b)])
    _, track = read_track(tmp_path / "dub.wav")
    assert (track[:4800] == 7).all()
    assert (track[4800:9600] == 9).all()


def test_dub_track_with_no_clips_is_silence(tmp_path: Path) -> None:
    write_dub_track(tmp_path / "dub.wav", 0.5, [])
    _, track = read_track(tmp_path / "dub.wav")
    assert len(track) == 24000 and not track.any()


def test_dub_track_refuses_clips_not_at_48_khz(tmp_path: Path) -> None:
    wrong = write_clip(tmp_path / "w.wav", np.zeros(100), rate=16000)
    with pytest.raises(ValueError, match="48000"):
        write_dub_track(tmp_path / "dub.wav", 1.0, [Placement(0.0, wrong)])


def test_mux_with_a_mix_maps_the_mixed_track_first() -> None:
    args = mux_args(Path("v.mp4"), Path("d.wav"), Path("o.mp4"), target_lang="es",
                    source_lang="en", video_codec="h264", audio_codec="aac",
                    mix=mix_graph(Levels(0.0)), envelope=Path("duck.wav"))
    joined = " ".join(args)
    assert "-i v.mp4 -i d.wav -i duck.wav" in joined
    assert "-map [mix] -map 0:a:0" in joined
    assert "amultiply" in args[args.index("-filter_complex") + 1]


def test_one_ffmpeg_fits_each_clip_as_if_alone(tmp_path: Path) -> None:
    decisions = [stretch(1.0, 1.0, 0.0), stretch(1.25, 0.8, 0.0), stretch(1.3, 0.5, 0.3)]
    sources = []
    for i, seconds in enumerate((1.0, 1.0, 1.2)):
        sources.append(tmp_path / f"clip {i}.wav")
        t = np.arange(int(22050 * seconds)) / 22050
        write_clip(sources[-1], 0.3 * np.sin(2 * np.pi * (220 + 110 * i) * t) * 32767, 22050)
    alone = []
    for i, (source, decision) in enumerate(zip(sources, decisions, strict=True)):
        alone.append(tmp_path / f"alone-{i}.wav")
        subprocess.run(fit_clip_args(source, alone[-1], decision), check=True)
    together = [tmp_path / f"together-{i}.wav" for i in range(3)]
    subprocess.run(fit_clips_args([FitJob(s, d, x) for s, d, x in
                                   zip(sources, together, decisions, strict=True)]), check=True)
    for a, b, decision in zip(alone, together, decisions, strict=True):
        (rate, first), (_, second) = read_track(a), read_track(b)
        assert rate == DUB_RATE
        assert np.array_equal(first, second)
        assert len(first) == pytest.approx(decision.placed_seconds * DUB_RATE, abs=DUB_RATE // 50)


@pytest.mark.parametrize("mono", [True, False])
def test_the_encoded_dub_stays_on_its_frame_and_is_measured_as_delivered(
        tmp_path: Path, mono: bool) -> None:
    """The dub track is encoded beside its meter, then copied into the container: a click
    placed at 1.000 s is heard at 1.000 s (no encoder delay left), and the meter's loudness is
    the delivered track's."""
    video = tmp_path / "in.mp4"
    channels = "mono" if mono else "stereo"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                    f"anullsrc=r=44100:cl={channels}:d=3", "-f", "lavfi", "-i",
                    "testsrc=size=64x48:rate=10:d=3", "-c:v", "libx264", "-c:a", "aac",
                    "-shortest", str(video)], check=True)
    voice = np.zeros(3 * DUB_RATE)
    voice[DUB_RATE: DUB_RATE + 48] = 20000  # a 1-ms click at 1.000 s
    voice[2 * DUB_RATE: int(2.5 * DUB_RATE)] = 3000 * np.sin(np.arange(DUB_RATE // 2) / 7)
    dub = write_clip(tmp_path / "dub.wav", voice)
    envelope = tmp_path / "duck.wav"
    write_duck_envelope(envelope, 3.0, [])
    encoded, out = tmp_path / "dub.aac", tmp_path / "out.mp4"
    heard = encode_and_measure(video, dub, envelope, encoded, Levels(0.0), mono=mono)
    run_tool(mux_args(video, encoded, out, target_lang="es", source_lang="en",
                      video_codec="h264", audio_codec="aac", dub_encoded=True), what="mux")
    track = decode_track(out)
    click = int(np.argmax(np.abs(track[: int(1.5 * 48000)])))
    assert abs(click / 48000 - 1.0) <= 0.001, click / 48000
    assert len(track) == pytest.approx(len(decode_track(video)), abs=1024)  # the source's
    delivered = parse_ebur128(run_tool(
        ["ffmpeg", "-nostdin", "-v", "info", "-i", str(out), "-map", "0:a:0",
         "-af", "ebur128=peak=true", "-f", "null", "-"], what="meter").stderr)
    assert heard.integrated == pytest.approx(delivered.integrated, abs=0.05)
    assert heard.true_peak == pytest.approx(delivered.true_peak, abs=0.1)
