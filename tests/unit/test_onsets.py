"""Where speech is: energy runs of the audio, word times moved onto them, and the difference
between a decoder loop and a sentence really said twice, on real speech and the real model."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from bench.media import CLIPS
from dubbing import onsets
from dubbing.engines import asr
from dubbing.media.audio import read_window
from dubbing.sentences import Word

RATE = 16000


def bursts(spans: list[tuple[float, float]], seconds: float) -> np.ndarray:
    rng = np.random.default_rng(7)
    samples = rng.normal(0, 0.0005, int(seconds * RATE))  # a quiet room
    for start, end in spans:
        a, b = int(start * RATE), int(end * RATE)
        samples[a:b] += rng.normal(0, 0.1, b - a)
    return samples.astype(np.float32)


def test_runs_start_and_end_on_the_speech() -> None:
    runs = onsets.speech_runs(bursts([(0.5, 1.5), (2.3, 4.0)], 5.0), RATE)
    found = [(r.start, r.end) for r in runs]
    assert np.allclose(found, [(0.5, 1.5), (2.3, 4.0)], atol=0.02), found


def test_short_gaps_between_words_do_not_split_a_run() -> None:
    runs = onsets.speech_runs(bursts([(0.5, 1.0), (1.08, 1.6)], 3.0), RATE)
    assert len(runs) == 1


HOP = 0.032  # Silero's frame


def probs_for(spans: list[tuple[float, float]], seconds: float, lag: float) -> np.ndarray:
    """A voice-activity model's scores: speech `lag` seconds late at both edges."""
    t = np.arange(int(seconds / HOP)) * HOP
    inside = np.zeros(len(t), dtype=bool)
    for start, end in spans:
        inside |= (t >= start + lag) & (t < end + lag)
    return np.where(inside, 0.9, 0.05)


def test_model_edges_move_onto_the_energy_edges() -> None:
    spans = [(0.5, 1.5), (2.3, 4.0)]
    runs = onsets.voice_runs(bursts(spans, 5.0), RATE, probs_for(spans, 5.0, 0.12), HOP)
    found = [(r.start, r.end) for r in runs]
    assert np.allclose(found, spans, atol=0.03), found


def test_an_earlier_noise_burst_is_not_taken_for_the_onset() -> None:
    samples = bursts([(0.3, 0.35), (0.5, 1.5)], 3.0)  # a click 150 ms before the speech
    runs = onsets.voice_runs(samples, RATE, probs_for([(0.5, 1.5)], 3.0, 0.1), HOP)
    assert abs(runs[0].start - 0.5) <= 0.03


def test_a_silence_the_model_smooths_over_still_splits_speech() -> None:
    spans = [(0.5, 1.5), (1.65, 3.0)]  # 150 ms of digital silence between two sentences
    samples = bursts(spans, 4.0)
    samples[int(1.5 * RATE):int(1.65 * RATE)] = 0
    probs = probs_for([(0.5, 3.0)], 4.0, 0.0)  # the model scores it all as speech
    runs = onsets.voice_runs(samples, RATE, probs, HOP)
    assert len(runs) == 2 and abs(runs[1].start - 1.65) <= 0.04, runs


def test_words_move_onto_the_speech_they_belong_to() -> None:
    runs = [onsets.Run(1.0, 2.0), onsets.Run(3.0, 4.0)]
    words = [Word(0.6, 1.2, " Early"), Word(1.2, 2.3, " late."), Word(2.1, 3.4, " Across"),
             Word(3.4, 3.9, " end")]
    moved = onsets.align_words(words, runs)
    assert moved[0].start == 1.0, "a first word heard before the speech starts on it"
    assert moved[1].end == 2.0, "a last word ends where the speech ends"
    assert moved[2].start == 3.0, "a word bridging a pause goes to the speech it overlaps most"
    assert moved[3].end == 4.0


def test_a_word_far_from_any_speech_keeps_its_times() -> None:
    runs = [onsets.Run(1.0, 2.0), onsets.Run(5.0, 6.0)]
    words = [Word(1.0, 1.5, " Said"), Word(3.0, 3.4, " softly"), Word(5.0, 5.5, " again")]
    assert onsets.align_words(words, runs)[1] == words[1]


def test_loops_are_told_from_real_repetitions() -> None:
    speech = [onsets.Run(0.0, 3.0), onsets.Run(3.5, 6.5)]
    said = ("I said so.", 3.0)
    assert not asr.is_loop("I said so.", 3.5, 6.5, said, speech, 10.0), "said again: kept"
    assert asr.is_loop("I said so.", 1.0, 3.0, said, speech, 10.0), "overlapping: a loop"
    assert asr.is_loop("I said so.", 7.0, 9.5, said, speech, 10.0), "over silence: a loop"
    assert asr.is_loop("I said so.", 10.5, 11.0, said, speech, 10.0), "past the audio: a loop"
    assert not asr.is_loop("Something else.", 1.0, 3.0, said, speech, 10.0)


@pytest.fixture(scope="module")
def repeated(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, list[float]]:
    """A real sentence said twice in a row (0.5 s apart), then another; and where each
    recording starts."""
    first, other = CLIPS[2], CLIPS[3]
    dest = tmp_path_factory.mktemp("asr") / "repeat.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(first), "-i", str(first), "-i",
         str(other), "-filter_complex",
         "[0:a]apad=pad_dur=0.5[a];[1:a]apad=pad_dur=1.0[b];[a][b][2:a]concat=n=3:v=0:a=1",
         "-ar", str(RATE), "-ac", "1", str(dest)], check=True)
    clip = read_window(first, 0, 1000)
    starts = [0.0, len(clip) / RATE + 0.5, 2 * (len(clip) / RATE + 0.5) + 0.5]
    return read_window(dest, 0, 1000), starts


def lines(audio: np.ndarray) -> list[asr.RecognizedLine]:
    model = asr.load_model("tiny.en")
    return list(asr.transcribe(model, audio, offset=0.0, limit=len(audio) / RATE,
                               language="en", beam_size=5))


def test_a_sentence_said_twice_gives_two_lines(repeated: tuple[np.ndarray, list[float]]) -> None:
    heard = lines(repeated[0])
    assert len(heard) == 3
    assert heard[0].text == heard[1].text
    assert heard[1].start >= heard[0].end


def test_lines_start_within_150_ms_of_the_speech(
        repeated: tuple[np.ndarray, list[float]]) -> None:
    audio, starts = repeated
    truth = []
    for clip, placed in zip((CLIPS[2], CLIPS[2], CLIPS[3]), starts, strict=True):
        samples = read_window(clip, 0, 1000)
        loud = np.flatnonzero(np.abs(samples) > 0.02)  # the recording's first audible sample
        truth.append(placed + loud[0] / RATE)
    for line, onset in zip(lines(audio), truth, strict=True):
        assert abs(line.start - onset) <= 0.15, (line, onset)
