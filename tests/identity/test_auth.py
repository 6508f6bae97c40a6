"""Register, log in, /api/me, JWKS, and rejected tokens — over real HTTP."""

from __future__ import annotations

import base64
import json

import httpx
import jwt

from community.app import System
from tests.factories import PASSWORD, Personas


async def _register(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/auth/register", json={"email": email, "password": password,
                                                          "display_name": "Ada"})


async def test_register_login_me(client: httpx.AsyncClient) -> None:
    r = await _register(client, "Ada@Example.com")
    assert r.status_code == 201
    body = r.json()
    assert body["user"]["display_name"] == "Ada"
    r = await client.post("/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
    assert r.status_code == 200
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {r.json()['token']}"})
    assert me.status_code == 200
    assert me.json()["user"]["id"] == body["user"]["id"]
    assert me.json()["memberships"] == []


async def test_email_is_unique_case_insensitively(client: httpx.AsyncClient) -> None:
    assert (await _register(client, "grace@example.com")).status_code == 201
    r = await _register(client, "GRACE@example.com")
    assert r.status_code == 409
    assert r.json()["code"] == "conflict"


async def test_register_validation_names_every_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/register", json={"email": "nope", "password": "short"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    locs = {tuple(e["loc"]) for e in r.json()["errors"]}
    assert {("body", "email"), ("body", "password"), ("body", "display_name")} <= locs


async def test_body_must_be_json(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/register", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    r = await client.post("/api/auth/register", content=b"email=x", headers={"content-type": "text/plain"})
    assert r.status_code == 400


async def test_login_never_says_whether_the_email_exists(client: httpx.AsyncClient, personas: Personas) -> None:
    known = await client.post("/api/auth/login", json={"email": personas.acme.member.email, "password": "wrong!!"})
    unknown = await client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "wrong!!"})
    assert known.status_code == unknown.status_code == 401
    assert known.json()["detail"] == unknown.json()["detail"]


async def test_failed_logins_are_rate_limited_per_email(client: httpx.AsyncClient, personas: Personas) -> None:
    email = personas.acme.member.email
    for _ in range(5):
        assert (await client.post("/api/auth/login", json={"email": email, "password": "bad"})).status_code == 401
    r = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["code"] == "rate_limited"


async def test_failed_logins_are_rate_limited_per_address(client: httpx.AsyncClient) -> None:
    for i in range(30):
        await client.post("/api/auth/login", json={"email": f"u{i}@example.com", "password": "bad"})
    r = await client.post("/api/auth/login", json={"email": "fresh@example.com", "password": "bad"})
    assert r.status_code == 429


async def test_jwks_publishes_the_signing_key(client: httpx.AsyncClient, runtime: System,
                                              personas: Personas) -> None:
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert [k["kid"] for k in keys] == [runtime.handles.identity.keys.kid]
    header = jwt.get_unverified_header(personas.acme.member.token)
    assert header == {"alg": "RS256", "kid": runtime.handles.identity.keys.kid, "typ": "JWT"}


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_rejected_tokens_are_401_problems(client: httpx.AsyncClient, runtime: System,
                                                personas: Personas) -> None:
    s, keys = runtime.handles.settings, runtime.handles.identity.keys
    user = str(personas.acme.member.user_id)
    bad = {
        "none": f"{_b64({'alg': 'none', 'kid': keys.kid})}.{_b64({'sub': user})}.",
        "expired": keys.issue(user, issuer=s.token_issuer, audience=s.token_audience, ttl_seconds=-60),
        "wrong_iss": keys.issue(user, issuer="evil", audience=s.token_audience, ttl_seconds=60),
        "wrong_aud": keys.issue(user, issuer=s.token_issuer, audience="other", ttl_seconds=60),
        "garbage": "not.a.token",
        "tampered": personas.acme.member.token[:-4] + "AAAA",
    }
    for name, token in bad.items():
        r = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, name
        assert r.headers["content-type"] == "application/problem+json", name
    assert (await client.get("/api/me")).status_code == 401


async def test_roles_come_from_memberships_not_claims(client: httpx.AsyncClient, runtime: System,
                                                      personas: Personas) -> None:
    s = runtime.handles.settings
    token = runtime.handles.identity.keys.issue(str(personas.acme.member.user_id), issuer=s.token_issuer,
                               audience=s.token_audience, ttl_seconds=600, role="owner")
    r = await client.delete(f"/api/orgs/{personas.acme.slug}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
