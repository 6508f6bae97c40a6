"""Realtime use cases: who may open a socket, subscribe, type, resume."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import structlog
import trio

from community.actors.ws_manager import Connection
from community.db.pool import Database
from community.db.queries import notifications as q
from community.db.queries.activity import list_activity_after
from community.domain.errors import BadRequestError, ForbiddenError, NotFoundError, UnauthorizedError
from community.domain.events import Activity, Channel, ChannelKind, dumps
from community.domain.principal import OrgMember
from community.handles import Realtime
from community.identity import Identity
from community.services.conversations import access_conversation
from community.services.forums import access_forum
from community.services.identity import principal_from_token
from community.services.orgs import access_org
from community.services.topics import access_topic
from community.settings import Settings

log = structlog.get_logger("community.realtime")
# Checked exactly as the REST read of that object is.
_ACCESS: dict[ChannelKind, Callable[[Database, OrgMember, UUID], Awaitable[object]]] = {
    ChannelKind.FORUM: access_forum, ChannelKind.TOPIC: access_topic, ChannelKind.CONVERSATION: access_conversation}


async def open_session(db: Database, identity: Identity, settings: Settings, token: str | None, org_ref: str | None,
                       origin: str | None) -> tuple[OrgMember, datetime]:
    """The handshake: token (401), membership (404/403), browser origin (403)."""
    if not token:
        raise UnauthorizedError("Sign in: the websocket needs a token.")
    claims = await identity.verifier.verify(token)
    principal = await principal_from_token(db, identity, token)
    if not org_ref or len(org_ref) > 100 or not org_ref.isprintable():
        raise NotFoundError("No such organization.")
    member = await access_org(db, principal, org_ref)
    if origin is not None and not origin_allowed(settings, member.org, origin):
        raise ForbiddenError("This origin may not open a websocket here.")
    return member, claims.expires_at


def origin_allowed(settings: Settings, org: dict[str, Any], origin: str) -> bool:
    app = urlsplit(settings.next_public_app_url)
    try:
        seen = urlsplit(origin)
        seen.port  # noqa: B018 - a port that is not a number raises here, not later
    except ValueError:
        return False
    if (seen.scheme, seen.netloc) == (app.scheme, app.netloc):
        return True
    domain = (org.get("custom_domain") or "").lower()
    return bool(domain) and seen.scheme in ("https", "http") and (seen.hostname or "") == domain


def parse_channel(channel: object) -> Channel:
    try:
        return Channel.parse(channel)
    except ValueError as exc:  # its message never quotes the input
        raise BadRequestError(str(exc)) from None


async def check_subscribe(db: Database, member: OrgMember, channel: Channel) -> Channel:
    """The channel when the member may read it; ForbiddenError when not (existence never leaks)."""
    if channel == Channel.org(member.org_id) or (member.user_id and channel == Channel.user(member.user_id)):
        return channel
    access = _ACCESS.get(channel.kind)
    if access is None:
        raise ForbiddenError("You may not subscribe to this channel.")
    try:
        # The role as it is now, not as it was at the handshake: a demoted member must not
        # subscribe to what their old role could read.
        current = await access_org(db, member.principal, str(member.org_id))
        await access(db, current, channel.id)
    except (NotFoundError, ForbiddenError):
        raise ForbiddenError("You may not subscribe to this channel.") from None
    return channel


async def do_typing(db: Database, realtime: Realtime, member: OrgMember, conn: Connection,
                    channel: Channel) -> None:
    """Ephemeral: never stored, never echoed to the typist, throttled, cross-node."""
    assert member.principal is not None
    if channel.kind not in (ChannelKind.TOPIC, ChannelKind.CONVERSATION):
        raise BadRequestError("typing is for a topic or a conversation")
    key = f"{channel.kind.value}_id"
    if channel not in conn.channels and channel not in conn.may_type:
        channel = await check_subscribe(db, member, channel)
        conn.may_type.add(channel)
    if not realtime.typing.allow(member.principal.user_id, channel, trio.current_time()):
        return
    payload = {"type": "typing", key: channel.id, "user_id": member.principal.user_id,
               "user_name": member.principal.display_name, "channel": channel}
    realtime.publish_frame(channel, dumps(payload), exclude_user=member.principal.user_id)


async def replay(db: Database, realtime: Realtime, conn: Connection, after: int) -> list[Activity] | None:
    """Events after `after` on the connection's channels, or None when they are beyond retention."""
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
    return found if len(found) <= limit else None
