"""Fixtures of the end-to-end tests that run the service as processes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.stack import Stack


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """A dev server, a CPU worker and a GPU worker ("gpu-1"), each its own process; a module
    that needs another layout defines its own `stack`."""
    async with Stack.running(tmp_path) as s:
        yield s
