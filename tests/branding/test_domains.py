"""Custom domains: proven by a TXT record on a loopback DNS server; only a verified domain routes
a Host (/api/config, the app's front page), CORS and the websocket Origin check to its org."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import trio

from community.app import System
from tests.dns_server import DnsServer
from tests.factories import OrgPersonas, Personas
from tests.realtime.conftest import open_socket, ws_url

NAME = "forum.acme.example"
ORIGIN = f"https://{NAME}"


@pytest.fixture
def records(dns: DnsServer) -> Any:
    yield dns.records
    dns.records.clear()


async def _put(client: httpx.AsyncClient, org: OrgPersonas, name: str) -> httpx.Response:
    return await client.put(f"/api/orgs/{org.slug}/domain", json={"domain": name}, headers=org.owner.auth)


async def _verify(client: httpx.AsyncClient, org: OrgPersonas) -> httpx.Response:
    return await client.post(f"/api/orgs/{org.slug}/domain/verify", headers=org.admin.auth)


async def _host_org(client: httpx.AsyncClient, host: str) -> Any:
    r = await client.get("/api/config", headers={"Host": host})
    assert r.status_code == 200
    return r.json()["org"]


async def test_a_domain_is_the_orgs_once_its_txt_record_is_seen(client: httpx.AsyncClient, personas: Personas,
                                                                 records: dict[str, list[str]]) -> None:
    acme = personas.acme
    with trio.fail_after(30):
        r = await _put(client, acme, "Forum.ACME.example.")
        assert r.status_code == 200, r.text
        domain = r.json()["domain"]
        assert domain["name"] == NAME and domain["status"] == "pending" and domain["last_check"] is None
        record = domain["verification"]
        assert record["type"] == "TXT" and record["name"] == f"_community-verification.{NAME}"
        assert record["value"].startswith("community-verification=")
        assert await _host_org(client, NAME) is None  # pending: nobody's

        r = await _verify(client, acme)
        assert r.status_code == 200, r.text
        check = r.json()["domain"]["last_check"]
        assert r.json()["domain"]["status"] == "pending" and check["result"] == "missing"
        assert record["name"] in check["detail"]

        records[record["name"]] = ["v=spf1 -all", "community-verification=someone-elses-token"]
        r = await _verify(client, acme)
        assert r.json()["domain"]["status"] == "pending"
        assert r.json()["domain"]["last_check"]["result"] == "mismatch"
        assert await _host_org(client, NAME) is None

        records[record["name"]] = ["v=spf1 -all", record["value"]]
        r = await _verify(client, acme)
        assert r.json()["domain"]["status"] == "verified", r.text
        assert r.json()["domain"]["last_check"]["result"] == "verified"
        org = await _host_org(client, f"{NAME}:443")
        assert (org["slug"], org["name"], org["custom_domain"]) == (acme.slug, "Acme", NAME)
        assert set(org) == {"id", "slug", "name", "logo_url", "branding", "custom_domain"}
        assert await _host_org(client, "other.example") is None
        r = await client.get(f"/api/orgs/{acme.slug}", headers=acme.member.auth)
        assert r.json()["organization"]["custom_domain"] == NAME

        again = await _put(client, acme, NAME)  # the same name again changes nothing
        assert again.json()["domain"]["status"] == "verified"
        assert again.json()["domain"]["verification"] == record
        assert (await _put(client, personas.globex, NAME)).status_code == 409  # verified by acme

        r = await client.delete(f"/api/orgs/{acme.slug}/domain", headers=acme.admin.auth)
        assert r.status_code == 204
        assert await _host_org(client, NAME) is None  # removed: nobody's
        assert (await client.get(f"/api/orgs/{acme.slug}/domain", headers=acme.owner.auth)).json() == {"domain": None}
        assert (await _verify(client, acme)).status_code == 404
        assert (await _put(client, personas.globex, NAME)).status_code == 200  # free again


async def test_a_new_name_replaces_the_old_one_at_once(client: httpx.AsyncClient, personas: Personas,
                                                        records: dict[str, list[str]]) -> None:
    acme = personas.acme
    with trio.fail_after(30):
        first = (await _put(client, acme, NAME)).json()["domain"]["verification"]
        records[first["name"]] = [first["value"]]
        assert (await _verify(client, acme)).json()["domain"]["status"] == "verified"
        second = (await _put(client, acme, "community.acme.example")).json()["domain"]
        assert second["status"] == "pending" and second["verification"]["value"] != first["value"]
        assert await _host_org(client, NAME) is None
        assert await _host_org(client, "community.acme.example") is None


async def test_of_two_orgs_asking_for_one_name_the_first_to_prove_it_holds_it(
        client: httpx.AsyncClient, personas: Personas, records: dict[str, list[str]]) -> None:
    acme, globex = personas.acme, personas.globex
    with trio.fail_after(30):
        mine = (await _put(client, acme, "shared.example")).json()["domain"]["verification"]
        theirs = (await _put(client, globex, "shared.example")).json()["domain"]["verification"]
        assert mine["value"] != theirs["value"]
        records[mine["name"]] = [theirs["value"]]
        assert (await _verify(client, acme)).json()["domain"]["last_check"]["result"] == "mismatch"
        assert (await _verify(client, globex)).json()["domain"]["status"] == "verified"
        records[mine["name"]] = [mine["value"], theirs["value"]]
        r = await _verify(client, acme)
        assert r.status_code == 409 and r.json()["code"] == "conflict", r.text
        assert (await _host_org(client, "shared.example"))["slug"] == globex.slug


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "[::1]", "nodot", "a..example.com", "-bad.example.com",
                                  "x" * 64 + ".example.com", "forum.acme.local", "under_score.example.com",
                                  "exa mple.com", "example.123", "http://forum.example.com", "localhost.localhost"])
async def test_names_no_one_can_prove_are_refused(client: httpx.AsyncClient, personas: Personas, name: str) -> None:
    r = await _put(client, personas.acme, name)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert ["body", "domain"] in [e["loc"] for e in r.json()["errors"]]


async def test_patch_custom_domain_asks_for_it_without_routing_it(client: httpx.AsyncClient,
                                                                  personas: Personas) -> None:
    acme = personas.acme
    r = await client.patch(f"/api/orgs/{acme.slug}", json={"custom_domain": NAME}, headers=acme.owner.auth)
    assert r.status_code == 200 and r.json()["organization"]["custom_domain"] is None
    r = await client.get(f"/api/orgs/{acme.slug}/domain", headers=acme.owner.auth)
    assert r.json()["domain"]["name"] == NAME and r.json()["domain"]["status"] == "pending"
    r = await client.patch(f"/api/orgs/{acme.slug}", json={"custom_domain": "bad name"}, headers=acme.owner.auth)
    assert r.status_code == 422 and ["body", "domain"] in [e["loc"] for e in r.json()["errors"]]
    r = await client.patch(f"/api/orgs/{acme.slug}", json={"custom_domain": None}, headers=acme.owner.auth)
    assert r.status_code == 200
    assert (await client.get(f"/api/orgs/{acme.slug}/domain", headers=acme.owner.auth)).json() == {"domain": None}


async def _verified(client: httpx.AsyncClient, org: OrgPersonas, records: dict[str, list[str]], name: str) -> None:
    record = (await _put(client, org, name)).json()["domain"]["verification"]
    records[record["name"]] = [record["value"]]
    assert (await _verify(client, org)).json()["domain"]["status"] == "verified"


async def test_the_app_opens_on_the_org_at_its_domain(client: httpx.AsyncClient, personas: Personas,
                                                      records: dict[str, list[str]]) -> None:
    acme = personas.acme
    with trio.fail_after(30):
        await _put(client, acme, NAME)
        pending = await client.get("/", headers={"Host": NAME})
        assert pending.status_code == 200 and pending.headers["content-type"].startswith("text/html")
        await _verified(client, acme, records, NAME)
        r = await client.get("/", headers={"Host": NAME})
        assert r.status_code == 302 and r.headers["location"] == f"/{acme.slug}"
        deep = await client.get(f"/{acme.slug}/forums", headers={"Host": NAME})
        assert deep.status_code == 200 and deep.headers["content-type"].startswith("text/html")
        assert (await client.get("/", headers={"Host": "elsewhere.example"})).status_code == 200


async def _rejected(url: str, headers: list[tuple[bytes, bytes]]) -> int:
    """The status of a raw upgrade request (as tests/realtime/test_handshake.py reads it)."""
    parts = urlsplit(url)
    lines = [f"GET {parts.path}?{parts.query} HTTP/1.1", f"Host: 127.0.0.1:{parts.port}", "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
             *(f"{k.decode()}: {v.decode()}" for k, v in headers)]
    stream = await trio.open_tcp_stream("127.0.0.1", parts.port or 0)
    async with stream:
        await stream.send_all(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await stream.receive_some(4096)
    return int(head.split(b" ", 2)[1])


def _preflight(origin: str, method: str = "PATCH", headers: str = "authorization, content-type") -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


async def test_cors_accepts_the_app_and_verified_domains_only(client: httpx.AsyncClient, runtime: System,
                                                              personas: Personas,
                                                              records: dict[str, list[str]]) -> None:
    acme = personas.acme
    url = f"/api/orgs/{acme.slug}"
    app = runtime.handles.settings.next_public_app_url
    with trio.fail_after(30):
        r = await client.options(url, headers=_preflight(app))
        assert r.status_code == 204, r.text
        assert r.headers["access-control-allow-origin"] == app
        assert r.headers["access-control-allow-credentials"] == "true"
        assert "PATCH" in r.headers["access-control-allow-methods"]
        assert r.headers["access-control-allow-headers"] == "authorization, content-type"
        assert "origin" in r.headers["vary"].lower()

        await _put(client, acme, NAME)
        for origin in (ORIGIN, "https://evil.example", "null"):
            r = await client.options(url, headers=_preflight(origin))
            assert r.status_code == 403, (origin, r.text)
            assert "access-control-allow-origin" not in r.headers
            r = await client.get(url, headers={"Origin": origin, **acme.member.auth})
            assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
            assert "origin" in r.headers["vary"].lower()

        await _verified(client, acme, records, NAME)
        r = await client.options(url, headers=_preflight(ORIGIN))
        assert r.status_code == 204 and r.headers["access-control-allow-origin"] == ORIGIN
        assert r.headers["access-control-allow-origin"] != "*"
        r = await client.patch(url, json={"description": "From the domain"},
                               headers={"Origin": ORIGIN, **acme.admin.auth})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ORIGIN
        assert "Retry-After" in r.headers["access-control-expose-headers"]
        r = await client.get("/api/orgs/no-such-org", headers={"Origin": ORIGIN})
        assert r.status_code == 404 and r.headers["access-control-allow-origin"] == ORIGIN  # errors readable too
        assert (await client.options(url, headers=_preflight(f"http://{NAME}:8443"))).status_code == 403  # port
        assert (await client.options(url, headers=_preflight(ORIGIN, headers="x-custom"))).status_code == 403
        assert (await client.options(url, headers=_preflight(ORIGIN, method="TRACE"))).status_code == 403

        await client.delete(f"{url}/domain", headers=acme.owner.auth)
        r = await client.options(url, headers=_preflight(ORIGIN))
        assert r.status_code == 403 and "access-control-allow-origin" not in r.headers


async def test_the_websocket_accepts_the_domain_only_while_verified(runtime: System, client: httpx.AsyncClient,
                                                                   personas: Personas,
                                                                   records: dict[str, list[str]]) -> None:
    acme = personas.acme
    origin = [(b"authorization", f"Bearer {acme.member.token}".encode()), (b"origin", ORIGIN.encode())]
    with trio.fail_after(30):
        await _put(client, acme, NAME)
        assert await _rejected(ws_url(runtime, acme.slug), origin) == 403
        await _verified(client, acme, records, NAME)
        async with open_socket(runtime, acme.member, acme.slug, headers=[(b"origin", ORIGIN.encode())]):
            pass
        globex = [(b"authorization", f"Bearer {personas.globex.member.token}".encode()), (b"origin", ORIGIN.encode())]
        assert await _rejected(ws_url(runtime, personas.globex.slug), globex) == 403  # acme's domain, not globex's
        await client.delete(f"/api/orgs/{acme.slug}/domain", headers=acme.owner.auth)
        assert await _rejected(ws_url(runtime, acme.slug), origin) == 403
