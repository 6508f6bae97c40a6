"""The SSRF guard (default settings: private addresses refused) at creation and at every send."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
import trio

from community.integrations.guard import BlockedAddressError, is_public, resolve
from tests.factories import Factory, Personas
from tests.integrations.receiver import serve_receiver

REFUSED = ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://169.254.169.254/latest/meta-data/",
           "http://[::ffff:127.0.0.1]/hook", "http://10.1.2.3/hook", "http://192.168.0.10/hook",
           "http://100.64.0.1/hook", "http://[::1]/hook", "http://[fd00:ec2::254]/", "http://224.0.0.1/",
           "http://0.0.0.0/", "ftp://93.184.215.14/hook", "http://user:pw@93.184.215.14/", "javascript:alert(1)",
           # host names IDNA cannot encode: getaddrinfo raised UnicodeError, a 500 (the fuzzer found it)
           "https://\x9a.example/hook", "http://a\u0088b.com/", "http://" + "a" * 64 + ".com/"]


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "2002:7f00:1::",
                                     "224.0.0.251", "0.0.0.0", "255.255.255.255"])  # noqa: S104
def test_non_public_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


def test_public_addresses_are_public() -> None:
    assert is_public(ipaddress.ip_address("93.184.215.14"))
    assert is_public(ipaddress.ip_address("2606:4700:4700::1111"))


async def test_creating_an_integration_to_a_private_address_is_refused(client: httpx.AsyncClient,
                                                                       personas: Personas) -> None:
    acme = personas.acme
    for url in REFUSED:
        r = await client.post(f"/api/orgs/{acme.slug}/integrations",
                              json={"kind": "webhook", "url": url, "events": ["topic_created"]},
                              headers=acme.admin.auth)
        assert r.status_code == 422, url
        assert r.json()["errors"][0]["loc"] == ["body", "url"], url
    assert (await client.get(f"/api/orgs/{acme.slug}/integrations", headers=acme.admin.auth)).json() == {
        "integrations": []}


async def test_an_address_is_checked_again_at_every_send(client: httpx.AsyncClient, personas: Personas,
                                                        factory: Factory) -> None:
    """An integration whose host now resolves privately (DNS rebinding) is not sent to."""
    receiver, server = serve_receiver()
    try:
        acme = personas.acme
        hook_id = await factory.conn.fetchval(
            "INSERT INTO integrations (org_id, kind, name, url, events, secret) VALUES ($1, 'webhook', 'x', $2, "
            "'{topic_created}', 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=') RETURNING id",
            acme.id, f"{receiver.url}/rebound")
        r = await client.post(f"/api/orgs/{acme.slug}/integrations/{hook_id}/test", headers=acme.admin.auth)
        assert r.status_code == 202
        with trio.fail_after(10):
            while True:
                log = (await client.get(f"/api/orgs/{acme.slug}/integrations/{hook_id}/deliveries",
                                        headers=acme.admin.auth)).json()["deliveries"]
                if log[0]["status"] == "failed":
                    break
                await trio.sleep(0.05)
        assert log[0]["error"].startswith("blocked:")
        assert receiver.requests == []
    finally:
        server.shutdown()
        server.server_close()


async def test_resolve_refuses_names_that_resolve_privately() -> None:
    with pytest.raises(BlockedAddressError):
        await resolve("http://localhost:8080/x", allow_private=False)
    target = await resolve("http://localhost:8080/x", allow_private=True)
    assert target.address.is_loopback and target.port == 8080 and target.host == "localhost"
