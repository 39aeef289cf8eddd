"""The one guard for every outbound request a user can aim (webhooks, later source URLs):
http(s) only, no credentials in the URL, and no address inside the service's own network
(loopback, private, link-local, multicast, reserved, in any spelling: decimal, octal, IPv6,
IPv4-mapped) unless a setting allows it. Checked when a job is submitted and again right
before each request, since a name may resolve elsewhere by then."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from dubbing.errors import ConfigurationError

SCHEMES = ("http", "https")


def check_outbound(url: str, *, allow_private: bool = False, what: str = "URL") -> None:
    """Raise ConfigurationError (one line, the URL without credentials) unless `url` may be
    requested."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"{what}: not a valid URL (check the host and the port); give "
                                 "an absolute http:// or https:// address") from None
    shown = f"{parts.scheme}://{parts.hostname or ''}" if parts.scheme else "the given value"
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ConfigurationError(f"{what} {shown}... is not an http(s) URL; give an absolute "
                                 "http:// or https:// address")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(f"{what} {shown}... carries credentials; remove user:password@ "
                                 "(no credentials travel in URLs)")
    if allow_private:
        return
    for address in _addresses(parts.hostname, port or 443, what, shown):
        if _internal(address):
            raise ConfigurationError(
                f"{what} {shown} points inside the service's network ({address}); give a "
                "public address (DUB_ALLOW_PRIVATE_ADDRESSES=true allows this on a trusted "
                "network)")


def _addresses(host: str, port: int, what: str, shown: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConfigurationError(f"{what} {shown}: the host does not resolve ({exc})") from exc
    return sorted({str(info[4][0]) for info in infos})


def _internal(text: str) -> bool:
    address = ipaddress.ip_address(text.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address):
        # IPv4 inside IPv6 (mapped, 6to4, Teredo) is judged as the IPv4 address it carries.
        inner = address.ipv4_mapped or address.sixtofour or (
            address.teredo[1] if address.teredo else None)
        if inner is not None:
            return _internal(str(inner))
    # Anything not globally reachable: loopback, private, link-local, shared (100.64/10, where
    # some clouds keep their metadata service), multicast, reserved, documentation ranges.
    return (not address.is_global or address.is_loopback or address.is_multicast
            or address.is_reserved or address.is_unspecified)
