"""Signed links: a download or upload URL that works without the bearer key for a while
(HMAC-SHA256 over the path and the expiry, with `DUB_API_SIGNING_KEY`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode


class Signer:
    def __init__(self, key: str | None, lifetime_seconds: float) -> None:
        self.key = (key or secrets.token_hex(32)).encode()
        self.lifetime = lifetime_seconds

    def _mac(self, path: str, expires: int) -> str:
        return hmac.new(self.key, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, path: str, now: float | None = None) -> str:
        """`path` with `?expires=...&sig=...` appended."""
        expires = int((now or time.time()) + self.lifetime)
        return f"{path}?{urlencode({'expires': expires, 'sig': self._mac(path, expires)})}"

    def valid(self, path: str, expires: str | None, sig: str | None) -> bool:
        if not expires or not sig or not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(self._mac(path, int(expires)), sig)
