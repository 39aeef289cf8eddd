"""Running ffmpeg-family tools: argument lists only, never a shell.

Every tool runs in its own process group and, on Linux, dies with the worker: a SIGKILLed
worker leaves no ffmpeg running on (and filling) its scratch space. A tool that fails because
the disk it writes to is full or read-only is a permanent `StorageUnwritableError`.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TextIO

from dubbing.errors import ConfigurationError, ToolError, refused_write

BEAT_SECONDS = 1.0
Beat = Callable[[Any], None]

_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
# What a tool says when the file system refuses its writes, as the errno it stands for.
_REFUSALS = {os.strerror(code): code for code in (errno.ENOSPC, errno.EDQUOT, errno.EROFS)}


def require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ConfigurationError(
            f"{tool} is not installed on this worker: install the Debian package '{package}'"
        )
    return path


def ffmpeg(*args: str) -> list[str]:
    return [require("ffmpeg", "ffmpeg"), "-nostdin", "-hide_banner", "-v", "error", "-y", *args]


def run_tool(args: Sequence[str], *, what: str, input_text: str | None = None,
             timeout: float | None = None, beat: Beat | None = None
             ) -> subprocess.CompletedProcess[str]:
    """Run a tool; a non-zero exit becomes a ToolError carrying the tail of its stderr.

    With `beat`, a long run reports liveness every BEAT_SECONDS while the tool works, so a
    heartbeat timeout only fires when the worker itself is gone. Whatever stops the wait (a
    timeout, an exception from `beat`, the activity's cancellation raised into this thread)
    kills the tool's whole process group at once.
    """
    try:
        proc = _run(list(args), input_text, timeout, beat, what)
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{what} timed out after {timeout} s") from exc
    _check(proc.returncode, proc.stderr, list(args), what)
    return proc


def _run(args: list[str], input_text: str | None, timeout: float | None, beat: Beat | None,
         what: str) -> subprocess.CompletedProcess[str]:
    # Output goes to files, not pipes, so a chatty tool can never block on a full pipe; the
    # files are unlinked at once, so nothing of them outlives this process.
    # Input comes from a file too: writing a large input into a pipe would block the wait
    # loop, and with it the heartbeats, until the tool had read it all.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.TemporaryFile("w+") as feed:
        if input_text is not None:
            feed.write(input_text)
            feed.flush()
            feed.seek(0)
        proc = _spawn(args, stdin=feed if input_text is not None else subprocess.DEVNULL,
                      stdout=out, stderr=err, text=True)
        try:
            _wait(proc, timeout, beat, what)
        finally:
            if proc.poll() is None:
                _kill_group(proc)
        return subprocess.CompletedProcess(args, proc.returncode, _read(out), _read(err))


def _wait(proc: subprocess.Popen[Any], timeout: float | None, beat: Beat | None,
          what: str) -> None:
    """Wait in short polls, so an exception raised into this thread ends the wait at once;
    each poll wakes the moment the tool exits."""
    deadline = None if timeout is None else time.monotonic() + timeout
    next_beat = time.monotonic() + BEAT_SECONDS
    with _exit_watch(proc) as exited:
        while True:
            if exited(0.05):
                proc.wait()
                return
            now = time.monotonic()
            if deadline is not None and now > deadline:
                raise subprocess.TimeoutExpired(proc.args, timeout or 0)
            if beat is not None and now >= next_beat:
                beat(what)
                next_beat = now + BEAT_SECONDS


@contextmanager
def _exit_watch(proc: subprocess.Popen[Any]) -> Iterator[Callable[[float], bool]]:
    """A wait of at most `seconds` for `proc` to exit, True once it has. On Linux it sleeps
    on a pidfd, which wakes at the exit. `Popen.wait(timeout)` polls with growing sleeps and
    wakes late: espeak-ng voicing one line took 18 ms that way, 12 ms on the pidfd."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # not Linux, an old kernel, or already reaped
        yield lambda seconds: _polled(proc, seconds)
        return
    try:
        yield lambda seconds: bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)


