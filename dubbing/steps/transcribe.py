"""Transcription, run on the GPU worker: checkpointed after every line and every chunk, so a
retried attempt resumes where the previous one stopped instead of starting over.
"""

from __future__ import annotations

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
    """Decode the window chunk by chunk; a retry restarts at the first unfinished chunk.

    Chunks are cut in silences and decoded independently, so a resumed attempt produces the
    same lines as an uninterrupted one while never decoding a finished chunk again.
    """
    check_language(inp.settings.model, inp.language)
    beat(checkpoint)  # the model load below can take a while on a fresh worker
    model = asr.load_model(inp.settings.model, settings)
    chunks = inp.window.chunk_bounds()
    done = list(checkpoint.segments) if checkpoint else []
    first = checkpoint.chunks_done if checkpoint else 0
    decoded = 0.0
    with store.open_local(inp.audio_key, scratch) as path:
        for number in range(first, len(chunks)):
            start, end = chunks[number]
            done += _decode_chunk(model, path, inp, number, len(done), beat, done)
            decoded += end - start
            beat(TranscribeCheckpoint(chunks_done=number + 1, segments=done, position=end))
    key = keys.segments_key(inp.job_id, inp.window.index, run=inp.run_id)
    store.put_json(key, [s.model_dump() for s in done])
    resumed_at = chunks[first][0] if checkpoint and first < len(chunks) else None
    return TranscribeOutput(segments_key=key, count=len(done), resumed_at=resumed_at,
                            decoded_seconds=round(decoded, 3))


def _decode_chunk(model: Any, path: Path, inp: TranscribeInput, number: int, first_index: int,
                  beat: Beat, done: list[Segment]) -> list[Segment]:
    """Decode one chunk, heartbeating after every line (the checkpoint is the chunk before)."""
    start, end = inp.window.chunk_bounds()[number]
    fresh: list[Segment] = []
    with tracer.start_as_current_span("asr.transcribe", attributes={
            "dub.window": inp.window.index, "dub.chunk": number,
            "dub.audio_seconds": round(end - start, 3), "dub.model": inp.settings.model}) as span:
        for line in asr.transcribe(model, audio.read_window(path, start, end), offset=start,
                                   limit=end, language=inp.language,
                                   beam_size=inp.settings.beam_size,
                                   max_seconds=inp.settings.max_segment_seconds):
            fresh.append(Segment(index=first_index + len(fresh), start=line.start, end=line.end,
                                 text=line.text))
            beat(TranscribeCheckpoint(chunks_done=number, segments=done, position=line.end))
        span.set_attribute("dub.segments", len(fresh))
    return fresh
