"""Render a language's outputs: the dub track and mix, the container, subtitles, report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from dubbing import keys
from dubbing.contract import FitSummary, OutputSet
from dubbing.limits import MAX_REFERENCE_BYTES
from dubbing.media import mix, render
from dubbing.media.subs import SubtitleMode
from dubbing.media.tools import run_tool
from dubbing.report import Delivered, build_report, summary_fields
from dubbing.stages import FitRecord, RenderInput
from dubbing.steps import Beat, measure
from dubbing.storage import Store
from dubbing.subtitles import Cue, Line, layout, to_srt, to_vtt

# How long a cue may stay up after its speech for reading: the dub's cues end with the dub.
SOURCE_HOLD = 0.8
TARGET_HOLD = 0.4


def load_records(store: Store, fit_keys: list[str]) -> list[FitRecord]:
    return [FitRecord.model_validate(r) for k in fit_keys for r in store.get_json(k)]


def render_outputs(store: Store, scratch: Path, inp: RenderInput, beat: Beat) -> OutputSet:
    records = load_records(store, inp.fit_keys)
    out = {kind: keys.output_key(inp.job_id, kind, inp.source_lang, inp.target_lang,
                                  run=inp.run_id)
           for kind in keys.OUTPUT_FILES}
    dub, envelope = scratch / "dub.wav", scratch / "duck.wav"
    with ExitStack() as stack:
        placements = _placements(store, scratch, records, stack)
        render.write_dub_track(dub, inp.media.duration, placements)
    mix.write_duck_envelope(envelope, inp.media.duration,
                            [(r.start, r.end) for r in records if r.fitted_key is not None])
    beat("dub track")
    cues = _write_subtitles(store, scratch, records, out, inp)
    video = scratch / "dub.mp4"
    with store.open_local(inp.input_key, scratch) as source:
        mono, track = inp.media.channels == 1, inp.media.audio_track
        joined = measure.joined_energy(store, scratch, source, inp, beat)
        levels = (mix.levels_of(joined) if joined is not None
                  else _levels(source, dub, envelope, mono, track, beat))
        beat("measured")
        encoded = scratch / "dub.aac"
        heard = mix.encode_and_measure(source, dub, envelope, encoded, levels,
                                       audio_track=track, mono=mono, beat=beat)
        run_tool(render.mux_args(source, encoded, video, target_lang=inp.target_lang,
                                 source_lang=inp.source_lang,
                                 video_codec=inp.media.video_codec,
                                 audio_codec=inp.media.audio_codec, subtitles=cues.files,
                                 original_track=track, dub_encoded=True),
                 what="ffmpeg mux", timeout=6 * 3600, beat=beat)
    beat("muxed")
    store.put_file(out["mp4"], video)
    ref_key = inp.job.reference_key if inp.job else None
    reference = _reference(store, ref_key)
    report = build_report(inp, records, reference, Delivered(heard, cues.target))
    store.put_json(keys.manifest_key(inp.job_id, inp.target_lang, run=inp.run_id),
                   inp.model_dump(mode="json"))
    store.put_bytes(out["report"], json.dumps(report, ensure_ascii=False, indent=2).encode())
    return OutputSet(target_lang=inp.target_lang, keys=out,
                     summary=FitSummary.model_validate(summary_fields(report)))


def _reference(store: Store, key: str | None) -> str | None:
    """The user's reference transcript, unless it is over the limit checked at submit."""
    data = store.get_bytes(key) if key else b""
    return data.decode("utf-8", "replace") if data and len(data) <= MAX_REFERENCE_BYTES else None


def _levels(source: Path, dub: Path, envelope: Path, mono: bool, track: int,
            beat: Beat) -> mix.Levels:
    """Voice to the target loudness, then the whole mix lowered by what it is over, from one
    pass over the whole track (when the windows' own measurements cannot be joined)."""
    return mix.levels_for(source, dub, envelope, audio_track=track, mono=mono, beat=beat)


@dataclass(frozen=True)
class WrittenCues:
    files: render.Subtitles
    target: list[Cue]


def _write_subtitles(store: Store, scratch: Path, records: list[FitRecord],
                     out: dict[str, str], inp: RenderInput) -> WrittenCues:
    """Store both languages' SRT and VTT; keep the SRTs at hand for the container.

    Source cues follow the source speech; target cues follow the dub voice."""
    source_cues = layout([Line(r.start, r.end, r.source_text, speaker=r.speaker)
                          for r in records], SOURCE_HOLD)
    target_cues = layout([_dub_line(r) for r in records], TARGET_HOLD)
    files = render.Subtitles(SubtitleMode(inp.job.subtitles if inp.job else "none"),
                             scratch / "target.srt", scratch / "source.srt")
    files.target_srt.write_text(to_srt(target_cues), encoding="utf-8")
    files.source_srt.write_text(to_srt(source_cues), encoding="utf-8")
    store.put_file(out["source_srt"], files.source_srt)
    store.put_bytes(out["source_vtt"], to_vtt(source_cues).encode())
    store.put_file(out["target_srt"], files.target_srt)
    store.put_bytes(out["target_vtt"], to_vtt(target_cues).encode())
    return WrittenCues(files, target_cues)


def _dub_line(r: FitRecord) -> Line:
    """Where the dub of a line is heard; an isolated line keeps the source speech's times."""
    if r.fitted_key is None or r.placed_seconds <= 0:
        return Line(r.start, r.end, r.target_text, speaker=r.speaker)
    start = r.placed_from
    return Line(start, start + r.placed_seconds, r.target_text,
                [(start + a, start + b) for a, b in r.voice_pauses], r.speaker)


def _placements(store: Store, scratch: Path, records: list[FitRecord],
                stack: ExitStack) -> Iterator[render.Placement]:
    for record in sorted(records, key=lambda r: r.placed_from):
        if record.fitted_key is not None:
            path = stack.enter_context(store.open_local(record.fitted_key, scratch))
            yield render.Placement(record.placed_from, path)
