"""The storage interface every store implements."""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dubbing.errors import ConfigurationError, InvalidNameError, StorageError

if TYPE_CHECKING:
    from dubbing.settings import Settings

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def check_key(key: str) -> str:
    """Keys are built by the service, never taken raw from a user; refuse anything odd."""
    if not _KEY.fullmatch(key) or ".." in key.split("/") or "//" in key or len(key) > 512:
        raise InvalidNameError(f"invalid storage key {key!r}")
    return key


class Store(ABC):
    """Blobs by key. Implementations must make `put_*` atomic: readers never see half a file."""

    @abstractmethod
    def put_file(self, key: str, source: Path) -> None: ...

    @abstractmethod
    def get_file(self, key: str, dest: Path) -> None: ...

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def get_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    def put_new(self, key: str, data: bytes) -> bool:
        """Write `data` unless `key` exists; whether it was written. Atomic where the store
        allows (local disk); elsewhere a check then a write, so two writers at once may both
        win."""
        if self.exists(key):
            return False
        self.put_bytes(key, data)
        return True

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix`; return how many were removed."""

    def local_path(self, key: str) -> Path | None:
        """A path readable in place, when the store is on this machine's disk."""
        return None

    def presigned_url(self, key: str, expires: timedelta) -> str:
        """A URL that reads the object; a `file://` URI for stores on this machine's disk.

        Local URIs do not expire; `expires` matters for remote stores.
        """
        path = self.local_path(key)
        if path is None:
            raise StorageError(f"cannot make a URL for {key!r}: no such object on local disk")
        return path.as_uri()

    def put_json(self, key: str, value: Any) -> None:
        self.put_bytes(key, json.dumps(value, ensure_ascii=False, indent=1).encode())

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))

    @contextmanager
    def open_local(self, key: str, scratch: Path) -> Iterator[Path]:
        """Yield a local path holding the object, downloading it into `scratch` if needed."""
        path = self.local_path(key)
        if path is not None:
            yield path
            return
        target = scratch / key.replace("/", "_")
        self.get_file(key, target)
        try:
            yield target
        finally:
            target.unlink(missing_ok=True)


def open_store(url: str, settings: Settings | None = None) -> Store:
    """Open a store from a URL: a directory path, `file://DIR`, or `s3://BUCKET[/PREFIX]`.

    S3 endpoint, credentials, TLS and region come from `settings` (the environment if None).
    """
    from dubbing.storage.local import LocalStore

    if url.startswith("s3://"):
        return _open_s3(url, settings)
    if url.startswith("file://"):
        url = url[len("file://") :]
    if "://" in url or not url:
        raise ValueError(f"unsupported storage URL {url!r}: "
                         "use a directory path, file://DIR or s3://BUCKET[/PREFIX]")
    return LocalStore(Path(url))


def _open_s3(url: str, settings: Settings | None) -> Store:
    from dubbing.settings import defaults
    from dubbing.storage.s3 import S3Store

    bucket, _, prefix = url[len("s3://") :].partition("/")
    prefix = prefix.rstrip("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ValueError(f"invalid storage URL {url!r}: bad bucket name {bucket!r} "
                         "(3-63 lowercase letters, digits, dots and hyphens)")
    if prefix:
        try:
            check_key(prefix)
        except ValueError:
            raise ValueError(f"invalid storage URL {url!r}: bad key prefix {prefix!r}") from None
    s = settings or defaults()
    if not (s.s3_access_key and s.s3_secret_key):
        raise ConfigurationError(f"storage {url} needs credentials: set DUB_S3_ACCESS_KEY and "
                                 "DUB_S3_SECRET_KEY (there are no default credentials)")
    return S3Store(bucket, prefix, endpoint=s.s3_endpoint, access_key=s.s3_access_key,
                   secret_key=s.s3_secret_key, secure=s.s3_secure, region=s.s3_region,
                   ca_certs=s.ssl_cert_file)
