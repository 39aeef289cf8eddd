"""Transcription, run on the GPU worker: checkpointed after every line and every batch of
chunks, so a retried attempt resumes where the previous one stopped instead of starting over.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dubbing import keys
from dubbing.engines import asr
from dubbing.engines.checks import check_language
from dubbing.media import audio
from dubbing.settings import Settings
from dubbing.stages import Segment, TranscribeCheckpoint, TranscribeInput, TranscribeOutput
from dubbing.steps import Beat
from dubbing.storage import Store
from dubbing.tracing import tracer


def transcribe_window(store: Store, scratch: Path, inp: TranscribeInput, beat: Beat,
                      checkpoint: TranscribeCheckpoint | None = None,
                      settings: Settings | None = None) -> TranscribeOutput:
    """Decode the window a batch of chunks at a time; a retry restarts at the first
    unfinished batch.

    Chunks are cut in silences and each batch (one chunk on a CPU, several on a GPU, where
    decoding them together fills the device) is decoded independently, so a resumed attempt
    produces the same lines as an uninterrupted one while never decoding a finished batch
    again.
    """
    check_language(inp.settings.model, inp.language)
    beat(checkpoint)  # the model load below can take a while on a fresh worker
    model = asr.load_model(inp.settings.model, settings)
    chunks = inp.window.chunk_bounds()
    done = list(checkpoint.segments) if checkpoint else []
    first = checkpoint.chunks_done if checkpoint else 0
    per_call = asr.chunks_per_call(model)
    decoded = 0.0
    with store.open_local(inp.audio_key, scratch) as path:
        for number in range(first, len(chunks), per_call):
            last = min(len(chunks), number + per_call)
            span = (chunks[number][0], chunks[last - 1][1])
            done += _decode(model, path, inp, Batch(number, span), beat, done)
            decoded += span[1] - span[0]
            beat(TranscribeCheckpoint(chunks_done=last, segments=done, position=span[1]))
    key = keys.segments_key(inp.job_id, inp.window.index, run=inp.run_id)
    store.put_json(key, [s.model_dump() for s in done])
    resumed_at = chunks[first][0] if checkpoint and first < len(chunks) else None
    return TranscribeOutput(segments_key=key, count=len(done), resumed_at=resumed_at,
                            decoded_seconds=round(decoded, 3))


@dataclass(frozen=True)
class Batch:
    """Chunks decoded in one call: the first one's number and the span they cover."""

    first: int
    span: tuple[float, float]


def _decode(model: Any, path: Path, inp: TranscribeInput, batch: Batch, beat: Beat,
            done: list[Segment]) -> list[Segment]:
    """Decode one batch, heartbeating after every line (the checkpoint is the batch before)."""
    start, end = batch.span
    fresh: list[Segment] = []
    with tracer.start_as_current_span("asr.transcribe", attributes={
            "dub.window": inp.window.index, "dub.chunk": batch.first,
            "dub.audio_seconds": round(end - start, 3), "dub.model": inp.settings.model}) as span:
        for line in asr.transcribe(model, audio.read_window(path, start, end), offset=start,
                                   limit=end, language=inp.language,
                                   beam_size=inp.settings.beam_size,
                                   max_seconds=inp.settings.max_segment_seconds):
            fresh.append(Segment(index=len(done) + len(fresh), start=line.start, end=line.end,
                                 text=line.text))
            beat(TranscribeCheckpoint(chunks_done=batch.first, segments=done,
                                      position=line.end))
        span.set_attribute("dub.segments", len(fresh))
    return fresh
