"""The S3 store against a real (in-process, moto) S3 server, and `open_store` URL parsing."""

from __future__ import annotations

import hashlib
import os
import socket
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import urllib3
from minio import Minio
from minio.error import ServerError
from tenacity import wait_none

from dubbing.errors import StorageError
from dubbing.settings import Settings
from dubbing.storage import LocalStore, open_store
from dubbing.storage import s3 as s3_module
from dubbing.storage.s3 import S3Store
from tests.s3 import ACCESS_KEY, BUCKET, SECRET_KEY, s3_error, s3_server, s3_settings, s3_store

__all__ = ["s3_server"]  # the fixture, imported for pytest

MiB = 1024 * 1024


@pytest.fixture
def store(s3_server: str) -> S3Store:
    """A store under a fresh key prefix, so tests sharing the server do not see each other."""
    return s3_store(s3_server)


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3_module, "RETRY_WAIT", wait_none())


def counting(monkeypatch: pytest.MonkeyPatch, obj: object, name: str,
             replacement: Callable[..., Any] | None = None) -> list[dict[str, Any]]:
    """Patch `obj.name` to record each call's keyword arguments, then call through."""
    original = getattr(obj, name)
    calls: list[dict[str, Any]] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return (replacement or original)(*args, **kwargs)

    monkeypatch.setattr(obj, name, spy)
    return calls


def test_bytes_and_json_round_trip(store: S3Store) -> None:
    for data in (b"\x00\x01payload", b"second"):
        store.put_bytes("jobs/j/a.bin", data)
        assert store.get_bytes("jobs/j/a.bin") == data
    store.put_json("jobs/j/x.json", {"texto": "¿qué?", "n": [1, 2]})
    assert store.get_json("jobs/j/x.json") == {"texto": "¿qué?", "n": [1, 2]}
    assert store.exists("jobs/j/a.bin") and not store.exists("jobs/j/missing")
    assert not store.exists("jobs/j") and store.local_path("jobs/j/a.bin") is None


def write_random(path: Path, mib: int) -> str:
    """Write `mib` MiB of random bytes a MiB at a time; return their md5."""
    with path.open("wb") as out:
        for _ in range(mib):
            out.write(os.urandom(MiB))
    return file_md5(path)


def file_md5(path: Path) -> str:
    with path.open("rb") as src:
        return hashlib.file_digest(src, "md5").hexdigest()


def test_large_file_streams_in_parts_and_round_trips(
        store: S3Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "big.bin"
    md5 = write_random(source, 20)
    uploads = counting(monkeypatch, store._client, "fput_object")
    store.put_file("jobs/j/input", source)
    assert uploads == [{"part_size": 16 * MiB, "num_parallel_uploads": 1}]
    etag = store._client.stat_object(BUCKET, store._name("jobs/j/input")).etag
    assert etag is not None and etag.endswith("-2")  # a two-part multipart upload
    out = tmp_path / "out" / "copy.bin"
    store.get_file("jobs/j/input", out)
    assert file_md5(out) == md5
    assert [p.name for p in out.parent.iterdir()] == ["copy.bin"]
    with store.open_local("jobs/j/input", tmp_path / "scratch") as local:
        assert local.parent == tmp_path / "scratch" and local.stat().st_size == 20 * MiB
    assert not local.exists()


def test_bucket_is_created_once_on_first_write(
        s3_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = f"dub-new-{uuid.uuid4().hex[:8]}"
    store = s3_store(s3_server, bucket=bucket)
    admin = Minio(s3_server, ACCESS_KEY, SECRET_KEY, secure=False)
    assert not store.exists("jobs/j/a") and store.delete_prefix("jobs/j") == 0
    assert not admin.bucket_exists(bucket)
    made = counting(monkeypatch, store._client, "make_bucket")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: store.put_bytes(f"jobs/j/{i}", b"x"), range(16)))
    assert admin.bucket_exists(bucket) and len(made) == 1
    assert all(store.exists(f"jobs/j/{i}") for i in range(16))


def test_delete_prefix_removes_only_that_prefix(store: S3Store, s3_server: str) -> None:
    neighbour = s3_store(s3_server, prefix=store.prefix + "x")
    neighbour.put_bytes("jobs/a/input", b"1")
    for key in ("jobs/a/input", "jobs/a/work/w0000/x", "jobs/a/work/w0001/y", "jobs/ab/input",
                "jobs/b/input"):
        store.put_bytes(key, b"1")
    assert store.delete_prefix("jobs/a/work/") == 2 and store.exists("jobs/a/input")
    assert store.delete_prefix("jobs/a/") == 1 and not store.exists("jobs/a/input")
    assert store.exists("jobs/ab/input") and store.exists("jobs/b/input")
    assert store.delete_prefix("jobs/nothing/") == 0
    assert store.delete_prefix("jobs/b/input") == 1 and not store.exists("jobs/b/input")
    assert neighbour.exists("jobs/a/input")


@pytest.mark.parametrize("key", ["../escape", "../", "/", "/etc/passwd", "a//b", "", ".x", "a b",
                                 "a\n"])
def test_bad_keys_are_refused(store: S3Store, key: str, tmp_path: Path) -> None:
    calls: list[Callable[[], object]] = [
        lambda: store.put_bytes(key, b"x"), lambda: store.put_file(key, tmp_path / "src"),
        lambda: store.get_bytes(key), lambda: store.get_file(key, tmp_path / "dest"),
        lambda: store.exists(key), lambda: store.presigned_url(key, timedelta(minutes=1)),
        lambda: store.delete_prefix(key),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="invalid storage key"):
            call()
    assert not (tmp_path / "dest").exists()


