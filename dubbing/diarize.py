"""Who speaks when: speaker labels for a job's lines from their voice embeddings.

Plain numpy and scikit-learn (no torch): the embeddings come from `dubbing.engines.speakers`.
Lines are clustered job-wide by average-linkage agglomerative clustering on cosine distance.
The number of speakers is the cut of the tree with the best silhouette, or one when even the
last merge joins groups closer than THRESHOLD. Labels are "S1", "S2", ... in order of first
appearance (S1 is whoever speaks first), and the same embeddings always give the same labels.
A line too short for a reliable embedding joins the speaker (centroid) it sounds most like.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

# "auto": all lines are one speaker when the two last groups of the tree are closer than this
# (cosine distance, average linkage); else the count of speakers with the best silhouette.
# Measured (bench/librispeech.py, lines cut by the service's ASR): the last merge of ten real
# one-speaker recordings is 0.19-0.35, of real dialogues of 2-5 speakers 0.48-0.57, of the
# synthetic voices' dialogues 0.42 and up.
THRESHOLD = 0.38
MAX_SPEAKERS = 10
# A line at least this long is searched for a change of speaker inside it...
LONG_LINE_SECONDS = 6.0
# ...with at least this many partial windows on each side of the change...
MIN_SIDE_WINDOWS = 2
# ...and the two sides this far apart (cosine distance of their mean embeddings).
CHANGE_THRESHOLD = 0.25
# The first window that sounds like the new speaker starts about this long before the change
# (measured: median error 0.2 s with 1.3 windows a second).
CHANGE_OFFSET = 0.96

Speakers = int | Literal["auto"]
Method = Literal["silhouette", "threshold"]


def cluster(embeddings: np.ndarray, speakers: Speakers = "auto",
            reliable: Sequence[bool] | np.ndarray | None = None,
            threshold: float = THRESHOLD, method: Method = "silhouette") -> list[str]:
    """A speaker label per line, from one embedding per line in time order.

    `speakers="auto"` finds the number of speakers (`method="threshold"` instead cuts the tree
    at `threshold`); an int forces that many (at most one per line). Lines not `reliable`
    join the speaker they sound most like.
    """
    points = np.asarray(embeddings, dtype=np.float64)
    if len(points) == 0:
        return []
    if speakers != "auto" and int(speakers) < 1:
        raise ValueError(f"speakers must be 'auto' or at least 1, not {speakers!r}")
    mask = np.ones(len(points), bool) if reliable is None else np.asarray(reliable, bool)
    if not mask.any():
        mask = np.ones(len(points), bool)
    labels = np.empty(len(points), int)
    labels[mask] = _groups(_units(points[mask]), speakers, threshold, method)
    if not mask.all():
        labels[~mask] = nearest_speaker(points[~mask], points[mask], labels[mask])
    return renumber(labels)


def _groups(points: np.ndarray, speakers: Speakers, threshold: float,
            method: Method) -> np.ndarray:
    count = len(points)
    if count < 2 or speakers == 1:
        return np.zeros(count, int)
    from sklearn.cluster import AgglomerativeClustering

    tree = AgglomerativeClustering(n_clusters=None, distance_threshold=0.0, metric="cosine",
                                   linkage="average", compute_distances=True).fit(points)
    heights = np.asarray(tree.distances_)
    if speakers != "auto":
        k = min(int(speakers), count)
    elif method == "threshold":
        k = count - int(np.sum(heights < threshold))
    elif heights[-1] < threshold:
        k = 1
    else:
        k = _best_count(points, tree.children_)
    return cut(tree.children_, count, k)


def _best_count(points: np.ndarray, children: np.ndarray) -> int:
    """The number of speakers (2..MAX_SPEAKERS) whose cut of the tree has the best silhouette."""
    from sklearn.metrics import silhouette_score

    counts = range(2, min(MAX_SPEAKERS, len(points) - 1) + 1)
    if not counts:
        return 2
    scores = [silhouette_score(points, cut(children, len(points), k), metric="cosine")
              for k in counts]
    return counts[int(np.argmax(scores))]


def cut(children: np.ndarray, count: int, k: int) -> np.ndarray:
    """Cluster ids of `count` leaves after the first count - k merges of a linkage tree."""
    parent = list(range(2 * count))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for step, (left, right) in enumerate(children[:count - k]):
        parent[root(int(left))] = parent[root(int(right))] = count + step
    return np.array([root(leaf) for leaf in range(count)])


def nearest_speaker(points: np.ndarray, known: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The label of the closest speaker centroid (cosine) for each of `points`."""
    names = np.unique(labels)
    centroids = np.stack([_unit(known[labels == name].mean(axis=0)) for name in names])
    return names[np.argmax(_units(points) @ centroids.T, axis=1)]


def renumber(labels: Sequence[int] | np.ndarray) -> list[str]:
    """Cluster ids as "S1", "S2", ... in order of first appearance."""
    order: dict[int, str] = {}
    for label in labels:
        order.setdefault(int(label), f"S{len(order) + 1}")
    return [order[int(label)] for label in labels]


def pair_accuracy(found: Sequence[str], truth: Sequence[str]) -> float:
    """Over every pair of lines, the share where "same speaker or not" agrees with the truth."""
    a, b = np.asarray(found), np.asarray(truth)
    if len(a) != len(b):
        raise ValueError("one label per line in both")
    if len(a) < 2:
        return 1.0
    same_found, same_truth = a[:, None] == a[None, :], b[:, None] == b[None, :]
    upper = np.triu_indices(len(a), k=1)
    return float(np.mean(same_found[upper] == same_truth[upper]))


def change_point(partials: np.ndarray, starts: np.ndarray,
                 threshold: float = CHANGE_THRESHOLD,
                 min_side: int = MIN_SIDE_WINDOWS) -> float | None:
    """Where the speaker changes inside one line, from the embeddings of its partial windows
    (in time order, starting at `starts` seconds), or None when both sides sound alike."""
    count = len(partials)
    if count < 2 * min_side:
        return None
    cuts = range(min_side, count - min_side + 1)
    distances = [1.0 - float(_unit(partials[:i].mean(axis=0)) @ _unit(partials[i:].mean(axis=0)))
                 for i in cuts]
    best = int(np.argmax(distances))
    if distances[best] < threshold:
        return None
    return float(starts[cuts[best]]) + CHANGE_OFFSET


def long_line_changes(spans: Sequence[tuple[float, float]], partials: Sequence[np.ndarray],
                      starts: Sequence[np.ndarray],
                      min_seconds: float = LONG_LINE_SECONDS) -> list[float | None]:
    """For each line, the time of a change of speaker inside it (lines >= `min_seconds`)."""
    found: list[float | None] = []
    for (start, end), windows, at in zip(spans, partials, starts, strict=True):
        change = change_point(windows, at) if end - start >= min_seconds else None
        found.append(None if change is None else min(max(change, start), end))
    return found


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _units(points: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(points, axis=1, keepdims=True)
    return points / np.where(norms > 0, norms, 1.0)
