"""A small typed client of the HTTP API (docs/api.md) for scripts that have only HTTP: async
`DubHTTP`, and `SyncDubHTTP` for code without an event loop. Needs httpx (the `api` extra)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from api.models import Dub, DubList, Lines, Redubbed

T = TypeVar("T")
CHUNK = 1 << 20
ENDED = ("completed", "failed", "cancelled")


class DubHTTPError(Exception):
    """An answer other than success: the problem document's status, type and detail."""

    def __init__(self, status: int, detail: str, kind: str = "") -> None:
        super().__init__(f"{status}: {detail}")
        self.status, self.detail, self.kind = status, detail, kind


def _raise_for(answer: httpx.Response) -> None:
    if answer.is_success or answer.is_redirect:
        return
    try:
        problem = answer.json()
        raise DubHTTPError(answer.status_code, str(problem.get("detail", "")),
                           str(problem.get("type", "")).rsplit("/", 1)[-1])
    except (json.JSONDecodeError, AttributeError):
        raise DubHTTPError(answer.status_code, answer.text[:200]) from None


async def _read(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as f:  # opening is quick; each read runs in a thread
        while chunk := await asyncio.to_thread(f.read, CHUNK):
            yield chunk


async def _multipart(path: Path, fields: dict[str, str], boundary: str) -> AsyncIterator[bytes]:
    for name, value in fields.items():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
               f"{value}\r\n").encode()
    quoted = path.name.replace('"', "%22").replace("\r", "").replace("\n", "")
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
           f"filename=\"{quoted}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    async for chunk in _read(path):
        yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


def _fields(to: Sequence[str], source: str, settings: dict[str, Any]) -> dict[str, str]:
    out = {"to": ",".join(to), "from": source}
    for name, value in settings.items():
        if value is None:
            continue
        out[name] = json.dumps(value) if isinstance(value, dict) else (
            str(value).lower() if isinstance(value, bool) else str(value))
    return out


class DubHTTP:
    """`async with DubHTTP("http://127.0.0.1:8000", api_key) as dubs: ...`"""

    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 60.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout,
                                      transport=transport)

    async def __aenter__(self) -> DubHTTP:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.aclose()

    async def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        answer = await self.http.request(method, url, **kwargs)
        _raise_for(answer)
        return answer

    async def submit(self, path: Path, to: Sequence[str] = ("es",), source: str = "en", *,
                     idempotency_key: str | None = None, **settings: Any) -> Dub:
        """Upload `path` (streamed from disk) and dub it; settings as in docs/api.md."""
        boundary = uuid.uuid4().hex
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        body = _multipart(path, _fields(to, source, settings), boundary)
        answer = await self._call("POST", "/v1/dubs", content=body, headers=headers)
        return Dub.model_validate(answer.json())

    async def submit_url(self, source_url: str, to: Sequence[str] = ("es",),
                         source: str = "en", *, idempotency_key: str | None = None,
                         **settings: Any) -> Dub:
        body = {"source_url": source_url, "to": list(to), "from": source, **settings}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        answer = await self._call("POST", "/v1/dubs", json=body, headers=headers)
        return Dub.model_validate(answer.json())

    async def get(self, job_id: str) -> Dub:
        return Dub.model_validate((await self._call("GET", f"/v1/dubs/{job_id}")).json())

    async def list(self, state: str | None = None, lang: str | None = None, limit: int = 20,
                   cursor: str | None = None) -> DubList:
        params = {k: v for k, v in {"state": state, "lang": lang, "limit": limit,
                                    "cursor": cursor}.items() if v is not None}
        return DubList.model_validate((await self._call("GET", "/v1/dubs", params=params)).json())

    async def events(self, job_id: str) -> AsyncIterator[tuple[str, Dub]]:
        """("progress" | "end", Dub) as the job moves, until it ends."""
        event = "message"
        async with self.http.stream("GET", f"/v1/dubs/{job_id}/events",
                                    timeout=httpx.Timeout(30.0, read=None)) as answer:
            if not answer.is_success:
                await answer.aread()
                _raise_for(answer)
            async for line in answer.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    yield event, Dub.model_validate_json(line[5:].strip())

    async def wait(self, job_id: str) -> Dub:
        """The job's final state, following its events (again after a dropped stream)."""
        while True:
            last: Dub | None = None
            async for _, dub in self.events(job_id):
                last = dub
            if last is not None and last.state in ENDED:
                return last
            await asyncio.sleep(1.0)

    async def cancel(self, job_id: str, reason: str = "cancelled through the API") -> Dub:
        answer = await self._call("POST", f"/v1/dubs/{job_id}/cancel", json={"reason": reason})
        return Dub.model_validate(answer.json())

    async def pause(self, job_id: str) -> Dub:
        return Dub.model_validate((await self._call("POST", f"/v1/dubs/{job_id}/pause")).json())

    async def resume(self, job_id: str) -> Dub:
        return Dub.model_validate((await self._call("POST", f"/v1/dubs/{job_id}/resume")).json())

    async def lines(self, job_id: str, lang: str) -> Lines:
        answer = await self._call("GET", f"/v1/dubs/{job_id}/lines", params={"lang": lang})
        return Lines.model_validate(answer.json())

    async def redub(self, job_id: str, index: int, lang: str, text: str) -> Redubbed:
        answer = await self._call("PATCH", f"/v1/dubs/{job_id}/lines/{index}",
                                  params={"lang": lang}, json={"text": text})
        return Redubbed.model_validate(answer.json())

    async def download(self, job_id: str, name: str, dest: Path) -> Path:
        """Stream the output `name` (e.g. "es.mp4") to `dest`, following a redirect to S3."""
        async with self.http.stream("GET", f"/v1/dubs/{job_id}/outputs/{name}",
                                    follow_redirects=True) as answer:
            if not answer.is_success:
                await answer.aread()
                _raise_for(answer)
            part = dest.with_name(dest.name + ".part")
            with part.open("wb") as out:
                async for chunk in answer.aiter_bytes(CHUNK):
                    await asyncio.to_thread(out.write, chunk)
            await asyncio.to_thread(part.replace, dest)
        return dest

    async def delete(self, job_id: str) -> None:
        await self._call("DELETE", f"/v1/dubs/{job_id}")


