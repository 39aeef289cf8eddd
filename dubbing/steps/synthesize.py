"""Synthesis of a window's lines, run on the GPU worker.

Checkpointed after every line: a retried attempt resumes at the first line not yet stored.
Each line gets the first step of the fit ladder here: when its natural length differs from its
speaker's span and the engine can, it is synthesized again at a faster or slower speaking rate
(within the job's limits). Clips are stored without the engine's leading and trailing silence,
so a clip placed on a speaker's onset speaks there. In a diarized job each line is voiced
with its speaker's voice (`voices`: `tts.speaker_synthesizer` on the GPU worker, the espeak-ng
only `espeak.speaker_synthesizer` on the CPU worker); a redub keeps the speaker its clip had.
"""

from __future__ import annotations

import contextvars
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from dubbing import keys
from dubbing.engines.espeak import Espeak, Synthesizer, voice_name
from dubbing.engines.reference import pick_reference
from dubbing.errors import DubError, SegmentFailedError
from dubbing.fit import Limits, speaking_rate
from dubbing.media import audio
from dubbing.stages import Clip, Segment, SynthesizeCheckpoint, SynthesizeInput
from dubbing.steps import Beat, Done
from dubbing.steps.diarize import references, window_labels
from dubbing.steps.redub import relabeled, revisions
from dubbing.storage import Store
from dubbing.tracing import tracer

LINE_ATTEMPTS = 3
# espeak-ng runs as a process per line: this many at once (lines are still stored and
# checkpointed in order). Engines that hold a model voice one line at a time.
PROCESSES = 2
T = TypeVar("T")
# (voice, target language, speaker, reference clip) -> the engine for that speaker's lines
Voices = Callable[[str, str, str | None, Path | None], Synthesizer]


def synthesize_window(store: Store, scratch: Path, inp: SynthesizeInput, beat: Beat,
                      checkpoint: SynthesizeCheckpoint | None = None, *,
                      voices: Voices) -> Done:
    """Voice every line; a line that keeps failing is isolated (or fails the job if strict)."""
    texts: list[str] = store.get_json(inp.texts_key)
    segments = [Segment.model_validate(s) for s in store.get_json(inp.segments_key)]
    spans = _spans(segments, len(texts))
    key = keys.clips_key(inp.job_id, inp.window_index, inp.target_lang, run=inp.run_id)
    stored = ([Clip.model_validate(c) for c in store.get_json(key)] if inp.lines is not None
              else [])
    labels = _labels(store, inp, len(texts), stored)
    references = cloning_references(store, scratch, inp, segments, labels)
    engines = {label: voices(inp.voice, inp.target_lang, label, references.get(label))
               for label in dict.fromkeys(labels or [None])}

    def voice(index: int) -> Clip:
        return _voice_line(store, scratch, inp, engines[labels[index]], index, texts[index],
                           spans[index], labels[index])

    if inp.lines is not None:  # a redub: voice only these lines again
        clips = stored
        for index in inp.lines:
            clips[index] = voice(index)
    else:
        clips = list(checkpoint.clips) if checkpoint else []
        clips = [c for c in clips if c.key is None or store.exists(c.key)]
    parallel = PROCESSES if all(e.name == Espeak.name for e in engines.values()) else 1
    for clip in in_order(voice, range(len(clips), len(texts)), parallel):
        clips.append(clip)
        beat(SynthesizeCheckpoint(clips=clips))
    store.put_json(key, [c.model_dump() for c in clips])
    voiced = [c for c in clips if c.key is not None]
    return Done(key, lines=len(voiced), audio_seconds=sum(c.duration for c in voiced))


def in_order(work: Callable[[int], T], items: Iterable[int],
             parallel: int) -> Generator[T, None, None]:
    """`work` over `items` with up to `parallel` at once, results in order; when the caller
    stops early (a cancel), lines not started are dropped and the running ones finished."""
    if parallel <= 1:
        yield from (work(i) for i in items)
        return
    pool = ThreadPoolExecutor(parallel, thread_name_prefix="voice")
    try:
        running: deque[Future[T]] = deque()
        for item in items:
            # each line in the caller's context, so its trace span has the activity's parent
            running.append(pool.submit(contextvars.copy_context().run, work, item))
            if len(running) >= parallel:
                yield running.popleft().result()
        while running:
            yield running.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _labels(store: Store, inp: SynthesizeInput, count: int,
            stored: list[Clip]) -> list[str | None]:
    """Each line's speaker: from the job's labels, else (a redub) the speaker its clip had;
    a line relabeled by a redub has the speaker it was given."""
    found: list[str | None] = [None] * count
    if inp.speakers_key is not None:
        found = list(window_labels(store.get_json(inp.speakers_key), inp.window_index))
    elif stored:
        found = [c.speaker for c in stored]
    found = found if len(found) == count else [None] * count
    history = revisions(store, inp.job_id, inp.window_index, inp.target_lang, inp.run_id)
    return [relabeled(history, line) or label for line, label in enumerate(found)]


