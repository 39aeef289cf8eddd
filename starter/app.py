"""What every starter command shares: the typer app, exit codes, consoles, connection and the
mapping of failures to one clear line.

Exit codes: 0 done, 1 job failed, 2 usage or input error, 3 cancelled, 4 cannot reach the
service.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import CancelledError, FailureError
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.service import RPCError

from dubbing.contract import DubResult
from dubbing.errors import DubError, StorageError
from dubbing.settings import Settings
from dubbing.storage import Store, open_store
from dubclient import telemetry
from dubclient.connect import connect
from starter import failures

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED, EXIT_UNREACHABLE = 0, 1, 2, 3, 4

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Dub videos into other languages with the durable dubbing service.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class Exit(Exception):
    def __init__(self, code: int, message: str | None = None) -> None:
        self.code, self.message = code, message


def run_command(coro_fn: Callable[[], Coroutine[Any, Any, int]]) -> None:
    """Run a command; print one clear line on error; exit without the SDK's exit-time crash."""
    code: int
    try:
        code = _run(coro_fn)
    except Exit as e:
        if e.message:
            err.print(f"[red]error:[/red] {e.message}", highlight=False)
        code = e.code
    except KeyboardInterrupt:
        code = 130
    telemetry.flush_traces()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _run(coro_fn: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """The command's exit code; what no command caught becomes one line, never a traceback."""
    try:
        settings = Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "settings"
        raise Exit(EXIT_USAGE, f"bad configuration: {where}: {error['msg']}") from exc
    try:
        telemetry.setup_tracing(settings, "dub-starter")
        return asyncio.run(coro_fn())
    except StorageError as exc:
        raise Exit(EXIT_UNREACHABLE, failures.store_failure(exc, settings)) from exc
    except DubError as exc:  # a configuration the service refuses (no S3 credentials, say)
        raise Exit(EXIT_USAGE, failures.redact(exc.message, settings)) from exc
    except RPCError as exc:
        if failures.unreachable(exc):
            raise Exit(EXIT_UNREACHABLE, failures.temporal_failure(
                exc, settings.temporal_address)) from exc
        raise Exit(EXIT_USAGE, f"Temporal refused the request: {first_line(exc)}") from exc


async def client_for(settings: Settings) -> Client:
    if settings.metrics == "none":
        _quiet_runtime()
    try:
        return await connect(settings)
    except Exception as exc:
        address = failures.bare_endpoint(settings.temporal_address)
        reason = failures.redact(failures.connect_reason(exc), settings)
        raise Exit(EXIT_UNREACHABLE, f"cannot reach Temporal at {address} ({reason}); start "
                   "the stack with 'make up'") from exc


@functools.cache
def _quiet_runtime() -> None:
    """The SDK's own warnings (each retried call, say) would come on top of our one line."""
    Runtime.set_default(Runtime(telemetry=TelemetryConfig(logging=None)),
                        error_if_already_set=False)


def store_for(settings: Settings) -> Store:
    """The store of DUB_STORE; a bad URL is a usage error, a store that cannot be opened
    exit 4."""
    try:
        return open_store(settings.store, settings)
    except ValueError as exc:
        names = "DUB_STORE and DUB_S3_ENDPOINT" if settings.store.startswith("s3://") \
            else "DUB_STORE"
        raise Exit(EXIT_USAGE, f"cannot open the store at {failures.store_location(settings)}: "
                   f"{failures.redact(str(exc), settings)}; check {names}") from exc
    except OSError as exc:
        raise Exit(EXIT_UNREACHABLE, f"cannot open the store at "
                   f"{failures.store_location(settings)}: {exc.strerror or exc}") from exc


def emit_json(value: Any) -> None:
    """One JSON document on stdout, for scripts (`--json`)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def failure_message(exc: WorkflowFailureError) -> str:
    """The workflow fails with the root cause already phrased for the user."""
    cause = exc.cause
    if isinstance(cause, FailureError):
        return cause.message
    return str(cause or exc)


def first_line(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)
    return str(getattr(cause, "message", None) or cause or exc).splitlines()[0]


def link(settings: Settings, job_id: str) -> str:
    return f"{settings.web_ui}/namespaces/{settings.temporal_namespace}/workflows/{job_id}"


async def outcome(job_id: str, result: Awaitable[DubResult]) -> DubResult:
    """The job's result, or the exit code and one line saying why there is none."""
    try:
        return await result
    except WorkflowFailureError as exc:
        if isinstance(exc.cause, CancelledError):
            raise Exit(EXIT_CANCELLED, f"job {job_id} was cancelled: "
                       f"{failure_message(exc)}") from exc
        raise Exit(EXIT_FAILED, f"job {job_id} failed: {failure_message(exc)}") from exc
