"""Who is on the other end of a request: the client's address, for limits and nothing else."""

from __future__ import annotations

from quart import request


def client_address(proxy_hops: int) -> str:
    """The socket's peer; with `proxy_hops` proxies in front, the address the outermost one appended.

    Entries left of that are the client's own claims and are never trusted.
    """
    if proxy_hops:
        forwarded = [part.strip() for header in request.headers.getlist("X-Forwarded-For")
                     for part in header.split(",") if part.strip()]
        if len(forwarded) >= proxy_hops:
            return forwarded[-proxy_hops]
    return request.remote_addr or "unknown"
