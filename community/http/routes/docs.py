"""`/docs`: Swagger UI over `/openapi.json`, served from this server (works offline, no CDN).

The assets come from the `swagger-ui-bundle-v2` package; the page has no inline script or style,
so it runs under a strict Content-Security-Policy (scripts, styles and requests: this origin only).
"""

from __future__ import annotations

import trio
from quart import Blueprint, Response
from quart_schema import hide
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from community.domain.errors import NotFoundError

blueprint = Blueprint("docs", __name__)

_ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Community API</title>
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""
_INIT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "StandaloneLayout",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    persistAuthorization: false
  });
});
"""
# Swagger UI draws icons as data: images and injects its own <style> elements and style attributes
# at run time (styles only: no inline script, and this page shows no user content); everything else
# is this origin.
_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
           "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _answer(body: str | bytes, content_type: str, *, cache: str) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Content-Security-Policy"] = _POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = cache
    return response


@blueprint.get("/docs")
@hide
async def page() -> Response:
    return _answer(_PAGE, "text/html; charset=utf-8", cache="no-cache")


@blueprint.get("/docs/<asset>")
@hide
async def asset(asset: str) -> Response:
    if asset == "init.js":
        return _answer(_INIT, "text/javascript; charset=utf-8", cache="no-cache")
    content_type = _ASSETS.get(asset)
    if content_type is None:
        raise NotFoundError("No such file.")
    body = await trio.Path(swagger_ui_path / asset).read_bytes()
    return _answer(body, content_type, cache="public, max-age=86400")
