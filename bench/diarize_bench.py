"""Speaker diarization measured on multi-speaker media with known truth.

python -m bench.diarize_bench [OUT_DIR] [--compare]: for each scene, the pairwise accuracy over
lines, the speakers found with "auto" (and the truth), the accuracy with the count forced, the
within- and between-speaker cosine distances, change points found inside merged long lines,
and the seconds of embedding + clustering per audio minute. --compare also times resemblyzer's
own embed_utterance per line against the batched embedding.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import speakers_media as media
from dubbing import diarize
from dubbing.engines import speakers

# name: (cast, turns, seed). Scenes needing Debian's flite are left out where it is missing.
SCENES: dict[str, tuple[list[str], int, int]] = {
    "dialogue": (["reader", "joe", "m3", "f4"], 24, 7),
    "pair": (["reader", "joe"], 10, 7),
    "espeak": (["m3", "f2", "f4"], 24, 7),
    "espeak2": (["m3", "f4"], 16, 9),
    "flite": (["slt", "rms", "awb", "reader"], 24, 7),
    "flite3": (["slt", "rms", "awb"], 24, 11),
    "five": (["joe", "slt", "f2", "reader", "rms"], 30, 3),
    "trio": (["m3", "awb", "joe"], 24, 5),
    "long": (["reader", "joe", "f2", "awb"], 40, 13),
    "duo": (["f4", "rms"], 14, 17),
    "monologue": (["joe"], 12, 7),
    "reader": (["reader"], 5, 7),
    "mono_slt": (["slt"], 12, 1),
    "mono_m3": (["m3"], 12, 1),
    "mono_f2": (["f2"], 12, 2),
}
SINGLE = tuple(name for name, (cast, _, _) in SCENES.items() if len(cast) == 1)


def build(out: Path) -> dict[str, Path]:
    """Every scene this machine can voice, plus the real phone call."""
    made = {}
    for name, (cast, turns, seed) in SCENES.items():
        if all(s in media.speakers_available() for s in cast):
            media.dialogue(out / f"{name}.wav", cast, turns, seed)
            made[name] = out / f"{name}.wav"
    media.phone_call(out / "call.wav")
    made["call"] = out / "call.wav"
    return made


def measure(path: Path) -> dict[str, Any]:
    samples, truth = media.load(path)
    spans = [(x.start, x.end) for x in truth]
    names = [x.speaker for x in truth]
    began = time.perf_counter()
    emb = speakers.embed_spans(samples, spans)
    embedded = time.perf_counter()
    found = diarize.cluster(emb.vectors, "auto", emb.reliable)
    clustered = time.perf_counter()
    within, between = distances(emb.vectors, names)
    minutes = len(samples) / media.RATE / 60
    return {
        "lines": len(spans), "short": int((~emb.reliable).sum()),
        "truth": len(set(names)), "auto": len(set(found)),
        "accuracy": diarize.pair_accuracy(found, names),
        "by_threshold": len(set(diarize.cluster(emb.vectors, "auto", emb.reliable,
                                                method="threshold"))),
        "forced": diarize.pair_accuracy(
            diarize.cluster(emb.vectors, len(set(names)), emb.reliable), names),
        "within_max": within, "between_min": between,
        "s_per_min": (clustered - began) / minutes, "embed_s": embedded - began,
        "cluster_s": clustered - embedded, "minutes": minutes,
    }


def distances(vectors: np.ndarray, names: list[str]) -> tuple[float, float]:
    """The largest distance between lines of one speaker, the smallest between speakers."""
    d = 1.0 - vectors @ vectors.T
    same = np.equal.outer(names, names)
    upper = np.triu(np.ones_like(same), k=1).astype(bool)
    within = d[same & upper]
    between = d[~same & upper]
    return (float(within.max()) if within.size else 0.0,
            float(between.min()) if between.size else float("nan"))


def short_lines(path: Path) -> tuple[int, float, float]:
    """Every third line cut to its first 0.6 s (unreliable): (how many, the share of them
    given their speaker's label by the embedding rule, and by the nearest line in time)."""
    samples, truth = media.load(path)
    spans = [(x.start, x.start + 0.6) if i % 3 == 1 else (x.start, x.end)
             for i, x in enumerate(truth)]
    emb = speakers.embed_spans(samples, spans)
    found = diarize.cluster(emb.vectors, "auto", emb.reliable)
    names = [x.speaker for x in truth]
    return (int((~emb.reliable).sum()), _short_right(found, names, emb.reliable),
            _short_right(by_time(emb, found, spans), names, emb.reliable))


def _short_right(found: list[str], names: list[str], reliable: np.ndarray) -> float:
    """The share of short lines labelled like most reliable lines of their true speaker."""
    usual = {n: max(set(f for f, m, r in zip(found, names, reliable, strict=True)
                        if m == n and r), key=found.count, default=None) for n in set(names)}
    short = [i for i, r in enumerate(reliable) if not r]
    return sum(found[i] == usual[names[i]] for i in short) / len(short) if short else 1.0


def by_time(emb: speakers.SpanEmbeddings, found: list[str],
            spans: list[tuple[float, float]]) -> list[str]:
    """The alternative rule for short lines: the label of the nearest reliable line in time."""
    mids = np.array([(a + b) / 2 for a, b in spans])
    reliable = np.flatnonzero(emb.reliable)
    if reliable.size == 0:
        return found
    return [found[i] if emb.reliable[i] else
            found[int(reliable[np.argmin(np.abs(mids[reliable] - mids[i]))])]
            for i in range(len(found))]


def changes(path: Path) -> tuple[int, int, list[float], int, int]:
    """Neighbouring lines merged into lines of >= 6 s: (merged across a change, found, errors
    in s, merged within one speaker, falsely split). The one-speaker scenes give the last."""
    samples, truth = media.load(path)
    merged: list[tuple[float, float, float | None]] = []
    for a, b in itertools.pairwise(truth):
        if b.end - a.start >= diarize.LONG_LINE_SECONDS:
            boundary = (a.end + b.start) / 2 if a.speaker != b.speaker else None
            merged.append((a.start, b.end, boundary))
    emb = speakers.embed_spans(samples, [(s, e) for s, e, _ in merged])
    found = diarize.long_line_changes([(s, e) for s, e, _ in merged], emb.partials, emb.starts)
    across = [(f, t) for (_, _, t), f in zip(merged, found, strict=True) if t is not None]
    alone = [f for (_, _, t), f in zip(merged, found, strict=True) if t is None]
    errors = [abs(f - t) for f, t in across if f is not None]
    return len(across), len(errors), errors, len(alone), sum(f is not None for f in alone)


def compare(path: Path) -> tuple[float, float, float]:
    """Seconds for embed_utterance per line vs the batched embedding, and their mean cosine."""
    from resemblyzer import preprocess_wav

    samples, truth = media.load(path)
    spans = [(x.start, x.end) for x in truth]
    encoder = speakers.load_encoder()
    began = time.perf_counter()
    own = np.stack([encoder.embed_utterance(preprocess_wav(
        samples[int(a * media.RATE):int(b * media.RATE)])) for a, b in spans])
    middle = time.perf_counter()
    batched = speakers.embed(samples, spans)
    done = time.perf_counter()
    return middle - began, done - middle, float(np.mean(np.sum(own * batched, axis=1)))


def save(scenes: dict[str, Path], dest: Path) -> None:
    """The embeddings, reliability, spans and true speakers of every scene, as one .npz."""
    arrays: dict[str, Any] = {}
    for name, path in scenes.items():
        samples, truth = media.load(path)
        spans = [(x.start, x.end) for x in truth]
        emb = speakers.embed_spans(samples, spans)
        arrays |= {f"{name}.vectors": emb.vectors.astype(np.float16),
                   f"{name}.reliable": emb.reliable, f"{name}.spans": np.array(spans),
                   f"{name}.truth": np.array([x.speaker for x in truth])}
    dest.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(dest, **arrays)


def report_scenes(scenes: dict[str, Path]) -> None:
    total_minutes = total_seconds = 0.0
    for name, path in scenes.items():
        m = measure(path)
        total_minutes += m["minutes"]
        total_seconds += m["s_per_min"] * m["minutes"]
        print(f"{name:10s} {m['minutes']:.2f} min {m['lines']:2d} lines ({m['short']} short) "
              f"speakers {m['auto']}/{m['truth']} (fixed threshold {m['by_threshold']})  "
              f"pairs {m['accuracy']:.3f} (forced count {m['forced']:.3f})  "
              f"within<={m['within_max']:.3f} between>={m['between_min']:.3f}  "
              f"{m['s_per_min']:.2f} s/audio-min (embed {m['embed_s']:.2f} s, "
              f"cluster {m['cluster_s']:.3f} s)")
    print(f"all scenes: {total_minutes:.2f} audio min, embedding + clustering "
          f"{total_seconds / total_minutes:.2f} s per audio minute")


def report_lines(scenes: dict[str, Path]) -> None:
    for name, path in scenes.items():
        if name in SINGLE:
            across, found, errors, alone, false = changes(path)
            print(f"{name:10s} change points: {false}/{alone} one-speaker long lines split")
            continue
        count, by_voice, by_near = short_lines(path)
        across, found, errors, alone, false = changes(path)
        print(f"{name:10s} {count} lines cut to 0.6 s: {by_voice:.2f} right by voice, "
              f"{by_near:.2f} by nearest line in time; change points: {found}/{across} "
              f"merged lines split, median error "
              f"{np.median(errors) if errors else float('nan'):.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.diarize_bench")
    parser.add_argument("out", nargs="?", default="out/speakers", type=Path)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--save", type=Path, help="write the scenes' embeddings to this .npz")
    args = parser.parse_args(argv)
    scenes = build(args.out)
    began = time.perf_counter()
    speakers.embed(np.zeros(media.RATE, np.float32), [(0.0, 1.0)])
    print(f"encoder loaded and warmed up in {time.perf_counter() - began:.2f} s")
    if args.save:
        save(scenes, args.save)
    report_scenes(scenes)
    report_lines(scenes)
    if args.compare:
        own, batched, cosine = compare(scenes["dialogue"])
        print(f"embed_utterance per line {own:.2f} s, batched {batched:.2f} s, "
              f"mean cosine between them {cosine:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
