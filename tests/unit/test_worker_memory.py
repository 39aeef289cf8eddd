"""The worker's allocator setting: freed large blocks go back to the system."""

from __future__ import annotations

import subprocess
import sys

import pytest

from worker import memory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

# Allocates, fills and frees a 20 MiB block twice; prints how much resident memory the second
# free left behind, in MiB. glibc's sliding threshold serves the second block from its heap
# and keeps it; a pinned threshold maps it on its own and unmaps it.
PROBE = """
import ctypes, ctypes.util, sys
from worker import memory
if sys.argv[1] == "pin":
    assert memory.pin_mmap_threshold(8)
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
size = 20 * 2**20
for _ in range(2):
    before = rss()
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    libc.free(block)
print(round(rss() - before, 1))
"""


def _kept_mib(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip())


def test_a_pinned_threshold_returns_freed_large_blocks() -> None:
    assert _kept_mib("default") >= 15  # what the worker suffered from before
    assert _kept_mib("pin") < 5


def test_zero_leaves_the_allocator_alone() -> None:
    assert memory.pin_mmap_threshold(0) is False
