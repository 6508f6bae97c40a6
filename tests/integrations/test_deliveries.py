"""Integrations delivering to a loopback receiver: signed webhooks, Slack and Discord, retries, durability."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from standardwebhooks.webhooks import Webhook

from community.app import System, run_system
from community.db.queries.integrations import IntegrationRow
from community.settings import Settings
from tests.billing.conftest import eventually
from tests.factories import Factory, OrgPersonas, Personas
from tests.integrations.receiver import Receiver, serve_receiver


@pytest.fixture
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(database_url=database_url, host="127.0.0.1", port=0, websocket_port=0,
                    community_data_dir=data_dir, argon2_time_cost=1, argon2_memory_kib=1024,
                    log_format="console", log_level="warning", db_pool_min=1, db_pool_max=5,
                    integrations_allow_private=True, integrations_retry_base_seconds=0.05,
                    _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found, server = serve_receiver()
    yield found
    server.shutdown()
    server.server_close()


async def _forum(client: httpx.AsyncClient, org: OrgPersonas, **extra: Any) -> str:
    r = await client.post(f"/api/orgs/{org.slug}/forums", json={"name": "Hooks", **extra}, headers=org.admin.auth)
    assert r.status_code == 201, r.text
    return str(r.json()["forum"]["id"])


async def _topic(client: httpx.AsyncClient, org: OrgPersonas, forum_id: str, title: str) -> dict[str, Any]:
    r = await client.post(f"/api/orgs/{org.slug}/forums/{forum_id}/topics",
                          json={"title": title, "content": f"{title}: the body, with <b>markup</b> and @everyone"},
                          headers=org.moderator.auth)
    assert r.status_code == 201, r.text
    topic: dict[str, Any] = r.json()["topic"]
    return topic


async def _integration(client: httpx.AsyncClient, org: OrgPersonas, url: str, **body: Any) -> dict[str, Any]:
    r = await client.post(f"/api/orgs/{org.slug}/integrations",
                          json={"kind": "webhook", "url": url, "events": ["topic_created", "post_created"], **body},
                          headers=org.admin.auth)
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()["integration"]
    return found


async def _deliveries(client: httpx.AsyncClient, org: OrgPersonas, integration_id: str) -> list[dict[str, Any]]:
    r = await client.get(f"/api/orgs/{org.slug}/integrations/{integration_id}/deliveries", headers=org.admin.auth)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["deliveries"]
    return found


def _received(receiver: Receiver, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(receiver.requests) >= count
    return check


async def test_signed_webhook_deliveries_verify(client: httpx.AsyncClient, personas: Personas,
                                                receiver: Receiver) -> None:
    acme = personas.acme
    hook = await _integration(client, acme, f"{receiver.url}/hook")
    secret = hook["secret"]
    assert secret.startswith("whsec_") and hook["has_secret"]
    listed = (await client.get(f"/api/orgs/{acme.slug}/integrations", headers=acme.owner.auth)).json()
    assert "secret" not in listed["integrations"][0], "a secret is answered once, at creation"
    forum = await _forum(client, acme)
    topic = await _topic(client, acme, forum, "Hello hooks")
    await eventually(_received(receiver, 1))
    got = receiver.requests[0]
    body = Webhook(secret).verify(got.body, got.headers)
    assert got.headers["webhook-id"].startswith("msg_") and got.headers["webhook-signature"].startswith("v1,")
    assert body["type"] == "topic_created"
    assert body["data"]["topic"]["id"] == topic["id"] and body["data"]["topic"]["title"] == "Hello hooks"
    assert "<b>" not in body["data"]["topic"]["excerpt"]
    assert body["data"]["topic"]["url"].endswith(f"/{acme.slug}/topics/{topic['id']}")
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 43).verify(got.body, got.headers)

    async def delivered() -> bool:
        log = await _deliveries(client, acme, hook["id"])
        return bool(log) and log[0]["status"] == "delivered"

    await eventually(delivered)
    entry = (await _deliveries(client, acme, hook["id"]))[0]
    assert entry["attempts"] == 1 and entry["response_status"] == 200 and entry["latency_ms"] is not None
    assert entry["event_type"] == "topic_created" and entry["next_attempt_at"] is None


async def test_private_forum_content_goes_only_to_an_integration_scoped_to_it(
        client: httpx.AsyncClient, personas: Personas, receiver: Receiver) -> None:
    acme = personas.acme
    staff = await _forum(client, acme, is_private=True, required_role="moderator")
    public = await _forum(client, acme, name="Open")
    await _integration(client, acme, f"{receiver.url}/everything")
    await _integration(client, acme, f"{receiver.url}/staff", forum_id=staff)
    await _topic(client, acme, staff, "Staff only")
    await _topic(client, acme, public, "For everyone")
    await eventually(_received(receiver, 2))
    await trio.sleep(0.5)
    seen = sorted((r.path, json.loads(r.body)["data"]["topic"]["title"]) for r in receiver.requests)
    assert seen == [("/everything", "For everyone"), ("/staff", "Staff only")]


async def test_a_failing_receiver_is_retried_until_it_succeeds(client: httpx.AsyncClient, personas: Personas,
                                                               receiver: Receiver) -> None:
    acme = personas.acme
    receiver.statuses = [500, 503, 302]
    hook = await _integration(client, acme, f"{receiver.url}/flaky")
    r = await client.post(f"/api/orgs/{acme.slug}/integrations/{hook['id']}/test", headers=acme.admin.auth)
    assert r.status_code == 202 and r.json()["delivery"]["event_type"] == "ping"
    await eventually(_received(receiver, 4))

    async def delivered() -> bool:
        return (await _deliveries(client, acme, hook["id"]))[0]["status"] == "delivered"

    await eventually(delivered)
    entry = (await _deliveries(client, acme, hook["id"]))[0]
    assert entry["attempts"] == 4 and entry["response_status"] == 200
    assert [r.path for r in receiver.requests] == ["/flaky"] * 4, "a redirect is never followed"
    assert json.loads(receiver.requests[-1].body)["type"] == "ping"
    # Redeliver sends it again, as a new attempt of the same delivery.
    r = await client.post(f"/api/orgs/{acme.slug}/integrations/{hook['id']}/deliveries/{entry['id']}/redeliver",
                          headers=acme.admin.auth)
    assert r.status_code == 202
    await eventually(_received(receiver, 5))
    assert receiver.requests[-1].headers["webhook-id"] == receiver.requests[0].headers["webhook-id"]


async def test_slack_and_discord_get_their_own_formats(client: httpx.AsyncClient, personas: Personas,
                                                       receiver: Receiver) -> None:
    acme = personas.acme
    slack = await _integration(client, acme, f"{receiver.url}/slack", kind="slack", events=["topic_created"])
    await _integration(client, acme, f"{receiver.url}/discord", kind="discord", events=["topic_created"])
    assert "secret" not in slack and slack["url"].startswith("http://127.0.0.1/…")
    forum = await _forum(client, acme)
    topic = await _topic(client, acme, forum, "Release <2.0> & notes")
    await eventually(_received(receiver, 2))
    by_path = {r.path: r for r in receiver.requests}
    slack_body = json.loads(by_path["/slack"].body)
    assert [b["type"] for b in slack_body["blocks"]] == ["section", "context"]
    section = slack_body["blocks"][0]["text"]
    assert section["type"] == "mrkdwn" and f"/topics/{topic['id']}|" in section["text"]
    assert "Release &lt;2.0&gt; &amp; notes" in section["text"] and slack_body["text"]
    assert "webhook-signature" not in by_path["/slack"].headers
    discord = json.loads(by_path["/discord"].body)
    embed = discord["embeds"][0]
    assert embed["title"] == "New topic: Release <2.0> & notes" and embed["url"].endswith(topic["id"])
    assert embed["author"]["name"] == "Moderator" or embed["author"]["name"]
    assert discord["allowed_mentions"] == {"parse": []}, "@everyone in a post never pings a server"


async def test_rotating_the_secret_signs_with_both_for_a_while(client: httpx.AsyncClient, personas: Personas,
                                                               receiver: Receiver) -> None:
    acme = personas.acme
    hook = await _integration(client, acme, f"{receiver.url}/hook")
    r = await client.post(f"/api/orgs/{acme.slug}/integrations/{hook['id']}/secret", headers=acme.admin.auth)
    assert r.status_code == 200
    fresh = r.json()["integration"]["secret"]
    assert fresh != hook["secret"]
    await client.post(f"/api/orgs/{acme.slug}/integrations/{hook['id']}/test", headers=acme.admin.auth)
    await eventually(_received(receiver, 1))
    got = receiver.requests[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (hook["secret"], fresh):
        assert Webhook(secret).verify(got.body, got.headers)["type"] == "ping"


def test_an_integration_row_keeps_its_url_and_secrets_out_of_its_repr() -> None:
    """A row that reaches a log line (an assertion, a traceback's locals) never shows what signs or sends."""
    at = datetime.now(UTC)
    found = IntegrationRow.from_record({
        "id": uuid.uuid4(), "org_id": uuid.uuid4(), "kind": "slack", "name": "Slack",
        "url": "https://hooks.slack.example/services/T000/B000/tokentoken", "events": ["topic_created"],
        "forum_id": None, "enabled": True, "secret": "whsec_current", "previous_secret": "whsec_previous",
        "previous_secret_expires_at": at, "failing_since": None, "disabled_reason": None, "created_by": None,
        "created_at": at, "updated_at": at})
    shown = repr(found)
    assert "tokentoken" not in shown and "whsec_" not in shown and "Slack" in shown
    assert found.events == ("topic_created",)


async def test_a_delivery_committed_while_no_deliverer_ran_is_sent_by_the_next_node(
        client: httpx.AsyncClient, personas: Personas, receiver: Receiver, runtime: System, settings: Settings,
        factory: Factory) -> None:
    acme = personas.acme
    await runtime.workers.terminate_child("deliverer")  # this node dies (for deliveries) right after commit
    hook = await _integration(client, acme, f"{receiver.url}/durable")
    forum = await _forum(client, acme)
    await _topic(client, acme, forum, "Survives")
    pending = await factory.conn.fetchval(
        "SELECT count(*) FROM integration_deliveries WHERE integration_id = $1 AND status = 'pending'", hook["id"])
    assert pending == 1
    await trio.sleep(0.3)
    assert receiver.requests == []
    async with trio.open_nursery() as nursery:
        await nursery.start(run_system, settings)  # another node on the same database
        await eventually(_received(receiver, 1))
        nursery.cancel_scope.cancel()
    assert json.loads(receiver.requests[0].body)["data"]["topic"]["title"] == "Survives"
