"""The mix's decisions, exactly: the voice gain that brings the dub to -16 LUFS (capped, none
for silence), the final gains from the measured mix, the duck envelope's shape, the graph's
gains and limiter, and the loudness read back from ffmpeg's meter."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dubbing.errors import ToolError
from dubbing.media import mix

SUMMARY = """[Parsed_ebur128_0 @ 0x55d0c0a1b2c0] Summary:

  Integrated loudness:
    I:         {i} LUFS
    Threshold: -26.5 LUFS

  Loudness range:
    LRA:         5.1 LU
    Threshold: -36.6 LUFS
    LRA low:   -19.8 LUFS
    LRA high:  -14.7 LUFS

  True peak:
    Peak:       {peak} dBFS
"""


def summary(i: str, peak: str = "-1.2") -> str:
    return "size=N/A time=00:00:12.00 bitrate=N/A speed= 250x\n" + SUMMARY.format(i=i, peak=peak)


def test_the_voice_is_brought_to_the_target() -> None:
    assert mix.voice_gain(mix.Loudness(-30.0, -10.0)) == 14.0
    assert mix.voice_gain(mix.Loudness(-20.123, -3.0)) == 4.12
    assert mix.voice_gain(mix.Loudness(-12.0, -0.5)) == -4.0, "a loud voice is lowered"
    assert mix.voice_gain(mix.Loudness(-30.0, -10.0), lufs=-23.0) == 7.0


def test_a_quiet_voice_is_lifted_at_most_24_db_and_silence_not_at_all() -> None:
    assert mix.voice_gain(mix.Loudness(-50.0, -20.0)) == 24.0
    assert mix.voice_gain(mix.Loudness(-68.99, -40.0)) == 24.0
    assert mix.voice_gain(mix.Loudness(-69.0, -70.0)) == 0.0
    assert mix.voice_gain(mix.Loudness(-70.0, -70.0)) == 0.0


def test_a_mix_over_the_target_is_lowered_as_a_whole() -> None:
    assert mix.settle(6.0, mix.Loudness(-14.5, -1.0)) == mix.Levels(voice=6.0, master=-1.5)


def test_a_mix_under_the_target_lifts_only_the_voice() -> None:
    assert mix.settle(6.0, mix.Loudness(-18.25, -1.0)) == mix.Levels(voice=8.25, master=0.0)
    assert mix.settle(20.0, mix.Loudness(-30.0, -1.0)) == mix.Levels(voice=24.0, master=0.0)
    assert mix.settle(6.0, mix.Loudness(-16.0, -1.0)) == mix.Levels(voice=6.0, master=0.0)
    assert mix.settle(6.0, mix.Loudness(-18.0, -1.0), lufs=-20.0) == mix.Levels(6.0, -2.0)


def test_the_final_gains_are_kept_to_a_hundredth_of_a_db() -> None:
    assert mix.settle(6.0, mix.Loudness(-14.123, -1.0)) == mix.Levels(voice=6.0, master=-1.88)


def test_a_mix_just_under_the_target_never_lifts_the_bed() -> None:
    assert mix.settle(6.0, mix.Loudness(-16.5, -1.0)) == mix.Levels(voice=6.5, master=0.0)


def test_a_silent_mix_keeps_the_voice_gain() -> None:
    assert mix.settle(6.0, mix.Loudness(-69.0, -70.0)) == mix.Levels(voice=6.0, master=0.0)


def envelope(tmp_path: Path, duration: float, spans: list[tuple[float, float]],
             **kwargs: Any) -> np.ndarray:
    path = tmp_path / "duck.wav"
    mix.write_duck_envelope(path, duration, spans, **kwargs)
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 1000)
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16) / 32767


def test_the_duck_envelope_lowers_each_span_by_20_db_with_short_ramps(tmp_path: Path) -> None:
    gain = envelope(tmp_path, 10.0, [(3.0, 7.0)])
    assert len(gain) == 11000, "a second longer than the media"
    low = 10 ** (-20 / 20)
    at = {t: gain[round(t * 1000)] for t in (1.0, 2.92, 2.945, 2.97, 5.0, 7.1, 7.2, 7.3, 9.0)}
    assert at[1.0] == 1.0 and at[9.0] == 1.0, "untouched between lines"
    assert at[2.92] == 1.0, "the ramp down starts 80 ms before the onset"
    assert at[2.945] == pytest.approx(low + (1 - low) / 2, abs=1e-3)
    assert at[2.97] == pytest.approx(low, abs=1e-4), "down 30 ms before the onset"
    assert at[5.0] == pytest.approx(low, abs=1e-4)
    assert at[7.1] == pytest.approx(low, abs=1e-4), "held 0.1 s after the speech ends"
    assert at[7.2] == pytest.approx(low + (1 - low) / 2, abs=1e-3)
    assert at[7.3] == 1.0, "back up 0.3 s after the speech ends"
    assert gain.min() == pytest.approx(low, abs=1e-4)
    # Both ramps are straight lines, to their last sample.
    t = np.arange(len(gain)) / 1000
    release = (t > 7.1) & (t < 7.3)
    assert gain[release] == pytest.approx(low + (1 - low) * (t[release] - 7.1) / 0.2, abs=1e-4)
    attack = (t > 2.92) & (t < 2.97)
    assert gain[attack] == pytest.approx(low + (1 - low) * (2.97 - t[attack]) / 0.05, abs=1e-4)


def test_the_duck_depth_is_a_parameter_and_spans_at_the_start_work(tmp_path: Path) -> None:
    gain = envelope(tmp_path, 4.0, [(0.0, 1.0), (0.5, 2.0)], depth_db=-6.0)
    low = 10 ** (-6 / 20)
    assert gain[0] == pytest.approx(low, abs=1e-4)
    assert gain[1500] == pytest.approx(low, abs=1e-4), "overlapping spans stay down"
    assert gain[2300] == 1.0 and gain[-1] == 1.0


def test_a_span_past_the_end_is_cut_at_the_envelope_end(tmp_path: Path) -> None:
    gain = envelope(tmp_path, 2.0, [(2.5, 4.0), (9.0, 9.5)])
    assert len(gain) == 3000
    assert gain[2400] == 1.0 and gain[-1] == pytest.approx(10 ** (-20 / 20), abs=1e-4)


def test_the_final_graph_applies_both_gains_then_the_limiter() -> None:
    graph = mix.mix_graph(mix.Levels(voice=3.5, master=-1.25))
    assert graph.startswith("[0:a:0]aresample=48000,aformat=sample_fmts=fltp:"
                            "channel_layouts=stereo[orig];")
    assert ",volume=3.5dB[dub];" in graph
    assert "amix=inputs=2:duration=first:normalize=0,volume=-1.25dB,alimiter=" in graph
    # Peaks held 1.5 dB under the -1 dBTP ceiling, the limiter's delay compensated.
    assert "alimiter=limit=0.7499:attack=5:release=50:level=false:latency=true," in graph
    assert graph.endswith("[mix]") and "ebur128" not in graph


def test_the_meter_summary_is_read() -> None:
    assert mix.parse_ebur128(summary("-16.3", "-1.2")) == mix.Loudness(-16.3, -1.2)
    two = summary("-30.0", "-9.0") + summary("-16.0", "-2.0")
    assert mix.parse_ebur128(two) == mix.Loudness(-16.0, -2.0), "the last summary counts"


@pytest.mark.parametrize(("i", "peak"), [("-inf", "-inf"), ("nan", "nan"), ("-80.0", "-75.5"),
                                         ("inf", "inf")])
def test_silence_reads_as_minus_70(i: str, peak: str) -> None:
    assert mix.parse_ebur128(summary(i, peak)) == mix.Loudness(-70.0, -70.0)


def test_a_missing_peak_reads_as_minus_70() -> None:
    text = summary("-16.3").replace("Peak:", "Level:")
    assert mix.parse_ebur128(text) == mix.Loudness(-16.3, -70.0)


@pytest.mark.parametrize(("text", "message"), [
    ("", "ffmpeg ebur128 printed no measurement"),
    ("size=N/A time=00:00:12.00", "ffmpeg ebur128 printed no measurement"),
    (summary("-16.3").replace("I:", "J:"), "ffmpeg ebur128 printed no integrated loudness"),
])
def test_no_measurement_is_a_tool_error(text: str, message: str) -> None:
    with pytest.raises(ToolError) as failed:
        mix.parse_ebur128(text)
    assert str(failed.value) == message


class Recorder:
    """Stands in for run_piped: records both commands and the heartbeat they were given."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], list[str], Any]] = []
        self.timeouts: list[float | None] = []

    def __call__(self, first: list[str], second: list[str], *, what: str,
                 timeout: float | None = None, beat: Any = None) -> str:
        self.calls.append((list(first), list(second), beat))
        self.timeouts.append(timeout)
        return summary("-18.5", "-3.25")


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    monkeypatch.setattr(mix, "run_piped", rec)
    return rec


