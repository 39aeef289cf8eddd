"""The storage layout, key by key: where each object of a job lives and the names a user gets.

Written out in full: a changed key strands the objects of jobs already stored (a redub of a
finished job reads its work files back), so the layout is a contract, not an implementation
detail."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dubbing import keys

JOB = "dub-talk-1a2b3c"


def test_the_layout_of_a_job() -> None:
    assert keys.job_prefix(JOB) == "jobs/dub-talk-1a2b3c/"
    assert keys.work_prefix(JOB) == "jobs/dub-talk-1a2b3c/work/"
    assert keys.input_key(JOB) == "jobs/dub-talk-1a2b3c/input"
    assert keys.reference_key(JOB) == "jobs/dub-talk-1a2b3c/reference.txt"
    assert keys.audio_key(JOB) == "jobs/dub-talk-1a2b3c/work/audio.wav"
    assert keys.segments_key(JOB, 7) == "jobs/dub-talk-1a2b3c/work/w0007/segments.json"
    assert keys.texts_key(JOB, 7, "es") == "jobs/dub-talk-1a2b3c/work/w0007/es/texts.json"
    assert keys.clips_key(JOB, 7, "es") == "jobs/dub-talk-1a2b3c/work/w0007/es/clips.json"
    assert keys.fit_key(JOB, 7, "es") == "jobs/dub-talk-1a2b3c/work/w0007/es/fit.json"
    assert keys.revisions_key(JOB, 7, "es") == (
        "jobs/dub-talk-1a2b3c/work/w0007/es/revisions.json")
    assert keys.manifest_key(JOB, "es") == "jobs/dub-talk-1a2b3c/work/es-manifest.json"


def test_a_redub_writes_new_clip_names_and_revision_0_keeps_the_first() -> None:
    assert keys.clip_key(JOB, 2, "ca", 15) == "jobs/dub-talk-1a2b3c/work/w0002/ca/clip-0015.wav"
    assert keys.clip_key(JOB, 2, "ca", 15, 0) == keys.clip_key(JOB, 2, "ca", 15)
    assert keys.clip_key(JOB, 2, "ca", 15, 3) == (
        "jobs/dub-talk-1a2b3c/work/w0002/ca/clip-0015.r3.wav")
    assert keys.fitted_key(JOB, 2, "ca", 15) == (
        "jobs/dub-talk-1a2b3c/work/w0002/ca/fitted-0015.wav")
    assert keys.fitted_key(JOB, 2, "ca", 15, 1) == (
        "jobs/dub-talk-1a2b3c/work/w0002/ca/fitted-0015.r1.wav")


@pytest.mark.parametrize(("kind", "stored", "given"), [
    ("mp4", "dub.es.mp4", "talk.es.mp4"),
    ("source_srt", "source.en.srt", "talk.en.srt"),
    ("target_srt", "dub.es.srt", "talk.es.srt"),
    ("source_vtt", "source.en.vtt", "talk.en.vtt"),
    ("target_vtt", "dub.es.vtt", "talk.es.vtt"),
    ("report", "dub.es.report.json", "talk.es.report.json"),
])
def test_every_output_is_named_after_its_language(kind: str, stored: str, given: str) -> None:
    assert keys.output_key(JOB, kind, "en", "es") == f"jobs/dub-talk-1a2b3c/out/{stored}"
    assert keys.output_file_name("talk", kind, "en", "es") == given


def test_the_source_language_of_an_output_is_checked_too() -> None:
    with pytest.raises(ValueError, match="language code"):
        keys.output_key(JOB, "source_srt", "EN", "es")


@pytest.mark.parametrize("make", [
    lambda j: keys.reference_key(j), lambda j: keys.audio_key(j),
    lambda j: keys.segments_key(j, 0), lambda j: keys.manifest_key(j, "es"),
    lambda j: keys.fitted_key(j, 0, "es", 0), lambda j: keys.revisions_key(j, 0, "es"),
    lambda j: keys.output_key(j, "mp4", "en", "es"),
], ids=["reference", "audio", "segments", "manifest", "fitted", "revisions", "output"])
def test_no_key_is_made_for_an_unusable_job_id(make: Callable[[str], str]) -> None:
    with pytest.raises(ValueError, match="job id"):
        make("../other-job")


@pytest.mark.parametrize("make", [
    lambda lang: keys.clips_key(JOB, 0, lang), lambda lang: keys.fit_key(JOB, 0, lang),
    lambda lang: keys.revisions_key(JOB, 0, lang), lambda lang: keys.manifest_key(JOB, lang),
    lambda lang: keys.fitted_key(JOB, 0, lang, 0), lambda lang: keys.clip_key(JOB, 0, lang, 0),
], ids=["clips", "fit", "revisions", "manifest", "fitted", "clip"])
def test_no_key_is_made_for_an_invalid_language(make: Callable[[str], str]) -> None:
    with pytest.raises(ValueError, match="language code"):
        make("es/../../x")


@pytest.mark.parametrize("lang", ["es", "pt-BR", "yue", "zh-Hant"])
def test_language_codes_with_regions_and_scripts_are_accepted(lang: str) -> None:
    assert keys.texts_key(JOB, 0, lang) == f"jobs/dub-talk-1a2b3c/work/w0000/{lang}/texts.json"


@pytest.mark.parametrize("job_id", ["a", "A9", "x" * 128, "job.2024-01_a"])
def test_usable_job_ids(job_id: str) -> None:
    assert keys.input_key(job_id) == f"jobs/{job_id}/input"
