"""Fitting a window with real clips and ffmpeg, judged on the fitted audio itself: each line
lands on its speaker's span (stretched or slowed as decided), trim keeps it before the next
line, shift pushes the following lines and catches up in the next silence."""

from __future__ import annotations

import wave
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from dubbing import keys
from dubbing.stages import Clip, FitInput, FitRecord, Window
from dubbing.steps.fit import fit_window
from dubbing.storage import LocalStore

JOB = "job-fit"
# (start, end, synthesized seconds): line 0 is far too long for its 2 s slot; line 1 follows at
# once; line 2 comes after a long silence and is a little long for its span (stretched); line 3
# is the window's last line, also too long; line 4 is short for its span (slowed).
LINES = [(0.0, 1.8, 4.0), (2.0, 3.0, 1.0), (6.0, 7.0, 1.2), (8.0, 9.0, 3.0), (10.0, 11.5, 1.2)]
WINDOW = Window(index=0, start=0.0, end=12.0)


def tone(path: Path, seconds: float, rate: int = 22050) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16).tobytes())
    return path


def fit(tmp_path: Path, overflow: str) -> list[FitRecord]:
    store = LocalStore(tmp_path / overflow / "store")
    scratch = tmp_path / overflow / "scratch"
    scratch.mkdir(parents=True)
    store.put_json(keys.segments_key(JOB, 0), [
        {"index": i, "start": s, "end": e, "text": f"line {i}"}
        for i, (s, e, _) in enumerate(LINES)])
    store.put_json(keys.texts_key(JOB, 0, "es"), [f"linea {i}" for i in range(len(LINES))])
    clips = []
    for i, (_, _, seconds) in enumerate(LINES):
        key = keys.clip_key(JOB, 0, "es", i)
        store.put_file(key, tone(scratch / f"c{i}.wav", seconds))
        clips.append(Clip(index=i, key=key, duration=seconds).model_dump())
    store.put_json(keys.clips_key(JOB, 0, "es"), clips)
    inp = FitInput(job_id=JOB, window=WINDOW, target_lang="es",
                   segments_key=keys.segments_key(JOB, 0), texts_key=keys.texts_key(JOB, 0, "es"),
                   clips_key=keys.clips_key(JOB, 0, "es"), max_stretch=1.3, overflow=overflow)
    done = fit_window(store, scratch, inp, lambda _: None)
    return [FitRecord.model_validate(r) for r in store.get_json(done.key)]


def fitted_seconds(tmp_path: Path, overflow: str, record: FitRecord) -> float:
    assert record.fitted_key is not None
    path = tmp_path / overflow / "store" / record.fitted_key
    with wave.open(str(path), "rb") as clip:
        return clip.getnframes() / clip.getframerate()


def test_trim_keeps_every_line_inside_its_slot(tmp_path: Path) -> None:
    records = fit(tmp_path, "trim")
    for r in records:
        assert r.placed_from == r.start
        assert r.placed_from + fitted_seconds(tmp_path, "trim", r) <= r.slot_end + 0.01
        assert 0.85 - 1e-6 <= r.speed <= 1.3
    assert records[0].step == "overflow" and records[0].trimmed_seconds > 0


def test_the_fitted_audio_has_the_decided_length(tmp_path: Path) -> None:
    first, _, stretched, _, slowed = fit(tmp_path, "trim")
    assert first.placed_seconds == pytest.approx(2.0) and first.overflow_seconds > 0
    assert fitted_seconds(tmp_path, "trim", first) == pytest.approx(2.0, abs=0.01), \
        "cut where the next line starts"
    assert stretched.step == "stretch" and stretched.tempo == pytest.approx(1.2)
    assert fitted_seconds(tmp_path, "trim", stretched) == pytest.approx(1.0, abs=0.01), \
        "stretched onto its 1 s span"
    assert slowed.step == "slower" and slowed.tempo == pytest.approx(0.85 / 1.0, abs=1e-3)
    assert fitted_seconds(tmp_path, "trim", slowed) == pytest.approx(1.2 / 0.85, abs=0.01), \
        "slowed to the floor, the rest of the span uncovered"


def test_shift_pushes_the_next_line_and_catches_up_in_the_silence(tmp_path: Path) -> None:
    first, second, third, fourth, last = fit(tmp_path, "shift")
    assert first.step == "overflow" and first.speed == pytest.approx(1.3)
    assert fitted_seconds(tmp_path, "shift", first) == pytest.approx(4.0 / 1.3, abs=0.01), \
        "runs on, not trimmed"
    assert second.placed_from == pytest.approx(first.placed_from + first.placed_seconds)
    assert second.placed_from > second.start, "pushed later"
    assert third.placed_from == third.start, "caught up in the silence"
    assert last.placed_from == pytest.approx(fourth.placed_from + fourth.placed_seconds)
    assert last.placed_from + fitted_seconds(tmp_path, "shift", last) <= WINDOW.end + 0.01, \
        "the window's last line never runs into the next window"
    placed = [(r.placed_from, r.placed_from + fitted_seconds(tmp_path, "shift", r))
              for r in (first, second, third, fourth, last)]
    assert all(a[1] <= b[0] + 0.01 for a, b in pairwise(placed)), "no overlap"
