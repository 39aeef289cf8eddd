"""The starter CLI: `python -m starter COMMAND`. Exit codes: 0 done, 1 job failed, 2 usage or
input error, 3 cancelled, 4 cannot reach the service."""

from __future__ import annotations

from starter import (  # noqa: F401  (commands register themselves)
    cmd_batch,
    cmd_manage,
    cmd_result,
    cmd_run,
)
from starter.app import app


def run() -> None:
    app()
