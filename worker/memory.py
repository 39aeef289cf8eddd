"""How the worker process's C allocator hands memory back.

glibc serves a freed block of up to 32 MiB from its heap again, and after each large free it
raises the size it maps directly; a recognition's tens-of-MiB buffers (CTranslate2's encoder
over a batch of 30-s chunks) then stay in the heap, fragmented, and a long job's peak creeps
up with every call. A fixed threshold maps every block above it on its own and unmaps it when
freed, so the peak stays where the first calls put it (BENCHMARKS.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("worker")

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MIB = 2**20


def pin_mmap_threshold(mib: int) -> bool:
    """Fix glibc's mmap threshold at `mib` MiB (0: leave glibc's default); True when set.
    Call it before the models are loaded. A no-op where the C library is not glibc."""
    if mib <= 0:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        log.info("the C library has no mallopt: memory is left to its allocator")
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, mib * MIB))
