"""Every user-supplied size has a limit, checked at submit with one clear line and again by the
first activity; a job's input must be its own; webhooks are signed or explicitly unsigned."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dubbing import keys
from dubbing.contract import DubJob
from dubbing.errors import BadInputError, ConfigurationError
from dubbing.limits import check_media
from dubbing.media.probe import probe as probe_media
from dubbing.settings import Settings
from dubbing.stages import ProbeInput
from dubbing.steps.ingest import probe_input
from dubbing.storage import LocalStore
from starter import jobs
from starter.app import Exit
from starter.options import build_job
from tests.helpers import SAMPLE

JOB_ID = "dub-talk-0123456789abcdef"


def job(**changes: object) -> DubJob:
    fields: dict[str, object] = {"input_key": keys.input_key(JOB_ID), "input_name": "talk.mp4"}
    return DubJob.model_validate({**fields, **changes})


def probe(tmp_path: Path, dub: DubJob, settings: Settings | None = None) -> None:
    store = LocalStore(tmp_path / "store")
    store.put_file(keys.input_key(JOB_ID), SAMPLE)
    probe_input(store, tmp_path, ProbeInput(job_id=JOB_ID, job=dub), settings)


@pytest.mark.parametrize(("changes", "message"), [
    ({"target_langs": ("es", "ca", "gl", "eo", "eu", "is", "mk", "hr", "sr")},
     "9 target languages; at most 8"),
    ({"target_langs": ("es", "es")}, "listed twice"),
    ({"input_name": "x" * 250 + ".mp4"}, "254 characters long; at most 200"),
    ({"input_name": "talk\x00.mp4"}, "control characters"),
    ({"glossary": {f"term{i}": "t" for i in range(2500)}}, "2500 terms; at most 2000"),
    ({"glossary": {f"big{i}": "x" * 200 for i in range(1500)}}, "KiB of text; at most 256 KiB"),
])
def test_oversize_values_are_refused_by_the_first_activity(
        tmp_path: Path, changes: dict[str, object], message: str) -> None:
    with pytest.raises(BadInputError, match=message) as info:
        probe(tmp_path, job(**changes))
    assert not info.value.retryable


def test_the_starter_merges_repeated_languages_and_refuses_too_many() -> None:
    built = build_job("en", "es,ca,es", "apertium", "auto", "tiny.en", "talk.mp4")
    assert built.target_langs == ("es", "ca")
    with pytest.raises(Exit) as info:
        build_job("en", "es,ca,gl,eo,eu,is,mk,hr,sr", "apertium", "auto", "tiny.en", "t.mp4")
    assert info.value.code == 2 and "at most 8" in str(info.value.message)


def test_another_jobs_input_is_refused(tmp_path: Path) -> None:
    other = job().model_copy(update={"input_key": "jobs/dub-other-1111/out/dub.es.mp4"})
    with pytest.raises(BadInputError, match="the job's own key") as info:
        probe(tmp_path, other)
    assert not info.value.retryable


def test_a_webhook_without_a_secret_on_the_workers_is_refused_unless_unsigned(
        tmp_path: Path) -> None:
    hooked = job(webhook_url="https://93.184.216.34/hook")
    with pytest.raises(ConfigurationError, match="DUB_WEBHOOK_SECRET"):
        probe(tmp_path, hooked, Settings(webhook_secret=None))
    probe(tmp_path, hooked.model_copy(update={"webhook_unsigned": True}),
          Settings(webhook_secret=None))
    probe(tmp_path, hooked, Settings(webhook_secret="k"))


def test_media_over_the_caps_is_refused_before_anything_is_uploaded(tmp_path: Path) -> None:
    info = probe_media(SAMPLE, SAMPLE.name)
    check_media(info, SAMPLE.name, Settings.model_construct())  # within the default caps
    with pytest.raises(BadInputError, match=r"hours long; .* at most 0.001 hours"):
        check_media(info, SAMPLE.name, Settings.model_construct(max_media_hours=0.001))
    with pytest.raises(BadInputError, match=rf"{info.width}x{info.height}; at most 64x4320"):
        check_media(info, SAMPLE.name, Settings.model_construct(max_video_width=64))
    store = LocalStore(tmp_path / "store")
    job = DubJob(input_key="pending", input_name=SAMPLE.name)
    with pytest.raises(BadInputError, match="hours long"):
        asyncio.run(jobs.submit(None, store, SAMPLE, job,  # type: ignore[arg-type]
                                settings=Settings.model_construct(max_media_hours=0.001)))
    assert not any((tmp_path / "store").rglob("*input")), "the input was uploaded anyway"


def test_a_reference_is_capped_and_part_of_the_job_id(tmp_path: Path) -> None:
    job = DubJob(input_key="pending", input_name=SAMPLE.name)
    ids = {jobs.job_id_for("talk", "abc", job, ref) for ref in (None, "ref-1", "ref-2")}
    assert len(ids) == 3, "another reference must be another job"
    big = tmp_path / "reference.txt"
    big.write_bytes(b"word " * (1024 * 1024 // 5 + 1))
    store = LocalStore(tmp_path / "store")
    with pytest.raises(BadInputError, match=r"reference\.txt: the reference transcript is 1024"):
        asyncio.run(jobs.submit(None, store, SAMPLE, job, reference=big))  # type: ignore[arg-type]
    assert not any((tmp_path / "store").rglob("*input")), "the input was uploaded anyway"


def test_one_speaker_keeps_the_job_id_from_before_diarization() -> None:
    import hashlib

    job = DubJob(input_key="pending", input_name=SAMPLE.name, speakers="1")
    assert DubJob(input_key="pending", input_name=SAMPLE.name).speakers == "auto"  # the default
    before = job.model_dump_json(exclude={"input_key", "input_name", "source_key",
                                          "audio_track", "speakers"})
    digest = hashlib.sha256(f"abc\n{before}".encode()).hexdigest()[:16]
    assert jobs.job_id_for("talk", "abc", job) == f"dub-talk-{digest}"
    auto = job.model_copy(update={"speakers": "auto"})
    assert jobs.job_id_for("talk", "abc", auto) != jobs.job_id_for("talk", "abc", job)
    assert build_job("en", "es", "apertium", "auto", "tiny.en", "x", speakers="3").speakers == "3"
    with pytest.raises(Exit, match="speakers must be 'auto' or a count from 1 to 10"):
        build_job("en", "es", "apertium", "auto", "tiny.en", "x", speakers="11")


@pytest.mark.parametrize(("changes", "problem"), [
    ({"target_langs": ("[click](https://evil.example/x)",)}, "is not a language code"),
    ({"source_lang": "en\nfr"}, "is not a language code"),
    ({"glossary": {"the": "x" * 201}}, "a glossary translation is 201 characters long"),
])
def test_language_codes_and_glossary_values_are_checked(changes: dict, problem: str) -> None:
    with pytest.raises(Exit) as refused:
        build_job(changes.get("source_lang", "en"), ",".join(changes.get("target_langs", ["es"])),
                  "apertium", "auto", "tiny.en", "talk.mp4",
                  **{k: v for k, v in changes.items() if k == "glossary"})
    assert refused.value.code == 2 and problem in (refused.value.message or "")


def test_the_typed_client_and_the_batch_check_at_submit_too(tmp_path: Path) -> None:
    from dubclient.client import DubClient
    from starter.batch import MAX_BATCH_ITEMS, problems

    many = DubJob(input_key="pending", input_name="talk.mp4",
                  target_langs=tuple(f"x{c}" for c in "abcdefghij"))
    with pytest.raises(BadInputError, match="10 target languages; at most 8"):
        asyncio.run(DubClient(None).start(many, "job-1"))  # type: ignore[arg-type]
    named = tmp_path / ("n" * 210 + ".mp4")
    named.write_bytes(b"x")
    assert problems([named]) == [f"{named}: the input name is 214 characters long; at most "
                                 "200 (rename the file)"]
    assert problems([named] * (MAX_BATCH_ITEMS + 1))[0].endswith("split the list")
