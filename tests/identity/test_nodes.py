"""Two nodes on one database: a token from one works on the other, limits hold across both, deploys keep keys."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import httpx
import jwt
import pytest
import trio
from cryptography.hazmat.primitives.asymmetric import rsa

from community.actors.key_ring import KeyRing
from community.app import System, run_system
from community.db.pool import close, connect
from community.identity import LocalKeys, tokens
from community.settings import Settings
from tests.factories import PASSWORD, Personas
from tests.tls import TLS


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"search_per_minute": 6})


def _client(node: System, **kwargs: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(verify=TLS, base_url=f"http://127.0.0.1:{node.http_port}", timeout=10, **kwargs)  # type: ignore[arg-type]


async def test_a_token_from_one_node_works_on_the_other(runtime: System, second_node: System) -> None:
    async with _client(runtime) as a, _client(second_node) as b:
        r = await a.post("/api/auth/register", json={"email": "two@example.com", "password": PASSWORD,
                                                      "display_name": "Two"})
        assert r.status_code == 201
        token = r.json()["token"]
        assert (await b.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200
        r = await b.post("/api/auth/login", json={"email": "two@example.com", "password": PASSWORD})
        assert (await a.get("/api/me", headers={"Authorization": f"Bearer {r.json()['token']}"})).status_code == 200
        assert (await a.get("/.well-known/jwks.json")).json() == (await b.get("/.well-known/jwks.json")).json()


async def test_a_rotated_key_verifies_everywhere_and_old_tokens_keep_working(
        runtime: System, second_node: System, settings: Settings, personas: Personas) -> None:
    old_token = personas.acme.member.token
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    new_kid = await runtime.handles.identity.rotate_keys(settings.database_url or "")
    assert new_kid != old_kid
    new_token = runtime.handles.identity.issue(str(personas.acme.member.user_id))
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    async with _client(runtime) as a, _client(second_node) as b:
        for client in (a, b):
            for token in (old_token, new_token):
                r = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
                assert r.status_code == 200, (client.base_url, token == new_token)
        kids = [k["kid"] for k in (await a.get("/.well-known/jwks.json")).json()["keys"]]
        assert kids[0] == new_kid and old_kid in kids
    # The other node signs with the new key after its key_ring's next round, without a restart.
    assert second_node.handles.identity.keys.kid == old_kid
    ring = KeyRing(second_node.handles.identity, second_node.handles.db.dsn)
    await ring.refresh()
    assert ring.refreshes == 1 and second_node.handles.identity.keys.kid == new_kid
    token_b = second_node.handles.identity.issue(str(personas.acme.member.user_id))
    async with _client(runtime) as a:
        assert (await a.get("/api/me", headers={"Authorization": f"Bearer {token_b}"})).status_code == 200


async def test_a_retired_key_verifies_on_no_node(runtime: System, second_node: System, settings: Settings,
                                                 personas: Personas) -> None:
    """A key replaced longer ago than its tokens can live is refused everywhere, even by a node that never saw it."""
    retired = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    conn = await connect(settings.database_url or "")
    try:
        kid = await tokens._store(conn, retired)
        await conn.execute("UPDATE signing_keys SET created_at = now() - interval '400 days' WHERE kid = $1", kid)
    finally:
        await close(conn)
    identity = runtime.handles.identity
    token = LocalKeys(retired).issue(str(personas.acme.member.user_id), issuer=identity.issuer,
                                     audience=identity.audience, ttl_seconds=600)
    async with _client(runtime) as a, _client(second_node) as b:
        for client in (a, b):
            r = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401, r.text
            assert kid not in [k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]]


async def test_the_database_limiter_is_exact_under_concurrency_across_nodes(runtime: System,
                                                                            second_node: System) -> None:
    limiters = (runtime.handles.limiter, second_node.handles.limiter)
    answers: list[int | None] = []

    async def hit(i: int) -> None:
        answers.append(await limiters[i % 2].hit("test:concurrent", 7, 60.0))

    async with trio.open_nursery() as nursery:
        for i in range(24):
            nursery.start_soon(hit, i)
    assert answers.count(None) == 7
    assert all(isinstance(a, int) and 1 <= a <= 60 for a in answers if a is not None)


async def test_a_fresh_node_after_a_deploy_signs_nobody_out(settings: Settings, tmp_path: Path, runtime: System,
                                                            personas: Personas) -> None:
    fresh = settings.model_copy(update={"community_data_dir": tmp_path / "after-deploy"})
    async with trio.open_nursery() as nursery:
        node: System = await nursery.start(run_system, fresh)
        async with _client(node) as client:
            r = await client.get("/api/me", headers=personas.acme.member.auth)
            assert r.status_code == 200
        nursery.cancel_scope.cancel()


async def test_login_limits_hold_across_nodes_by_email_and_address(runtime: System, second_node: System,
                                                                   personas: Personas) -> None:
    email = personas.acme.member.email
    wrong = {"email": email, "password": "not the password at all"}
    async with _client(runtime) as a, _client(second_node) as b:
        for client in (a, b, a, b, a):
            assert (await client.post("/api/auth/login", json=wrong)).status_code == 401
        for client in (a, b):
            r = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            assert r.status_code == 429
            assert int(r.headers["retry-after"]) > 0
    # The owner, from another address, is not locked out by whoever guessed from this one.
    other_address = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with _client(second_node, transport=other_address) as elsewhere:
        r = await elsewhere.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200


async def test_a_guesser_spread_over_many_addresses_meets_the_per_email_ceiling(runtime: System,
                                                                              second_node: System) -> None:
    """The pair limit alone lets a guesser rotate addresses forever: the e-mail's ceiling counts them all,
    on every node (the same rule as the service, with the ceiling lowered from 100 to keep it fast)."""
    nodes = [dataclasses.replace(node.handles.identity.login_limits, per_email=6) for node in (runtime, second_node)]
    email = f"ceiling-{uuid.uuid4().hex[:8]}@example.com"
    for i in range(6):
        limits = nodes[i % 2]
        assert await limits.retry_after(email, f"10.0.0.{i}") is None  # a new address each time
        await limits.failed(email, f"10.0.0.{i}")
    for limits in nodes:
        assert (await limits.retry_after(email, "10.0.0.99") or 0) > 0  # any address, on either node
        assert await limits.retry_after("someone-else@example.com", "10.0.0.99") is None


async def test_posting_and_search_limits_hold_across_nodes(runtime: System, second_node: System,
                                                           personas: Personas, settings: Settings) -> None:
    acme = personas.acme
    base = f"/api/orgs/{acme.slug}"
    async with _client(runtime) as a, _client(second_node) as b:
        r = await a.patch(base, json={"settings": {"posting": {"per_minute": 3, "new_member_per_minute": 3}}},
                          headers=acme.owner.auth)
        assert r.status_code == 200
        forum = (await a.post(f"{base}/forums", json={"name": "Limits"}, headers=acme.owner.auth)).json()["forum"]
        statuses = []
        for client in (a, b, a, b):
            r = await client.post(f"{base}/forums/{forum['id']}/topics", json={"title": "t", "content": "c"},
                                  headers=acme.member.auth)
            statuses.append(r.status_code)
        assert statuses == [201, 201, 201, 429]
        searches = []
        for i in range(settings.search_per_minute + 1):
            client = (a, b)[i % 2]
            r = await client.get(f"{base}/search", params={"q": "t"}, headers=acme.member.auth)
            searches.append(r.status_code)
        assert searches[:-1] == [200] * settings.search_per_minute
        assert searches[-1] == 429


async def test_the_messaging_limit_holds_across_nodes(runtime: System, second_node: System,
                                                      personas: Personas) -> None:
    acme = personas.acme
    base = f"/api/orgs/{acme.slug}"
    async with _client(runtime) as a, _client(second_node) as b:
        r = await a.patch(base, json={"settings": {"messaging": {"per_minute": 3}}}, headers=acme.owner.auth)
        assert r.status_code == 200, r.text
        r = await b.post(f"{base}/conversations", json={"participant_ids": [str(acme.admin.user_id)]},
                         headers=acme.member.auth)
        conversation = r.json()["conversation"]["id"]
        statuses = []
        for i, client in enumerate((a, b, a, b)):
            r = await client.post(f"{base}/conversations/{conversation}/messages", json={"content": f"m{i}"},
                                  headers=acme.member.auth)
            statuses.append(r.status_code)
        assert statuses == [201, 201, 201, 429]
        assert int(r.headers["retry-after"]) > 0


async def test_registration_refuses_guessable_passwords(client: httpx.AsyncClient) -> None:
    for email, password in (("a1@example.com", "password1234"), ("a2@example.com", "qwertyuiop"),
                            ("jonathan.smith@example.com", "jonathansmith1"), ("a3@example.com", "aaaaaaaaaaaa")):
        r = await client.post("/api/auth/register", json={"email": email, "password": password, "display_name": "A"})
        assert r.status_code == 422, (password, r.text)
        assert [e["loc"] for e in r.json()["errors"]] == [["body", "password"]]
        assert r.json()["errors"][0]["msg"]
    r = await client.post("/api/auth/register", json={"email": "a4@example.com", "password": "Tr0ub4dor&3x-river",
                                                      "display_name": "A"})
    assert r.status_code == 201


async def test_a_limit_inside_a_write_never_waits_for_a_second_connection(runtime: System, personas: Personas,
                                                                           settings: Settings) -> None:
    """More concurrent writers than the pool has connections: each counts its hit on its own transaction's."""
    acme = personas.acme
    base = f"/api/orgs/{acme.slug}"
    async with _client(runtime) as a:
        r = await a.patch(base, json={"settings": {"posting": {"per_minute": 1000, "new_member_per_minute": 1000}}},
                          headers=acme.owner.auth)
        assert r.status_code == 200
        forum = (await a.post(f"{base}/forums", json={"name": "Pool"}, headers=acme.owner.auth)).json()["forum"]
        statuses: list[int] = []

        async def post(i: int) -> None:
            r = await a.post(f"{base}/forums/{forum['id']}/topics", json={"title": f"t{i}", "content": "c"},
                             headers=acme.member.auth)
            statuses.append(r.status_code)

        with trio.fail_after(30):
            async with trio.open_nursery() as nursery:
                for i in range(settings.db_pool_max * 3):
                    nursery.start_soon(post, i)
        assert statuses == [201] * settings.db_pool_max * 3
