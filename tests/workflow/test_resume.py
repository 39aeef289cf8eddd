"""The resumable activities (activities/gpu.py, activities/cpu.py) resume from the heartbeat
details a retried attempt gets: each real activity runs once with its heartbeats captured,
then again with a recorded checkpoint as the server hands it back (plain JSON), and must skip
the finished part and give the same result.

Real engines: the bundled tiny.en Whisper model on real LibriVox speech, Apertium, espeak-ng.
"""

from __future__ import annotations

import dataclasses
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import ActivityEnvironment

from activities.cpu import CpuActivities
from activities.gpu import GpuActivities
from dubbing import keys
from dubbing.contract import TranscriptionSettings
from dubbing.engines import asr, translate, tts
from dubbing.media import tools
from dubbing.stages import (
    Segment,
    SynthesizeCheckpoint,
    SynthesizeInput,
    TranscribeCheckpoint,
    TranscribeInput,
    TranslateCheckpoint,
    TranslateInput,
    Window,
)
from dubbing.storage import LocalStore

LIBRIVOX = Path(__file__).resolve().parents[2] / "examples" / "librivox"
CLIPS = ["sense_and_sensibility_01_austen_64kb-0930.wav",  # 3.3 s
         "sense_and_sensibility_01_austen_64kb-0880.wav"]  # 3.0 s
GAP = 1.0  # seconds of silence between them; the chunk boundary sits in its middle
JOB = "dub-resume-0001"


def engine_key(texts_key: str) -> str:
    """Where translation stores which engine made each line, beside the texts."""
    return texts_key.removesuffix(".json") + ".engine.json"


def as_the_server_returns(detail: Any) -> Any:
    """A heartbeat detail after the trip through Temporal: encoded with the service's
    converter and decoded without a type hint, i.e. plain JSON (a dict for a model)."""
    converter = pydantic_data_converter.payload_converter
    return converter.from_payloads(converter.to_payloads([detail]))[0]


def environment(beats: list[Any], checkpoint: Any = None) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details[0] if details else None)
    if checkpoint is not None:
        env.info = dataclasses.replace(env.info, attempt=2, heartbeat_details=[checkpoint])
    return env


def counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[Any]:
    """Record every call of `owner.name` (the engine), still calling the real one."""
    calls: list[Any] = []
    real: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)
    monkeypatch.setattr(owner, name, wrapper)
    return calls


