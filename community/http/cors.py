"""CORS for the API: the app's own origins and verified custom domains, nothing else.

Allowed origins are those of `NEXT_PUBLIC_APP_URL` (with `API_URL`, `APP_ORIGINS`, the listener's
own address and loopback aliases, as the websocket accepts) and every org's verified custom
domain, read from the database on each cross-origin request (several nodes: no cache to go
stale when a domain is removed). An allowed origin is echoed, never `*` (answers may carry
credentials), with `Vary: Origin` on every API answer so a shared cache never serves one origin's
answer to another. A preflight from anywhere else is refused (403) and carries no CORS headers.
"""

from __future__ import annotations

from quart import Response, g, request

from community.db.queries.domains import org_for_domain
from community.domain.origins import app_origins, custom_domain_origins, parse_origin
from community.handles import Handles
from community.http.context import current_handles
from community.http.errors import problem

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
HEADERS = frozenset({"accept", "accept-language", "authorization", "content-language", "content-type",
                     "idempotency-key", "if-none-match", "if-match"})
EXPOSED = "Retry-After, Location, Content-Disposition, ETag, Link"
MAX_AGE = 600


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


async def origin_allowed(h: Handles, origin: str) -> bool:
    seen = parse_origin(origin)
    if seen is None:
        return False
    settings = h.settings
    if seen in app_origins(settings.next_public_app_url, (settings.api_url, *settings.app_origins),
                           listen_host=settings.host, listen_port=settings.port):
        return True
    org = await org_for_domain(h.db, seen[1])
    return org is not None and seen in custom_domain_origins(org["custom_domain"])


async def _allowed_here(origin: str) -> bool:
    if "cors_allowed" not in g:
        g.cors_allowed = await origin_allowed(current_handles(), origin)
    return bool(g.cors_allowed)


async def answer_preflight() -> Response | None:
    """before_request, first: an API preflight is answered here, before any guard reads a body."""
    origin = request.headers.get("Origin")
    wanted = request.headers.get("Access-Control-Request-Method")
    if request.method != "OPTIONS" or not _is_api(request.path) or origin is None or wanted is None:
        return None
    headers = [h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",")
               if h.strip()]
    refused = (None if await _allowed_here(origin) else "This origin may not call the API.") or \
        (None if wanted in METHODS else f"The method {wanted[:20]!r} is not allowed.") or \
        (None if all(h in HEADERS for h in headers) else "A requested header is not allowed.")
    if refused is not None:
        response = problem(403, "forbidden", "Forbidden", refused)
    else:
        response = Response("", status=204)
        response.headers["Access-Control-Allow-Methods"] = ", ".join(METHODS)
        if headers:
            response.headers["Access-Control-Allow-Headers"] = ", ".join(headers)
        response.headers["Access-Control-Max-Age"] = str(MAX_AGE)
    response.vary.update(("Access-Control-Request-Method", "Access-Control-Request-Headers"))
    return response


async def add_cors_headers(response: Response) -> Response:
    """after_request: every API answer varies by Origin; an allowed origin may read it."""
    if not _is_api(request.path):
        return response
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin is None or (response.status_code == 403 and request.method == "OPTIONS"):
        return response
    if await _allowed_here(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        if request.method != "OPTIONS":
            response.headers["Access-Control-Expose-Headers"] = EXPOSED
    return response