def _polled(proc: subprocess.Popen[Any], seconds: float) -> bool:
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def stream_tool(args: Sequence[str], *, what: str, beat: Beat | None = None,
                chunk: int = 1 << 20) -> Generator[bytes, None, None]:
    """Run a tool and yield its stdout as it comes, for a reader that keeps up (so the pipe
    never blocks the tool); `beat` every BEAT_SECONDS. Waits are short polls, so a reader that
    stops early, an exception or the activity's cancellation ends them at once, and kills the
    tool's process group; a non-zero exit is a ToolError with the tail of its stderr."""
    with tempfile.TemporaryFile("w+") as err:
        proc = _spawn(list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                      stderr=err, bufsize=0)
        assert proc.stdout is not None
        next_beat = time.monotonic() + BEAT_SECONDS
        try:
            while True:
                if select.select([proc.stdout], [], [], 0.05)[0]:
                    data = os.read(proc.stdout.fileno(), chunk)
                    if not data:
                        break
                    yield data
                if beat is not None and time.monotonic() >= next_beat:
                    beat(what)
                    next_beat = time.monotonic() + BEAT_SECONDS
            _wait(proc, None, beat, what)
        finally:
            if proc.poll() is None:
                _kill_group(proc)
            proc.stdout.close()
        if proc.returncode != 0:
            _check(proc.returncode, _read(err), list(args), what)


def run_piped(first: Sequence[str], second: Sequence[str], *, what: str,
              timeout: float | None = None, beat: Beat | None = None) -> str:
    """Run two tools as `first | second`, both at once (one on each core), each in its own
    process group; return what `second` wrote to stderr. A failure of either is a ToolError
    (or a refused write) naming `what`; whatever stops the wait kills both."""
    with tempfile.TemporaryFile("w+") as err1, tempfile.TemporaryFile("w+") as err2:
        one = _spawn(list(first), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err1)
        assert one.stdout is not None
        try:
            two = _spawn(list(second), stdin=one.stdout, stdout=subprocess.DEVNULL, stderr=err2)
        except BaseException:
            _kill_group(one)
            raise
        one.stdout.close()  # `second` holds the pipe now: `first` sees it close if it dies
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            for proc in (one, two):
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    _wait(proc, left, beat, what)
                except subprocess.TimeoutExpired as exc:
                    raise ToolError(f"{what} timed out after {timeout} s") from exc
        finally:
            for proc in (one, two):
                if proc.poll() is None:
                    _kill_group(proc)
        for proc, err, args in ((one, err1, first), (two, err2, second)):
            if proc.returncode != 0:
                _check(proc.returncode, _read(err), list(args), what)
        return _read(err2)


def _spawn(args: list[str], **io: Any) -> subprocess.Popen[Any]:
    """Start a tool in its own process group, to die with this worker thread (`_die_with`)."""
    return subprocess.Popen(args, process_group=0, preexec_fn=_die_with(os.getpid()), **io)


def _check(returncode: int, stderr: str, args: list[str], what: str) -> None:
    """A tool's non-zero exit: a refused write (permanent), else a ToolError with the tail
    of its stderr."""
    if returncode != 0:
        _raise_if_refused(stderr, args, what)
        tail = stderr.strip().splitlines()[-3:]
        raise ToolError(f"{what} failed (exit {returncode}): {' | '.join(tail)}")


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # the leader is unreaped: the group is still ours
    proc.kill()
    proc.wait()


def _read(file: TextIO) -> str:
    file.seek(0)
    return file.read()


def _die_with(parent: int) -> Callable[[], None] | None:
    """The child's last step before exec, on Linux: be SIGKILLed when the worker thread that
    started it dies, and die now if the worker is already gone (it died before this ran)."""
    if _LIBC is None:
        return None
    prctl = _LIBC.prctl

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return arm


def _raise_if_refused(stderr: str, args: list[str], what: str) -> None:
    """A tool that failed because its output's disk is full or read-only: permanent."""
    for reason, code in _REFUSALS.items():
        if reason in stderr:
            error = refused_write(f"scratch space {_output_dir(args)}", what,
                                  OSError(code, reason))
            assert error is not None
            raise error


def _output_dir(args: list[str]) -> str:
    """The directory of the last file argument (ffmpeg's output, espeak-ng's -w file)."""
    paths = [Path(a) for a in args[1:] if os.sep in a and Path(a).parent.is_dir()]
    return str(paths[-1].parent) if paths else "of this worker"

