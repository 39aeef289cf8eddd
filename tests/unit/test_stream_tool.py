"""stream_tool: a tool's output read as it comes, its failures reported, and the tool gone
whenever the reader stops."""

from __future__ import annotations

import sys

import psutil
import pytest

from dubbing.errors import ToolError
from dubbing.media.tools import stream_tool


def test_every_byte_arrives_in_order() -> None:
    code = "import sys; sys.stdout.buffer.write(bytes(range(256)) * 40000)"
    data = b"".join(stream_tool([sys.executable, "-c", code], what="writer", chunk=4096))
    assert data == bytes(range(256)) * 40000


def test_a_failing_tool_is_a_tool_error_with_its_stderr() -> None:
    code = "import sys; print('partial'); sys.stderr.write('bad input: x\\n'); sys.exit(3)"
    with pytest.raises(ToolError, match=r"writer failed \(exit 3\): bad input: x"):
        list(stream_tool([sys.executable, "-c", code], what="writer"))


def test_a_reader_that_stops_early_leaves_no_tool_running() -> None:
    beats: list[str] = []
    code = "import sys, time\nwhile True:\n    sys.stdout.write('x' * 1000); sys.stdout.flush()"
    before = set(psutil.Process().children(recursive=True))  # a test server, say
    stream = stream_tool([sys.executable, "-c", code], what="endless", beat=beats.append)
    next(stream)
    children = set(psutil.Process().children(recursive=True)) - before
    assert children
    stream.close()
    _, alive = psutil.wait_procs(children, timeout=5)
    assert not [c for c in alive if c.status() != psutil.STATUS_ZOMBIE]


def test_a_slow_tool_is_heartbeaten_while_it_is_silent() -> None:
    beats: list[str] = []
    code = "import time; time.sleep(1.3); print('done')"
    out = b"".join(stream_tool([sys.executable, "-c", code], what="slow", beat=beats.append))
    assert out.strip() == b"done" and beats.count("slow") >= 1
