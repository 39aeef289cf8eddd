"""A store that cannot be written (disk full, over quota, read-only, no permission) fails the
job at once with one line naming the store and the key; nothing half-written is left.

The tests run as root too, where chmod stops no write: the file system's refusals are stubbed
at the boundary the store calls (the open file, `mkstemp`, `rmtree`), and, where a tmpfs can
be mounted, also produced by a real full or read-only file system.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.base import translate_errors
from dubbing.errors import StorageError, StorageUnwritableError
from dubbing.storage import LocalStore
from dubbing.storage import local as local_module
from dubbing.storage.s3 import RETRY_ATTEMPTS, S3Store
from tests.faults.mounts import remount_read_only, tmpfs
from tests.s3 import s3_error
from workflows.policies import PERMANENT

KEY = "jobs/dub-x/out/dub.es.mp4"
REASONS = {errno.ENOSPC: "is full", errno.EDQUOT: "is over its disk quota",
           errno.EROFS: "is read-only", errno.EACCES: "is not writable by the worker"}


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


class FillingFile(io.BufferedWriter):
    """An open file on a disk with `room` bytes left: writes past it fail with ENOSPC."""

    def __init__(self, raw: Any, room: int) -> None:
        super().__init__(raw)
        self.room = room

    def write(self, data: Any) -> int:
        if len(data) > self.room:
            super().write(bytes(data[: self.room]))
            self.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return super().write(data)


@pytest.fixture
def disk_with_room(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files the store opens for writing hold 1000 bytes before the disk is full."""
    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        assert mode == "wb"
        return FillingFile(io.FileIO(fd, "wb"), room=1000)

    monkeypatch.setattr(local_module.os, "fdopen", fdopen)


def test_enospc_on_put_bytes_names_store_and_key_and_leaves_nothing(
        tmp_path: Path, disk_with_room: None) -> None:
    store = LocalStore(tmp_path / "store")
    with pytest.raises(StorageUnwritableError) as info:
        store.put_bytes(KEY, b"x" * 5000)
    assert str(info.value) == (
        f"storage {store.root} is full: writing {KEY} failed (No space left on device); "
        "free space and submit again")
    assert "\n" not in str(info.value)
    assert not info.value.retryable and info.value.type in PERMANENT
    assert leftovers(store.root) == []  # neither the key nor the temporary part


def test_put_file_on_a_full_disk_keeps_the_earlier_version_and_blames_only_the_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStore(tmp_path / "store")
    store.put_bytes(KEY, b"old")
    source = tmp_path / "dub.mp4"
    source.write_bytes(b"y" * 5000)
    with monkeypatch.context() as patch:
        patch.setattr(local_module.os, "fdopen",
                      lambda fd, mode="r", *a, **k: FillingFile(io.FileIO(fd, "wb"), 1000))
        with pytest.raises(StorageUnwritableError, match=f"writing {KEY} failed"):
            store.put_file(KEY, source)
    assert store.get_bytes(KEY) == b"old"
    assert leftovers(store.root) == [store.root / KEY]

    # A source the worker cannot read is not the store's fault: that error stays as it is.
    real_open = Path.open

    def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == source:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(PermissionError):
        store.put_file(KEY, source)
    assert leftovers(store.root) == [store.root / KEY]


