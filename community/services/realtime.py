"""Realtime use cases: who may open a socket, subscribe, type, resume."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import structlog
import trio

from community.actors.ws_manager import Connection, Frame, WsManager
from community.db.pool import CONTEXT_ORG, Conn, Database, Query
from community.db.queries import audience as now
from community.db.queries import notifications as q
from community.db.queries import orgs, ws_connections
from community.db.queries.activity import list_activity_after
from community.domain.audience import Current, judge, referenced
from community.domain.errors import BadRequestError, ForbiddenError, NotFoundError, RateLimitedError, UnauthorizedError
from community.domain.events import Activity, Channel, ChannelKind, dumps
from community.domain.origins import app_origins, custom_domain_origins, parse_origin
from community.domain.permissions import Perm
from community.domain.principal import OrgMember, SessionKey
from community.handles import Realtime
from community.identity import Identity
from community.realtime.protocol import CLOSE_SIGNED_OUT
from community.services.conversations import access_conversation_row, conversation_in_context
from community.services.forums import access_forum_row, forum_in_context
from community.services.identity import caller_in_org, principal_from_token, session_key
from community.services.orgs import caller_from_context
from community.services.topics import access_topic_row, topic_in_context
from community.settings import Settings

log = structlog.get_logger("community.realtime")
# Checked exactly as the REST read of that object is: its `access_*` load and rule, read in one
# statement with the caller's membership as it is now.


def presence_in_context(org_id: UUID) -> Query:
    """What a `presence:<org>` subscribe loads: the org it names (the caller's, or nothing)."""
    return q.same_org_query(org_id, CONTEXT_ORG)


def access_presence(member: OrgMember) -> None:
    """Who is online is part of the member list: members who may list members see it (guests see neither)."""
    if not member.is_member:
        raise NotFoundError("No such organization.")
    member.require(Perm.LIST_MEMBERS)


def access_presence_row(member: OrgMember, found: dict[str, Any] | None) -> None:
    if found is None:
        raise NotFoundError("No such organization.")
    access_presence(member)


_ACCESS: dict[ChannelKind, tuple[Callable[[UUID], Query], Callable[[OrgMember, dict[str, Any] | None], object]]] = {
    ChannelKind.FORUM: (forum_in_context, access_forum_row), ChannelKind.TOPIC: (topic_in_context, access_topic_row),
    ChannelKind.CONVERSATION: (conversation_in_context, access_conversation_row),
    ChannelKind.PRESENCE: (presence_in_context, access_presence_row)}


async def open_session(db: Database, identity: Identity, settings: Settings, token: str | None, org_ref: str | None,
                       origin: str | None) -> tuple[OrgMember, datetime, SessionKey]:
    """The handshake: token (401), membership (404/403), browser origin (403). The token is verified
    once (cached until it expires); who it names, whether its session was signed out and their place
    in the org are one statement, as on REST's hot path (`caller_in_org`)."""
    if not token:
        raise UnauthorizedError("Sign in: the websocket needs a token.")
    claims = await identity.verifier.verify(token)
    if not org_ref or len(org_ref) > 100 or not org_ref.isprintable():
        await principal_from_token(db, identity, token)  # a token that does not work is still 401 first
        raise NotFoundError("No such organization.")
    _, member = await caller_in_org(db, identity, token, org_ref)
    if origin is not None and not origin_allowed(settings, member.org, origin):
        raise ForbiddenError("This origin may not open a websocket here.")
    return member, claims.expires_at, session_key(claims, token)


async def claim_connection(db: Database, realtime: Realtime, node_id: UUID, user_id: UUID) -> UUID:
    """A slot for one more socket of this person (counted across nodes); 429 at the limit. One statement."""
    claim = uuid4()
    granted = await ws_connections.claim(db, node_id=node_id, connection_id=claim, user_id=user_id,
                                         limit=realtime.settings.max_connections_per_user,
                                         stale=realtime.settings.presence_stale)
    if not granted:
        raise RateLimitedError("Too many open websockets for this account; close one first.", retry_after=30)
    return claim


async def release_connection(db: Database, realtime: Realtime, node_id: UUID, claim: UUID) -> None:
    """Best effort within a bound: a release lost to an outage is made by the next heartbeat."""
    realtime.unreleased.add(claim)
    with trio.move_on_after(5):
        await ws_connections.release(db, node_id=node_id, connection_id=claim)
        realtime.unreleased.discard(claim)


async def node_heartbeat(db: Database, realtime: Realtime, node_id: UUID) -> None:
    """One statement per period for the whole node, however many sockets it holds: its sockets
    stay counted for the per-user limit and its presence rows stay online (both count while the
    node's row is fresh), and the releases an outage kept back are made."""
    released = sorted(realtime.unreleased)
    await ws_connections.node_heartbeat(db, node_id=node_id, released=released, stale=realtime.settings.presence_stale)
    realtime.unreleased.difference_update(released)


async def close_signed_out(db: Database, registry: WsManager, user_id: UUID | None = None) -> int:
    """Close (4401) the sockets, of one user or all of this node's, whose session was signed out
    (sign out, sign out everywhere, a password change or reset) on any node."""
    found = registry.user_connections(user_id) if user_id is not None else registry.connections()
    live = {c.claim: c for c in found if c.claim is not None and c.session is not None}
    if not live:
        return 0
    async with db.transaction(invalidates=False) as tx:  # a periodic read of sessions: pages stay good
        revoked = await ws_connections.revoked_sessions(
            tx, [(claim, c.user_id, *c.session) for claim, c in live.items() if c.session is not None])
    closed = registry.close_connections([live[claim] for claim in revoked], CLOSE_SIGNED_OUT, "signed out")
    if closed:
        log.info("ws.signed_out_closed", closed=closed, user_id=str(user_id) if user_id else None)
    return closed


def origin_allowed(settings: Settings, org: dict[str, Any], origin: str) -> bool:
    """Scheme, host and port all match one of the app's origins or the org's custom domain."""
    seen = parse_origin(origin)
    if seen is None:
        return False
    allowed = app_origins(settings.next_public_app_url, settings.app_origins, listen_host=settings.host,
                          listen_port=settings.port)
    return seen in allowed or seen in custom_domain_origins(org.get("custom_domain"))


def parse_channel(channel: object) -> Channel:
    try:
        return Channel.parse(channel)
    except ValueError as exc:  # its message never quotes the input
        raise BadRequestError(str(exc)) from None


async def check_subscribe(db: Database, member: OrgMember, channel: Channel) -> Channel:
    """The channel when the member may read it; ForbiddenError when not (existence never leaks)."""
    answer = (await check_subscribes(db, member, [channel]))[0]
    if isinstance(answer, ForbiddenError):
        raise answer
    return answer


async def check_subscribes(db: Database, member: OrgMember, channels: list[Channel]) -> list[Channel | ForbiddenError]:
    """Each channel if the member may read it, else its ForbiddenError (existence never leaks), in order.

    The role as it is now, not as it was at the handshake (a demoted member must not subscribe to
    what their old role could read): the caller's membership and every object's `access_*` load
    are one statement (`Database.read_in_context`), however many channels a client asks for at once,
    each judged by its area's `access_*` rule.
    """
    refused = ForbiddenError("You may not subscribe to this channel.")
    answers: list[Channel | ForbiddenError] = []
    loads: list[tuple[int, Callable[[OrgMember, dict[str, Any] | None], object], Query]] = []
    for channel in channels:
        if channel == Channel.org(member.org_id) or (member.user_id and channel == Channel.user(member.user_id)):
            answers.append(channel)
            continue
        access = _ACCESS.get(channel.kind)
        answers.append(refused if access is None else channel)
        if access is not None:
            load, rule = access
            loads.append((len(answers) - 1, rule, load(channel.id)))
    if not loads:
        return answers
    context, found = await db.read_in_context(
        orgs.request_context_query(user_id=member.user_id, subject=None, ref=str(member.org_id)),
        [query for _, _, query in loads])
    try:
        if context is None:
            raise NotFoundError("No such organization.")
        _, current = caller_from_context(context)
    except (NotFoundError, ForbiddenError):
        current = None
    for (i, rule, _), row in zip(loads, found or [None] * len(loads), strict=True):
        try:
            if current is None:
                raise ForbiddenError("not a member now")
            rule(current, row)
        except (NotFoundError, ForbiddenError):
            answers[i] = ForbiddenError("You may not subscribe to this channel.")
    return answers


async def check_typing(db: Database, realtime: Realtime, member: OrgMember, conn: Connection,
                       channel: Channel) -> None:
    """A typing frame for a topic or a conversation the member may read (the subscribe rule, once per
    socket and channel), then `do_typing`."""
    if channel.kind not in (ChannelKind.TOPIC, ChannelKind.CONVERSATION):
        raise BadRequestError("typing is for a topic or a conversation")
    if channel not in conn.channels and channel not in conn.may_type:
        channel = await check_subscribe(db, member, channel)
        conn.may_type.add(channel)
    await do_typing(realtime, member, channel)


async def do_typing(realtime: Realtime, member: OrgMember, channel: Channel) -> None:
    """Ephemeral: never stored, never echoed to the typist, throttled, cross-node."""
    assert member.principal is not None
    # One frame per user and channel per interval on every node together (the database's window).
    if await realtime.limiter.hit(f"typing:{member.principal.user_id}:{channel}", 1,
                                  realtime.settings.typing_interval) is not None:
        return
    payload = {"type": "typing", f"{channel.kind.value}_id": channel.id, "user_id": member.principal.user_id,
               "user_name": member.principal.display_name, "channel": channel}
    realtime.publish_frame(channel, dumps(payload), exclude_user=member.principal.user_id)


async def replay(db: Database, realtime: Realtime, conn: Connection, after: int) -> list[Frame] | None:
    """What this person missed after `after`, as they may see it now; None when beyond retention.

    Each event passes the rule live delivery follows (domain/audience.py) with what it refers to
    as it is now: nothing from before they joined (or, not a member, connected), nothing of
    forums and topics they cannot read now or that are gone, deleted and hidden posts blank.
    """
    limit = realtime.settings.resume_max
    async with db.transaction(org_id=conn.org_id, user_id=conn.user_id) as tx:
        oldest = await q.retained_from(tx, conn.org_id, realtime.settings.retention)
        head = (await q.org_event_heads(tx, [conn.org_id])).get(conn.org_id, 0)
        if after >= head:
            return []
        if oldest is None or after + 1 < oldest:
            return None
        found = await list_activity_after(tx, org_id=conn.org_id, after=after, channels=sorted(conn.channels, key=str),
                                          limit=limit + 1)
        if len(found) > limit:
            return None
        current = await current_state(tx, conn.org_id, found)
        joined = await now.joined_at(tx, conn.org_id, conn.user_id)
    viewer = conn.viewer
    since = joined or (viewer.since if viewer is not None else None)
    frames: list[Frame] = []
    for activity in found:
        if since is not None and activity.created_at < since:
            continue
        judged = judge(activity, current)
        if judged is not None and judged.audience.admits(viewer):
            data = dumps({"type": activity.type, "id": activity.seq, "channel": activity.channel, **judged.payload})
            frames.append((activity.seq, data))
    return frames


async def current_state(tx: Conn, org_id: UUID, found: list[Activity]) -> Current:
    """What `found` refers to, as it is now (for replays and the dashboard)."""
    refs = [referenced(a) for a in found]
    topics = sorted({t for _, t, _ in refs if t is not None})
    posts = sorted({p for _, _, p in refs if p is not None})
    deleted, hidden = await now.blank_posts(tx, org_id, posts)
    return Current(forum_ranks=await now.forum_ranks(tx, org_id),
                   topic_forums=await now.topic_forums(tx, org_id, topics), deleted_posts=deleted, hidden_posts=hidden)
