"""What every activity shares: storage, scratch space, heartbeats and error translation."""

from __future__ import annotations

import contextvars
import functools
import tempfile
import threading
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


PULSE_SECONDS = 1.0


@contextmanager
def beating(every: float = PULSE_SECONDS) -> Iterator[Callable[[Any], None]]:
    """A heartbeat for steps that compute in-process (a model load, an encoder pass, a call to
    a translation service), where one call can outlast the heartbeat timeout.

    The step's own beats carry its checkpoints; a background thread repeats the last of them
    every `every` seconds while the step runs, so the timeout fires only when the worker is
    gone, and a cancellation reaches the step (it arrives with a heartbeat's answer). Until the
    step's first beat, the thread repeats the previous attempt's checkpoint: an attempt that
    dies before beating leaves its successor the same place to resume from.
    """
    previous = activity.info().heartbeat_details
    last: list[Any] = [previous[0] if previous else None]
    stop = threading.Event()

    # No lock: a cancellation raised into the step's thread must never leave one held. A
    # repeat that races a new beat sends the checkpoint before it, as valid to resume from.
    def beat(details: Any = None) -> None:
        last[0] = details
        activity.heartbeat(details)

    def repeat() -> None:
        while not stop.wait(every):
            try:
                activity.heartbeat(last[0])
            except Exception:  # the activity is finishing; its own thread reports why
                return

    thread = threading.Thread(target=contextvars.copy_context().run, args=(repeat,),
                              name=f"pulse-{activity.info().activity_id}", daemon=True)
    thread.start()
    try:
        yield beat
    finally:
        stop.set()
        thread.join(timeout=15)  # a heartbeat waits at most 10 s for the worker's loop


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
