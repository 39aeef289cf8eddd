"""The quality benchmark's measurements on signals built to known answers (no service)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.quality import measure
from bench.quality.cues import cue_metrics, parse_cues
from bench.quality.decode import parse_summary
from bench.quality.evaluate import report_metrics
from bench.quality.frames import RATE, speech_spans

LINES = [(1.0, 3.0), (4.0, 6.0), (7.0, 9.0)]
SECONDS = 10.0


def noise(seed: int, level: float = 0.1) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(SECONDS * RATE)) * level).astype(
        np.float32)


def gate(spans: list[tuple[float, float]]) -> np.ndarray:
    t = np.arange(int(SECONDS * RATE)) / RATE
    out = np.zeros_like(t)
    for a, b in spans:
        out[(t >= a) & (t < b)] = 1.0
    return out.astype(np.float32)


# Speech bursts over a quiet background (-46 dBFS), which is never ducked away from the voice.
ORIG = noise(1) * gate(LINES) + noise(2, 0.005)
VOICE = noise(3, 0.15)


CODING = noise(6, 0.1 * 0.06) * gate(LINES)  # re-encoding noise 24 dB under the speech


def dub(voiced: list[tuple[float, float]], ducked: list[tuple[float, float]],
        gain: float = 1.5, duck: float = 0.2, orig: np.ndarray = ORIG) -> np.ndarray:
    """The dub track: the original (ducked where asked) plus the voice, times one gain."""
    level = 1 - (1 - duck) * gate(ducked)
    bed = (orig + CODING) * level
    return gain * (bed + VOICE * gate(voiced))


def speech(an: measure.Analysis) -> np.ndarray:
    return measure.mask_of(LINES, an.frames)


def test_a_full_dub_has_no_leak_and_full_coverage() -> None:
    an = measure.analyse(dub(LINES, LINES), ORIG)
    assert measure.leak(an, speech(an))["leak"] == pytest.approx(0.0, abs=0.02)
    cover = measure.coverage(an, speech(an), LINES)
    assert cover["coverage"] == pytest.approx(1.0, abs=0.02)
    assert measure.silent_lines(an, LINES, LINES) == {"lines_unvoiced": 0, "lines_without_cue": 0}


def test_an_undubbed_unducked_line_leaks_and_its_gain_is_found() -> None:
    an = measure.analyse(dub([LINES[0], LINES[2]], [LINES[0], LINES[2]]), ORIG)
    assert an.gain_db == pytest.approx(20 * np.log10(1.5), abs=0.1)
    assert measure.leak(an, speech(an))["leak"] == pytest.approx(1 / 3, abs=0.02)
    cover = measure.coverage(an, speech(an), LINES)
    assert cover["coverage"] == pytest.approx(2 / 3, abs=0.02)
    assert cover["coverage_line_mean"] == pytest.approx(2 / 3, abs=0.02)
    assert measure.silent_lines(an, LINES, [LINES[0]]) == {
        "lines_unvoiced": 1, "lines_without_cue": 2}


def test_the_ducking_after_the_voice_is_ducked_not_leaked() -> None:
    voiced = [LINES[0], (4.0, 5.5), LINES[2]]  # the ducking lasts to 6.0
    an = measure.analyse(dub(voiced, LINES, duck=0.1), ORIG)
    found = measure.leak(an, speech(an))
    assert found["leak"] == pytest.approx(0.0, abs=0.01)
    assert found["ducked_unvoiced"] == pytest.approx(0.5 / 6, abs=0.01)


def test_ducking_tails_are_never_taken_for_the_tracks_gain() -> None:
    quiet = noise(1) * gate(LINES) + noise(2, 1e-4)  # no background: nothing else to go by
    voiced = [(1.0, 2.5), (4.0, 5.5), (7.0, 8.5)]
    an = measure.analyse(dub(voiced, LINES, duck=0.1, orig=quiet), quiet)
    assert an.gain_db is None
    found = measure.leak(an, speech(an))
    assert found["leak"] == pytest.approx(0.0, abs=0.01)
    assert found["ducked_unvoiced"] == pytest.approx(0.25, abs=0.01)


def test_the_gain_is_a_plateau_or_unknown() -> None:
    ones = np.ones(100)
    assert measure.track_gain(np.full(100, 2.0), ones, ones * -20) == pytest.approx(2.0)
    assert measure.track_gain(np.linspace(0.2, 0.6, 100), ones, ones * -20) is None
    assert measure.track_gain(np.full(100, 2.0), ones * 0.5, ones * -20) is None


def test_onsets_are_measured_against_the_source_speech() -> None:
    voiced = [(1.1, 3.0), (4.4, 6.0), (6.9, 9.0)]  # 0.1 s late, 0.4 s late, 0.1 s early
    an = measure.analyse(dub(voiced, voiced), ORIG)
    offsets = measure.onset_offsets(an, LINES, LINES)
    assert offsets == pytest.approx([0.1, 0.4, -0.1], abs=0.03)
    summary = measure.onset_summary(offsets)
    assert summary["onset_within_150ms"] == pytest.approx(2 / 3, abs=1e-3)
    assert summary["onset_median_abs"] == pytest.approx(0.1, abs=0.03)
    missing = measure.onset_summary(measure.onset_offsets(
        measure.analyse(dub([LINES[0]], [LINES[0]]), ORIG), LINES, LINES))
    assert missing["no_onset"] == 2
    assert missing["onset_within_150ms"] == pytest.approx(1 / 3, abs=1e-3)


def test_a_lagged_dub_track_is_aligned_first() -> None:
    partial = dub([LINES[0], LINES[2]], [LINES[0], LINES[2]])
    mix = np.concatenate((np.zeros(40, np.float32), partial))[: len(ORIG)]
    an = measure.analyse(mix, ORIG)
    assert an.lag_seconds == pytest.approx(40 / RATE)
    assert measure.coverage(an, speech(an), LINES)["coverage"] == pytest.approx(2 / 3, abs=0.02)
    assert measure.leak(an, speech(an))["leak"] == pytest.approx(1 / 3, abs=0.02)


def test_cue_ends_against_the_dub_voice() -> None:
    voiced = [(1.0, 2.5), (4.0, 6.0)]
    an = measure.analyse(dub(voiced, voiced), ORIG)
    cues = [(1.0, 2.7), (4.0, 7.5), (8.0, 8.5)]  # 0.2 s after, 1.5 s after, no voice
    found = measure.cue_ends(an, cues)
    assert found["cue_end_deltas"][:2] == pytest.approx([0.2, 1.5], abs=0.05)
    assert found["cue_end_deltas"][2] is None
    assert found["cue_end_ok"] == pytest.approx(1 / 3, abs=1e-3)
    assert found["cue_end_delta_max"] == pytest.approx(1.5, abs=0.05)
    # One voice run under two cues back to back: the first ends where the second starts.
    split = measure.cue_ends(an, [(4.0, 5.0), (5.0, 6.3)])
    assert split["cue_end_deltas"] == pytest.approx([0.0, 0.3], abs=0.05)
    assert split["cue_end_ok"] == 1.0


def test_speech_spans_merge_short_gaps_and_drop_blips() -> None:
    bursts = [(1.0, 2.0), (2.2, 3.0), (4.0, 5.0), (5.4, 6.0), (8.0, 8.05)]
    spans = speech_spans(noise(4) * gate(bursts) + noise(5, 1e-4))
    assert [x for span in spans for x in span] == pytest.approx([1.0, 3.0, 4.0, 5.0, 5.4, 6.0],
                                                                abs=0.021)


SRT = """1
00:00:00,000 --> 00:00:00,500
Hola

