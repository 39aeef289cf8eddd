"""What every activity shares: storage, scratch space, heartbeats and error translation."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from dubbing.errors import DubError, refused_write
from dubbing.settings import Settings, defaults
from dubbing.storage import Store

P = ParamSpec("P")
R = TypeVar("R")


def translate_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Domain errors become ApplicationErrors whose type and retryability the workflow sees."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DubError as exc:
            # Not `from exc`: the cause chain goes into the history and the SDK's log line,
            # and a provider's exception may carry its API key; the message is redacted.
            raise ApplicationError(exc.message, type=exc.type,
                                   non_retryable=not exc.retryable) from None
        except OSError as exc:  # the worker's own writes: its scratch space is full, say
            refused = refused_write(f"scratch space {Path(exc.filename or '.').parent}",
                                    f"writing {Path(exc.filename or '?').name}", exc)
            if refused is None:
                raise
            raise ApplicationError(refused.message, type=refused.type,
                                   non_retryable=True) from exc

    return wrapper


def heartbeat(details: Any = None) -> None:
    activity.heartbeat(details)


M = TypeVar("M", bound=BaseModel)


def checkpoint(model: type[M]) -> M | None:
    """The last heartbeat of an earlier attempt as `model` (details arrive as plain JSON), or
    None on a first attempt or when the last heartbeat was not a checkpoint."""
    details = activity.info().heartbeat_details
    if not details or not isinstance(details[0], dict):
        return None
    try:
        return model.model_validate(details[0])
    except ValidationError:
        return None


class ActivityBase:
    """`settings`: the worker's, read once at its start and passed down to the engines."""

    def __init__(self, store: Store, scratch_root: Path, settings: Settings | None = None) -> None:
        self.store = store
        self.scratch_root = scratch_root
        self.settings = settings or defaults()
        scratch_root.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(dir=self.scratch_root) as tmp:
            yield Path(tmp)
