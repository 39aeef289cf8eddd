"""Speaker embeddings of lines: resemblyzer's voice encoder (256-d d-vectors) on the CPU.

The mel frames of the whole audio are computed once; each span (a line's speech) is cut into
the encoder's 1.6 s partial windows, all partials of all spans go through the encoder in
batches, and a span's embedding is the unit mean of its partials. torch and resemblyzer are
imported inside the functions, so a process that never embeds never loads them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dubbing.engines import models
from dubbing.errors import ConfigurationError

SAMPLE_RATE = 16000
FRAME_SECONDS = 0.01  # the mel hop
MEL_FFT, MEL_HOP, MEL_BANDS = 400, 160, 40  # resemblyzer's: 25 ms windows, 10 ms hop
PARTIAL_FRAMES = 160  # one partial window: 1.6 s
PARTIAL_RATE = 1.3  # partial windows per second of speech, as in embed_utterance
MIN_COVERAGE = 0.75  # a last partial shorter than this share of a window is dropped
# A shorter span's embedding is flagged unreliable (it joins the nearest speaker instead of
# voting on the count): at 0.8 s, 1-1.5 s asides of real one-speaker speeches split off as a
# second speaker (bench/heldout_speakers.py: 3 of 12); at 1.2 s none do.
MIN_RELIABLE_SECONDS = 1.2
SILENT = 1e-4  # a span quieter than this RMS (-80 dBFS) is silence, flagged unreliable
TARGET_DBFS = -30.0  # quieter spans are raised to this level, as preprocess_wav does
BATCH = 64
DIMENSIONS = 256


@dataclass(frozen=True)
class SpanEmbeddings:
    vectors: np.ndarray  # (spans, 256) float32 unit vectors
    reliable: np.ndarray  # (spans,) bool: False if silent or under MIN_RELIABLE_SECONDS
    partials: list[np.ndarray]  # per span: (windows, 256) embeddings of its partial windows
    starts: list[np.ndarray]  # per span: the start time (s) of each partial window


def load_encoder() -> Any:
    """The shared voice encoder, loaded once per process."""
    return models.shared(("speakers", "resemblyzer"), _load)


def _load() -> Any:
    try:
        from resemblyzer import VoiceEncoder
    except ImportError as exc:
        raise ConfigurationError(
            "resemblyzer is not installed: pip install resemblyzer==0.1.4 torch==2.13.0 "
            "'setuptools<81' (the CPU build of torch)") from exc
    return VoiceEncoder("cpu", verbose=False)


def embed(audio: np.ndarray, spans: Sequence[tuple[float, float]]) -> np.ndarray:
    """One unit vector per span of 16 kHz mono float32 `audio`: shape (len(spans), 256)."""
    return embed_spans(audio, spans).vectors


def embed_spans(audio: np.ndarray, spans: Sequence[tuple[float, float]],
                rate: float = PARTIAL_RATE) -> SpanEmbeddings:
    """Embeddings of every span, their reliability and the partial windows behind them."""
    if not spans:
        return SpanEmbeddings(np.zeros((0, DIMENSIONS), np.float32), np.zeros(0, bool), [], [])
    mel = mel_frames(audio)
    windows, owners, starts = _partials(mel, audio, spans, rate)
    partial = encode(windows)
    per_span = [partial[owners == i] for i in range(len(spans))]
    vectors = np.stack([_unit(p.mean(axis=0)) for p in per_span]).astype(np.float32)
    reliable = np.array([end - start >= MIN_RELIABLE_SECONDS and _rms(audio, start, end) > SILENT
                         for start, end in spans])
    return SpanEmbeddings(vectors, reliable, per_span, starts)


def mel_frames(audio: np.ndarray) -> np.ndarray:
    """The encoder's mel frames (power, not log) of the whole audio: (frames, 40), 10 ms hop.

    The same frames as resemblyzer's `wav_to_mel_spectrogram` (librosa: 25 ms Hann windows,
    centred with zero padding, Slaney mel bands), computed with faster-whisper's NumPy STFT
    and filter bank: librosa's first call costs a worker about 200 MiB and 1.7 s for good."""
    from faster_whisper.feature_extractor import FeatureExtractor

    bands, window = _mel_bank()
    spectrum = FeatureExtractor.stft(np.asarray(audio, dtype=np.float32), MEL_FFT, MEL_HOP,
                                     window=window, mode="constant", return_complex=True)
    return np.ascontiguousarray((bands @ np.abs(spectrum) ** 2).T, dtype=np.float32)


@functools.cache
def _mel_bank() -> tuple[np.ndarray, np.ndarray]:
    """The mel filter bank and the periodic Hann window (librosa's), made once per process."""
    from faster_whisper.feature_extractor import FeatureExtractor

    bands = FeatureExtractor.get_mel_filters(SAMPLE_RATE, MEL_FFT, MEL_BANDS).astype(np.float32)
    return bands, np.hanning(MEL_FFT + 1)[:-1].astype(np.float32)


def encode(windows: np.ndarray) -> np.ndarray:
    """Unit embeddings of partial windows (n, 160, 40), computed in batches."""
    import torch

    encoder = load_encoder()
    out = []
    with torch.no_grad():
        for first in range(0, len(windows), BATCH):
            batch = torch.from_numpy(windows[first:first + BATCH])
            out.append(encoder(batch).numpy())
    return np.concatenate(out) if out else np.zeros((0, DIMENSIONS), np.float32)


def window_offsets(frames: int, rate: float = PARTIAL_RATE) -> list[int]:
    """Where a span of `frames` mel frames is cut into partial windows (embed_utterance's
    rule): one every 1/rate s, the last kept if it covers MIN_COVERAGE; at least one."""
    step = max(1, round(1 / (rate * FRAME_SECONDS)))
    offsets = list(range(0, max(1, frames - PARTIAL_FRAMES + step + 2), step))
    coverage = (frames - offsets[-1]) / PARTIAL_FRAMES
    if coverage < MIN_COVERAGE and len(offsets) > 1:
        offsets.pop()
    return offsets


def _partials(mel: np.ndarray, audio: np.ndarray, spans: Sequence[tuple[float, float]],
              rate: float) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    windows, owners, starts = [], [], []
    for index, (start, end) in enumerate(spans):
        first = max(0, round(start / FRAME_SECONDS))
        last = min(len(mel), max(first + 1, round(end / FRAME_SECONDS)))
        frames = mel[first:last] * _gain(audio, start, end) ** 2
        offsets = window_offsets(last - first, rate)
        padded = np.zeros((max(len(frames), offsets[-1] + PARTIAL_FRAMES), mel.shape[1]),
                          np.float32)
        padded[:len(frames)] = frames
        windows += [padded[o:o + PARTIAL_FRAMES] for o in offsets]
        owners += [index] * len(offsets)
        starts.append(start + np.array(offsets) * FRAME_SECONDS)
    return np.stack(windows).astype(np.float32), np.array(owners), starts


def _rms(audio: np.ndarray, start: float, end: float) -> float:
    piece = audio[max(0, int(start * SAMPLE_RATE)):int(end * SAMPLE_RATE)]
    return float(np.sqrt(np.mean(np.square(piece, dtype=np.float64)))) if piece.size else 0.0


def _gain(audio: np.ndarray, start: float, end: float) -> float:
    """The amplitude gain that raises a quiet span to TARGET_DBFS (never lowers a loud one)."""
    rms = _rms(audio, start, end)
    if rms <= SILENT:
        return 1.0
    return max(1.0, 10 ** ((TARGET_DBFS - 20 * np.log10(rms)) / 20))


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