2
00:00:01,000 --> 00:00:03,000
Esta es una frase
de dos líneas

3
00:00:04,000 --> 00:00:12,000
Una línea muy larga que se lee demasiado deprisa para nadie, de verdad, que no
acaba nunca y sigue y sigue y sigue hasta el final de la pantalla sin parar jamás
"""


def test_cue_metrics() -> None:
    found = cue_metrics(parse_cues(SRT))
    assert found["cues"] == 3
    assert found["cue_min_seconds"] == 0.5 and found["cue_max_seconds"] == 8.0
    assert found["cues_short"] == 1 and found["cues_long"] == 1
    assert found["cues_one_word"] == 1
    assert found["max_cue_lines"] == 2
    assert found["max_line_chars"] == len("acaba nunca y sigue y sigue y sigue hasta el final de "
                                          "la pantalla sin parar jamás")
    assert found["cps_ok"] == pytest.approx(2 / 3, abs=1e-3)
    assert found["cps_max"] == pytest.approx(160 / 8, abs=0.5)


def test_report_metrics_tolerate_missing_fields() -> None:
    assert report_metrics(None) == {"max_speed": None, "unknown_words": None}
    assert report_metrics({"summary": {"max_speed": 1.3}, "segments": [{"start": 0}]}) == {
        "max_speed": 1.3, "unknown_words": None}
    listed = {"summary": {}, "segments": [{"unknown_words": ["Dashwood"]},
                                          {"unknown_words": ["prudently", "sposed"]}]}
    assert report_metrics(listed)["unknown_words"] == 3
    assert report_metrics({"summary": {"unknown_words": 4}})["unknown_words"] == 4


def test_loudness_summary_is_parsed() -> None:
    stderr = """[Parsed_ebur128_0 @ 0x1] Summary:

  Integrated loudness:
    I:         -16.1 LUFS
    Threshold: -26.4 LFS

  True peak:
    Peak:       -1.2 dBFS
"""
    assert parse_summary(stderr) == {"lufs": -16.1, "true_peak_dbtp": -1.2}
    assert parse_summary("nothing") == {"lufs": None, "true_peak_dbtp": None}