def test_missing_key_raises_storage_error_naming_it(
        store: S3Store, s3_server: str, tmp_path: Path) -> None:
    store.put_bytes("jobs/j/other", b"x")
    with pytest.raises(StorageError, match="no such object") as info:
        store.get_bytes("jobs/j/missing")
    assert "'jobs/j/missing'" in info.value.message and s3_server in info.value.message
    with pytest.raises(StorageError, match="'jobs/j/missing'"):
        store.get_file("jobs/j/missing", tmp_path / "out" / "dest")
    assert list((tmp_path / "out").iterdir()) == []


def test_failed_download_leaves_no_partial_file(
        store: S3Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_wait: None) -> None:
    source = tmp_path / "src.bin"
    write_random(source, 3)
    store.put_file("jobs/j/input", source)
    dest = tmp_path / "dest.bin"
    dest.write_bytes(b"old")
    real_get = store._client.get_object

    def broken(*args: Any, **kwargs: Any) -> Any:
        """A GET whose connection drops after the first chunk."""
        response = real_get(*args, **kwargs)

        def stream(amt: int) -> Iterator[bytes]:
            yield response.read(amt)
            raise urllib3.exceptions.ProtocolError("connection reset by peer")

        setattr(response, "stream", stream)  # noqa: B010
        return response

    gets = counting(monkeypatch, store._client, "get_object", broken)
    with pytest.raises(StorageError, match="cannot download 'jobs/j/input'"):
        store.get_file("jobs/j/input", dest)
    assert len(gets) == s3_module.RETRY_ATTEMPTS and dest.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest.bin", "src.bin"]


def test_presigned_url_downloads_the_object(store: S3Store) -> None:
    data = os.urandom(100_000)
    store.put_bytes("jobs/j/out/dub.es.mp4", data)
    url = store.presigned_url("jobs/j/out/dub.es.mp4", timedelta(minutes=5))
    assert url.startswith("http://") and "X-Amz-Expires=300" in url
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        assert response.read() == data


def test_local_store_presigned_url_is_a_file_uri(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    store.put_bytes("jobs/j/out/a_b.txt", b"hello")
    url = store.presigned_url("jobs/j/out/a_b.txt", timedelta(hours=1))
    assert url == (store.root / "jobs/j/out/a_b.txt").as_uri()
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"hello"
    with pytest.raises(StorageError, match="'jobs/j/missing'"):
        store.presigned_url("jobs/j/missing", timedelta(hours=1))


@pytest.mark.parametrize(("url", "bucket", "prefix"), [
    ("s3://dub-test", "dub-test", ""), ("s3://dub-test/", "dub-test", ""),
    ("s3://media.example-1/env/prod", "media.example-1", "env/prod"),
    ("s3://dub-test/env/prod/", "dub-test", "env/prod"),
])
def test_open_store_parses_s3_urls(url: str, bucket: str, prefix: str) -> None:
    settings = s3_settings("s3.example.invalid:9000", store=url)
    store = open_store(settings.store, settings)
    assert isinstance(store, S3Store) and store.endpoint == "s3.example.invalid:9000"
    assert (store.bucket, store.prefix) == (bucket, prefix)
    assert store._name("jobs/j/input") == "/".join(p for p in (prefix, "jobs/j/input") if p)


def test_open_store_takes_the_settings_read_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUB_S3_ENDPOINT", "minio.example.invalid:9000")
    monkeypatch.setenv("DUB_S3_ACCESS_KEY", "reader")
    monkeypatch.setenv("DUB_S3_SECRET_KEY", "reader-secret")
    store = open_store("s3://dub-test/p", Settings())
    assert isinstance(store, S3Store) and store.endpoint == "minio.example.invalid:9000"


@pytest.mark.parametrize("url", [
    "s3://", "s3:///x", "s3://Bad_Bucket", "s3://ab", "s3://dub..test", "s3://dub-test?x=1",
    "s3://dub-test/../x", "s3://dub-test//x", "s3://dub-test/a b", "gs://bucket/x",
    "http://host/x", "",
])
def test_open_store_rejects_bad_urls(url: str) -> None:
    with pytest.raises(ValueError, match="storage URL"):
        open_store(url, s3_settings("127.0.0.1:9"))


def test_transient_errors_are_retried_and_others_are_not(
        store: S3Store, monkeypatch: pytest.MonkeyPatch, no_wait: None) -> None:
    store.put_bytes("jobs/j/a", b"x")
    real_get = store._client.get_object
    failures = [s3_error("SlowDown", 503), ServerError("bad gateway", 502),
                urllib3.exceptions.ProtocolError("connection reset by peer")]

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop(0)
        return real_get(*args, **kwargs)

    gets = counting(monkeypatch, store._client, "get_object", flaky)
    assert store.get_bytes("jobs/j/a") == b"x" and len(gets) == 4
    failures.append(s3_error("AccessDenied", 403))
    with pytest.raises(StorageError, match=r"cannot read 'jobs/j/a'.*AccessDenied"):
        store.get_bytes("jobs/j/a")
    assert len(gets) == 5


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_endpoint_gives_storage_error_after_retries(
        monkeypatch: pytest.MonkeyPatch, no_wait: None) -> None:
    endpoint = f"127.0.0.1:{closed_port()}"
    store = s3_store(endpoint)
    stats = counting(monkeypatch, store._client, "stat_object")
    started = time.monotonic()
    with pytest.raises(StorageError) as info:
        store.exists("jobs/j/input")
    assert time.monotonic() - started < 5 and len(stats) == s3_module.RETRY_ATTEMPTS
    assert "'jobs/j/input'" in info.value.message and endpoint in info.value.message
    with pytest.raises(StorageError, match=f"'jobs/j/a'.*{endpoint}"):
        store.put_bytes("jobs/j/a", b"x")
