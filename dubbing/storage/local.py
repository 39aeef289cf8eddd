"""A store in a local directory: the embedded default.

A write or delete the file system refuses for good (disk full, quota, read-only, permission)
is a `StorageUnwritableError` naming the store and the key; a write never leaves half a file.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from dubbing.errors import refused_write
from dubbing.storage.base import Store, check_key


class LocalStore(Store):
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        with self._refusals("creating the store's directory"):
            self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    @contextmanager
    def _refusals(self, action: str) -> Iterator[None]:
        """Turn the file system refusing a write in the store into the permanent error."""
        try:
            yield
        except OSError as exc:
            error = refused_write(f"storage {self.root}", action, exc)
            if error is None or (exc.errno == errno.EACCES and not self._concerns_store(exc)):
                raise
            raise error from exc

    def _concerns_store(self, exc: OSError) -> bool:
        """Whether a denied access was the store's: one naming a file elsewhere (the source of
        a `put_file`, say) is not; a relative name comes from `rmtree`'s walk. (Only writes
        give ENOSPC, EDQUOT or EROFS, so those are always the written side's.)"""
        name = Path(os.fsdecode(exc.filename)) if exc.filename is not None else None
        return name is None or not name.is_absolute() or name.resolve().is_relative_to(self.root)

    def _write_atomic(self, key: str, writer: Callable[[BinaryIO], object],
                      replace: bool = True) -> bool:
        """Write aside, then move into place; with `replace=False` the move is a hard link,
        which fails when the key exists (False: nothing written)."""
        path = self._path(key)
        with self._refusals(f"writing {key}"):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            try:
                with os.fdopen(fd, "wb") as out:
                    writer(out)
                if replace:
                    os.replace(tmp, path)
                    return True
                os.link(tmp, path)
                return True
            except FileExistsError:
                return False
            finally:
                with suppress(OSError):  # on a file system gone read-only this fails too
                    Path(tmp).unlink(missing_ok=True)

    def put_new(self, key: str, data: bytes) -> bool:
        """Atomic: two writers at once, one wins."""
        return self._write_atomic(key, lambda out: out.write(data), replace=False)

    def put_file(self, key: str, source: Path) -> None:
        def copy(out: BinaryIO) -> None:
            with source.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)

        self._write_atomic(key, copy)

    def get_file(self, key: str, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(self._path(key), dest)
        except OSError as exc:
            error = refused_write(f"directory {dest.parent}", f"copying {key} from storage "
                                  f"{self.root} into it", exc, then="try again")
            # Only a write gives ENOSPC, EDQUOT or EROFS; EACCES may be the store's own file.
            store_denied = exc.errno == errno.EACCES and exc.filename is not None \
                and self._concerns_store(exc)
            if error is None or store_denied:
                raise
            with suppress(OSError):  # no half-copied file left behind
                dest.unlink(missing_ok=True)
            raise error from exc

    def put_bytes(self, key: str, data: bytes) -> None:
        self._write_atomic(key, lambda out: out.write(data))

    def get_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete_prefix(self, prefix: str) -> int:
        base = self._path(prefix.rstrip("/"))
        with self._refusals(f"deleting {prefix}"):
            if base.is_file():
                base.unlink()
                return 1
            if not base.is_dir():
                return 0
            count = sum(1 for p in base.rglob("*") if p.is_file())
            shutil.rmtree(base)
            return count

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None
