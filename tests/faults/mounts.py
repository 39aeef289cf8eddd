"""Small real file systems for fault tests: a tmpfs of a few KiB, or one mounted read-only.

Mounting needs root with CAP_SYS_ADMIN; elsewhere the tests that need one are skipped (the
stub tests beside them cover the same paths at the Python boundary).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def tmpfs(path: Path, *, size_kib: int = 64, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of `size_kib` KiB at `path` for the block's duration, or the test skipped."""
    path.mkdir(parents=True, exist_ok=True)
    mount, umount = shutil.which("mount"), shutil.which("umount")
    options = f"size={size_kib}k" + (",ro" if read_only else "")
    if mount is None or umount is None:
        pytest.skip("no mount command")
    done = subprocess.run([mount, "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run([umount, "-l", str(path)], check=False)


def remount_read_only(path: Path) -> None:
    """Make the tmpfs at `path` read-only, keeping what it holds."""
    subprocess.run([shutil.which("mount") or "mount", "-o", "remount,ro", str(path)],
                   check=True)
