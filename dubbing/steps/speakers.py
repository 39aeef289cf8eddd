"""Speaker embeddings of a window's lines, run on the GPU worker (resemblyzer on the CPU).

Each line's speech span is embedded once; the vectors and their reliability are stored as one
.npz per window. That object is the window's checkpoint: a retry after a crash finds it and
returns at once, without loading the encoder again.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from dubbing import keys
from dubbing.engines import speakers
from dubbing.media import audio
from dubbing.stages import EmbedSpeakersInput, Segment
from dubbing.steps import Beat
from dubbing.storage import Store
from dubbing.tracing import tracer

GROUP = 32  # lines embedded between two heartbeats


def embed_window(store: Store, scratch: Path, inp: EmbedSpeakersInput, beat: Beat) -> str:
    """Embed every line of the window; store `vectors` (lines, 256), `reliable` (lines,) and
    `spans` (lines, 2)."""
    key = keys.embeddings_key(inp.job_id, inp.window.index, run=inp.run_id)
    if store.exists(key):
        return key
    segments = [Segment.model_validate(s) for s in store.get_json(inp.segments_key)]
    beat({"embedded": 0})
    vectors, reliable = [], []
    with store.open_local(inp.audio_key, scratch) as path, tracer.start_as_current_span(
            "speakers.embed", attributes={"dub.window": inp.window.index,
                                          "dub.segments": len(segments)}):
        for first in range(0, len(segments), GROUP):
            found = _embed_group(path, segments[first:first + GROUP])
            vectors.append(found.vectors)
            reliable.append(found.reliable)
            beat({"embedded": first + len(found.reliable)})
    spans = [(s.start, s.end) for s in segments]
    store.put_bytes(key, pack(vectors, reliable, inp.window.index, spans))
    return key


def _embed_group(path: Path, group: list[Segment]) -> speakers.SpanEmbeddings:
    """One read of the audio under a group of lines, every line embedded in one pass."""
    start, end = group[0].start, max(s.end for s in group)
    samples = audio.read_window(path, start, end)
    return speakers.embed_spans(samples, [(s.start - start, s.end - start) for s in group])


def pack(vectors: list[np.ndarray], reliable: list[np.ndarray], window: int,
         spans: list[tuple[float, float]]) -> bytes:
    """A window's embeddings with each line's speech span (s, job time), from which the
    clustering cuts every speaker's own reference."""
    buffer = io.BytesIO()
    np.savez(buffer, window=np.array(window),
             spans=np.array(spans, np.float64).reshape(len(spans), 2),
             vectors=np.concatenate(vectors) if vectors
             else np.zeros((0, speakers.DIMENSIONS), np.float32),
             reliable=np.concatenate(reliable) if reliable else np.zeros(0, bool))
    return buffer.getvalue()
