"""Running ffmpeg-family tools: argument lists only, never a shell."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

from dubbing.errors import ConfigurationError, ToolError

BEAT_SECONDS = 1.0
Beat = Callable[[Any], None]


def require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ConfigurationError(
            f"{tool} is not installed on this worker: install the Debian package '{package}'"
        )
    return path


def run_tool(args: Sequence[str], *, what: str, input_text: str | None = None,
             timeout: float | None = None, beat: Beat | None = None
             ) -> subprocess.CompletedProcess[str]:
    """Run a tool; a non-zero exit becomes a ToolError carrying the tail of its stderr.

    With `beat`, a long run reports liveness every BEAT_SECONDS while the tool works, so a
    heartbeat timeout only fires when the worker itself is gone.
    """
    try:
        if beat is None:
            proc = subprocess.run(
                list(args), input=input_text, capture_output=True, text=True, check=False,
                timeout=timeout, stdin=None if input_text is not None else subprocess.DEVNULL,
            )
        else:
            proc = _run_beating(list(args), input_text, timeout, beat, what)
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{what} timed out after {timeout} s") from exc
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-3:]
        raise ToolError(f"{what} failed (exit {proc.returncode}): {' | '.join(tail)}")
    return proc


def _run_beating(args: list[str], input_text: str | None, timeout: float | None,
                 beat: Beat, what: str) -> subprocess.CompletedProcess[str]:
    # Output goes to files, not pipes, so a chatty tool can never block on a full pipe.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE if input_text is not None
                                else subprocess.DEVNULL, stdout=out, stderr=err, text=True)
        if input_text is not None:
            assert proc.stdin is not None
            proc.stdin.write(input_text)
            proc.stdin.close()
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                try:
                    proc.wait(BEAT_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    if deadline is not None and time.monotonic() > deadline:
                        raise
                    beat(what)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(args, proc.returncode, out.read(), err.read())


def ffmpeg(*args: str) -> list[str]:
    return [require("ffmpeg", "ffmpeg"), "-nostdin", "-hide_banner", "-v", "error", "-y", *args]
