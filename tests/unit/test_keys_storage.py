"""Storage keys and the local store."""

from __future__ import annotations

from pathlib import Path

import pytest

from dubbing import keys
from dubbing.storage import LocalStore, open_store
from dubbing.storage.base import check_key


@pytest.mark.parametrize("job_id", ["a/b", "..", "../x", "a b", "", ".hidden", "-x", "x" * 129])
def test_unusable_job_ids_are_rejected(job_id: str) -> None:
    with pytest.raises(ValueError, match="job id"):
        keys.input_key(job_id)
    with pytest.raises(ValueError):
        keys.job_prefix(job_id)


@pytest.mark.parametrize("lang", ["e/s", "..", "es ", "", "ES", "es/../x", "english"])
def test_invalid_language_codes_are_rejected(lang: str) -> None:
    with pytest.raises(ValueError, match="language code"):
        keys.texts_key("job-1", 0, lang)
    with pytest.raises(ValueError, match="language code"):
        keys.output_key("job-1", "mp4", "en", lang)


@pytest.mark.parametrize("call", [
    lambda: keys.job_prefix("job-1\n"),
    lambda: keys.clip_key("job-1", 0, "es\n", 1),
    lambda: check_key("jobs/job-1/input\n"),
], ids=["job_id", "lang", "check_key"])
def test_trailing_newline_is_rejected(call) -> None:
    with pytest.raises(ValueError):
        call()


def test_keys_are_deterministic_and_nest_under_the_job() -> None:
    assert keys.clip_key("job-1", 3, "pt-BR", 12) == "jobs/job-1/work/w0003/pt-BR/clip-0012.wav"
    assert keys.clip_key("job-1", 3, "pt-BR", 12) == keys.clip_key("job-1", 3, "pt-BR", 12)
    assert keys.output_key("job-1", "target_srt", "en", "es") == "jobs/job-1/out/dub.es.srt"
    assert keys.work_prefix("job-1") == "jobs/job-1/work/"
    assert keys.output_file_name("talk", "source_vtt", "en", "es") == "talk.en.vtt"
    for key in (keys.audio_key("j"), keys.fit_key("j", 0, "es"), keys.output_key(
            "j", "report", "en", "ca")):
        assert key.startswith(keys.job_prefix("j"))
        assert check_key(key) == key


@pytest.mark.parametrize("key", ["../x", "a/../b", "/etc/passwd", "a//b", "", ".x", "a b",
                                 "x/" + "y" * 512])
def test_check_key_rejects_odd_keys(key: str) -> None:
    with pytest.raises(ValueError, match="invalid storage key"):
        check_key(key)


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store")


def test_bytes_and_json_round_trip(store: LocalStore) -> None:
    store.put_bytes("jobs/j/a.bin", b"\x00\x01payload")
    assert store.get_bytes("jobs/j/a.bin") == b"\x00\x01payload"
    store.put_json("jobs/j/x.json", {"texto": "¿qué?", "n": [1, 2]})
    assert store.get_json("jobs/j/x.json") == {"texto": "¿qué?", "n": [1, 2]}
    assert store.exists("jobs/j/a.bin") and not store.exists("jobs/j/missing")


def test_files_round_trip_and_overwrite(store: LocalStore, tmp_path: Path) -> None:
    source = tmp_path / "src.dat"
    source.write_bytes(b"first" * 1000)
    store.put_file("jobs/j/input", source)
    source.write_bytes(b"second")
    store.put_file("jobs/j/input", source)
    store.get_file("jobs/j/input", tmp_path / "out" / "copy.dat")
    assert (tmp_path / "out" / "copy.dat").read_bytes() == b"second"


def test_writes_leave_no_temporary_files(store: LocalStore, tmp_path: Path) -> None:
    store.put_bytes("jobs/j/a", b"x")
    with pytest.raises(FileNotFoundError):
        store.put_file("jobs/j/b", tmp_path / "does-not-exist")
    assert not store.exists("jobs/j/b")
    assert [p.name for p in (store.root / "jobs" / "j").iterdir()] == ["a"]


def test_failed_overwrite_keeps_the_old_object(store: LocalStore, tmp_path: Path) -> None:
    store.put_bytes("jobs/j/a", b"old")
    with pytest.raises(FileNotFoundError):
        store.put_file("jobs/j/a", tmp_path / "does-not-exist")
    assert store.get_bytes("jobs/j/a") == b"old"


def test_bad_keys_are_refused_by_the_store(store: LocalStore, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        store.put_bytes("../escape", b"x")
    with pytest.raises(ValueError):
        store.get_bytes("/etc/hostname")
    assert not (tmp_path / "escape").exists()


def test_delete_prefix_removes_only_that_prefix(store: LocalStore) -> None:
    for key in ("jobs/a/input", "jobs/a/work/w0000/x", "jobs/a/work/w0001/y", "jobs/ab/input",
                "jobs/b/input"):
        store.put_bytes(key, b"1")
    assert store.delete_prefix("jobs/a/work/") == 2
    assert store.exists("jobs/a/input")
    assert store.delete_prefix(keys.job_prefix("a")) == 1
    assert not store.exists("jobs/a/input")
    assert store.exists("jobs/ab/input") and store.exists("jobs/b/input")
    assert store.delete_prefix("jobs/nothing/") == 0


def test_delete_prefix_refuses_escaping_prefixes(store: LocalStore) -> None:
    with pytest.raises(ValueError):
        store.delete_prefix("../")


def test_open_local_yields_the_file_in_place(store: LocalStore, tmp_path: Path) -> None:
    store.put_bytes("jobs/j/input", b"media")
    with store.open_local("jobs/j/input", tmp_path / "scratch") as path:
        assert path == store.root / "jobs/j/input"
        assert path.read_bytes() == b"media"
    assert path.exists()


class RemoteLikeStore(LocalStore):
    """A store that cannot be read in place, so open_local must download a copy."""

    def local_path(self, key: str) -> Path | None:
        return None


def test_open_local_downloads_and_cleans_up_otherwise(tmp_path: Path) -> None:
    store = RemoteLikeStore(tmp_path / "store")
    store.put_bytes("jobs/j/input", b"media")
    scratch = tmp_path / "scratch"
    with store.open_local("jobs/j/input", scratch) as path:
        assert path.parent == scratch
        assert path.read_bytes() == b"media"
    assert not path.exists()


def test_open_store_accepts_paths_and_file_urls(tmp_path: Path) -> None:
    assert isinstance(open_store(str(tmp_path / "s1")), LocalStore)
    store = open_store(f"file://{tmp_path / 's2'}")
    assert isinstance(store, LocalStore) and store.root == (tmp_path / "s2").resolve()
    with pytest.raises(ValueError, match="unsupported"):
        open_store("gs://bucket/prefix")