@pytest.mark.parametrize("code", sorted(REASONS), ids=errno.errorcode.get)
def test_every_refusal_is_permanent_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  code: int) -> None:
    store = LocalStore(tmp_path / "store")

    def refuse(dir: str, prefix: str) -> tuple[int, str]:
        raise OSError(code, os.strerror(code), os.path.join(dir, prefix + "abc"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(StorageUnwritableError) as info:
        store.put_bytes(KEY, b"data")
    assert str(info.value).startswith(f"storage {store.root} {REASONS[code]}: writing {KEY} "
                                      f"failed ({os.strerror(code)}); ")
    assert str(info.value).endswith(" and submit again")


def test_a_read_only_store_refuses_deletes_with_the_prefix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStore(tmp_path / "store")
    store.put_bytes(KEY, b"data")

    def read_only(path: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.setattr(shutil, "rmtree", read_only)
    with pytest.raises(StorageUnwritableError) as info:
        store.delete_prefix("jobs/dub-x")
    assert str(info.value) == (
        f"storage {store.root} is read-only: deleting jobs/dub-x failed (Read-only file "
        "system); mount it read-write and submit again")


def test_activities_fail_non_retryable(tmp_path: Path, disk_with_room: None) -> None:
    store = LocalStore(tmp_path / "store")

    @translate_errors
    def render() -> None:
        store.put_bytes(KEY, b"x" * 5000)

    with pytest.raises(ApplicationError) as info:
        render()
    assert info.value.non_retryable and info.value.type in PERMANENT
    assert info.value.message.startswith(f"storage {store.root} is full: writing {KEY}")


def test_a_real_full_disk(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "store", size_kib=64) as root:
        store = LocalStore(root)
        store.put_bytes("jobs/j/small", b"s" * 1000)
        with pytest.raises(StorageUnwritableError, match=r"is full: writing jobs/j/big failed"):
            store.put_bytes("jobs/j/big", b"b" * (256 * 1024))
        assert leftovers(root) == [root / "jobs/j/small"]


def test_a_download_onto_a_full_disk_names_that_disk(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStore(tmp_path / "store")
    store.put_bytes(KEY, b"v" * 5000)
    dest = tmp_path / "scratch" / "dub.mp4"

    def half_copy(src: Path, dst: Path) -> None:
        Path(dst).write_bytes(b"v" * 1000)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(shutil, "copyfile", half_copy)
    with pytest.raises(StorageUnwritableError) as info:
        store.get_file(KEY, dest)
    assert str(info.value) == (
        f"directory {dest.parent} is full: copying {KEY} from storage {store.root} into it "
        "failed (No space left on device); free space and try again")
    assert not dest.exists()


def test_a_real_full_disk_under_a_download(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    store.put_bytes(KEY, b"v" * (256 * 1024))
    with tmpfs(tmp_path / "scratch", size_kib=64) as scratch:
        with pytest.raises(StorageUnwritableError, match=f"directory {scratch} is full"):
            store.get_file(KEY, scratch / "dub.mp4")
        assert list(scratch.iterdir()) == []


def test_a_real_read_only_disk(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "store", size_kib=64) as root:
        store = LocalStore(root)
        store.put_bytes("jobs/j/kept", b"k")
        remount_read_only(root)
        with pytest.raises(StorageUnwritableError, match=r"is read-only: writing jobs/j/new"):
            store.put_bytes("jobs/j/new", b"n")
        with pytest.raises(StorageUnwritableError, match=r"is read-only: deleting jobs/j "):
            store.delete_prefix("jobs/j")
        assert store.get_bytes("jobs/j/kept") == b"k"


# S3: the bucket's answers, stubbed at the client (no server needed).

SECRET = "s3cr3t-never-shown"


@pytest.fixture
def s3() -> S3Store:
    store = S3Store("dub-test", "p", endpoint="127.0.0.1:9", access_key="AKIDEXAMPLE",
                    secret_key=SECRET)
    store._bucket_ready = True
    return store


def answering(store: S3Store, monkeypatch: pytest.MonkeyPatch, method: str, code: str,
              status: int) -> list[int]:
    calls: list[int] = []

    def fail(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise s3_error(code, status)

    monkeypatch.setattr(store._client, method, fail)
    return calls


@pytest.mark.parametrize(("code", "status", "state"), [
    ("AccessDenied", 403, "denies this worker writes"),
    ("XMinioStorageFull", 507, "is full"),
    ("SignatureDoesNotMatch", 403, "refuses the worker's secret key"),
])
def test_s3_refused_upload_is_permanent_at_once(s3: S3Store, monkeypatch: pytest.MonkeyPatch,
                                                code: str, status: int, state: str) -> None:
    calls = answering(s3, monkeypatch, "put_object", code, status)
    with pytest.raises(StorageUnwritableError) as info:
        s3.put_bytes(KEY, b"data")
    message = str(info.value)
    assert message.startswith(f"storage s3://dub-test/p at 127.0.0.1:9 {state}: uploading "
                              f"{KEY} failed ({code}: {code}); ")
    assert SECRET not in message and "AKIDEXAMPLE" not in message and "\n" not in message
    assert len(calls) == 1 and not info.value.retryable


def test_s3_refused_delete_is_permanent_but_reads_and_slowdowns_stay_retried(
        s3: S3Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from minio.deleteobjects import DeleteError
    from tenacity import wait_none

    from dubbing.storage import s3 as s3_module

    monkeypatch.setattr(s3._client, "list_objects", lambda *a, **k: iter(
        [type("O", (), {"object_name": f"p/{KEY}"})()]))
    monkeypatch.setattr(s3._client, "remove_objects", lambda *a, **k: iter(
        [DeleteError("AccessDenied", "Access Denied.", f"p/{KEY}", None)]))
    with pytest.raises(StorageUnwritableError,
                       match=r"denies this worker writes: deleting jobs/dub-x failed "):
        s3.delete_prefix("jobs/dub-x")

    # Only writes and deletes: a refused read, or a passing SlowDown, is retried as before.
    monkeypatch.setattr(s3_module, "RETRY_WAIT", wait_none())
    answering(s3, monkeypatch, "get_object", "AccessDenied", 403)
    with pytest.raises(StorageError) as read:
        s3.get_bytes(KEY)
    assert not isinstance(read.value, StorageUnwritableError) and read.value.retryable
    calls = answering(s3, monkeypatch, "put_object", "SlowDown", 503)
    with pytest.raises(StorageError) as slow:
        s3.put_bytes(KEY, b"data")
    assert slow.value.retryable and len(calls) == RETRY_ATTEMPTS


def test_a_full_scratch_disk_in_a_workers_own_write_is_permanent_and_named() -> None:
    import errno

    from temporalio.exceptions import ApplicationError

    from activities.base import translate_errors

    @translate_errors
    def render() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "/scratch/cpu/42/tmp1/dub.wav")

    with pytest.raises(ApplicationError) as info:
        render()
    assert info.value.non_retryable
    assert "scratch space /scratch/cpu/42/tmp1 is full: writing dub.wav failed" in \
        info.value.message
