"""A fitted window's share of the mix's loudness, measured as soon as the window is fitted.

The mix's gains need the loudness of the whole dub voice and of the whole mix
(`dubbing.media.loudness`): K-weighted energies per 100 ms. Each window stores its own
stretch of them (`measure_window`, while later windows are still being recognised), so the
render joins them instead of decoding the whole source again. A window's stretch runs from its
start to its end on the 100-ms grid, so stretches join edge to edge into what one pass over
the whole track gives. It is only used when everything the window adds to the mix (its dub
voices and the ducking around its lines) lies inside the stretch, and only for the fitting it
was measured from (a digest of `fit.json`: a redub changes it); otherwise the render measures
that window again, or the whole track.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dubbing import keys
from dubbing.media import loudness, mix, render
from dubbing.stages import FitRecord, MeasureInput, RenderInput, Window
from dubbing.steps import Beat
from dubbing.storage import Store

GRID = loudness.STEP / loudness.RATE  # 0.1 s
Sums = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Stretch:
    """What a window adds to the mix's loudness sums, and the fitting it was measured from."""

    sums: Sums
    digest: str  # of the window's fit.json


def measure_window(store: Store, scratch: Path, inp: MeasureInput, beat: Beat) -> str:
    """Measure the window's stretch of the mix and store it; return its key."""
    with store.open_local(inp.input_key, scratch) as source:
        stretch = _measure(store, scratch, source, inp, _fitting(store, inp.fit_key), beat)
    key = keys.energy_key(inp.job_id, inp.window.index, inp.target_lang, run=inp.run_id)
    _store(store, scratch, key, stretch)
    return key


def joined_energy(store: Store, scratch: Path, source: Path, inp: RenderInput,
                  beat: Beat) -> loudness.MixEnergy | None:
    """The whole mix's sums from the windows' stretches (a stale or missing one measured
    now), or None when a window's stretch cannot be joined (then measure the whole track)."""
    if not inp.windows or len(inp.windows) != len(inp.fit_keys):
        return None
    fittings = [_fitting(store, k) for k in inp.fit_keys]
    duration = inp.media.duration
    if not all(inside(f.records, *stretch_of(w, duration), duration)
               for w, f in zip(inp.windows, fittings, strict=True)):
        return None
    parts = []
    for window, fit_key, fitting in zip(inp.windows, inp.fit_keys, fittings, strict=True):
        key = keys.energy_key(inp.job_id, window.index, inp.target_lang, run=inp.run_id)
        stretch = _load(store, scratch, key)
        if stretch is None or stretch.digest != fitting.digest:
            wanted = MeasureInput(job_id=inp.job_id, run_id=inp.run_id, window=window,
                                  target_lang=inp.target_lang, fit_key=fit_key,
                                  input_key=inp.input_key, media=inp.media)
            stretch = _measure(store, scratch, source, wanted, fitting, beat)
        parts.append(stretch.sums)
    return loudness.MixEnergy.joined(parts)


def stretch_of(window: Window, duration: float) -> tuple[float, float]:
    """The window's span on the 100-ms grid; the last one ends with the media."""
    start = round(window.start / GRID) * GRID
    end = duration if window.end >= duration - GRID / 2 else round(window.end / GRID) * GRID
    return round(start, 3), round(min(end, duration), 3)


def inside(records: list[FitRecord], start: float, end: float, duration: float) -> bool:
    """Whether every dub voice and ducking ramp of `records` lies within [start, end) (or
    past an edge of the media, where the mix has nothing)."""
    low = -math.inf if start <= 0 else start
    high = math.inf if end >= duration else end
    for r in records:
        if r.fitted_key is None:
            continue
        duck = (r.start - mix.ATTACK_LEAD, r.end + mix.RELEASE_LAG + mix.RELEASE)
        voice = (r.placed_from, r.placed_from + r.placed_seconds)
        if min(duck[0], voice[0]) < low or max(duck[1], voice[1]) > high:
            return False
    return True


@dataclass(frozen=True)
class Fitting:
    """A window's fitted lines and the digest of the fit.json they were read from."""

    records: list[FitRecord]
    digest: str


def _fitting(store: Store, fit_key: str) -> Fitting:
    data = store.get_bytes(fit_key)
    return Fitting([FitRecord.model_validate(r) for r in json.loads(data)],
                   hashlib.sha256(data).hexdigest())


def _measure(store: Store, scratch: Path, source: Path, inp: MeasureInput,
             fitting: Fitting, beat: Beat) -> Stretch:
    records = fitting.records
    start, end = stretch_of(inp.window, inp.media.duration)
    number = inp.window.index
    dub, envelope = scratch / f"dub-w{number}.wav", scratch / f"duck-w{number}.wav"
    with ExitStack() as stack:
        render.write_dub_track(dub, end - start, _placements(store, scratch, records, start,
                                                             stack))
    mix.write_duck_envelope(envelope, end - start, [(r.start - start, r.end - start)
                                                    for r in records if r.fitted_key])
    energy = mix.measure_energy(source, dub, envelope, audio_track=inp.media.audio_track,
                                mono=inp.media.channels == 1, beat=beat, span=(start, end))
    dub.unlink()
    envelope.unlink()
    return Stretch(energy.sums(), fitting.digest)


def _placements(store: Store, scratch: Path, records: list[FitRecord], start: float,
                stack: ExitStack) -> Iterator[render.Placement]:
    for record in sorted(records, key=lambda r: r.placed_from):
        if record.fitted_key is not None:
            path = stack.enter_context(store.open_local(record.fitted_key, scratch))
            yield render.Placement(max(0.0, record.placed_from - start), path)


def _store(store: Store, scratch: Path, key: str, stretch: Stretch) -> None:
    path = scratch / "energy.npz"
    meta = json.dumps({"digest": stretch.digest})
    bb, bv, vv = stretch.sums
    with path.open("wb") as out:
        np.savez(out, bb=bb, bv=bv, vv=vv, meta=np.array(meta))
    store.put_file(key, path)
    path.unlink()


def _load(store: Store, scratch: Path, key: str) -> Stretch | None:
    if not store.exists(key):
        return None
    with store.open_local(key, scratch) as path, np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        return Stretch((data["bb"], data["bv"], data["vv"]), str(meta["digest"]))
