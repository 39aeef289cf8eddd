"""Fitting a window with real clips and ffmpeg: trim keeps every line in its slot, shift pushes
the following lines and catches up in the next silence."""

from __future__ import annotations

import wave
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from dubbing import keys
from dubbing.stages import Clip, FitInput, FitRecord, Window
from dubbing.steps.fitting import fit_window
from dubbing.storage import LocalStore

JOB = "job-fit"
# (start, end, synthesized seconds): line 0 is far too long for its 2 s slot; line 1 follows at
# once; line 2 comes after a long silence; line 3 is the window's last line, also too long.
LINES = [(0.0, 1.8, 4.0), (2.0, 3.0, 1.0), (8.0, 9.0, 1.0), (10.0, 11.0, 6.0)]
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


def test_trim_keeps_every_line_inside_its_slot(tmp_path: Path) -> None:
    records = fit(tmp_path, "trim")
    for r in records:
        assert r.placed_from == r.start
        assert r.placed_from + r.placed_seconds <= r.slot_end + 1e-3
        assert r.speed <= 1.3
    assert records[0].step == "overflow" and records[0].overflow_seconds > 0


def test_shift_pushes_the_next_line_and_catches_up_in_the_silence(tmp_path: Path) -> None:
    first, second, third, last = fit(tmp_path, "shift")
    assert first.step == "overflow" and first.speed == pytest.approx(1.3)
    assert first.placed_seconds == pytest.approx(4.0 / 1.3, abs=0.01), "runs on, not trimmed"
    assert second.placed_from == pytest.approx(first.placed_from + first.placed_seconds)
    assert second.placed_from > second.start, "pushed later"
    assert third.placed_from == third.start, "caught up in the silence"
    assert last.placed_from + last.placed_seconds <= WINDOW.end + 1e-3, \
        "the window's last line never runs into the next window"
    placed = [(r.placed_from, r.placed_from + r.placed_seconds) for r in (first, second, third)]
    assert all(a[1] <= b[0] + 1e-3 for a, b in pairwise(placed)), "no overlap"
