"""Writing downloaded files safely: names that are one plain file name and fit the file
system, and contents that go through a temporary file of our own, never through a link,
renamed into place only once everything is there."""

from __future__ import annotations

import contextlib
import filecmp
import os
import secrets
import stat
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

NAME_MAX = 255  # bytes of one file name (UTF-8) on Linux, macOS and the usual file systems
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class TargetTaken(Exception):
    """A file is in the way of an output and may not be replaced."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists")
        self.path = path


def safe_stem(input_name: str, suffixes: Iterable[str]) -> str:
    """The input's stem as one plain file name that still fits with the longest suffix: no
    directories, separators or control characters, no leading dot, at most NAME_MAX bytes
    in all (cut on a character boundary)."""
    name = PurePosixPath(input_name.replace("\\", "/")).name
    stem = PurePosixPath(name).stem if "." in name.lstrip(".") else name
    stem = "".join("_" if unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in stem)
    stem = stem.strip().lstrip(".").strip() or "video"
    budget = NAME_MAX - max((len(s.encode()) for s in suffixes), default=0)
    cut = stem.encode()[:budget].decode("utf-8", errors="ignore").rstrip()
    return cut or "video"


def stage(dest: Path, fill: Callable[[BinaryIO], object]) -> Path:
    """A new temporary file beside `dest` (created exclusively, never through a link) that
    `fill` has written and that is on disk; `commit` renames it onto `dest`."""
    temporary = dest.with_name(f".dub-{secrets.token_hex(8)}.part")
    fd = os.open(temporary, _FLAGS, 0o644)
    try:
        with os.fdopen(fd, "wb") as out:
            fill(out)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        discard(temporary)
        raise
    return temporary


def in_the_way(dest: Path, temporary: Path) -> bool:
    """Whether `dest` holds something other than the staged file: anything but a plain file
    (a link, a folder), or a file with other contents."""
    try:
        found = os.lstat(dest)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(found.st_mode) or found.st_size != os.lstat(temporary).st_size:
        return True
    return not filecmp.cmp(dest, temporary, shallow=False)


def commit(temporary: Path, dest: Path) -> None:
    """Put the staged file in place; a link at `dest` is replaced, never followed."""
    os.replace(temporary, dest)


def discard(temporary: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)
