"""A cloned voice (XTTS) learns each speaker from that speaker's own speech: on a real
three-speaker dialogue, the reference clip cut for every speaker is heard (by the speaker
encoder) as that speaker and as no other. Real embedding, clustering and ffmpeg cuts; XTTS
itself needs the GPU extra, so the clips are judged where XTTS would receive them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from bench import speakers_media as media
from dubbing import keys
from dubbing.media import audio
from dubbing.stages import (
    ClusterSpeakersInput,
    EmbedSpeakersInput,
    Segment,
    SynthesizeInput,
    Window,
)
from dubbing.steps import diarize, no_beat, speakers, synthesize
from dubbing.storage import LocalStore

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    importlib.util.find_spec("resemblyzer") is None,
    reason="the speech extra's speaker encoder is missing")]
JOB = "dub-references"


def test_each_speaker_is_cloned_from_its_own_voice(tmp_path: Path) -> None:
    from dubbing.engines import speakers as encoder

    truth = media.dialogue(tmp_path / "talk.wav", ["reader", "m3", "f4"], 9, 3)
    store = LocalStore(tmp_path / "store")
    audio_key, segments_key = keys.audio_key(JOB), keys.segments_key(JOB, 0)
    store.put_file(audio_key, tmp_path / "talk.wav")
    segments = [Segment(index=i, start=x.start, end=x.end, text=x.text)
                for i, x in enumerate(truth)]
    store.put_json(segments_key, [s.model_dump() for s in segments])
    window = Window(index=0, start=0.0, end=truth[-1].end + 1)
    embedded = speakers.embed_window(store, tmp_path, EmbedSpeakersInput(
        job_id=JOB, audio_key=audio_key, window=window, segments_key=segments_key), no_beat)
    found = diarize.cluster_job(store, ClusterSpeakersInput(
        job_id=JOB, embeddings_keys=[embedded], speakers="auto"))
    labels = diarize.window_labels(store.get_json(found.speakers_key), 0)
    assert found.count == 3

    inp = SynthesizeInput(job_id=JOB, window_index=0, texts_key="unused", target_lang="es",
                          voice="xtts", segments_key=segments_key, audio_key=audio_key,
                          window_seconds=window.end, speakers_key=found.speakers_key)
    clips = synthesize.cloning_references(store, tmp_path, inp, segments,
                                          list(labels))
    assert set(clips) == set(labels)

    samples = audio.read_window(tmp_path / "talk.wav", 0.0, window.end)
    lines = encoder.embed(samples, [(x.start, x.end) for x in truth])
    voices = sorted({x.speaker for x in truth})
    centroids = np.stack([lines[[x.speaker == v for x in truth]].mean(axis=0) for v in voices])
    for label, clip in clips.items():
        heard = encoder.embed(audio.read_window(clip, 0.0, 30.0), [(0.0, 30.0)])[0]
        nearest = voices[int(np.argmax(centroids @ heard))]
        said = {x.speaker for x, found_label in zip(truth, labels, strict=True)
                if found_label == label}
        assert said == {nearest}, (label, nearest, said)
