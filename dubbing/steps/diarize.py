"""Who speaks each line, job-wide, on the CPU worker: the windows' embeddings clustered at once
(scikit-learn; no torch here), stored with the voice each speaker is dubbed with.

`R/work/speakers.json`: {"count": N, "windows": [{"index": w, "labels": ["S1", ...]}, ...],
"voices": {"S1": {"variant": null, "pitch": null}, ...}}.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from dubbing import diarize, keys
from dubbing.stages import ClusterSpeakersInput, SpeakersOutput
from dubbing.storage import Store
from dubbing.voices import speaker_voice


def cluster_job(store: Store, inp: ClusterSpeakersInput) -> SpeakersOutput:
    """Label every line of every window and store the labels and the voices."""
    windows = [unpack(store.get_bytes(key)) for key in inp.embeddings_keys]
    vectors = [w[1] for w in windows]
    points = np.concatenate(vectors) if vectors else np.zeros((0, 0), np.float32)
    reliable = np.concatenate([w[2] for w in windows]) if windows else np.zeros(0, bool)
    asked: diarize.Speakers = "auto" if inp.speakers == "auto" else int(inp.speakers)
    labels = diarize.cluster(points, asked, reliable) if len(points) else []
    key = keys.speakers_key(inp.job_id, run=inp.run_id)
    store.put_json(key, document([w[0] for w in windows], [len(v) for v in vectors], labels))
    return SpeakersOutput(speakers_key=key, count=len(set(labels)))


def document(indexes: Sequence[int], sizes: Sequence[int], labels: list[str]) -> dict[str, Any]:
    """The stored labels, split back into windows, and each speaker's voice."""
    per_window, first = [], 0
    for index, size in zip(indexes, sizes, strict=True):
        per_window.append({"index": index, "labels": labels[first:first + size]})
        first += size
    voices = {label: speaker_voice(label).as_dict() for label in dict.fromkeys(labels)}
    return {"count": len(voices), "windows": per_window, "voices": voices}


def window_labels(doc: dict[str, Any], window: int) -> list[str]:
    """The speaker of each line of `window` in a stored speakers document."""
    for entry in doc.get("windows", []):
        if entry["index"] == window:
            return list(entry["labels"])
    return []


def unpack(data: bytes) -> tuple[int, np.ndarray, np.ndarray]:
    """A window's stored embeddings: its index, the vectors and their reliability."""
    with np.load(io.BytesIO(data)) as found:
        return int(found["window"]), found["vectors"], found["reliable"].astype(bool)
