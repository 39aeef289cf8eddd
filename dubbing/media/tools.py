"""Running ffmpeg-family tools: argument lists only, never a shell."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

from dubbing.errors import ConfigurationError, ToolError


def require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ConfigurationError(
            f"{tool} is not installed on this worker: install the Debian package '{package}'"
        )
    return path


def run_tool(args: Sequence[str], *, what: str, input_text: str | None = None,
             timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """Run a tool; a non-zero exit becomes a ToolError carrying the tail of its stderr."""
    try:
        proc = subprocess.run(
            list(args), input=input_text, capture_output=True, text=True, check=False,
            timeout=timeout, stdin=None if input_text is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{what} timed out after {timeout} s") from exc
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-3:]
        raise ToolError(f"{what} failed (exit {proc.returncode}): {' | '.join(tail)}")
    return proc


def ffmpeg(*args: str) -> list[str]:
    return [require("ffmpeg", "ffmpeg"), "-nostdin", "-hide_banner", "-v", "error", "-y", *args]
