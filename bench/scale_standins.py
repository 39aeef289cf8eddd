"""Stand-in engines for the scale simulation (`bench/scale.py`): activities registered under the
registry's names and types that take the real engines' time by sleeping (asyncio.sleep, no CPU)
and write nothing; what the workflow reads back (keys, line counts, windows, the fit summary)
is a valid model.

How long each one sleeps: media seconds x real-time factor x the time scale. The factors are
BENCHMARKS.md's "Where the time goes" (the plain script on 300 s of speech, median of 3, on
this 2-core machine, tiny.en / Apertium / espeak-ng):

    transcription 13.2 s -> 0.0440      render (mix, loudness, mux) 8.6 s -> 0.0287
    fit 2.9 s -> 0.0097                 synthesis 0.5 s -> 0.0017       translation 0.4 s -> 0.0013

"The rest under 0.5 s" is split here, by assumption: extraction 0.3 s, and probe, plan and
cleanup 0.05 s each (0.45 s in all). The speakers (`--speakers auto`, the default): embedding
0.21 s per audio minute (1.05 s), clustering 0.02 s (BENCHMARKS.md "Several speakers").
Transcription, embedding and synthesis run on the GPU queue, the rest on the CPU queue. Lines:
49 segments in 300 s, one every 6.1 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from temporalio import activity

from dubbing import keys
from dubbing.contract import OUTPUT_KINDS, FitSummary, OutputSet
from dubbing.stages import MediaInfo, SpeakersOutput, TranscribeOutput, Window
from workflows import registry as r

MEASURED_SECONDS = 300.0
STAGE_SECONDS = {  # seconds for MEASURED_SECONDS of media, from BENCHMARKS.md
    "probe_media": 0.05, "extract_audio": 0.3, "plan_windows": 0.05,
    "transcribe_window": 13.2, "translate_segments": 0.4, "synthesize_segments": 0.5,
    "fit_segments": 2.9, "measure_window": 2.4, "render_outputs": 6.2, "cleanup_job": 0.05,
    "embed_speakers": 1.05, "cluster_speakers": 0.02,
}
RTF = {name: seconds / MEASURED_SECONDS for name, seconds in STAGE_SECONDS.items()}
GPU_STAGES = ("transcribe_window", "embed_speakers")  # espeak-ng is voiced on the CPU worker
SECONDS_PER_LINE = MEASURED_SECONDS / 49


@dataclass(frozen=True)
class Timing:
    """The simulated job: its media length, window length and the time scale."""

    scale: float
    media: float
    window: float

    def windows(self) -> int:
        return windows_of(self.media, self.window)

    def sleep(self, name: str, media_seconds: float) -> float:
        return stage_sleep(name, media_seconds, self.scale)


def stage_sleep(name: str, media_seconds: float, scale: float) -> float:
    """How long the stand-in of activity `name` sleeps for `media_seconds` of media."""
    return RTF[name] * media_seconds * scale


def windows_of(media: float, window: float) -> int:
    return max(1, round(media / window))


def gpu_seconds_per_job(timing: Timing) -> float:
    """The GPU queue's work for one job (all windows), in scaled seconds."""
    return sum(timing.sleep(name, timing.media) for name in GPU_STAGES)


def split(duration: float, count: int) -> list[Window]:
    edge = duration / count
    return [Window(index=i, start=round(i * edge, 3), end=round((i + 1) * edge, 3))
            for i in range(count)]


def lines_in(seconds: float) -> int:
    return max(1, round(seconds / SECONDS_PER_LINE))


def _standin(ref: r.Activity[Any, Any], timing: Timing, media: Callable[[Any], float],
             result: Callable[[Any], Any]) -> Callable[..., Any]:
    """An activity named and typed as `ref` that sleeps for `media(inp)` seconds' worth."""

    async def standin(inp: Any) -> Any:
        await asyncio.sleep(timing.sleep(ref.name, media(inp)))
        return result(inp)

    standin.__annotations__ = {"inp": ref.input_type, "return": ref.result_type}
    standin.__name__ = standin.__qualname__ = ref.name
    return activity.defn(name=ref.name)(standin)


def _length(inp: Any) -> float:
    return float(inp.window.end - inp.window.start)


def _render(inp: Any) -> OutputSet:
    lines = lines_in(inp.media.duration)
    return OutputSet(target_lang=inp.target_lang, summary=FitSummary(segments=lines, cues=lines),
                     keys={kind: keys.output_key(inp.job_id, kind, inp.source_lang,
                                                 inp.target_lang, run=inp.run_id)
                           for kind in OUTPUT_KINDS})


def cpu_activities(t: Timing) -> list[Callable[..., Any]]:
    window = t.media / t.windows()
    info = MediaInfo(duration=t.media, has_video=True, video_codec="h264", audio_codec="aac",
                     sample_rate=48000, channels=2)
    return [
        _standin(r.probe_media, t, lambda _: t.media, lambda _: info),
        _standin(r.extract_audio, t, lambda i: i.media.duration,
                 lambda i: keys.audio_key(i.job_id, run=i.run_id)),
        _standin(r.plan_windows, t, lambda i: i.duration,
                 lambda i: split(i.duration, windows_of(i.duration, i.window_seconds))),
        _standin(r.translate_segments, t, lambda _: window,
                 lambda i: keys.texts_key(i.job_id, i.window_index, i.target_lang,
                                          run=i.run_id)),
        _synthesis(t),
        _standin(r.fit_segments, t, _length,
                 lambda i: keys.fit_key(i.job_id, i.window.index, i.target_lang, run=i.run_id)),
        _standin(r.measure_window, t, _length,
                 lambda i: keys.energy_key(i.job_id, i.window.index, i.target_lang,
                                           run=i.run_id)),
        _standin(r.render_outputs, t, lambda i: i.media.duration, _render),
        _standin(r.cleanup_job, t, lambda _: t.media, lambda _: 0),
        _standin(r.cluster_speakers, t, lambda _: t.media, lambda i: SpeakersOutput(
            speakers_key=keys.speakers_key(i.job_id, run=i.run_id), count=1)),
    ]


def gpu_activities(t: Timing) -> list[Callable[..., Any]]:
    return [
        _standin(r.transcribe_window, t, _length, lambda i: TranscribeOutput(
            segments_key=keys.segments_key(i.job_id, i.window.index, run=i.run_id),
            count=lines_in(_length(i)), decoded_seconds=_length(i))),
        _standin(r.embed_speakers, t, _length,
                 lambda i: keys.embeddings_key(i.job_id, i.window.index, run=i.run_id)),
        _synthesis(t),  # for voices that need a model; the jobs here are voiced on the CPU
    ]


def _synthesis(t: Timing) -> Callable[..., Any]:
    return _standin(r.synthesize_segments, t, lambda i: i.window_seconds,
                    lambda i: keys.clips_key(i.job_id, i.window_index, i.target_lang,
                                             run=i.run_id))
