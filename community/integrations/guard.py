"""The SSRF guard: outgoing requests reach public addresses only.

Only `http(s)`; the host is resolved and every address it resolves to must be global: private,
loopback, link-local (cloud metadata at 169.254.169.254 among them), multicast, reserved,
shared (100.64/10), unspecified and IPv4-mapped/-translated forms of those are refused. The
caller then connects to the address that was checked (never resolving again), so a DNS answer
that changes between the check and the connection (rebinding) cannot redirect the request.
`allow_private` (INTEGRATIONS_ALLOW_PRIVATE=1) admits them, for tests and local development.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import trio

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddressError(ValueError):
    """The URL is not one we send to; the message says why (safe to show the admin)."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    address: Address


def check_url_shape(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedAddressError("Only http and https URLs are allowed.")
    if not parts.hostname:
        raise BlockedAddressError("The URL has no host.")
    if parts.username or parts.password:
        raise BlockedAddressError("Credentials in the URL are not allowed.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BlockedAddressError("The URL's port is not valid.") from None
    return parts.scheme, parts.hostname.rstrip("."), port


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not address.is_multicast


async def resolve(url: str, *, allow_private: bool) -> Target:
    """The URL's address, checked; raises BlockedAddressError."""
    scheme, host, port = check_url_shape(url)
    try:
        literal: Address | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = await trio.socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):  # UnicodeError: a name IDNA cannot encode (the fuzzer's 500)
            raise BlockedAddressError(f"The host {host!r} does not resolve.") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in found]
    if not addresses:
        raise BlockedAddressError(f"The host {host!r} does not resolve.")
    if not allow_private and not all(is_public(a) for a in addresses):
        raise BlockedAddressError("The URL resolves to a private, loopback, link-local or otherwise "
                                  "non-public address.")
    return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])
