"""Scratch space per worker process, and what killed workers left behind.

Each worker process keeps its scratch in `<scratch dir>/<role>/<pid>`; the activities make
their own temporary directories inside it. A worker that is SIGKILLed (or loses its machine's
power) cannot remove its directory, so every worker, as it starts, removes the directories of
processes that are no longer alive. Nothing is recorded but the directory names: a process's
liveness is asked of the kernel.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

_claimed: set[Path] = set()


def process_dir(root: Path) -> Path:
    """This process's scratch under `root`, created. The first call in a process empties what
    an earlier process with the same pid left there (a restarted container's worker often gets
    the same pid); later calls (several workers in one process) share it."""
    path = root / str(os.getpid())
    if path not in _claimed:
        shutil.rmtree(path, ignore_errors=True)
        _claimed.add(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def sweep(root: Path) -> list[Path]:
    """Remove the scratch of every process under `root` that is gone; return what went."""
    if not root.is_dir():
        return []
    removed = []
    for entry in root.iterdir():
        pid = _pid_of(entry)
        if pid is None or pid == os.getpid() or alive(pid):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            removed.append(entry)
        else:
            log.warning("could not remove scratch %s left by process %d", entry, pid)
    return removed


def prepare(root: Path) -> Path:
    """At a worker's start: sweep `root`, then claim this process's directory."""
    for path in sweep(root):
        log.info("removed scratch %s left by a process that is gone", path)
    return process_dir(root)


def release(path: Path) -> None:
    """At a clean stop, once no activity runs: this process's scratch goes."""
    shutil.rmtree(path, ignore_errors=True)


def _pid_of(entry: Path) -> int | None:
    name = entry.name
    if not entry.is_dir() or entry.is_symlink() or not name.isdigit() or name != str(int(name)):
        return None
    return int(name) if int(name) > 0 else None


def alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (killed, not yet reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): it answered the signal
    return stat.rpartition(")")[2].split()[0] != "Z"
