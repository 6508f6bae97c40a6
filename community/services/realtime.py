"""Realtime use cases: who may open a socket, subscribe, type, resume; and presence."""

from __future__ import annotations

import importlib
from collections import defaultdict
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import structlog
import trio

from community.actors.outage import ride_out
from community.actors.ws_manager import Connection, Deliver
from community.db.queries import notifications as q
from community.domain.errors import BadRequestError, ForbiddenError, NotFoundError
from community.domain.events import Activity, dumps, org_channel, user_channel
from community.domain.principal import OrgMember
from community.runtime import Runtime
from community.services.identity import principal_from_token
from community.services.orgs import access_org

log = structlog.get_logger("community.realtime")
_KINDS = ("org", "user", "forum", "topic", "conversation")
# kind -> (module, function) checked exactly as the REST read of that object is.
_ACCESS = {"forum": ("community.services.forums", "access_forum"),
           "topic": ("community.services.topics", "access_topic"),
           "conversation": ("community.services.conversations", "access_conversation")}


async def open_session(runtime: Runtime, token: str | None, org_ref: str | None,
                       origin: str | None) -> tuple[OrgMember, datetime]:
    """The handshake: token (401), membership (404/403), browser origin (403)."""
    from community.domain.errors import UnauthorizedError

    if not token:
        raise UnauthorizedError("Sign in: the websocket needs a token.")
    claims = await runtime.verifier.verify(token)
    principal = await principal_from_token(runtime, token)
    if not org_ref:
        raise NotFoundError("No such organization.")
    member = await access_org(runtime, principal, org_ref)
    if origin is not None and not origin_allowed(runtime, member.org, origin):
        raise ForbiddenError("This origin may not open a websocket here.")
    return member, claims.expires_at


def origin_allowed(runtime: Runtime, org: dict[str, Any], origin: str) -> bool:
    app = urlsplit(runtime.settings.next_public_app_url)
    seen = urlsplit(origin)
    if (seen.scheme, seen.netloc) == (app.scheme, app.netloc):
        return True
    domain = (org.get("custom_domain") or "").lower()
    return bool(domain) and seen.scheme in ("https", "http") and (seen.hostname or "") == domain


def parse_channel(channel: object) -> tuple[str, UUID]:
    if not isinstance(channel, str):
        raise BadRequestError("channel must be a string")
    kind, _, raw = channel.partition(":")
    if kind not in _KINDS:
        raise BadRequestError(f"unknown channel kind {kind!r}")
    try:
        return kind, UUID(raw)
    except ValueError:
        raise BadRequestError("channel id must be a UUID") from None


async def check_subscribe(runtime: Runtime, member: OrgMember, channel: object) -> str:
    """The channel name when the member may read it; ForbiddenError when not (existence never leaks)."""
    kind, target = parse_channel(channel)
    if kind == "org" and target == member.org_id:
        return org_channel(target)
    if kind == "user" and target == member.user_id:
        return user_channel(target)
    if kind in _ACCESS:
        await _access(runtime, member, kind, target)
        return f"{kind}:{target}"
    raise ForbiddenError("You may not subscribe to this channel.")


async def _access(runtime: Runtime, member: OrgMember, kind: str, target: UUID) -> None:
    module_name, function = _ACCESS[kind]
    try:
        access = getattr(importlib.import_module(module_name), function)
    except (ImportError, AttributeError):
        raise ForbiddenError("You may not subscribe to this channel.") from None
    try:
        # The role as it is now, not as it was at the handshake: a demoted member must not
        # subscribe to what their old role could read.
        current = await access_org(runtime, member.principal, str(member.org_id))
        await access(runtime, current, target)
    except (NotFoundError, ForbiddenError):
        raise ForbiddenError("You may not subscribe to this channel.") from None


class TypingThrottle:
    """One typing frame per user per topic per interval; bounded memory."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: dict[tuple[UUID, str], float] = {}

    def allow(self, user_id: UUID, channel: str, now: float) -> bool:
        key = (user_id, channel)
        if now - self._last.get(key, -self.interval) < self.interval:
            return False
        self._last[key] = now
        if len(self._last) > 100_000:
            self._last = {k: t for k, t in self._last.items() if now - t < self.interval}
        return True


async def do_typing(runtime: Runtime, member: OrgMember, conn: Connection, frame: dict[str, Any]) -> None:
    """Ephemeral: never stored, never echoed to the typist, throttled, cross-node."""
    assert member.principal is not None
    kind, key = ("topic", "topic_id") if "topic_id" in frame else ("conversation", "conversation_id")
    channel = f"{kind}:{frame.get(key)}"
    if channel not in conn.channels and channel not in conn.may_type:
        channel = await check_subscribe(runtime, member, channel)
        conn.may_type.add(channel)
    if not runtime.typing_throttle.allow(member.principal.user_id, channel, trio.current_time()):
        return
    payload = {"type": "typing", key: channel.partition(":")[2], "user_id": member.principal.user_id,
               "user_name": member.principal.display_name, "channel": channel}
    publish_frame(runtime, channel, dumps(payload), exclude_user=member.principal.user_id)


def publish_frame(runtime: Runtime, channel: str, data: str, *, exclude_user: UUID | None = None) -> None:
    """An ephemeral frame to this node's subscribers now and to the other nodes over NOTIFY."""
    runtime.ws_manager.deliver_nowait(Deliver(channel, data, exclude_user=exclude_user))
    if runtime.bus is not None:
        runtime.bus.publish_nowait("frame", {"c": channel, "f": data, "x": exclude_user})