def speech_wav(dest: Path) -> tuple[float, float]:
    """Two real speech clips with a silence between: (boundary in the silence, length)."""
    parts, rate = [], 16000
    for name in CLIPS:
        with wave.open(str(LIBRIVOX / name)) as clip:
            assert (clip.getframerate(), clip.getnchannels()) == (rate, 1)
            parts.append(np.frombuffer(clip.readframes(clip.getnframes()), dtype=np.int16))
    silence = np.zeros(int(GAP * rate), dtype=np.int16)
    samples = np.concatenate([parts[0], silence, parts[1]])
    with wave.open(str(dest), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    first = len(parts[0]) / rate
    return round(first + GAP / 2, 3), round(len(samples) / rate, 3)


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store")


def test_transcription_resumes_at_the_first_unfinished_chunk(
        tmp_path: Path, store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    wav = tmp_path / "speech.wav"
    boundary, length = speech_wav(wav)
    store.put_file(keys.audio_key(JOB), wav)
    gpu = GpuActivities(store, tmp_path / "scratch")
    inp = TranscribeInput(job_id=JOB, audio_key=keys.audio_key(JOB),
                          window=Window(index=0, start=0.0, end=length,
                                        chunks=(0.0, boundary, length)),
                          language="en", settings=TranscriptionSettings(model="tiny.en"))
    decodes = counting(monkeypatch, asr, "transcribe")
    monkeypatch.setattr(asr, "CPU_CHUNKS_PER_CALL", 1)  # a call a chunk: two calls, two batches

    beats: list[Any] = []
    full = environment(beats).run(gpu.transcribe_window, inp)
    lines = store.get_json(full.segments_key)
    assert full.resumed_at is None and full.decoded_seconds == length
    assert len(decodes) == 2 and full.count == len(lines) >= 2
    assert any(s["end"] <= boundary for s in lines) and any(s["start"] >= boundary
                                                            for s in lines)
    heard = " ".join(s["text"].lower() for s in lines)
    assert "young man" in heard and "amiable" in heard, heard  # real speech, really heard

    # The last heartbeat while the second chunk was decoding: what a crash there leaves.
    recorded = [b for b in beats if isinstance(b, TranscribeCheckpoint) and b.chunks_done == 1]
    assert recorded, beats
    checkpoint = as_the_server_returns(recorded[-1])
    assert isinstance(checkpoint, dict) and checkpoint["chunks_done"] == 1
    store.delete_prefix(full.segments_key)  # the crashed attempt never stored its lines

    decodes.clear()
    resumed = environment([], checkpoint).run(gpu.transcribe_window, inp)
    assert len(decodes) == 1  # only the unfinished chunk is decoded again
    assert resumed.resumed_at == boundary
    assert resumed.decoded_seconds == round(length - boundary, 3) < full.decoded_seconds
    assert (resumed.segments_key, resumed.count) == (full.segments_key, full.count)
    assert store.get_json(resumed.segments_key) == lines


def test_translation_resumes_after_the_lines_already_translated(
        tmp_path: Path, store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    sentences = ["And Mr. John Dashwood had then leisure to consider.",
                 "How much there might be prudently in his power to do for them.",
                 "He was not an ill-disposed young man."]
    segments = [Segment(index=i, start=2.0 * i, end=2.0 * i + 1.5, text=s)
                for i, s in enumerate(sentences)]
    store.put_json(keys.segments_key(JOB, 0), [s.model_dump() for s in segments])
    cpu = CpuActivities(store, tmp_path / "scratch")
    inp = TranslateInput(job_id=JOB, window_index=0, segments_key=keys.segments_key(JOB, 0),
                         source_lang="en", target_lang="es", translator="apertium")
    batches = counting(monkeypatch, translate.Apertium, "translate")

    beats: list[Any] = []
    key = environment(beats).run(cpu.translate_segments, inp)
    texts = store.get_json(key)
    engines = store.get_json(engine_key(key))
    assert key == keys.texts_key(JOB, 0, "es") and len(texts) == 3
    assert [len(b[1]) for b in batches] == [3]  # Apertium: the window in one batch
    recorded = [b for b in beats if isinstance(b, TranslateCheckpoint)]
    # One checkpoint after the batch; while Apertium works it beats the last one again.
    assert recorded[-1].texts == texts and all(r.texts in ([], texts) for r in recorded)

    # The recorded checkpoint: everything is translated, nothing is sent to Apertium again.
    batches.clear()
    store.delete_prefix(key)
    again = environment([], as_the_server_returns(recorded[0])).run(cpu.translate_segments,
                                                                     inp)
    assert batches == []
    assert (again, store.get_json(again)) == (key, texts)
    assert store.get_json(engine_key(again)) == engines

    # A checkpoint of the first line only, as an online provider's batch leaves it.
    partial = as_the_server_returns(TranslateCheckpoint(texts=recorded[0].texts[:1],
                                                        engines=recorded[0].engines[:1]))
    store.delete_prefix(key)
    again = environment([], partial).run(cpu.translate_segments, inp)
    assert [b[1] for b in batches] == [sentences[1:]]  # only the rest is translated
    assert store.get_json(again) == texts
    assert store.get_json(engine_key(again)) == engines


def test_synthesis_resumes_at_the_first_clip_not_stored(
        tmp_path: Path, store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["Y el señor John Dashwood tuvo entonces tiempo para pensar.",
             "Cuánto podría hacer por ellas.",
             "No era un joven malintencionado."]
    segments = [Segment(index=i, start=3.0 * i, end=3.0 * i + 2.5, text=f"line {i}")
                for i in range(3)]
    store.put_json(keys.texts_key(JOB, 0, "es"), texts)
    store.put_json(keys.segments_key(JOB, 0), [s.model_dump() for s in segments])
    gpu = GpuActivities(store, tmp_path / "scratch")
    inp = SynthesizeInput(job_id=JOB, window_index=0, texts_key=keys.texts_key(JOB, 0, "es"),
                          target_lang="es", voice="espeak",
                          segments_key=keys.segments_key(JOB, 0), audio_key=keys.audio_key(JOB),
                          window_seconds=9.0)
    voiced = counting(monkeypatch, tts.Espeak, "synthesize")

    beats: list[Any] = []
    key = environment(beats).run(gpu.synthesize_segments, inp)
    clips = store.get_json(key)
    assert key == keys.clips_key(JOB, 0, "es") and len(clips) == 3
    assert all(c["key"] and store.exists(c["key"]) for c in clips)
    lines_voiced = {args[1] for args in voiced}
    assert lines_voiced == set(texts)
    recorded = [b for b in beats if isinstance(b, SynthesizeCheckpoint)]
    assert [len(b.clips) for b in recorded] == [1, 2, 3]

    # A crash after the first line: the next attempt voices lines 2 and 3 only.
    checkpoint = as_the_server_returns(recorded[0])
    assert isinstance(checkpoint, dict) and len(checkpoint["clips"]) == 1
    store.delete_prefix(key)
    voiced.clear()
    again = environment([], checkpoint).run(gpu.synthesize_segments, inp)
    assert {args[1] for args in voiced} == set(texts[1:])
    assert again == key and store.get_json(again) == clips

    # A checkpointed clip whose file did not survive is voiced again.
    store.delete_prefix(clips[0]["key"])
    voiced.clear()
    again = environment([], checkpoint).run(gpu.synthesize_segments, inp)
    assert {args[1] for args in voiced} == set(texts)
    assert store.get_json(again) == clips


def test_a_long_apertium_run_heartbeats_its_checkpoint_while_it_works(
        tmp_path: Path, store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """So a cancel reaches it (a sync activity learns of a cancel only through a heartbeat)
    and a retry still resumes from the checkpoint."""
    monkeypatch.setattr(tools, "BEAT_SECONDS", 0.05)
    line = "He was not an ill-disposed young man, unless to be rather cold hearted."
    segments = [Segment(index=i, start=2.0 * i, end=2.0 * i + 1.5, text=line)
                for i in range(1500)]
    store.put_json(keys.segments_key(JOB, 0), [s.model_dump() for s in segments])
    inp = TranslateInput(job_id=JOB, window_index=0, segments_key=keys.segments_key(JOB, 0),
                         source_lang="en", target_lang="es", translator="apertium")
    beats: list[Any] = []
    environment(beats).run(CpuActivities(store, tmp_path / "scratch").translate_segments, inp)
    during = [b for b in beats if isinstance(b, TranslateCheckpoint) and not b.texts]
    assert during, f"no heartbeat while Apertium worked ({len(beats)} beats in all)"
