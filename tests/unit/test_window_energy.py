"""Each fitted window measures its share of the mix; joined, the shares give the loudness one
pass over the whole track gives, so the render need not decode the source again."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dubbing import keys
from dubbing.media import loudness, mix, render
from dubbing.stages import FitRecord, MeasureInput, MediaInfo, RenderInput, Window
from dubbing.steps import measure, no_beat
from dubbing.storage import LocalStore
from tests.helpers import SAMPLE
from tests.unit.test_mix import make_dub

JOB = "energy-job"
DURATION = 29.33  # examples/sample.mp4: real speech, mono AAC
WINDOWS = [Window(index=0, start=0.0, end=14.04), Window(index=1, start=14.04, end=DURATION)]
# (window, source span, where its dub is placed, how long the dub speaks)
LINES = [(0, (0.9, 4.6), 1.0, 3.2), (0, (6.0, 12.8), 6.1, 6.0),
         (1, (15.2, 19.9), 15.3, 4.1), (1, (21.0, 27.5), 21.2, 5.4)]
MEDIA = MediaInfo(duration=DURATION, has_video=True, video_codec="h264", audio_codec="aac",
                  sample_rate=16000, channels=1)


def _record(store: LocalStore, tmp: Path, number: int, line: tuple[Any, ...]) -> FitRecord:
    window, (start, end), placed, speaks = line
    clip = make_dub(tmp / f"clip-{number}.wav", speaks, (0.0, speaks), 0.1 + 0.05 * number)
    key = keys.fitted_key(JOB, window, "es", number)
    store.put_file(key, clip)
    return FitRecord(index=number, start=start, end=end, slot_end=end + 0.5, source_text="a",
                     target_text="b", synthesized_seconds=speaks, speed=1.0,
                     placed_seconds=speaks, overflow_seconds=0.0, fitted_key=key,
                     placed_start=placed)


@pytest.fixture
def fitted(tmp_path: Path) -> tuple[LocalStore, list[list[FitRecord]], list[str]]:
    store = LocalStore(tmp_path / "store")
    records: list[list[FitRecord]] = [[], []]
    for number, line in enumerate(LINES):
        records[line[0]].append(_record(store, tmp_path, number, line))
    fit_keys = [keys.fit_key(JOB, w.index, "es") for w in WINDOWS]
    for key, window_records in zip(fit_keys, records, strict=True):
        store.put_json(key, [r.model_dump() for r in window_records])
    return store, records, fit_keys


def _whole_track(store: LocalStore, tmp: Path, records: list[FitRecord]) -> loudness.MixEnergy:
    """What the render measures without the windows' shares: one pass over everything."""
    dub, envelope = tmp / "dub.wav", tmp / "duck.wav"
    with ExitStack() as stack:
        render.write_dub_track(dub, DURATION, (
            render.Placement(r.placed_from, stack.enter_context(store.open_local(
                r.fitted_key or "", tmp))) for r in sorted(records, key=lambda r: r.start)))
    mix.write_duck_envelope(envelope, DURATION, [(r.start, r.end) for r in records])
    return mix.measure_energy(SAMPLE, dub, envelope, mono=True)


def _render_input(fit_keys: list[str]) -> RenderInput:
    return RenderInput(job_id=JOB, input_key="in", input_name="sample.mp4", source_lang="en",
                       target_lang="es", media=MEDIA, fit_keys=fit_keys, windows=WINDOWS)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    real: Callable[..., loudness.MixEnergy] = mix.measure_energy

    def counted(*args: Any, **kwargs: Any) -> loudness.MixEnergy:
        calls.append(kwargs.get("span"))
        return real(*args, **kwargs)

    monkeypatch.setattr(mix, "measure_energy", counted)
    return calls


