"""A job's storage belongs to its runs: a later run never removes a completed run's outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from dubbing import keys
from dubbing.errors import BadInputError
from dubbing.stages import CleanupInput
from dubbing.steps.runs import cleanup, completed_run, refuse_if_completed
from dubbing.storage.local import LocalStore

JOB = "talk-1a2b"


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _completed(store: LocalStore, run: str) -> list[str]:
    """A run that rendered and finished: its outputs, kept work and the job's input."""
    store.put_bytes(keys.input_key(JOB), b"video")
    outputs = [keys.output_key(JOB, kind, "en", "es", run=run) for kind in ("mp4", "report")]
    for key in outputs:
        store.put_bytes(key, b"out")
    store.put_bytes(keys.manifest_key(JOB, "es", run=run), b"{}")
    store.put_bytes(keys.audio_key(JOB, run=run), b"pcm")
    cleanup(store, CleanupInput(job_id=JOB, run_id=run, keep_outputs=True, outputs=outputs))
    return outputs


def test_every_key_of_a_run_lies_under_its_own_prefix() -> None:
    prefix = keys.run_prefix(JOB, "run-1")
    assert prefix == f"jobs/{JOB}/runs/run-1/"
    made = [keys.audio_key(JOB, run="run-1"), keys.segments_key(JOB, 2, run="run-1"),
            keys.clip_key(JOB, 2, "es", 3, 1, run="run-1"),
            keys.fitted_key(JOB, 2, "es", 3, run="run-1"),
            keys.output_key(JOB, "mp4", "en", "es", run="run-1"),
            keys.manifest_key(JOB, "es", run="run-1")]
    assert all(key.startswith(prefix) for key in made), made
    with pytest.raises(ValueError, match="run id"):
        keys.audio_key(JOB, run="../other")


def test_a_completed_run_is_recorded_and_keeps_its_outputs(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    outputs = _completed(store, "run-1")
    done = completed_run(store, JOB)
    assert done is not None and done.run_id == "run-1"
    assert all(store.exists(k) for k in outputs)
    assert not store.exists(keys.audio_key(JOB, run="run-1")), "the extracted audio is removed"
    assert store.exists(keys.input_key(JOB))


def test_a_later_run_is_refused_and_its_cleanup_leaves_the_completed_run(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    _completed(store, "run-1")
    before = _files(tmp_path)
    with pytest.raises(BadInputError, match=f"job {JOB} has already completed .*starter result"):
        refuse_if_completed(store, JOB, "run-2")
    cleanup(store, CleanupInput(job_id=JOB, run_id="run-2", keep_outputs=False))
    assert _files(tmp_path) == before


def test_the_completed_run_itself_is_not_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    _completed(store, "run-1")
    refuse_if_completed(store, JOB, "run-1")  # a retried activity of the same run


def test_a_job_whose_outputs_were_removed_can_be_dubbed_again(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for key in _completed(store, "run-1"):
        (tmp_path / key).unlink()
    assert completed_run(store, JOB) is None
    refuse_if_completed(store, JOB, "run-2")


def test_a_failed_run_without_a_completed_one_removes_the_whole_job(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_bytes(keys.input_key(JOB), b"video")
    store.put_bytes(keys.segments_key(JOB, 0, run="run-1"), b"[]")
    store.put_bytes(keys.input_key("other-job"), b"video")
    removed = cleanup(store, CleanupInput(job_id=JOB, run_id="run-1", keep_outputs=False))
    assert removed == 2
    assert _files(tmp_path) == {keys.input_key("other-job")}


def test_an_output_removed_from_the_store_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    from starter import outputs

    store = LocalStore(tmp_path / "store")
    key = keys.output_key(JOB, "mp4", "en", "es", run="run-1")
    missing = r"is missing from the store: .* \(`starter translate`\)"
    with pytest.raises(BadInputError, match=missing), \
            outputs._reading(store, key, tmp_path / "scratch"):
        pass


def test_a_job_id_that_cannot_be_a_prefix_is_bad_input_never_retried() -> None:
    from temporalio.exceptions import ApplicationError

    from activities.base import translate_errors

    @translate_errors
    def step() -> str:
        return keys.audio_key("talk 1", run="run-1")

    with pytest.raises(ApplicationError) as info:
        step()
    assert info.value.type == "BadInput" and info.value.non_retryable
    assert "job id 'talk 1' is not usable as a storage prefix" in info.value.message
