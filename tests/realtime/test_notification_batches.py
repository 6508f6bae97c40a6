"""The notification writer's batches: one claim, one read and one insert for a burst of many kinds of event.

A batch mixes events of every kind that notifies; the people each names, the watchers of each target
(as of each event) and who may see each are read once for all of them, so each test checks that
every person gets exactly the notification one event alone would have given them, once.
"""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID, uuid4

import httpx
import trio

from community.actors.notification_writer import NotificationWriter
from community.actors.ws_manager import Connection, WsManager
from community.app import System
from community.db.queries.activity import append_activity
from community.domain.events import Channel, ChannelKind, EventType, Viewing
from community.services.integrations import DELIVERING_EVENTS
from community.services.notifications import NOTIFYING_EVENTS, do_write_notifications
from tests.factories import Factory, Personas
from tests.forums.test_round_trips import ours
from tests.messaging.conftest import say, start
from tests.realtime.test_cluster import make_topic


async def _post(client: httpx.AsyncClient, slug: str, topic: dict[str, Any], auth: dict[str, str], content: str,
                parent: str | None = None) -> dict[str, Any]:
    r = await client.post(f"/api/orgs/{slug}/topics/{topic['id']}/posts", headers=auth,
                          json={"content": content, **({"parent_id": parent} if parent else {})})
    assert r.status_code == 201, r.text
    post: dict[str, Any] = r.json()["post"]
    return post


async def _quiet(factory: Factory) -> None:
    """Until the writer has written all that was queued."""
    with trio.fail_after(10):
        while True:
            if not await factory.conn.fetchval("SELECT count(*) FROM notification_queue"):
                return
            await trio.sleep(0.05)


async def _notified(factory: Factory, org_id: object) -> list[tuple[object, str, int]]:
    found = await factory.conn.fetch(
        "SELECT user_id, kind, activity_seq FROM notifications WHERE org_id = $1 ORDER BY activity_seq, user_id",
        org_id)
    return [(r["user_id"], r["kind"], r["activity_seq"]) for r in found]


