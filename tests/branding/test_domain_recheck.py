"""A verified custom domain is looked up again now and then (the domain checker): while its TXT
record is there nothing changes; once it is gone the domain is pending and nobody's, and the
org's owners and admins are notified (once). DNS being down takes nothing away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import trio

from community.app import System
from community.services import domain_checks
from community.settings import Settings
from tests.dns_server import DnsServer, unused_udp_address
from tests.factories import OrgPersonas, Personas

NAME = "forum.acme.example"


@pytest.fixture
def records(dns: DnsServer) -> Any:
    yield dns.records
    dns.records.clear()


async def _verified(client: httpx.AsyncClient, org: OrgPersonas, records: dict[str, list[str]]) -> str:
    record = (await client.put(f"/api/orgs/{org.slug}/domain", json={"domain": NAME},
                               headers=org.owner.auth)).json()["domain"]["verification"]
    records[record["name"]] = [record["value"]]
    r = await client.post(f"/api/orgs/{org.slug}/domain/verify", headers=org.owner.auth)
    assert r.json()["domain"]["status"] == "verified", r.text
    return str(record["name"])


async def _host_org(client: httpx.AsyncClient) -> Any:
    return (await client.get("/api/config", headers={"Host": NAME})).json()["org"]


async def _kinds(client: httpx.AsyncClient, auth: dict[str, str]) -> list[str]:
    return [n["kind"] for n in (await client.get("/api/notifications", headers=auth)).json()["notifications"]]


async def _step(runtime: System, at: datetime, settings: Settings | None = None) -> int:
    h = runtime.handles
    return await domain_checks.recheck_step(h.db, h.publisher, h.realtime, settings or h.settings, 10, now=at)


async def test_a_domain_whose_record_is_gone_is_taken_away_and_the_admins_are_told(
        client: httpx.AsyncClient, personas: Personas, runtime: System, records: dict[str, list[str]]) -> None:
    acme = personas.acme
    with trio.fail_after(30):
        name = await _verified(client, acme, records)
        now = datetime.now(UTC)
        assert await _step(runtime, now) == 0  # checked just now: not due
        assert await _step(runtime, now + timedelta(days=1, minutes=1)) == 1  # still there: nothing changes
        domain = (await client.get(f"/api/orgs/{acme.slug}/domain", headers=acme.owner.auth)).json()["domain"]
        assert domain["status"] == "verified" and domain["last_check"]["result"] == "verified"
        assert (await _host_org(client))["slug"] == acme.slug

        # DNS down: the domain stays verified; the last check says why nothing was learnt.
        down = runtime.handles.settings.model_copy(update={"dns_resolver": unused_udp_address(),
                                                            "dns_timeout_seconds": 0.5})
        assert await _step(runtime, now + timedelta(days=3), down) == 1
        domain = (await client.get(f"/api/orgs/{acme.slug}/domain", headers=acme.owner.auth)).json()["domain"]
        assert domain["status"] == "verified" and domain["last_check"]["result"] == "unreachable"

        del records[name]
        assert await _step(runtime, now + timedelta(days=5)) == 1
        domain = (await client.get(f"/api/orgs/{acme.slug}/domain", headers=acme.owner.auth)).json()["domain"]
        assert domain["status"] == "pending" and domain["last_check"]["result"] == "missing"
        assert await _host_org(client) is None  # nobody's
        org = (await client.get(f"/api/orgs/{acme.slug}", headers=acme.member.auth)).json()["organization"]
        assert org["custom_domain"] is None
        for who in (acme.owner, acme.admin):
            assert await _kinds(client, who.auth) == ["domain_unverified"], who
        for who in (acme.moderator, acme.member, personas.globex.owner):
            assert "domain_unverified" not in await _kinds(client, who.auth)
        note = (await client.get("/api/notifications", headers=acme.owner.auth)).json()["notifications"][0]
        assert NAME in note["title"]
        # A pending domain is not looked at again by the checker (verify is the admins' to press), and
        # the admins were told once.
        assert await _step(runtime, now + timedelta(days=9)) == 0
        assert await _kinds(client, acme.admin.auth) == ["domain_unverified"]

        # Put back and verified again, it is the org's again.
        records[name] = [domain["verification"]["value"]]
        r = await client.post(f"/api/orgs/{acme.slug}/domain/verify", headers=acme.admin.auth)
        assert r.json()["domain"]["status"] == "verified"
        assert (await _host_org(client))["slug"] == acme.slug

