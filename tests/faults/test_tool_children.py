"""External tools die with the worker, with their timeout and with the activity's cancellation;
what a killed worker left in scratch goes when the next one starts. Fast: no dub, no server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.bridge.runtime import Runtime
from temporalio.exceptions import CancelledError

from dubbing.errors import ToolError
from dubbing.media.tools import run_piped, run_tool
from tests.helpers import ROOT
from worker import scratch

# A tool that writes its pid (and, with a second file, a grandchild's) and sleeps.
SLEEPER = """
import os, subprocess, sys, time
open(sys.argv[1], "w").write(str(os.getpid()))
if len(sys.argv) > 2:
    kid = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    open(sys.argv[2], "w").write(str(kid.pid))
time.sleep(300)
"""

# A stand-in for a worker: scratch of its own with a render's leftovers, and a long tool
# run from a worker thread, as an activity runs it.
RUNNER = """
import sys, threading
from pathlib import Path
from dubbing.media.tools import run_piped, run_tool
from worker.scratch import process_dir
root, pid_file, beat = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "beat"
work = process_dir(root) / "tmp-render"
work.mkdir()
(work / "dub.wav").write_bytes(bytes(1 << 20))
tool = [sys.executable, "-c", sys.argv[4], pid_file]
thread = threading.Thread(target=run_tool, args=(tool,), kwargs={
    "what": "ffmpeg mux", "beat": (lambda what: None) if beat else None})
thread.start()
thread.join()
"""


def wait_for_pid(path: Path, seconds: float = 20) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.02)
    raise AssertionError(f"{path} never written")


def gone(pid: int, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not scratch.alive(pid):
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def reaper() -> Iterator[list[int]]:
    """Pids the test started; any still alive at the end are killed (so a failing run on the
    old code leaves no sleeper behind)."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if scratch.alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("beat", ["beat", "no-beat"])
def test_a_sigkilled_worker_takes_its_tool_along_and_the_next_start_sweeps(
        tmp_path: Path, reaper: list[int], beat: str) -> None:
    root, pid_file = tmp_path / "scratch" / "cpu", tmp_path / "tool.pid"
    runner = subprocess.Popen([sys.executable, "-c", RUNNER, str(root), str(pid_file), beat,
                               SLEEPER], cwd=ROOT)
    reaper.append(runner.pid)
    tool = wait_for_pid(pid_file)
    reaper.append(tool)
    left = root / str(runner.pid)
    assert scratch.alive(tool) and (left / "tmp-render" / "dub.wav").is_file()

    runner.send_signal(signal.SIGKILL)
    runner.wait()
    assert gone(tool), "the tool outlived the worker that started it"
    assert left.is_dir()  # nothing removes it but the next worker

    mine = scratch.prepare(root)  # what `python -m worker` does first
    assert not left.exists()
    assert [p.name for p in root.iterdir()] == [str(os.getpid())] == [mine.name]


def test_a_timeout_kills_the_tools_own_children(tmp_path: Path, reaper: list[int]) -> None:
    tool_pid, kid_pid = tmp_path / "tool.pid", tmp_path / "kid.pid"
    started = time.monotonic()
    with pytest.raises(ToolError, match="timed out"):
        run_tool([sys.executable, "-c", SLEEPER, str(tool_pid), str(kid_pid)],
                 what="apertium", timeout=2)
    reaper.extend([wait_for_pid(tool_pid), wait_for_pid(kid_pid)])
    assert time.monotonic() - started < 10
    assert gone(reaper[0], 0.5) and gone(reaper[1], 2), "the tool's child was left running"


def test_cancellation_kills_the_tool_at_once(tmp_path: Path, reaper: list[int]) -> None:
    """The SDK raises CancelledError into a sync activity's thread; the wait must let it in
    (a tool run without `beat` used to block in a pipe read until the tool ended)."""
    pid_file = tmp_path / "tool.pid"
    raised: list[BaseException] = []

    def activity() -> None:
        try:
            run_tool([sys.executable, "-c", SLEEPER, str(pid_file)], what="ffmpeg fit")
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=activity, daemon=True)
    thread.start()
    reaper.append(wait_for_pid(pid_file))
    assert thread.ident is not None
    cancelled = time.monotonic()
    Runtime._raise_in_thread(thread.ident, CancelledError)  # as the SDK cancels
    thread.join(5)
    assert not thread.is_alive(), "the cancellation never reached the waiting thread"
    assert time.monotonic() - cancelled < 1
    assert raised and isinstance(raised[0], CancelledError)
    assert gone(reaper[0], 1)


