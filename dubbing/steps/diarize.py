"""Who speaks each line, job-wide, on the CPU worker: the windows' embeddings clustered at once
(scikit-learn; no torch here), stored with the voice each speaker is dubbed with.

`R/work/speakers.json`: {"count": N, "windows": [{"index": w, "labels": ["S1", ...]}, ...],
"voices": {"S1": {"variant": null, "pitch": null}, ...},
"references": {"S1": [start, end], ...}}: each speaker's own clean speech, for cloned voices.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dubbing import diarize, keys
from dubbing.engines.reference import speaker_references
from dubbing.stages import ClusterSpeakersInput, SpeakersOutput
from dubbing.storage import Store
from dubbing.voices import speaker_voice


def cluster_job(store: Store, inp: ClusterSpeakersInput) -> SpeakersOutput:
    """Label every line of every window and store the labels, voices and references."""
    windows = [unpack(store.get_bytes(key)) for key in inp.embeddings_keys]
    points = (np.concatenate([w.vectors for w in windows]) if windows
              else np.zeros((0, 0), np.float32))
    reliable = np.concatenate([w.reliable for w in windows]) if windows else np.zeros(0, bool)
    asked: diarize.Speakers = "auto" if inp.speakers == "auto" else int(inp.speakers)
    labels = diarize.cluster(points, asked, reliable) if len(points) else []
    key = keys.speakers_key(inp.job_id, run=inp.run_id)
    doc = document([w.index for w in windows], [len(w.vectors) for w in windows], labels)
    spans = [span for w in windows for span in w.spans]
    if len(spans) == len(labels):  # embeddings stored before spans were have none
        doc["references"] = {label: list(span) for label, span in speaker_references(
            spans, labels, [bool(r) for r in reliable]).items()}
    store.put_json(key, doc)
    return SpeakersOutput(speakers_key=key, count=len(set(labels)))


def document(indexes: Sequence[int], sizes: Sequence[int], labels: list[str]) -> dict[str, Any]:
    """The stored labels, split back into windows, and each speaker's voice."""
    per_window, first = [], 0
    for index, size in zip(indexes, sizes, strict=True):
        per_window.append({"index": index, "labels": labels[first:first + size]})
        first += size
    voices = {label: speaker_voice(label).as_dict() for label in dict.fromkeys(labels)}
    return {"count": len(voices), "windows": per_window, "voices": voices}


def references(doc: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Each speaker's reference span (s) in a stored speakers document; none if older."""
    return {label: (float(a), float(b)) for label, (a, b) in doc.get("references", {}).items()}


def window_labels(doc: dict[str, Any], window: int) -> list[str]:
    """The speaker of each line of `window` in a stored speakers document."""
    for entry in doc.get("windows", []):
        if entry["index"] == window:
            return list(entry["labels"])
    return []


@dataclass(frozen=True)
class Embedded:
    """A window's stored embeddings: its index, the vectors, their reliability and spans."""

    index: int
    vectors: np.ndarray
    reliable: np.ndarray
    spans: list[tuple[float, float]]


def unpack(data: bytes) -> Embedded:
    with np.load(io.BytesIO(data)) as found:
        spans = ([(float(a), float(b)) for a, b in found["spans"]] if "spans" in found.files
                 else [])
        return Embedded(int(found["window"]), found["vectors"],
                        found["reliable"].astype(bool), spans)
