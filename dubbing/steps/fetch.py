"""Fetch a job's input from its source URL (the HTTP API's `source_url`) into storage: the
outbound guard before every request and every redirect, a size limit, media from the first
bytes, a heartbeat with the bytes so far. A retry after the input was stored does nothing."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from typing import IO
from urllib.parse import urljoin, urlsplit

from dubbing import keys
from dubbing.errors import BadInputError, DubError
from dubbing.media.sniff import looks_like_media
from dubbing.netguard import check_outbound
from dubbing.settings import Settings
from dubbing.stages import FetchInput
from dubbing.steps import Beat
from dubbing.storage import Store

MAX_REDIRECTS = 5
CHUNK = 1 << 20
USER_AGENT = "dubbing-service/1 (source fetch)"


class SourceFetchError(DubError):
    """The source did not answer, or answered 429/5xx: worth another attempt."""

    type = "SourceFetch"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects come back to `fetch`, which checks the new address before following it."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Message, newurl: str) -> urllib.request.Request | None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def shown(url: str) -> str:
    """The URL without credentials, query or fragment (a signed URL's token stays out)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"[:200]


def _open(url: str, settings: Settings) -> tuple[str, http.client.HTTPResponse]:
    for _ in range(MAX_REDIRECTS + 1):
        check_outbound(url, allow_private=settings.allow_private_addresses, what="source_url")
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        try:
            answer: http.client.HTTPResponse = _OPENER.open(request, timeout=30)
            return url, answer
        except urllib.error.HTTPError as exc:
            if exc.code in (301, 302, 303, 307, 308) and exc.headers.get("Location"):
                url = urljoin(url, exc.headers["Location"])
                continue
            if exc.code == 429 or exc.code >= 500:
                raise SourceFetchError(f"source_url {shown(url)} answered {exc.code}; "
                                       "trying again") from None
            raise BadInputError(f"source_url {shown(url)} answered {exc.code} {exc.reason}; "
                                "check the URL (it must be readable without credentials)"
                                ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SourceFetchError(f"source_url {shown(url)}: {reason}") from None
    raise BadInputError(f"source_url {shown(url)} redirects more than {MAX_REDIRECTS} times")


def _download(body: IO[bytes], target: Path, url: str, limit: int, beat: Beat) -> int:
    size = 0
    with body, target.open("wb") as out:
        while chunk := body.read(CHUNK):
            if size == 0 and not looks_like_media(chunk[:512]):
                raise BadInputError(f"source_url {shown(url)} is not a video or audio file "
                                    "(its first bytes are no media container)")
            size += len(chunk)
            if size > limit:
                raise BadInputError(f"source_url {shown(url)} is over the limit of "
                                    f"{limit // (1024 * 1024)} MiB")
            out.write(chunk)
            beat({"bytes": size})
    if size == 0:
        raise BadInputError(f"source_url {shown(url)} is empty")
    return size


def fetch_source(store: Store, scratch: Path, inp: FetchInput, settings: Settings,
                 beat: Beat) -> int:
    """Bytes fetched (0 when an earlier attempt had stored the input already)."""
    if (inp.source_key, inp.input_key) != (keys.source_key(inp.job_id),
                                            keys.input_key(inp.job_id)):
        raise BadInputError("a job fetches its source into its own keys only "
                            f"({keys.source_key(inp.job_id)}, {keys.input_key(inp.job_id)})")
    if store.exists(inp.input_key):
        return 0
    limit = int(settings.api_max_upload_mb * 1024 * 1024)
    url = str(store.get_json(inp.source_key)["url"])
    url, body = _open(url, settings)
    declared = body.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        body.close()
        raise BadInputError(f"source_url {shown(url)} is {int(declared) // (1024 * 1024)} MiB; "
                            f"the limit is {limit // (1024 * 1024)} MiB")
    target = scratch / "source"
    size = _download(body, target, url, limit, beat)
    store.put_file(inp.input_key, target)
    return size
