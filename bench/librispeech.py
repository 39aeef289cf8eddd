"""Diarization on real speech: scenes of LibriSpeech speakers, cut into lines by the service's
own speech recognition (the bundled tiny.en), as a job would see them.

LibriSpeech (Panayotov et al., CC BY 4.0, openslr.org/12) test-other: ten speakers with ten
utterances each, as shipped in the resemblyzer repository's `audio_data/`. The repository
keeps three speakers' utterances in `examples/librispeech/` (the end-to-end test's media) and
the embeddings of every scene below in tests/data/speakers/embeddings.npz (`ls_*`).

python -m bench.librispeech LIBRISPEECH_DIR [--save NPZ]: per scene, the lines, the speakers
found with "auto" against the truth, the pair accuracy and the last merge of the tree; each
line's true speaker is the one who speaks most of it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from dubbing import diarize
from dubbing.engines import asr, speakers

RATE = 16000
# name: (speaker ids, turns, seed); one utterance a turn, each speaker first in this order.
SCENES: dict[str, tuple[list[str], int, int]] = {
    **{f"ls_{s}": ([s], 10, 1) for s in
       ("367", "533", "1688", "1998", "2033", "2414", "2609", "3005", "3080", "3331")},
    "ls_duo_a": (["1688", "3331"], 8, 2), "ls_duo_b": (["2033", "1998"], 8, 3),
    "ls_duo_c": (["2414", "1688"], 8, 4), "ls_duo_d": (["3080", "533"], 8, 5),
    "ls_trio_a": (["2033", "367", "2609"], 12, 6), "ls_trio_b": (["1998", "3005", "1688"], 12, 7),
    "ls_four": (["367", "3005", "2033", "3080"], 16, 8),
    "ls_five": (["3331", "367", "2033", "3080", "1688"], 20, 9),
}


def dialogue(folder: Path, ids: list[str], turns: int, seed: int
             ) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """The speakers' utterances in turn (after the first round, in a seeded order), 0.3-0.9 s
    apart: 16 kHz samples and the truth (start, end, speaker) of each utterance."""
    rng = np.random.default_rng(seed)
    order = [ids[i % len(ids)] for i in range(turns)]
    rest = order[len(ids):]
    rng.shuffle(rest)
    files = {s: sorted((folder / s).glob("*.flac")) for s in ids}
    used = dict.fromkeys(ids, 0)
    pieces, truth, at = [], [], 0.0
    for speaker in order[:len(ids)] + rest:
        samples = read(files[speaker][used[speaker] % len(files[speaker])])
        used[speaker] += 1
        gap = np.zeros(int(RATE * rng.uniform(0.3, 0.9)), np.float32)
        truth.append((at, at + len(samples) / RATE, speaker))
        pieces += [samples, gap]
        at += (len(samples) + len(gap)) / RATE
    return np.concatenate(pieces), truth


def read(path: Path) -> np.ndarray:
    samples, rate = sf.read(path, dtype="float32", always_2d=True)
    if rate != RATE:
        raise ValueError(f"{path} is {rate} Hz, not {RATE}")
    return samples.mean(axis=1)


def owners(spans: list[tuple[float, float]], truth: list[tuple[float, float, str]]) -> list[str]:
    """Each span's true speaker: who speaks most of it."""
    found = []
    for start, end in spans:
        heard: dict[str, float] = {}
        for a, b, who in truth:
            heard[who] = heard.get(who, 0.0) + max(0.0, min(end, b) - max(start, a))
        found.append(max(heard, key=lambda who: heard[who]))
    return found


def scene_lines(model: Any, folder: Path, ids: list[str], turns: int, seed: int
                ) -> dict[str, np.ndarray]:
    samples, truth = dialogue(folder, ids, turns, seed)
    lines = list(asr.transcribe(model, samples, offset=0.0, limit=len(samples) / RATE,
                                language="en", beam_size=1, max_seconds=12.0))
    spans = [(x.start, x.end) for x in lines]
    emb = speakers.embed_spans(samples, spans)
    return {"vectors": emb.vectors.astype(np.float16), "reliable": emb.reliable,
            "spans": np.array(spans), "truth": np.array(owners(spans, truth))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.librispeech")
    parser.add_argument("folder", type=Path, help="LibriSpeech test-other speaker folders")
    parser.add_argument("--save", type=Path, help="add the scenes to this embeddings .npz")
    args = parser.parse_args(argv)
    model = asr.load_model(asr.BUNDLED_MODEL)
    arrays: dict[str, np.ndarray] = {}
    for name, (ids, turns, seed) in SCENES.items():
        scene = scene_lines(model, args.folder, ids, turns, seed)
        arrays |= {f"{name}.{k}": v for k, v in scene.items()}
        found = diarize.cluster(scene["vectors"], "auto", scene["reliable"])
        truth = list(scene["truth"])
        print(f"{name:10s} {len(truth):3d} lines  speakers {len(set(found))}/{len(set(truth))}"
              f"  pairs {diarize.pair_accuracy(found, truth):.3f}", flush=True)
    if args.save:
        with np.load(args.save) as old:
            kept = {k: old[k] for k in old.files if k.split(".")[0] not in SCENES}
        kept |= arrays
        np.savez_compressed(args.save, **kept)
    return 0


if __name__ == "__main__":
    sys.exit(main())
