"""TXT lookups for custom-domain proofs, through dnspython's async resolver (trio backend).

`DNS_RESOLVER` names the resolver (`address:port`); empty uses the system's (/etc/resolv.conf).
Each outcome is a value, never an exception for the caller to guess at: the records were found
(with their strings), there is no such name or no TXT there, or the resolver could not answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import dns.asyncbackend
import dns.asyncresolver
import dns.exception
import dns.rdatatype
import dns.resolver


class Outcome(Enum):
    FOUND = "found"
    MISSING = "missing"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class TxtAnswer:
    outcome: Outcome
    values: tuple[str, ...] = ()
    detail: str = ""


def parse_resolver(text: str) -> tuple[str, int] | None:
    """`address:port` (or `[v6]:port`, or an address alone: port 53); None for the system's."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":") or "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, "53"
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must be address:port")
    return host, int(port)


def _resolver(address: tuple[str, int] | None, timeout: float) -> dns.asyncresolver.Resolver:
    if address is None:
        resolver = dns.asyncresolver.Resolver()
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [address[0]]
        resolver.port = address[1]
    resolver.lifetime = timeout
    resolver.timeout = timeout
    resolver.cache = None  # every check asks again: a record just added must be seen now
    return resolver


async def lookup_txt(name: str, *, resolver: tuple[str, int] | None, lifetime: float) -> TxtAnswer:
    """The TXT strings at `name` (each record's strings joined, as RFC 7208 reads them)."""
    try:
        answer = await _resolver(resolver, lifetime).resolve(name, dns.rdatatype.TXT, search=False,
                                                            backend=dns.asyncbackend.get_backend("trio"))
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return TxtAnswer(Outcome.MISSING, detail=f"There is no TXT record at {name}.")
    except (dns.resolver.LifetimeTimeout, dns.resolver.NoNameservers, OSError) as exc:
        return TxtAnswer(Outcome.UNREACHABLE, detail=f"The DNS resolver did not answer ({type(exc).__name__}).")
    except dns.exception.DNSException as exc:
        return TxtAnswer(Outcome.UNREACHABLE, detail=f"The DNS lookup failed ({type(exc).__name__}).")
    values = tuple(b"".join(rdata.strings).decode("utf-8", errors="replace") for rdata in answer)
    return TxtAnswer(Outcome.FOUND, values=values)
