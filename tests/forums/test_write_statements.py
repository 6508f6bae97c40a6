"""A post create and a message send are one write statement each (SQL create_post / send_message).

The service reads what its checks need, decides, then writes in one statement that first verifies
what the checks read still holds: these pin that a stale or duplicate write leaves nothing behind,
and that the event in the log carries the same post a fresh read answers.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from community.app import System
from community.db.queries import activity
from community.db.queries import messages as message_queries
from community.db.queries import posts as post_queries
from community.domain.events import Channel, EventType
from community.domain.principal import OrgMember
from community.services import posts as post_service
from community.services.askers import Asker
from community.services.identity import caller_in_org
from tests.factories import Personas
from tests.forums.conftest import Api
from tests.messaging.conftest import start


async def _member(runtime: System, personas: Personas, who: str) -> OrgMember:
    h = runtime.handles
    _, member = await caller_in_org(h.db, h.identity, getattr(personas.acme, who).token, personas.acme.slug)
    return member


async def _log(runtime: System, personas: Personas) -> list[activity.Activity]:
    async with runtime.handles.db.transaction(org_id=personas.acme.id) as conn:
        return await activity.list_recent_activity(conn, org_id=personas.acme.id, limit=100)


def _event(member: OrgMember, channel: Channel, type: EventType) -> activity.NewEvent:
    assert member.user_id is not None
    return activity.NewEvent(org_id=member.org_id, channel=channel, type=type, payload={"test": True},
                             actor_id=member.user_id)


async def test_a_reply_whose_checks_went_stale_writes_nothing(api: Api, runtime: System,
                                                              personas: Personas) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    topic_id = uuid.UUID(topic["id"])
    member = await _member(runtime, personas, "member")
    _, _, target = await post_service.access_reply_target(runtime.handles.db, Asker.of_member(member), topic_id,
                                                          None, [])
    assert target.topic["is_locked"] is False
    await api.call("PATCH", f"/topics/{topic_id}", "moderator", json={"is_locked": True})
    before = await _log(runtime, personas)
    assert member.user_id is not None
    new = post_queries.NewPost(
        post_id=uuid.uuid4(), org_id=member.org_id, topic_id=topic_id, parent_id=None, author_id=member.user_id,
        content="late", html="<p>late</p>", created_at=target.author["now"], forum_id=target.topic["forum_id"],
        is_locked=target.topic["is_locked"], forum_view_rank=target.topic["forum_view_rank"], mentions=[])
    written = await post_queries.create_post(runtime.handles.db, new, None,
                                             _event(member, Channel.topic(topic_id), EventType.POST_CREATED))
    assert (written.outcome, written.seq) == ("stale", None)
    assert await _log(runtime, personas) == before
    page = await api.call("GET", f"/topics/{topic_id}")
    assert page["topic"]["reply_count"] == 0 and page["posts"] == []
    # The service reads again and answers what holds now: the topic is locked.
    await api.call("POST", f"/topics/{topic_id}/posts", json={"content": "late"}, expect=403)


async def test_the_logged_event_carries_the_post_a_fresh_read_answers(api: Api, runtime: System,
                                                                      personas: Personas) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    first = await api.post(topic["id"], content="first")
    reply = await api.post(topic["id"], content="@acmeadmin see this", parent_id=first["id"])
    fresh = (await api.call("GET", f"/posts/{reply['id']}"))["post"]
    assert reply == fresh
    event = next(a for a in await _log(runtime, personas) if a.type == EventType.POST_CREATED
                 and a.payload["post"]["id"] == reply["id"])
    assert event.payload["post"] == {**fresh, "my_reactions": []}
    assert event.payload["reply_to_user_id"] == str(personas.acme.member.user_id)
    assert event.payload["mentions"] == [str(personas.acme.admin.user_id)]
    assert event.payload["forum_id"] == forum["id"] and event.channel == Channel.topic(uuid.UUID(topic["id"]))
    page = await api.call("GET", f"/topics/{topic['id']}")
    assert page["topic"]["reply_count"] == 2 and page["topic"]["last_reply_at"] == fresh["created_at"]


async def test_a_send_by_someone_who_left_or_a_second_client_id_writes_nothing(
        client: httpx.AsyncClient, runtime: System, personas: Personas) -> None:
    acme = personas.acme
    conversation = await start(client, acme, acme.member, acme.admin)
    conversation_id = uuid.UUID(conversation["id"])
    h = runtime.handles

    async def send(who: str, client_id: str | None) -> str:
        member = await _member(runtime, personas, who)
        assert member.user_id is not None
        row = message_queries.NewMessage(
            message_id=uuid.uuid4(), org_id=member.org_id, conversation_id=conversation_id, sender_id=member.user_id,
            client_id=client_id, content="hi", html="<p>hi</p>", created_at=await h.db.fetchval("SELECT now()"))
        limit = h.limiter.in_statement(f"test:{uuid.uuid4()}", 10, 60.0)
        event = _event(member, Channel.conversation(conversation_id), EventType.MESSAGE_CREATED)
        return (await message_queries.send_message(h.db, row, limit, event)).outcome

    assert await send("member", "once") == "created"
    before = await _log(runtime, personas)
    assert await send("member", "once") == "duplicate"
    assert await send("moderator", None) == "stale"  # not a participant
    assert await _log(runtime, personas) == before
    r = await client.get(f"/api/orgs/{acme.slug}/conversations/{conversation_id}/messages", headers=acme.admin.auth)
    messages: list[dict[str, Any]] = r.json()["messages"]
    assert [m["client_id"] for m in messages] == ["once"]