def _spans(segments: list[Segment], count: int) -> list[float | None]:
    """Per line the length of its source speech span, the target of its dub."""
    if len(segments) != count:
        return [None] * count
    return [max(0.0, s.end - s.start) for s in segments]


def cloning_references(store: Store, scratch: Path, inp: SynthesizeInput,
                       segments: list[Segment],
                       labels: list[str | None]) -> dict[str | None, Path]:
    """For voices that clone, a clip of each speaker: cut from that speaker's own speech as
    the job's clustering chose it, else (not diarized) from the window's own speech."""
    if inp.voice != "xtts":
        return {}
    own = _speaker_spans(store, inp)
    window = pick_reference(segments)
    spans = {label: own.get(label or "", window) for label in dict.fromkeys(labels or [None])}
    found: dict[str | None, Path] = {}
    with store.open_local(inp.audio_key, scratch) as path:
        for number, (label, span) in enumerate(spans.items()):
            if span is not None:
                found[label] = scratch / f"speaker-{number}.wav"
                audio.write_excerpt(path, found[label], *span)
    return found


def _speaker_spans(store: Store, inp: SynthesizeInput) -> dict[str, tuple[float, float]]:
    """Each speaker's reference span from the job's speakers document (also for a redub,
    which is given no labels but voices a diarized job's lines)."""
    key = inp.speakers_key or keys.speakers_key(inp.job_id, run=inp.run_id)
    return references(store.get_json(key)) if store.exists(key) else {}


def _voice_line(store: Store, scratch: Path, inp: SynthesizeInput, engine: Synthesizer,
                index: int, text: str, span: float | None, speaker: str | None) -> Clip:
    dest = scratch / f"clip-{index:04d}.wav"
    try:
        natural = _synthesize(engine, inp, index, text, dest, 1.0)
        rate = 1.0
        if engine.has_rate and span is not None:
            rate = speaking_rate(natural, span, Limits(inp.max_stretch, inp.min_speed))
        seconds = _synthesize(engine, inp, index, text, dest, rate) if rate != 1.0 else natural
    except Exception as exc:
        if isinstance(exc, DubError) and not exc.retryable:
            raise
        problem = f"{engine.name} failed on line {index + 1} of window {inp.window_index + 1}"
        if inp.strict:
            raise SegmentFailedError(
                f"{problem}: {exc}; run without --strict to keep the original audio there"
            ) from exc
        return Clip(index=index, key=None, duration=0.0, error=f"{problem}: {exc}",
                    speaker=speaker)
    key = keys.clip_key(inp.job_id, inp.window_index, inp.target_lang, index, inp.revision,
                        run=inp.run_id)
    store.put_file(key, dest)
    dest.unlink()
    return Clip(index=index, key=key, duration=round(seconds, 4), rate=rate,
                natural_seconds=round(natural, 4), speaker=speaker,
                voice=voice_name(engine))


def _synthesize(engine: Synthesizer, inp: SynthesizeInput, index: int, text: str,
                dest: Path, rate: float) -> float:
    """Synthesize one line at `rate`, retried in place a few times; return its length."""
    with tracer.start_as_current_span("tts.synthesize", attributes={
            "dub.window": inp.window_index, "dub.segment": index, "dub.engine": engine.name,
            "dub.characters": len(text), "dub.rate": rate}) as span:
        for attempt in Retrying(stop=stop_after_attempt(LINE_ATTEMPTS), reraise=True,
                                retry=retry_if_exception(_worth_retrying),
                                wait=wait_exponential(multiplier=0.5, max=4)):
            with attempt:
                engine.synthesize(text, dest, rate)
        seconds = audio.trim_silence(dest)
        span.set_attribute("dub.audio_seconds", round(seconds, 3))
        return seconds


def _worth_retrying(exc: BaseException) -> bool:
    return not (isinstance(exc, DubError) and not exc.retryable)
