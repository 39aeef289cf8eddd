"""Waiting for a tool: on a pidfd where the kernel has them, by polling where it has not; both
keep the timeout and the heartbeats."""

from __future__ import annotations

import os
import sys

import pytest

from dubbing.errors import ToolError
from dubbing.media.tools import run_tool


@pytest.fixture(params=["pidfd", "polled"])
def waiting(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "polled":
        def unavailable(pid: int, flags: int = 0) -> int:
            raise OSError("pidfd_open is not available")
        monkeypatch.setattr(os, "pidfd_open", unavailable)
    return str(request.param)


def test_a_tool_runs_to_its_end(waiting: str) -> None:
    done = run_tool([sys.executable, "-c", "print('done')"], what="short")
    assert (done.returncode, done.stdout.strip()) == (0, "done")


def test_a_tool_over_its_timeout_is_stopped(waiting: str) -> None:
    with pytest.raises(ToolError, match=r"slow timed out after 0\.3 s"):
        run_tool([sys.executable, "-c", "import time; time.sleep(30)"], what="slow",
                 timeout=0.3)


def test_a_long_tool_is_heartbeaten_while_it_runs(waiting: str) -> None:
    beats: list[str] = []
    run_tool([sys.executable, "-c", "import time; time.sleep(1.2)"], what="long",
             beat=beats.append)
    assert beats and set(beats) == {"long"}
