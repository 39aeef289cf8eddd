"""Downloading a job's outputs under the names users expect (STEM.TO.mp4, ...)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from dubbing.contract import DubResult, OutputSet
from dubbing.keys import output_file_name
from dubbing.storage import Store


def links(store: Store, result: DubResult, lifetime: timedelta) -> list[tuple[str, str]]:
    """(file name, URL) for every output: presigned for object storage, file:// locally."""
    stem = Path(result.input_name).stem
    return [(output_file_name(stem, kind, result.source_lang, output.target_lang),
             store.presigned_url(key, lifetime))
            for output in result.outputs for kind, key in output.keys.items()]


def download(store: Store, result: DubResult, out_dir: Path) -> list[Path]:
    written: list[Path] = []
    for output in result.outputs:
        written += download_set(store, result.input_name, result.source_lang, output, out_dir,
                                skip=written)
    return written


def download_set(store: Store, input_name: str, source_lang: str, output: OutputSet,
                 out_dir: Path, skip: list[Path] | None = None) -> list[Path]:
    """One language's outputs, each written whole or not at all."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(input_name).stem
    written: list[Path] = []
    for kind, key in output.keys.items():
        dest = out_dir / output_file_name(stem, kind, source_lang, output.target_lang)
        if dest in (skip or []):
            continue
        partial = dest.with_name(dest.name + ".part")
        store.get_file(key, partial)
        os.replace(partial, dest)
        written.append(dest)
    return written
