"""Diarization on speakers that no threshold was chosen on: LibriSpeech train-clean-100 readers
in conversation, and one-speaker clips of a real speech.

The resemblyzer repository's `audio_data/` (github.com/resemble-ai/Resemblyzer) ships one
utterance of each of 251 train-clean-100 readers (LibriSpeech, CC BY 4.0, with SPEAKERS.TXT
giving each reader's sex) and twelve clips of one public figure speaking (`donald_trump/real`,
YouTube material: measured here, never stored in the repository). The thresholds in
dubbing/diarize.py and dubbing/engines/speakers.py were chosen on other media (the scenes of
bench/diarize_bench.py and bench/librispeech.py); this is the check that they carry over.

A conversation: each reader's utterance is cut at its pauses into turns of 1.5-6 s, and the
turns are interleaved (never one reader twice in a row while another has turns left), 0.3-0.9 s
apart. Lines come from the service's own speech recognition (the bundled tiny.en); each line's
true speaker is the one who speaks most of it.

python -m bench.heldout_speakers AUDIO_DATA [--save NPZ]: per scene, lines, speakers found
against the truth and the pair accuracy; then the number of scenes not right.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from bench.librispeech import RATE, owners, read
from dubbing import diarize
from dubbing.engines import asr, speakers

MIXED = [2, 2, 3, 3, 3, 4, 4, 5, 5, 6]  # readers per conversation of either sex
SAME_SEX = [2, 2, 3, 4, 2, 2, 3, 4]  # readers per conversation of one sex (half F, half M)
SEED = 123
CLIP_SECONDS = 60.0


def readers(folder: Path) -> dict[str, str]:
    """Reader id -> sex, for the readers with an utterance in `folder`."""
    sex = {}
    for row in (folder / "SPEAKERS.TXT").read_text().splitlines():
        if not row.startswith(";") and "|" in row:
            fields = [f.strip() for f in row.split("|")]
            sex[fields[0]] = fields[1]
    return {p.name.split("-")[0]: sex[p.name.split("-")[0]] for p in sorted(folder.glob("*.flac"))}


def turns(samples: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """The utterance cut at pauses (>= 0.2 s under -40 dB of its peak) into turns of 1.5-6 s."""
    frame = RATE // 100
    energy = np.array([np.sqrt(np.mean(samples[i:i + frame] ** 2))
                       for i in range(0, len(samples) - frame, frame)])
    quiet = energy < energy.max() * 0.01
    cuts, run = [], 0
    for i, q in enumerate(quiet):
        run = run + 1 if q else 0
        if run == 20:
            cuts.append((i - 10) * frame)
    pieces, start, target = [], 0, rng.uniform(1.5, 6.0)
    for cut in cuts:
        if (cut - start) / RATE >= target:
            pieces.append(samples[start:cut])
            start, target = cut, rng.uniform(1.5, 6.0)
    tail = samples[start:]
    if pieces and len(tail) / RATE < 1.5:
        pieces[-1] = np.concatenate([pieces[-1], tail])
    else:
        pieces.append(tail)
    return pieces


def conversation(folder: Path, ids: list[str], rng: np.random.Generator
                 ) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    left = {s: turns(read(next(folder.glob(f"{s}-*.flac"))), rng) for s in ids}
    order: list[tuple[str, np.ndarray]] = []
    last: str | None = None
    while any(left.values()):
        free = [s for s in ids if left[s] and s != last] or [s for s in ids if left[s]]
        last = free[0] if not order else free[int(rng.integers(len(free)))]
        order.append((last, left[last].pop(0)))
    pieces, truth, at = [], [], 0.5
    for who, samples in order:
        gap = float(rng.uniform(0.3, 0.9))
        pieces += [np.zeros(int(gap * RATE), np.float32), samples]
        truth.append((at + gap, at + gap + len(samples) / RATE, who))
        at += gap + len(samples) / RATE
    return np.concatenate([np.zeros(RATE // 2, np.float32), *pieces]), truth


def casts(sexes: dict[str, str]) -> dict[str, list[str]]:
    """Scene name -> reader ids, drawn with a fixed seed; no reader in two scenes."""
    rng = np.random.default_rng(SEED)
    pool = {sex: [s for s, x in sexes.items() if x == sex] for sex in "FM"}
    for ids in pool.values():
        rng.shuffle(ids)
    every = pool["F"] + pool["M"]
    rng.shuffle(every)
    used: set[str] = set()
    out = {}

    def draw(ids: list[str], count: int) -> list[str]:
        picked = [s for s in ids if s not in used][:count]
        used.update(picked)
        return picked

    for n, count in enumerate(MIXED):
        out[f"h{n:02d}_mix{count}"] = draw(every, count)
    for n, count in enumerate(SAME_SEX):
        sex = "FM"[n % 2]
        out[f"h{len(MIXED) + n:02d}_{sex}{count}"] = draw(pool[sex], count)
    return out


def lines(model: Any, samples: np.ndarray, truth: list[tuple[float, float, str]]
          ) -> dict[str, np.ndarray]:
    found = list(asr.transcribe(model, samples, offset=0.0, limit=len(samples) / RATE,
                                language="en", beam_size=1, max_seconds=12.0))
    spans = [(x.start, x.end) for x in found]
    emb = speakers.embed_spans(samples, spans)
    return {"vectors": emb.vectors.astype(np.float16), "reliable": emb.reliable,
            "spans": np.array(spans), "truth": np.array(owners(spans, truth))}


def clip(path: Path) -> np.ndarray:
    """The first CLIP_SECONDS of an MP3 as 16 kHz mono samples."""
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-t",
                          str(CLIP_SECONDS), "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32).copy()


def scenes(audio_data: Path, model: Any) -> dict[str, dict[str, np.ndarray]]:
    folder = audio_data / "librispeech_train-clean-100"
    rng = np.random.default_rng(SEED)
    out = {}
    for name, ids in casts(readers(folder)).items():
        out[name] = lines(model, *conversation(folder, ids, rng))
    for n, path in enumerate(sorted((audio_data / "donald_trump" / "real").glob("*.mp3"))):
        samples = clip(path)
        out[f"t{n:02d}_one"] = lines(model, samples, [(0.0, len(samples) / RATE, "T")])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.heldout_speakers")
    parser.add_argument("audio_data", type=Path, help="resemblyzer's audio_data folder")
    parser.add_argument("--save", type=Path, help="add the conversations to this embeddings .npz")
    args = parser.parse_args(argv)
    made = scenes(args.audio_data, asr.load_model(asr.BUNDLED_MODEL))
    wrong = 0
    for name, scene in made.items():
        found = diarize.cluster(scene["vectors"], "auto", scene["reliable"])
        truth = list(scene["truth"])
        accuracy = diarize.pair_accuracy(found, truth)
        right = len(set(found)) == len(set(truth)) and accuracy >= 0.95
        wrong += not right
        print(f"{name:10s} {len(truth):3d} lines  speakers {len(set(found))}/{len(set(truth))}"
              f"  pairs {accuracy:.3f}{'' if right else '  <-'}", flush=True)
    print(f"{len(made) - wrong}/{len(made)} scenes right (count found and pairs >= 0.95)")
    if args.save:  # the conversations only: the speech clips' licence is not known
        with np.load(args.save) as old:
            kept = {k: old[k] for k in old.files if k.split(".")[0] not in made}
        kept |= {f"{name}.{k}": v for name, scene in made.items() if name.startswith("h")
                 for k, v in scene.items()}
        np.savez_compressed(args.save, **kept)
    return 0


if __name__ == "__main__":
    sys.exit(main())