class SyncDubHTTP:
    """The same calls without async: `SyncDubHTTP(url, key).submit(Path("talk.mp4"))`."""

    def __init__(self, base_url: str, api_key: str | None = None, **options: Any) -> None:
        self._runner = asyncio.Runner()
        self._client = self._runner.run(self._make(base_url, api_key, options))

    @staticmethod
    async def _make(base_url: str, api_key: str | None, options: dict[str, Any]) -> DubHTTP:
        return DubHTTP(base_url, api_key, **options)

    def _run(self, call: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(call)

    def __enter__(self) -> SyncDubHTTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._run(self._client.close())
        self._runner.close()

    def submit(self, path: Path, to: Sequence[str] = ("es",), source: str = "en",
               **settings: Any) -> Dub:
        return self._run(self._client.submit(path, to, source, **settings))

    def submit_url(self, source_url: str, to: Sequence[str] = ("es",), source: str = "en",
                   **settings: Any) -> Dub:
        return self._run(self._client.submit_url(source_url, to, source, **settings))

    def get(self, job_id: str) -> Dub:
        return self._run(self._client.get(job_id))

    def list(self, **filters: Any) -> DubList:
        return self._run(self._client.list(**filters))

    def wait(self, job_id: str) -> Dub:
        return self._run(self._client.wait(job_id))

    def cancel(self, job_id: str, reason: str = "cancelled through the API") -> Dub:
        return self._run(self._client.cancel(job_id, reason))

    def lines(self, job_id: str, lang: str) -> Lines:
        return self._run(self._client.lines(job_id, lang))

    def redub(self, job_id: str, index: int, lang: str, text: str) -> Redubbed:
        return self._run(self._client.redub(job_id, index, lang, text))

    def download(self, job_id: str, name: str, dest: Path) -> Path:
        return self._run(self._client.download(job_id, name, dest))

    def delete(self, job_id: str) -> None:
        self._run(self._client.delete(job_id))
