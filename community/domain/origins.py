"""Browser origins: which (scheme, host, port) may talk to us (the websocket `Origin` check; CORS).

An origin is compared whole — scheme, host and port — never by host name alone. The app's own
origins are derived from the settings so the defaults match what the server prints: the
configured app URL, the HTTP listener's own address (it serves the app), and for loopback
addresses both spellings (`localhost` and `127.0.0.1`), since a browser treats them as two
origins and the demo prints one while the README says the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

Origin = tuple[str, str, int]
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


def parse_origin(text: str) -> Origin | None:
    """`scheme://host[:port]` as a comparable triple; None for anything else (`null`, paths, junk)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or parts.path not in ("", "/") or parts.query or parts.username:
        return None
    if ":" in host:
        host = f"[{host}]"
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def is_loopback(url: str) -> bool:
    """The URL names this machine (`localhost`, `127.0.0.1`, `[::1]`): a local install."""
    found = parse_origin(url.rstrip("/"))
    return found is not None and found[1] in _LOOPBACK


def app_origins(app_url: str, extra: Iterable[str] = (), *, listen_host: str | None = None,
                listen_port: int | None = None) -> frozenset[Origin]:
    """The app's own origins: `app_url`, each of `extra`, the HTTP listener's, loopback aliases."""
    found = {o for o in (parse_origin(u) for u in (app_url, *extra)) if o is not None}
    if listen_host and listen_port and listen_host not in ("0.0.0.0", "::"):  # noqa: S104 - a comparison
        listen = parse_origin(f"http://{listen_host}:{listen_port}")
        if listen is not None:
            found.add(listen)
    for scheme, host, port in list(found):
        if host in _LOOPBACK:
            found.update((scheme, alias, port) for alias in _LOOPBACK)
    return frozenset(found)


def custom_domain_origins(domain: str | None) -> frozenset[Origin]:
    """An org's custom domain, served over https (or http on its default port, behind a proxy in tests)."""
    if not domain:
        return frozenset()
    host = domain.strip().lower().rstrip(".")
    return frozenset({("https", host, 443), ("http", host, 80)})