def beat(_: object = None) -> None:
    """A heartbeat callback."""


def test_the_encoded_track_is_measured_as_it_is_written(recorder: Recorder) -> None:
    heard = mix.encode_and_measure(Path("in.mp4"), Path("dub.wav"), Path("duck.wav"),
                                   Path("dub.aac"), mix.Levels(-3.0), mono=True, beat=beat)
    assert heard == mix.Loudness(-18.5, -3.25)
    encode, meter, given = recorder.calls[0]
    assert given is beat, "a long measurement keeps heartbeating"
    # ...so a hung ffmpeg must still end: after 6 hours.
    assert recorder.timeouts == [6 * 3600]
    assert encode[-2:] == ["adts", "pipe:1"] and "-aac_ms" in encode  # mono: equal channels
    assert meter[meter.index("-i") + 1] == "pipe:0"
    assert meter[meter.index("-c") + 1: meter.index("-c") + 5] == ["copy", "-f", "adts",
                                                                   "dub.aac"]
    assert meter[meter.index("-af") + 1] == \
        "atrim=start_sample=1024,ebur128=peak=true:framelog=verbose"


def test_the_gain_pass_streams_the_ducked_bed_and_the_voice(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[list[str], object]] = []
    frames = np.zeros((48000, 3), np.float32)
    frames[:, 2] = 0.1  # the voice channel only

    def stream(args: list[str], *, what: str, beat: object = None) -> Iterator[bytes]:
        seen.append((args, beat))
        data = frames.tobytes()
        yield data[:1001]  # chunks that split frames
        yield data[1001:]

    monkeypatch.setattr(mix, "stream_tool", stream)
    energy = mix.measure_energy(Path("in.mp4"), Path("dub.wav"), Path("duck.wav"),
                                audio_track=1, mono=True, beat=beat)
    args, given = seen[0]
    assert given is beat, "a long measurement keeps heartbeating"
    assert [args[i + 1] for i, a in enumerate(args) if a == "-i"] == [
        "in.mp4", "dub.wav", "duck.wav"]
    graph = args[args.index("-filter_complex") + 1]
    assert graph.startswith("[0:a:1]aresample=48000,pan=stereo|c0=c0|c1=c0,"), \
        "the chosen track; a mono original on both speakers at its own level"
    assert "[orig][env]amultiply[bed]" in graph and "map=0.0-FL|0.1-FR|1.0-FC" in graph
    assert args[args.index("-f") + 1] == "f32le"
    # every frame arrived: the voice alone is heard, on both channels, the bed silent
    assert sum(len(v) for v in energy.vv) == 10
    assert energy.loudness(0.0, bed=False) == pytest.approx(energy.loudness(0.0), abs=1e-6)
    assert energy.loudness(0.0, bed=False) > -70.0
    stereo = mix.measure_energy(Path("in.mp4"), Path("dub.wav"), Path("duck.wav"))
    assert seen[1][0][seen[1][0].index("-filter_complex") + 1].startswith(
        f"[0:a:0]{mix.STEREO}[orig]")
    assert stereo.loudness(0.0) == energy.loudness(0.0)