def test_sweep_keeps_live_processes_and_other_names(tmp_path: Path) -> None:
    root = tmp_path / "gpu"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for name in (str(dead.pid), str(os.getppid()), "notes", "0"):
        (root / name).mkdir(parents=True)
        (root / name / "f").write_bytes(b"x")
    assert scratch.sweep(root) == [root / str(dead.pid)]
    assert sorted(p.name for p in root.iterdir()) == sorted([str(os.getppid()), "notes", "0"])


def test_a_restarted_process_with_the_same_pid_starts_empty(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    root = tmp_path / "cpu"
    stale = root / str(os.getpid()) / "tmp-old"
    stale.mkdir(parents=True)
    monkeypatch.setattr(scratch, "_claimed", set())
    mine = scratch.process_dir(root)
    assert mine == root / str(os.getpid()) and list(mine.iterdir()) == []
    (mine / "live").mkdir()
    assert scratch.process_dir(root) == mine and (mine / "live").is_dir()  # a second worker


def test_cancellation_kills_both_tools_of_a_pipe_at_once(tmp_path: Path,
                                                          reaper: list[int]) -> None:
    first, second = tmp_path / "first.pid", tmp_path / "second.pid"
    raised: list[BaseException] = []

    def activity() -> None:
        try:
            run_piped([sys.executable, "-c", SLEEPER, str(first)],
                      [sys.executable, "-c", SLEEPER, str(second)], what="ffmpeg mix and encode",
                      beat=lambda what: None)
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=activity, daemon=True)
    thread.start()
    reaper += [wait_for_pid(first), wait_for_pid(second)]
    assert thread.ident is not None
    Runtime._raise_in_thread(thread.ident, CancelledError)
    thread.join(5)
    assert not thread.is_alive() and raised and isinstance(raised[0], CancelledError)
    assert gone(reaper[0], 1) and gone(reaper[1], 1)


@pytest.mark.parametrize("failing", [0, 1])
def test_either_tool_of_a_pipe_failing_is_a_tool_error(failing: int) -> None:
    ok = [sys.executable, "-c", "import sys; sys.stdout.write(sys.stdin.read() if "
          "not sys.stdin.isatty() else 'x')"]
    bad = [sys.executable, "-c", "import sys; sys.stderr.write('broken input'); sys.exit(3)"]
    tools = [ok, ok]
    tools[failing] = bad
    with pytest.raises(ToolError, match=r"exit 3.*broken input"):
        run_piped(tools[0], tools[1], what="pipe")


def test_a_pipe_passes_the_first_tools_output_and_returns_the_seconds_messages() -> None:
    first = [sys.executable, "-c", "print('hello ' * 100000)"]
    second = [sys.executable, "-c", "import sys; data = sys.stdin.read(); "
              "sys.stderr.write(f'read {len(data)}')"]
    assert run_piped(first, second, what="pipe") == f"read {len('hello ' * 100000) + 1}"


FORKS_BESIDE_BLAS = """
import subprocess, sys, threading
import numpy as np
from worker.build import single_threaded_blas
single_threaded_blas()
stop = False
def products():
    a, b = np.random.rand(80, 201), np.random.rand(201, 3000)  # Whisper's mel filter's shape
    while not stop:
        a @ b
for _ in range(2):
    threading.Thread(target=products, daemon=True).start()
for _ in range(500):
    subprocess.run(["true"], preexec_fn=lambda: None)  # how run_tool starts every tool
print("done")
"""


def test_tools_start_while_other_threads_multiply_matrices() -> None:
    """An activity starting a tool while another (in the same worker) was inside numpy's
    threaded BLAS used to hang both for good: the workers keep BLAS single-threaded."""
    done = subprocess.run([sys.executable, "-c", FORKS_BESIDE_BLAS], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "done", done.stderr
