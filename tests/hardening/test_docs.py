"""`/docs` is served by this server: no CDN, no inline script, and the UI renders under its policy."""

from __future__ import annotations

import re

import httpx


async def test_the_docs_page_loads_only_its_own_files(client: httpx.AsyncClient) -> None:
    r = await client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    policy = r.headers["content-security-policy"]
    assert "script-src 'self';" in policy  # no inline script (Swagger UI's own run-time styles are allowed)
    assert [d.split()[0] for d in policy.split(";") if "unsafe-inline" in d] == ["style-src"]
    html = r.text
    assert "http://" not in html and "https://" not in html  # nothing from elsewhere
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html and "<style" not in html
    referenced = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/init.js"} <= set(referenced)
    for path in referenced:
        asset = await client.get(path)
        assert asset.status_code == 200, path
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert asset.content, path
    init = (await client.get("/docs/init.js")).text
    assert '"/openapi.json"' in init


async def test_unknown_docs_files_are_404_problems(client: httpx.AsyncClient) -> None:
    for path in ("/docs/nope.js", "/docs/..%2Fpyproject.toml", "/docs/index.html", "/docs/swagger-ui.js.map"):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
