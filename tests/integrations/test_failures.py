"""An endpoint that keeps failing: deliveries give up after the window; the integration is turned off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trio

from community.settings import Settings
from tests.factories import Personas
from tests.integrations.receiver import Receiver, serve_receiver


@pytest.fixture
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(database_url=database_url, host="127.0.0.1", port=0, websocket_port=0,
                    community_data_dir=data_dir, argon2_time_cost=1, argon2_memory_kib=1024,
                    log_format="console", log_level="warning", db_pool_min=1, db_pool_max=5,
                    integrations_allow_private=True, integrations_retry_base_seconds=0.05,
                    integrations_retry_window_seconds=1.0, integrations_disable_after_seconds=0.5,
                    _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found, server = serve_receiver()
    found.statuses = [500] * 1000
    yield found
    server.shutdown()
    server.server_close()


async def test_a_dead_endpoint_fails_then_its_integration_is_turned_off(
        client: httpx.AsyncClient, personas: Personas, receiver: Receiver) -> None:
    acme = personas.acme
    r = await client.post(f"/api/orgs/{acme.slug}/integrations",
                          json={"kind": "webhook", "url": f"{receiver.url}/down", "events": ["topic_created"]},
                          headers=acme.admin.auth)
    hook = r.json()["integration"]
    await client.post(f"/api/orgs/{acme.slug}/integrations/{hook['id']}/test", headers=acme.admin.auth)
    with trio.fail_after(20):
        while True:
            found = (await client.get(f"/api/orgs/{acme.slug}/integrations", headers=acme.admin.auth)).json()
            if not found["integrations"][0]["enabled"]:
                break
            await trio.sleep(0.05)
    assert found["integrations"][0]["disabled_reason"]
    with trio.fail_after(10):
        while True:
            log = (await client.get(f"/api/orgs/{acme.slug}/integrations/{hook['id']}/deliveries",
                                    headers=acme.admin.auth)).json()["deliveries"]
            if log[0]["status"] == "failed":
                break
            await trio.sleep(0.05)
    assert log[0]["response_status"] == 500 and log[0]["attempts"] >= 2
    assert len(log[0]["response_excerpt"]) == 1024, "answers are read up to 1 KB"
    with trio.fail_after(10):  # the notification writer is an actor of its own: written after the commit
        while True:
            notes = (await client.get("/api/notifications", headers=acme.owner.auth)).json()["notifications"]
            if notes:
                break
            await trio.sleep(0.05)
    assert [n["kind"] for n in notes] == ["integration_disabled"]
    # Turning it back on clears the failure.
    r = await client.patch(f"/api/orgs/{acme.slug}/integrations/{hook['id']}", json={"enabled": True},
                           headers=acme.admin.auth)
    assert r.json()["integration"]["enabled"] and r.json()["integration"]["failing_since"] is None
