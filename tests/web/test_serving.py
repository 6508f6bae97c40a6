"""The REST listener serves the built app: deep links, caching, compression, the content security policy."""

from __future__ import annotations

import gzip

import httpx
import pytest

from community.app import System

ASSET = "/assets/app-3f9a1c.js"


@pytest.mark.parametrize("path", ["/", "/login", "/acme/topics/8f0e", "/acme/search", "/invite/abc.def"])
async def test_every_app_path_answers_the_index(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache"
    assert '<div id="root">' in r.text


@pytest.mark.parametrize("path", ["/api/nope", "/api/orgs/x/nope", "/.well-known/nope", "/ws/x"])
async def test_reserved_paths_stay_the_apis(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


async def test_unknown_api_method_is_still_the_apis_answer(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/nope", json={})
    assert r.status_code == 404


async def test_hashed_assets_are_immutable_and_compressed(client: httpx.AsyncClient) -> None:
    r = await client.get(ASSET, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["content-type"].startswith("text/javascript")
    assert "export const app" in r.text  # httpx decoded the gzip body
    raw = await client.get(ASSET, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert raw.content == gzip.decompress(gzip.compress(raw.content))
    assert len(r.headers["content-length"]) and int(r.headers["content-length"]) < len(raw.content)


async def test_missing_asset_is_404_not_the_index(client: httpx.AsyncClient) -> None:
    r = await client.get("/assets/app-000000.js")
    assert r.status_code == 404


async def test_files_outside_the_build_are_unreachable(client: httpx.AsyncClient) -> None:
    for path in ("/../pyproject.toml", "/%2e%2e/pyproject.toml", "/assets/..%2f..%2fconftest.py", ASSET + ".gz"):
        r = await client.get(path)
        assert "[project]" not in r.text
        assert r.status_code in (200, 404)
        if r.status_code == 200:
            assert '<div id="root">' in r.text


async def test_content_security_policy_has_no_inline_script(client: httpx.AsyncClient, runtime: System) -> None:
    r = await client.get("/")
    policy = dict(part.strip().split(" ", 1) for part in r.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    assert policy["frame-ancestors"] == "'none'"
    assert f"ws://127.0.0.1:{runtime.ws_port}" in policy["connect-src"].split()
    assert r.headers["x-frame-options"] == "DENY"
    # Frames only show PDFs the app itself fetched (blob:); nothing framed from elsewhere.
    assert policy["frame-src"] == "blob:"
    assert policy["object-src"] == "'none'"


def test_the_policy_lets_the_browser_reach_s3_storage_itself() -> None:
    from community.storage.s3 import S3Storage

    minio = S3Storage(bucket="b", endpoint_url="http://127.0.0.1:9000/", region="eu-west-1",
                      access_key_id=None, secret_access_key=None)
    aws = S3Storage(bucket="files", endpoint_url=None, region="eu-west-1", access_key_id=None,
                    secret_access_key=None)
    assert minio.origins == ("http://127.0.0.1:9000",)
    assert "https://files.s3.eu-west-1.amazonaws.com" in aws.origins


async def test_other_built_files_are_served_with_a_short_cache(client: httpx.AsyncClient) -> None:
    r = await client.get("/robots.txt")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=3600"