def deliver_remote_frame(runtime: Runtime, message: dict[str, Any]) -> None:
    exclude = UUID(message["x"]) if message.get("x") else None
    runtime.ws_manager.deliver_nowait(Deliver(message["c"], message["f"], exclude_user=exclude))


async def replay(runtime: Runtime, conn: Connection, after: int) -> list[Activity] | None:
    """Events after `after` on the connection's channels, or None when they are beyond retention."""
    limit = runtime.realtime.resume_max
    async with runtime.db.transaction(org_id=conn.org_id, user_id=conn.user_id) as db:
        oldest = await q.retained_from(db, conn.org_id, runtime.realtime.retention)
        head = (await q.org_event_heads(db, [conn.org_id])).get(conn.org_id, 0)
        if after >= head:
            return []
        if oldest is None or after + 1 < oldest:
            return None
        from community.db.queries.activity import list_activity_after

        found = await list_activity_after(db, org_id=conn.org_id, after=after, channels=sorted(conn.channels),
                                          limit=limit + 1)
    return found if len(found) <= limit else None


class Presence:
    """Who is online: rows per (node, org, user) in the database; debounced transitions."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._local: defaultdict[tuple[UUID, UUID], int] = defaultdict(int)
        self._announced: dict[tuple[UUID, UUID], bool] = {}
        self._dirty: set[tuple[UUID, UUID]] = set()
        self._wake = trio.Event()

    async def joined(self, member: OrgMember) -> None:
        key = (member.org_id, _user(member))
        self._local[key] += 1
        if self._local[key] == 1:
            async with self.runtime.db.transaction(org_id=key[0]) as conn:
                if key not in self._announced:
                    self._announced[key] = bool(await q.list_online(conn, key[0], self.runtime.realtime.presence_stale,
                                                                    key[1]))
                await q.presence_join(conn, self.runtime.node_id, *key)
            self._mark(key)

    async def left(self, member: OrgMember) -> None:
        key = (member.org_id, _user(member))
        self._local[key] -= 1
        if self._local[key] <= 0:
            del self._local[key]
            with trio.CancelScope(shield=True), trio.move_on_after(5):
                async with self.runtime.db.transaction(org_id=key[0]) as conn:
                    await q.presence_leave(conn, self.runtime.node_id, *key)
            self._mark(key)

    def _mark(self, key: tuple[UUID, UUID]) -> None:
        self._dirty.add(key)
        self._wake.set()

    async def online(self, org_id: UUID) -> list[dict[str, Any]]:
        async with self.runtime.db.transaction(org_id=org_id) as conn:
            found = await q.list_online(conn, org_id, self.runtime.realtime.presence_stale)
        return [{"user": {"id": r["user_id"], "display_name": r["display_name"]}, "since": r["connected_at"]}
                for r in found]

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._heartbeat)
            task_status.started()
            while True:
                await self._wake.wait()
                self._wake = trio.Event()
                await trio.sleep(self.runtime.realtime.presence_debounce)
                dirty, self._dirty = self._dirty, set()
                for key in dirty:
                    await ride_out("presence", partial(self._announce, key))

    async def _heartbeat(self) -> None:
        while True:
            await ride_out("presence", self._beat)
            await trio.sleep(self.runtime.realtime.presence_stale.total_seconds() / 3)

    async def _beat(self) -> None:
        async with self.runtime.db.transaction() as conn:
            await q.presence_heartbeat(conn, self.runtime.node_id)

    async def _announce(self, key: tuple[UUID, UUID]) -> None:
        org_id, user_id = key
        async with self.runtime.db.transaction(org_id=org_id) as conn:
            rows = await q.list_online(conn, org_id, self.runtime.realtime.presence_stale, user_id)
        online = bool(rows)
        if self._announced.get(key) == online:
            return
        self._announced[key] = online
        if not online and key not in self._local:
            del self._announced[key]
        frame = {"type": "presence", "channel": org_channel(org_id), "user_id": user_id,
                 "status": "online" if online else "offline"}
        publish_frame(self.runtime, org_channel(org_id), dumps(frame))


def _user(member: OrgMember) -> UUID:
    assert member.user_id is not None
    return member.user_id
