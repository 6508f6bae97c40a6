"""Custom domains: which names an org may ask for, and the TXT record that proves one.

A name is a lower-case DNS host name of at least two labels (LDH, `xn--` labels for IDN),
never an IP address, `localhost`, a reserved test/example/internal suffix that no one can
prove, nor the app's own host. The proof is a TXT record at `_community-verification.<name>`
whose value names the org's token.
"""

from __future__ import annotations

import ipaddress
import re

RECORD_PREFIX = "_community-verification"
VALUE_PREFIX = "community-verification="
MAX_LENGTH = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NEVER = ("localhost", "local", "localdomain", "internal", "invalid", "arpa")
# What normalize accepts, as the document says it (lower case: the server also lowers upper case).
_DNS_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
HOST_PATTERN = (rf"^\s*({_DNS_LABEL}\.)+(?!({'|'.join(_NEVER)})\.?\s*$)[a-z]([a-z0-9-]{{0,61}}[a-z0-9])?\.?\s*$")


def normalize(name: str) -> str:
    """The name as stored (lower case, no trailing dot); ValueError saying what is wrong."""
    host = name.strip().lower().removesuffix(".")
    if not host or len(host) > MAX_LENGTH:
        raise ValueError(f"must be a host name of 1 to {MAX_LENGTH} characters")
    if _is_address(host):
        raise ValueError("must be a host name, not an IP address")
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("must be a host name such as community.example.com (letters, digits, hyphens, dots)")
    if labels[-1].isdigit():
        raise ValueError("must end in a top-level domain, not a number")
    if labels[-1] in _NEVER:
        raise ValueError(f"a .{labels[-1]} name cannot be proven in public DNS")
    return host


def host_of(header: str) -> str | None:
    """The host name of a `Host` header (port dropped, lower case), or None when it is not one."""
    host = header.strip().lower()
    if host.startswith("["):
        return None
    host = host.rsplit(":", 1)[0] if ":" in host else host
    try:
        return normalize(host)
    except ValueError:
        return None


def record_name(name: str) -> str:
    return f"{RECORD_PREFIX}.{name}"


def record_value(token: str) -> str:
    return f"{VALUE_PREFIX}{token}"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
