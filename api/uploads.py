"""Uploads streamed to a scratch file, never held whole in memory: a multipart form (the media
in the field `file`) or a raw body. Cut off past the size limit (413), refused from its first
bytes when it is no media container (415); the scratch file is gone whatever happens."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from api.problems import Problem
from dubbing.media.sniff import looks_like_media

MAX_FIELDS = 40
MAX_FIELD_BYTES = 256 * 1024
SNIFF_BYTES = 512


@dataclass
class Received:
    """What a request carried: the media on scratch disk, its original name, other fields."""

    path: Path | None = None
    filename: str = ""
    size: int = 0
    fields: dict[str, str] = field(default_factory=dict)


class _Sink:
    """Writes the `file` part to disk and keeps the other (small) fields."""

    def __init__(self, folder: Path, limit: int, limit_mb: float) -> None:
        self.folder, self.limit, self.limit_mb = folder, limit, limit_mb
        self.got = Received()
        self.out: BinaryIO | None = None
        self.head = b""
        self.headers: dict[str, bytes] = {}
        self.parts = 0
        self._name = b""
        self._value = b""
        self._field: bytearray | None = None
        self.error: Problem | None = None

    def part_begin(self) -> None:
        self.headers = {}

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        self.headers[self._name.decode("latin-1").lower()] = self._value  # raw: UTF-8 names
        self._name = self._value = b""

    def headers_done(self) -> None:
        self.parts += 1
        if self.parts > MAX_FIELDS:
            self.fail(Problem(413, f"more than {MAX_FIELDS} form fields", "too-large"))
        _, options = parse_options_header(self.headers.get("content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == "file":
            if self.got.path is not None:
                self.fail(Problem(422, "the form has two 'file' fields; send one video a "
                                  "request", "bad-input"))
            self.got.filename = options.get(b"filename", b"").decode("utf-8", "replace")
            self.got.path = self.folder / scratch_name(self.got.filename)
            self.out = self.got.path.open("wb")
            self._field = None
        else:
            if name in self.got.fields and name != "to":
                self.fail(Problem(422, f"form field {name[:40]!r} is given twice", "bad-input"))
            self._field = bytearray()
            self._current = name

    def data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._field is not None:
            self._field += chunk
            if len(self._field) > MAX_FIELD_BYTES:
                self.fail(Problem(413, f"form field {self._current[:40]!r} is over "
                              f"{MAX_FIELD_BYTES // 1024} KiB", "too-large"))
            return
        if self.out is not None:
            self.write(chunk)

    def write(self, chunk: bytes) -> None:
        assert self.out is not None
        if len(self.head) < SNIFF_BYTES:
            self.head += chunk[:SNIFF_BYTES - len(self.head)]
            if len(self.head) >= min(SNIFF_BYTES, 16) and not looks_like_media(self.head):
                self.fail(not_media(self.got.filename))
        self.got.size += len(chunk)
        if self.got.size > self.limit:
            self.fail(too_large(self.limit_mb))
        self.out.write(chunk)

    def part_end(self) -> None:
        if self._field is not None:
            value = self._field.decode("utf-8", "replace")
            earlier = self.got.fields.get(self._current)  # `to` may be repeated: a list
            self.got.fields[self._current] = f"{earlier},{value}" if earlier else value
            self._field = None
        elif self.out is not None:
            self.out.close()
            self.out = None
            if self.got.size == 0:
                self.fail(Problem(422, f"{self.got.filename[:120] or 'the upload'}: the file is "
                                  "empty", "bad-input"))
            if not looks_like_media(self.head):
                self.fail(not_media(self.got.filename))

    def fail(self, problem: Problem) -> None:
        if self.error is None:
            self.error = problem
        raise problem


def client_name(name: str) -> str:
    """The file name a client sent, without any folder part."""
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip()


def scratch_name(name: str) -> str:
    """A scratch file name keeping only the extension of the client's name."""
    suffix = Path(client_name(name)).suffix.lower()
    return "upload" + (suffix if suffix[1:].isalnum() and len(suffix) <= 8 else "")


def not_media(name: str) -> Problem:
    return Problem(415, f"{name[:120] or 'the upload'} is not a video or audio file (its first "
                   "bytes are no media container ffmpeg reads); upload an MP4, MKV, MOV, WebM, "
                   "AVI, MP3, WAV ...", "not-media")


def too_large(limit_mb: float) -> Problem:
    return Problem(413, f"the upload is over the limit of {limit_mb:g} MiB "
                   "(DUB_API_MAX_UPLOAD_MB)", "too-large")


@asynccontextmanager
async def scratch(root: Path) -> AsyncIterator[Path]:
    """A folder of this request's own, removed afterwards whatever happened."""
    folder = root / "api" / uuid.uuid4().hex
    await asyncio.to_thread(folder.mkdir, parents=True)
    try:
        yield folder
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)


def _check_length(request: Request, limit: int, limit_mb: float) -> None:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit + MAX_FIELDS * 1024:
        raise too_large(limit_mb)


async def _pump(request: Request, feed: Callable[[bytes], object]) -> None:
    try:
        async for chunk in request.stream():
            if chunk:
                await asyncio.to_thread(feed, chunk)
    except ClientDisconnect:
        raise Problem(400, "the upload was cut off before its end; send it again",
                      "incomplete") from None


async def receive_form(request: Request, folder: Path, limit_mb: float) -> Received:
    """Stream a multipart form: the `file` part to `folder`, the other fields kept."""
    limit = int(limit_mb * 1024 * 1024)
    _check_length(request, limit, limit_mb)
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    kind = kind.lower()
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise Problem(415, "send multipart/form-data with the media in the field 'file', or "
                      "JSON with source_url or upload_id", "unsupported")
    sink = _Sink(folder, limit, limit_mb)
    parser = MultipartParser(boundary, {
        "on_part_begin": sink.part_begin, "on_header_field": sink.header_field,
        "on_header_value": sink.header_value, "on_header_end": sink.header_end,
        "on_headers_finished": sink.headers_done, "on_part_data": sink.data,
        "on_part_end": sink.part_end})
    try:
        await _pump(request, parser.write)
        parser.finalize()
    except MultipartParseError:
        raise Problem(400, "the multipart body is malformed; send multipart/form-data with "
                      "the media in the field 'file'", "bad-request") from None
    finally:
        if sink.out is not None:
            sink.out.close()
    if sink.got.path is None:
        raise Problem(422, "no media in the form: put the video in the field 'file'",
                      "bad-input")
    if sink.got.size == 0:
        raise Problem(422, f"{sink.got.filename[:120]}: the file is empty", "bad-input")
    return sink.got


async def receive_body(request: Request, path: Path, name: str, limit_mb: float) -> int:
    """Stream a raw request body (the two-step upload's PUT) to `path`."""
    limit = int(limit_mb * 1024 * 1024)
    _check_length(request, limit, limit_mb)
    sink = _Sink(path.parent, limit, limit_mb)
    sink.got.filename = name
    with path.open("wb") as out:
        sink.out = out
        await _pump(request, sink.write)
    if sink.got.size == 0:
        raise Problem(422, f"{name[:120]}: the upload is empty", "bad-input")
    if not looks_like_media(sink.head):
        raise not_media(name)
    return sink.got.size
