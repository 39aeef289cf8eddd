"""A voice per speaker: the engine chosen for each speaker's lines, the synthesis step voicing
each line with it (a redub keeping the clip's speaker), the clustering step's stored labels, and
the speaker marks in VTT and SRT."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
import srt
import webvtt
from pydantic import ValidationError

from dubbing import keys
from dubbing.contract import RedubRequest
from dubbing.engines import espeak, tts
from dubbing.errors import ConfigurationError
from dubbing.stages import (
    Clip,
    ClusterSpeakersInput,
    EmbedSpeakersInput,
    PrepareRedubInput,
    SynthesizeInput,
    Window,
)
from dubbing.steps import diarize, no_beat, redub, speakers, synthesize
from dubbing.storage import LocalStore
from dubbing.subtitles import Cue, Line, layout, to_srt, to_vtt
from dubbing.voices import SPEAKER_VOICES, speaker_voice

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "speakers" / "embeddings.npz"
JOB = "dub-speakers-unit"


def _espeak(voice: str, lang: str, speaker: str | None) -> tts.Espeak:
    engine = tts.speaker_synthesizer(voice, lang, speaker)
    assert isinstance(engine, tts.Espeak)
    return engine


def test_the_first_speaker_keeps_the_jobs_voice_and_the_others_get_variants() -> None:
    assert _espeak("auto", "es", "S1").voice == "es"
    assert _espeak("espeak", "es", None).voice == "es"
    second = _espeak("espeak", "es", "S2")
    assert (second.voice, second.pitch) == ("es+f2", 62)
    assert _espeak("espeak", "es", "S3").voice == "es+m3"
    args = second.args(Path("x.wav"))
    assert args[args.index("-p") + 1] == "62"
    assert "-p" not in _espeak("espeak", "es", "S1").args(Path("x.wav"))


def test_piper_speaks_for_the_first_english_speaker_espeak_for_the_others() -> None:
    pytest.importorskip("piper")
    assert isinstance(tts.speaker_synthesizer("auto", "en", "S1"), tts.Piper)
    other = tts.speaker_synthesizer("auto", "en", "S2")
    assert isinstance(other, tts.Espeak) and other.voice == "en-us+f2"
    assert tts.voice_name(other) == "espeak-ng en-us+f2 pitch 62"


def test_neighbouring_speakers_differ_in_sex_and_every_voice_is_its_own() -> None:
    sexes = ["m" if v.variant is None else v.variant[0] for v in SPEAKER_VOICES]
    assert all(a != b for a, b in itertools.pairwise(sexes))
    assert len(set(SPEAKER_VOICES)) == len(SPEAKER_VOICES) == 10
    assert speaker_voice("S11") == speaker_voice("S1")


def _window(store: LocalStore, labels: list[str]) -> SynthesizeInput:
    texts = ["Hola.", "Buenos días.", "Adiós."]
    store.put_json(keys.texts_key(JOB, 0, "es"), texts)
    store.put_json(keys.segments_key(JOB, 0), [
        {"index": i, "start": i * 2.0, "end": i * 2.0 + 1.5, "text": t}
        for i, t in enumerate(texts)])
    store.put_json(keys.speakers_key(JOB), diarize.document([0], [3], labels))
    return SynthesizeInput(job_id=JOB, window_index=0, texts_key=keys.texts_key(JOB, 0, "es"),
                           target_lang="es", voice="espeak",
                           segments_key=keys.segments_key(JOB, 0), audio_key="-",
                           window_seconds=6.0, speakers_key=keys.speakers_key(JOB))


def test_each_line_is_voiced_with_its_speakers_voice_and_a_redub_keeps_it(
        tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    inp = _window(store, ["S1", "S2", "S1"])
    done = synthesize.synthesize_window(store, tmp_path, inp, no_beat,
                                        voices=tts.speaker_synthesizer)
    clips = [Clip.model_validate(c) for c in store.get_json(done.key)]
    assert [c.speaker for c in clips] == ["S1", "S2", "S1"]
    assert [c.voice for c in clips] == ["espeak-ng es", "espeak-ng es+f2 pitch 62",
                                        "espeak-ng es"]
    redub = inp.model_copy(update={"speakers_key": None, "lines": [1], "revision": 1})
    again = synthesize.synthesize_window(store, tmp_path, redub, no_beat,
                                         voices=espeak.speaker_synthesizer)
    clip = Clip.model_validate(store.get_json(again.key)[1])
    assert (clip.speaker, clip.voice) == ("S2", "espeak-ng es+f2 pitch 62")
    assert clip.key is not None and clip.key.endswith(".r1.wav")


def test_a_relabel_voices_the_line_as_its_new_speaker_and_later_redubs_keep_it(
        tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    inp = _window(store, ["S1", "S2", "S1"])
    synthesize.synthesize_window(store, tmp_path, inp, no_beat, voices=espeak.speaker_synthesizer)
    store.put_json("fits-w0", [{}, {}, {}])  # the window's three fitted lines
    prepare = PrepareRedubInput(job_id=JOB, windows=[Window(index=0, start=0.0, end=6.0)],
                                fit_keys=["fits-w0"], request=RedubRequest(
                                    target_lang="es", index=2, speaker="S3"))
    line = redub.prepare(store, prepare)
    assert (line.line, line.revision) == (2, 1)
    assert store.get_json(line.texts_key)[2] == "Adiós."  # a relabel keeps the text
    assert redub.prepare(store, prepare).revision == 1  # the same relabel again changes nothing

    def voiced_again(revision: int) -> Clip:
        again = inp.model_copy(update={"speakers_key": None, "lines": [2], "revision": revision})
        done = synthesize.synthesize_window(store, tmp_path, again, no_beat,
                                            voices=espeak.speaker_synthesizer)
        return Clip.model_validate(store.get_json(done.key)[2])

    clip = voiced_again(1)
    assert (clip.speaker, clip.voice) == ("S3", "espeak-ng es+m3 pitch 38")
    text_only = prepare.model_copy(update={"request": RedubRequest(
        target_lang="es", index=2, text="Hasta luego.")})
    assert redub.prepare(store, text_only).revision == 2
    clip = voiced_again(2)
    assert (clip.speaker, clip.voice) == ("S3", "espeak-ng es+m3 pitch 38")
    others = [Clip.model_validate(c) for c in store.get_json(line.clips_key)][:2]
    assert [c.speaker for c in others] == ["S1", "S2"]


def test_a_redub_must_change_the_text_or_the_speaker() -> None:
    with pytest.raises(ValidationError, match="a new text, a speaker, or both"):
        RedubRequest(target_lang="es", index=0)
    with pytest.raises(ValidationError, match="speaker"):
        RedubRequest(target_lang="es", index=0, speaker="Bob")


def test_the_clustering_step_labels_every_window_job_wide(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    store = LocalStore(tmp_path / "store")
    with np.load(FIXTURE) as data:
        vectors, reliable = data["dialogue.vectors"], data["dialogue.reliable"]
        truth, spans = list(data["dialogue.truth"]), data["dialogue.spans"].tolist()
    half = len(vectors) // 2
    names = []
    for window, part in enumerate((slice(0, half), slice(half, None))):
        names.append(keys.embeddings_key(JOB, window))
        store.put_bytes(names[-1], speakers.pack([vectors[part]], [reliable[part]], window,
                                                 [tuple(s) for s in spans[part]]))
    found = diarize.cluster_job(store, ClusterSpeakersInput(
        job_id=JOB, embeddings_keys=names, speakers="auto"))
    doc = store.get_json(found.speakers_key)
    assert found.count == len(set(truth)) == doc["count"]
    labels = diarize.window_labels(doc, 0) + diarize.window_labels(doc, 1)
    assert len(labels) == len(truth) and labels[0] == "S1"
    assert doc["voices"]["S1"] == {"variant": None, "pitch": None}
    assert doc["voices"]["S2"] == {"variant": "f2", "pitch": 62}
    # every speaker has a reference of its own speech, over no other speaker's line
    assert set(doc["references"]) == set(labels)
    for label, (start, end) in doc["references"].items():
        heard = {truth[i] for i, (a, b) in enumerate(spans) if a < end and b > start}
        speaker = {truth[i] for i, found in enumerate(labels) if found == label}
        assert heard and heard <= speaker and len(speaker) == 1, (label, heard, speaker)
        assert end - start > 2.0


def test_embedding_a_window_again_returns_the_stored_checkpoint(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    key = keys.embeddings_key(JOB, 3)
    store.put_bytes(key, b"stored before the crash")
    inp = EmbedSpeakersInput(job_id=JOB, audio_key="missing", window=Window(
        index=3, start=0.0, end=10.0), segments_key="missing")
    assert speakers.embed_window(store, tmp_path, inp, no_beat) == key


DIALOGUE = [Line(0.0, 2.0, "Did you see the letter?", speaker="S1"),
            Line(2.5, 4.0, "No, I was out.", speaker="S2"),
            Line(4.5, 6.5, "It came this morning.", speaker="S2"),
            Line(7.0, 9.0, "From your brother?", speaker="S1")]


def test_vtt_cues_name_their_speakers() -> None:
    captions = webvtt.from_buffer(io.StringIO(to_vtt(layout(DIALOGUE, 0.4)))).captions
    assert [c.voice for c in captions] == ["Speaker 1", "Speaker 2", "Speaker 2", "Speaker 1"]
    assert captions[1].text == "No, I was out."


def test_srt_marks_a_change_of_speaker_with_a_dash() -> None:
    subs = list(srt.parse(to_srt(layout(DIALOGUE, 0.4))))
    assert [s.content for s in subs] == ["Did you see the letter?", "- No, I was out.",
                                         "It came this morning.", "- From your brother?"]


def test_one_speaker_gets_no_marks_and_speakers_never_share_a_cue() -> None:
    alone = [Line(x.start, x.end, x.text, speaker="S1") for x in DIALOGUE]
    assert "<v" not in to_vtt(layout(alone, 0.4))
    assert "- " not in to_srt(layout(alone, 0.4))
    short = [Line(0.0, 0.3, "Yes.", speaker="S1"), Line(0.5, 0.8, "No.", speaker="S2")]
    assert [c.speaker for c in layout(short, 0.4)] == ["S1", "S2"]
    assert "<v" not in to_vtt([Cue(0.0, 1.0, "plain")])


@pytest.mark.parametrize("speaker", [None, "S1", "S2", "S7"])
def test_the_cpu_workers_espeak_voices_are_the_gpu_workers(speaker: str | None) -> None:
    """An espeak-only job sounds the same whichever worker voices it."""
    cpu = espeak.speaker_synthesizer("auto", "es", speaker)
    gpu = tts.speaker_synthesizer("auto", "es", speaker)
    assert espeak.voice_name(cpu) == tts.voice_name(gpu)


@pytest.mark.parametrize(("voice", "lang"), [("auto", "en"), ("piper", "en"), ("xtts", "es")])
def test_the_cpu_worker_refuses_voices_that_need_a_model(voice: str, lang: str) -> None:
    with pytest.raises(ConfigurationError, match="GPU worker"):
        espeak.speaker_synthesizer(voice, lang, "S2")
