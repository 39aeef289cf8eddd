"""Downloading a job's outputs under the names users expect (STEM.TO.mp4, ...).

Each file is written whole into a temporary file of our own beside it, and all are renamed
into place once all are there (`starter.safefile`): a link planted in the folder is never
written through, and a refusal leaves the folder as it was."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from dubbing.contract import DubResult, OutputSet
from dubbing.errors import BadInputError, StorageError
from dubbing.keys import output_file_name
from dubbing.storage import Store
from starter import safefile
from starter.safefile import safe_stem


def plan(input_name: str, source_lang: str, outputs: Sequence[OutputSet]) -> list[tuple[str, str]]:
    """(storage key, file name) of every output, each name once (the source subtitles are
    the same file in every language). One stem for all, cut to fit the longest name."""
    suffixes = [output_file_name("", kind, source_lang, output.target_lang)
                for output in outputs for kind in output.keys]
    stem = safe_stem(input_name, suffixes)
    named: dict[str, str] = {}
    for output in outputs:
        for kind, key in output.keys.items():
            named.setdefault(output_file_name(stem, kind, source_lang, output.target_lang), key)
    return [(key, name) for name, key in named.items()]


def targets(input_name: str, source_lang: str, outputs: Sequence[OutputSet],
            out_dir: Path) -> list[Path]:
    return [out_dir / name for _, name in plan(input_name, source_lang, outputs)]


def links(store: Store, result: DubResult, lifetime: timedelta) -> list[tuple[str, str]]:
    """(file name, URL) for every output: presigned for object storage, file:// locally."""
    return [(name, store.presigned_url(key, lifetime))
            for key, name in plan(result.input_name, result.source_lang, result.outputs)]


class Staged:
    """A job's outputs downloaded beside their final names, not yet in place."""

    def __init__(self, files: list[tuple[Path, Path]]) -> None:
        self.files = files  # (temporary, final)

    def in_the_way(self) -> list[Path]:
        """Final names that hold something else: a file with other contents, a link."""
        return [dest for temporary, dest in self.files if safefile.in_the_way(dest, temporary)]

    def commit(self) -> list[Path]:
        for temporary, dest in self.files:
            try:
                safefile.commit(temporary, dest)
            except OSError as exc:  # name the file, not our temporary one
                raise OSError(exc.errno, exc.strerror, str(dest)) from exc
        return [dest for _, dest in self.files]

    def discard(self) -> None:
        for temporary, _ in self.files:
            safefile.discard(temporary)


def stage(store: Store, input_name: str, source_lang: str, outputs: Sequence[OutputSet],
          out_dir: Path) -> Staged:
    """Download every output into a temporary file of its own in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staged = Staged([])
    try:
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".dub-") as scratch:
            for key, name in plan(input_name, source_lang, outputs):
                dest = out_dir / name
                try:
                    temporary = safefile.stage(
                        dest, functools.partial(_copy, store, key, Path(scratch)))
                except OSError as exc:
                    raise OSError(exc.errno, exc.strerror, str(dest)) from exc
                staged.files.append((temporary, dest))
    except BaseException:
        staged.discard()
        raise
    return staged


def download(store: Store, result: DubResult, out_dir: Path, *,
             replace: bool = True) -> list[Path]:
    """Every language's outputs, each written whole; without `replace`, nothing is written
    when a file with other contents is in the way (safefile.TargetTaken names it)."""
    return download_sets(store, result.input_name, result.source_lang, result.outputs,
                         out_dir, replace=replace)


def download_set(store: Store, input_name: str, source_lang: str, output: OutputSet,
                 out_dir: Path, *, replace: bool = True) -> list[Path]:
    """One language's outputs."""
    return download_sets(store, input_name, source_lang, [output], out_dir, replace=replace)


def download_sets(store: Store, input_name: str, source_lang: str,
                  outputs: Sequence[OutputSet], out_dir: Path, *,
                  replace: bool = True) -> list[Path]:
    staged = stage(store, input_name, source_lang, outputs, out_dir)
    try:
        taken = [] if replace else staged.in_the_way()
        if taken:
            raise safefile.TargetTaken(taken[0])
        return staged.commit()
    finally:
        staged.discard()


def _copy(store: Store, key: str, scratch: Path, out: BinaryIO) -> None:
    with _reading(store, key, scratch) as source:
        shutil.copyfileobj(source, out, 1 << 20)


@contextlib.contextmanager
def _reading(store: Store, key: str, scratch: Path) -> Iterator[BinaryIO]:
    """The object opened for reading, in its place on disk or downloaded into `scratch` (a
    folder of our own) first. Failing to get it is the store's failure, not the folder's."""
    with contextlib.ExitStack() as stack:
        try:
            path = stack.enter_context(store.open_local(key, scratch))
            source = stack.enter_context(path.open("rb"))
        except OSError as exc:
            if exc.filename is not None and Path(os.fsdecode(exc.filename)).is_relative_to(
                    scratch):
                raise  # writing into --out failed
            if isinstance(exc, FileNotFoundError):
                raise BadInputError(
                    f"{key} is missing from the store: the job's outputs were removed; submit "
                    "the input again (`starter translate`) to dub it anew") from None
            raise StorageError(f"cannot read {key}: {exc.strerror or exc}") from None
        yield source
