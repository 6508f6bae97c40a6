"""Round trips to PostgreSQL on the request path of the hot reads and writes, counted at the pool.

`Database.count_statements` counts every statement this task sends (asyncpg's query logger,
in the caller's context), so a change that adds a statement to one of these paths fails here.
"""

from __future__ import annotations

import uuid

import httpx

from community.app import System
from community.services import messages as message_service
from community.services import posts as post_service
from community.services import topics as topic_service
from community.services.identity import caller_in_org, caller_of
from tests.factories import Personas
from tests.forums.conftest import Api
from tests.messaging.conftest import start


async def _member(runtime: System, personas: Personas, who: str):  # type: ignore[no-untyped-def]
    h = runtime.handles
    return await caller_in_org(h.db, h.identity, getattr(personas.acme, who).token, personas.acme.slug)


async def test_topic_page_is_one_statement(api: Api, runtime: System, personas: Personas) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    for i in range(3):
        await api.post(topic["id"], content=f"reply {i}")
    h = runtime.handles
    caller = await caller_of(h.identity, personas.acme.member.token)
    await topic_service.read_topic_page_as(h.db, h.views, caller, personas.acme.slug, uuid.UUID(topic["id"]),
                                           cursor=None, limit=20)  # warm: column names are learnt once
    with h.db.count_statements() as counted:
        answered = await topic_service.read_topic_page_as(h.db, h.views, caller, personas.acme.slug,
                                                          uuid.UUID(topic["id"]), cursor=None, limit=20)
    assert answered is not None and len(answered[1]["posts"]) == 3
    assert len(ours(counted.statements)) == 1, counted.statements


async def test_post_create_round_trips(api: Api, runtime: System, personas: Personas) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    await api.post(topic["id"], content="warm")
    h = runtime.handles
    with h.db.count_statements() as counted:
        _, member = await _member(runtime, personas, "member")
        post = await post_service.check_create_post(h.db, h.publisher, h.limiter, member, uuid.UUID(topic["id"]),
                                                    post_service.CreatePostBody(content="Hello @nobody, a reply"))
    assert post["content"] == "Hello @nobody, a reply"
    assert len(ours(counted.statements)) <= POST_CREATE, (len(ours(counted.statements)), counted.statements)


async def test_message_send_round_trips(client: httpx.AsyncClient, runtime: System, personas: Personas) -> None:
    acme = personas.acme
    conversation = await start(client, acme, acme.member, acme.admin)
    h = runtime.handles
    with h.db.count_statements() as counted:
        _, member = await _member(runtime, personas, "member")
        message, created = await message_service.check_send_message(
            h.db, h.publisher, h.limiter, member, uuid.UUID(conversation["id"]), content="hi there", client_id=None)
    assert created and message["content"] == "hi there"
    assert len(ours(counted.statements)) <= MESSAGE_SEND, (len(ours(counted.statements)), counted.statements)


async def test_a_token_callers_post_and_message_are_two_statements(api: Api, client: httpx.AsyncClient,
                                                                  runtime: System, personas: Personas) -> None:
    """The routes' path for a bearer token: who is asking is read in the checks' statement."""
    acme = personas.acme
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    await api.post(topic["id"], content="warm")
    conversation = await start(client, acme, acme.member, acme.admin)
    h = runtime.handles
    caller = await caller_of(h.identity, acme.member.token)
    with h.db.count_statements() as posting:
        answered = await post_service.check_create_post_as(h.db, h.publisher, h.limiter, caller, acme.slug,
                                                           uuid.UUID(topic["id"]),
                                                           post_service.CreatePostBody(content="Hi @nobody"))
    assert answered is not None and answered[1]["content"] == "Hi @nobody"
    with h.db.count_statements() as sending:
        sent = await message_service.check_send_message_as(h.db, h.publisher, h.limiter, caller, acme.slug,
                                                     uuid.UUID(conversation["id"]), content="hi", client_id=None)
    assert sent is not None and sent[2] and sent[1]["content"] == "hi"
    assert len(ours(posting.statements)) == POST_CREATE_AS, [s[:150] for s in ours(posting.statements)]
    assert len(ours(sending.statements)) == MESSAGE_SEND_AS, sending.statements


def ours(statements: list[str]) -> list[str]:
    """Leave out asyncpg's type introspection, which a connection does once per type it meets."""
    return [s for s in statements if not " ".join(s.split()).startswith(_INTROSPECTION)]


_INTROSPECTION = ("WITH RECURSIVE typeinfo_tree", "SELECT current_setting('jit')", "SELECT set_config('jit'")
# The request path: the request context, the checks' read (one statement), the write (one statement:
# SQL create_post / send_message). The target is 4; a change that adds a statement fails here.
POST_CREATE = 3
MESSAGE_SEND = 3
# The routes' path for a bearer token (create_post_as / send_message_as): the request context joins the read.
POST_CREATE_AS = 2
MESSAGE_SEND_AS = 2