async def test_a_burst_of_every_kind_is_one_batch_and_each_person_is_told_once(
        runtime: System, personas: Personas, client: httpx.AsyncClient, factory: Factory) -> None:
    acme, h = personas.acme, runtime.handles
    made, staff = await make_topic(client, personas), await make_topic(client, personas, private=True)
    forum, topic = made["forum"], made["topic"]  # by the admin
    conversation = await start(client, acme, acme.member, acme.admin, acme.moderator, title="Plans")
    r = await client.put(f"/api/orgs/{acme.slug}/forums/{forum['id']}/watch", headers=acme.guest.auth)
    assert r.status_code == 204
    await _quiet(factory)
    before = await _notified(factory, acme.id)
    await runtime.workers.terminate_child("notification_writer")

    # The burst, queued while no writer runs.
    first = await _post(client, acme.slug, topic, acme.member.auth, "Agreed, @acmemoderator?")  # admin: reply
    r = await client.put(f"/api/orgs/{acme.slug}/topics/{topic['id']}/watch", headers=acme.member.auth)
    assert r.status_code == 204  # watching from here on: the first post was before, and their own
    second = await _post(client, acme.slug, topic, acme.owner.auth, "A second opinion", parent=first["id"])
    hidden = await _post(client, acme.slug, staff["topic"], acme.admin.auth, "Staff only, @acmemember @acmemoderator")
    r = await client.post(f"/api/orgs/{acme.slug}/forums/{forum['id']}/topics", headers=acme.admin.auth,
                          json={"title": "News", "content": "news"})
    assert r.status_code == 201
    news = r.json()["topic"]
    message = await say(client, acme, acme.member, conversation["id"], "hi both")
    async with h.db.transaction(org_id=acme.id) as conn:  # a payload the writer cannot read: skipped, loudly
        await append_activity(conn, org_id=acme.id, channel=Channel.org(acme.id), type=EventType.POST_CREATED,
                              payload={"mentions": ["not-a-uuid"]}, actor_id=None)
    seq = {row["id"]: row["seq"] for row in await factory.conn.fetch(
        "SELECT payload -> 'post' ->> 'id' AS id, seq FROM activity WHERE org_id = $1 AND type = 'post_created' "
        "UNION ALL SELECT payload -> 'topic' ->> 'id', seq FROM activity WHERE org_id = $1 AND type = 'topic_created' "
        "UNION ALL SELECT payload -> 'message' ->> 'id', seq FROM activity WHERE org_id = $1 "
        "AND type = 'message_created'", acme.id)}
    assert await factory.conn.fetchval("SELECT count(*) FROM notification_queue") == 6

    published: list[dict[str, Any]] = []
    snapshots: list[int] = []

    def viewing(org_id: UUID) -> Viewing:
        # The registry is trio's: the writer reads who views what here, never on the database's thread.
        snapshots.append(threading.get_ident())
        assert org_id == acme.id
        return {Channel.conversation(UUID(conversation["id"])): frozenset({acme.moderator.user_id})}

    writer = NotificationWriter(h.db, do_write_notifications, published.extend, viewing,
                                events=NOTIFYING_EVENTS, sweep_interval=3600)
    with h.db.count_statements() as counted, trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            await nursery.start(writer.run)
            await _quiet(factory)
            nursery.cancel_scope.cancel()
    # Pending orgs; then BEGIN, the claim with its events, what they refer to, one insert, COMMIT.
    assert len(ours(counted.statements)) == 6, counted.statements

    written = [n for n in await _notified(factory, acme.id) if n not in before]
    assert sorted(written, key=repr) == sorted([
        (acme.admin.user_id, "reply", seq[first["id"]]),
        (acme.moderator.user_id, "mention", seq[first["id"]]),
        (acme.member.user_id, "reply", seq[second["id"]]),  # replied to, and watching: the most specific kind
        (acme.moderator.user_id, "mention", seq[hidden["id"]]),  # the member may not read the staff forum
        (acme.guest.user_id, "watched_forum", seq[news["id"]]),
        (acme.admin.user_id, "message", seq[message["message"]["id"]]),  # the moderator views it here
    ], key=repr)
    assert snapshots == [threading.get_ident()]
    assert sorted((n["user_id"], n["kind"], n["activity_seq"]) for n in published) == sorted(written)
    assert writer.written == len(written)

    with h.db.count_statements() as counted:  # nothing queued: a wake-up is one statement, nothing written again
        async with trio.open_nursery() as nursery:
            await nursery.start(writer.run)
            await trio.sleep(0.2)
            assert len(ours(counted.statements)) == 1, counted.statements
            writer.poke()
            await trio.sleep(0.3)
            nursery.cancel_scope.cancel()
    assert len(ours(counted.statements)) == 2, counted.statements
    assert writer.written == len(written)
    await runtime.workers.restart_child("notification_writer")


async def test_the_deliverer_is_woken_by_exactly_the_events_that_may_queue_deliveries(runtime: System) -> None:
    async with runtime.handles.db.transaction() as conn:
        mapped = {event for event in EventType if await conn.fetchval("SELECT integration_event($1)", event.value)}
    assert mapped == DELIVERING_EVENTS


def test_the_viewing_snapshot_is_a_copy_of_one_orgs_channels_of_one_kind() -> None:
    registry, org, other, user, another = WsManager(), uuid4(), uuid4(), uuid4(), uuid4()
    talk, forum = Channel.conversation(uuid4()), Channel.forum(uuid4())
    registry.register(Connection(user_id=user, org_id=org), [talk, forum])
    registry.register(Connection(user_id=another, org_id=other), [talk])
    snapshot = registry.viewing(org, ChannelKind.CONVERSATION)
    assert snapshot == {talk: frozenset({user})}
    assert registry.viewing(org, ChannelKind.CONVERSATION) is snapshot  # kept while nothing changes
    registry.register(later := Connection(user_id=another, org_id=org), [talk])
    assert snapshot == {talk: frozenset({user})}  # taken in trio, read on another thread: it never changes
    assert registry.viewing(org, ChannelKind.CONVERSATION) == {talk: frozenset({user, another})}
    registry.unsubscribe(later, talk)
    assert registry.viewing(org, ChannelKind.CONVERSATION) == {talk: frozenset({user})}
    registry.subscribe(later, talk)
    registry.drop_slow(later)
    assert registry.viewing(org, ChannelKind.CONVERSATION) == {talk: frozenset({user})}
    (first,) = registry.user_connections(user)
    registry.unregister(first)
    assert registry.viewing(org, ChannelKind.CONVERSATION) == {}
