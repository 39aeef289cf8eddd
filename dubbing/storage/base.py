"""The storage interface every store implements."""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


def check_key(key: str) -> str:
    """Keys are built by the service, never taken raw from a user; refuse anything odd."""
    if not _KEY.fullmatch(key) or ".." in key.split("/") or "//" in key or len(key) > 512:
        raise ValueError(f"invalid storage key {key!r}")
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

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix`; return how many were removed."""

    def local_path(self, key: str) -> Path | None:
        """A path readable in place, when the store is on this machine's disk."""
        return None

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


def open_store(url: str) -> Store:
    """Open a store from a URL: a directory path or `file://DIR` (more schemes in production)."""
    from dubbing.storage.local import LocalStore

    if url.startswith("file://"):
        url = url[len("file://") :]
    if "://" in url:
        raise ValueError(f"unsupported storage URL {url!r}: use a directory path or file://DIR")
    return LocalStore(Path(url))
