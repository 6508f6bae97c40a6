"""The browser app: built files from `web/dist`, `index.html` for every other non-API path (deep links)."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit

import trio
from quart import Blueprint, Response, request
from quart.blueprints import BlueprintSetupState
from quart_schema import hide
from werkzeug.routing import PathConverter

from community.domain.errors import NotFoundError
from community.handles import Handles
from community.http.context import current_handles
from community.services import domains

blueprint = Blueprint("web", __name__)

# Paths the app never answers: a miss there stays the API's own problem+json 404 (or 405), not the app's page.
_RESERVED = ("api", "ws", "docs", "openapi.json", "metrics", "healthz", "readyz", ".well-known")


class AppPathConverter(PathConverter):
    """Any path but the reserved prefixes, so the app's rule never shadows an API answer."""

    regex = "(?!(?:" + "|".join(r.replace(".", r"\.") for r in _RESERVED) + ")(?:/|$))[^/].*?"


@blueprint.record_once
def _register_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["app_path"] = AppPathConverter
_IMMUTABLE = "public, max-age=31536000, immutable"
_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
_NOT_BUILT = (b"<!doctype html><title>Community</title><h1>The browser app is not built</h1>"
              b"<p>Install Node.js 20 or newer, then run <code>make install</code>.</p>")


@blueprint.get("/")
@blueprint.get("/<app_path:path>")
@hide
async def app_file(path: str = "") -> Response:
    """A built file when one has this name; else the app's index.html, whose router shows the screen."""
    h = current_handles()
    if not path:
        org = await domains.org_for_host(h.db, request.headers.get("Host"))
        if org is not None:  # the app opens on the org whose verified custom domain this is
            moved = Response("", status=302)
            moved.headers["Location"] = f"/{org['slug']}"
            return moved
    dist = h.settings.web_dist
    file = _built_file(dist, path)
    if file is not None:
        cache = _IMMUTABLE if path.startswith("assets/") else "public, max-age=3600"
        return await _send(h, file, cache)
    if path.startswith("assets/"):
        raise NotFoundError("No such asset.")
    index = dist / "index.html"
    if not index.is_file():
        return _with_policy(h, Response(_NOT_BUILT, status=503, content_type="text/html; charset=utf-8"))
    return await _send(h, index, "no-cache")


def _built_file(dist: Path, path: str) -> Path | None:
    """The file under `dist` named by `path`, never one outside it and never a precompressed twin."""
    if not path or path.endswith((".br", ".gz")):
        return None
    root = dist.resolve()
    file = (root / path).resolve()
    if root not in file.parents or not file.is_file():
        return None
    return file


async def _send(h: Handles, file: Path, cache: str) -> Response:
    accepted = request.headers.get("Accept-Encoding", "")
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type in ("application/javascript", "image/svg+xml"):
        content_type += "; charset=utf-8"
    body, encoding = None, None
    for name, suffix in _ENCODINGS:
        twin = file.with_name(file.name + suffix)
        if _accepts(accepted, name) and twin.is_file():
            body, encoding = await trio.Path(twin).read_bytes(), name
            break
    if body is None:
        body = await trio.Path(file).read_bytes()
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = cache
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if encoding:
        response.headers["Content-Encoding"] = encoding
    return _with_policy(h, response)


def _accepts(header: str, encoding: str) -> bool:
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() == encoding:
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _with_policy(h: Handles, response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(h)
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def content_security_policy(h: Handles) -> str:
    """No inline script anywhere; the app may talk to itself, its websocket, its API and its Auth0 tenant."""
    settings = h.settings
    storage = list(h.files.storage.origins)
    connect = ["'self'", _origin(h.endpoints.ws_url), _origin(settings.api_url), *storage]
    # PDFs are previewed from a blob: of bytes the app fetched (typed application/pdf by the app).
    frames = ["blob:"]
    if settings.auth0_domain:
        auth0 = f"https://{settings.auth0_domain}"
        connect.append(auth0)
        frames.append(auth0)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": list(dict.fromkeys(["'self'", "data:", "blob:", "https:", *storage])),
        "connect-src": list(dict.fromkeys(c for c in connect if c)),
        "frame-src": frames,
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