def test_the_windows_shares_joined_give_the_whole_tracks_loudness(
        tmp_path: Path, fitted: tuple[LocalStore, list[list[FitRecord]], list[str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    store, records, fit_keys = fitted
    store.put_file("in", SAMPLE)
    whole = _whole_track(store, tmp_path, [r for rs in records for r in rs])
    for window, fit_key in zip(WINDOWS, fit_keys, strict=True):
        measure.measure_window(store, tmp_path, MeasureInput(
            job_id=JOB, window=window, target_lang="es", fit_key=fit_key, input_key="in",
            media=MEDIA), no_beat)
    calls = _counting(monkeypatch)
    joined = measure.joined_energy(store, tmp_path, SAMPLE, _render_input(fit_keys), no_beat)
    assert joined is not None and calls == []  # the stored shares, nothing decoded again
    assert len(joined.sums()[0]) == len(whole.sums()[0]) == int(DURATION * 10)
    for gain in (0.0, 6.0, 12.0):
        assert joined.loudness(gain) == pytest.approx(whole.loudness(gain), abs=0.05)
    assert joined.loudness(0.0, bed=False) == pytest.approx(whole.loudness(0.0, bed=False),
                                                            abs=0.05)
    assert mix.levels_of(joined) == pytest.approx(mix.levels_of(whole), abs=0.06)


def test_a_window_fitted_again_is_measured_again_and_only_it(
        tmp_path: Path, fitted: tuple[LocalStore, list[list[FitRecord]], list[str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    store, records, fit_keys = fitted
    store.put_file("in", SAMPLE)
    for window, fit_key in zip(WINDOWS, fit_keys, strict=True):
        measure.measure_window(store, tmp_path, MeasureInput(
            job_id=JOB, window=window, target_lang="es", fit_key=fit_key, input_key="in",
            media=MEDIA), no_beat)
    louder = [r.model_copy(update={"placed_seconds": r.placed_seconds - 1.0})
              for r in records[1]]  # what a redub of window 1 leaves
    store.put_json(fit_keys[1], [r.model_dump() for r in louder])
    calls = _counting(monkeypatch)
    joined = measure.joined_energy(store, tmp_path, SAMPLE, _render_input(fit_keys), no_beat)
    assert joined is not None
    assert calls == [measure.stretch_of(WINDOWS[1], DURATION)]


def test_a_window_whose_ducking_crosses_its_edge_is_never_joined(
        tmp_path: Path, fitted: tuple[LocalStore, list[list[FitRecord]], list[str]]) -> None:
    store, records, fit_keys = fitted
    late = records[0][-1].model_copy(update={"end": 13.9})  # its release ramp runs past 14.0
    store.put_json(fit_keys[0], [r.model_dump() for r in [*records[0][:-1], late]])
    assert not measure.inside([late], *measure.stretch_of(WINDOWS[0], DURATION), DURATION)
    assert measure.joined_energy(store, tmp_path, SAMPLE, _render_input(fit_keys),
                                 no_beat) is None


def test_ramps_past_the_edges_of_the_media_do_not_count() -> None:
    first = FitRecord(index=0, start=0.02, end=3.0, slot_end=3.0, source_text="a",
                      target_text="b", synthesized_seconds=2.0, speed=1.0, placed_seconds=2.0,
                      overflow_seconds=0.0, fitted_key="k")
    last = first.model_copy(update={"start": 26.0, "end": 29.3})
    assert measure.inside([first], *measure.stretch_of(WINDOWS[0], DURATION), DURATION)
    assert measure.inside([last], *measure.stretch_of(WINDOWS[1], DURATION), DURATION)
    assert not measure.inside([last], *measure.stretch_of(WINDOWS[0], DURATION), DURATION)


def test_stretches_tile_the_media_on_the_100_ms_grid() -> None:
    spans = [measure.stretch_of(w, DURATION) for w in WINDOWS]
    assert spans == [(0.0, 14.0), (14.0, DURATION)]
    stored = json.loads(json.dumps(spans))
    assert stored[0][1] == stored[1][0]


def test_silence_never_leaves_the_k_weighting_in_subnormal_numbers() -> None:
    """A dub voice is mostly silence; filters decaying into subnormal floats made the meter
    several times slower there. The state stays a normal float, and the dither is inaudible."""
    energy = loudness.MixEnergy()
    burst = np.zeros((loudness.RATE * 10, 3))
    burst[:4800] = 0.3 * np.sin(np.arange(4800) / 5.0)[:, None]
    energy.feed(burst)
    state = np.abs(energy._state)
    assert state.min() >= np.finfo(np.float64).tiny, state.min()
    silent = loudness.MixEnergy()
    silent.feed(np.zeros((loudness.RATE * 2, 3)))
    assert silent.loudness(0.0) == loudness.SILENT
