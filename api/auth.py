"""API keys and tenants: each configured key (stored as its SHA-256) is a tenant. Without keys
the API serves this machine only, as the tenant `local`."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re

from fastapi import Request

from api.problems import Problem
from dubbing.errors import ConfigurationError

TENANT = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
LOCAL_TENANT = "local"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_keys(text: str | None) -> dict[str, str]:
    """`tenant:sha256-hex,...` as {hash: tenant}; a malformed entry stops the start."""
    found: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in (text or "").split(","))):
        tenant, _, digest = entry.partition(":")
        if not TENANT.fullmatch(tenant) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ConfigurationError(
                "DUB_API_KEYS: each entry is tenant:sha256-hex (tenant: lowercase letters, digits "
                "and hyphens, at most 32; make the hash with 'python -m api hash-key KEY')")
        found[digest] = tenant
    return found


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")


def _host_name(value: str) -> str:
    """`host` of a `host:port` or `[v6]:port` Host header value."""
    value = value.strip().lower()
    if value.startswith("["):
        return value.partition("]")[0] + "]"
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _same_machine(request: Request) -> None:
    """Without keys, a web page elsewhere must not steer the local API through the browser:
    the Host must name this machine (no DNS rebinding), and a request a browser sends from
    another origin (cross-site forms and fetches carry Origin) is refused."""
    host = request.headers.get("host", "")
    if _host_name(host) not in LOCAL_NAMES:
        raise Problem(403, "without API keys this API answers only to 127.0.0.1, localhost or "
                      "[::1] (set DUB_API_KEYS to serve other names)", "forbidden")
    origin = request.headers.get("origin")
    if origin is not None and origin.lower().split("://", 1)[-1] != host.strip().lower():
        raise Problem(403, "a request from another web origin is refused without API keys",
                      "forbidden")


class Keys:
    def __init__(self, hashes: dict[str, str]) -> None:
        self.hashes = hashes

    @property
    def local_only(self) -> bool:
        return not self.hashes

    def tenant(self, request: Request) -> str:
        """The request's tenant, or a 401 problem."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if self.local_only:
            if not _loopback(request.client.host if request.client else None):
                raise Problem(401, "this API has no keys configured and serves this machine "
                              "only; set DUB_API_KEYS to serve others", "unauthorized")
            _same_machine(request)
            return LOCAL_TENANT
        if scheme.lower() != "bearer" or not token:
            raise Problem(401, "send an API key: Authorization: Bearer <key>", "unauthorized",
                          {"WWW-Authenticate": "Bearer"})
        digest = hash_key(token.strip())
        for known, tenant in self.hashes.items():
            if hmac.compare_digest(known, digest):
                return tenant
        raise Problem(401, "unknown API key", "unauthorized", {"WWW-Authenticate": "Bearer"})
