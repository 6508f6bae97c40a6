"""A DNS resolver that is down (nothing listens) or silent (never answers): verification answers
503 with a clear message, records the check, and changes nothing."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
import trio

from community.settings import Settings
from tests.dns_server import unused_udp_address
from tests.factories import Personas


@pytest.fixture(scope="module")
def silent() -> Iterator[str]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        host, port = sock.getsockname()
        yield f"{host}:{port}"


@pytest.fixture(params=["down", "silent"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    resolver = unused_udp_address() if request.param == "down" else request.getfixturevalue("silent")
    return settings.model_copy(update={"dns_resolver": resolver, "dns_timeout_seconds": 1.0})


async def test_verify_with_the_resolver_down_is_a_clear_503(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    with trio.fail_after(30):
        r = await client.put(f"/api/orgs/{acme.slug}/domain", json={"domain": "forum.acme.example"},
                             headers=acme.owner.auth)
        assert r.status_code == 200
        r = await client.post(f"/api/orgs/{acme.slug}/domain/verify", headers=acme.owner.auth)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "service_unavailable" and "DNS resolver" in r.json()["detail"]
        domain = (await client.get(f"/api/orgs/{acme.slug}/domain", headers=acme.owner.auth)).json()["domain"]
        assert domain["status"] == "pending" and domain["last_check"]["result"] == "unreachable"
