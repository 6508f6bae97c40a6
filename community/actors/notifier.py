"""notifier: committed activity in -> this node's sockets, in id order, with nothing lost.

The activity log is the truth and the mailbox only a fast path. The notifier keeps, per org
with sockets on this node, the last event id it delivered (`cursors`, kept on the handle so a
restart resumes where the crashed incarnation stopped). An event that is not the next id, a
NOTIFY from another node, or a periodic sweep makes it read the gap from the log.

The cluster bus (`ClusterBus`, its own child) LISTENs on two channels: `community_activity`
(a trigger NOTIFYs "org:seq" at each commit, so every node hears every event) and
`community_bus` (ephemeral frames: typing, notifications, presence).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import structlog
import trio

from community.actors.mailbox import Mailbox
from community.actors.outage import ride_out
from community.actors.ws_manager import CLOSE_MEMBERSHIP_REVOKED, Deliver, WsManager
from community.db.pool import Database, open_listener
from community.db.queries.notifications import list_org_activity_after, org_event_heads
from community.domain.events import Activity, dumps

log = structlog.get_logger("community.actors.notifier")
ACTIVITY_CHANNEL = "community_activity"
BUS_CHANNEL = "community_bus"
MAX_NOTIFY_BYTES = 7_900


@dataclass(frozen=True)
class Head:
    """Another node (or this one's trigger) says the org's log reached `seq`."""

    org_id: UUID
    seq: int


@dataclass(frozen=True)
class Sweep:
    """Compare every tracked org's cursor with the log's head."""


Message = Activity | Head | Sweep
FollowUp = Callable[[Activity], Awaitable[None]]


class Notifier:
    def __init__(self, ws_manager: WsManager, db: Database, *, mailbox_size: int = 10_000,
                 sweep_interval: float = 2.0, batch: int = 500) -> None:
        self.ws_manager, self.db = ws_manager, db
        self.mailbox: Mailbox[Message] = Mailbox("notifier", mailbox_size)
        self.followups: Mailbox[Activity] = Mailbox("notifier.followups", mailbox_size)
        self.follow_up: FollowUp | None = None
        self.follow_up_types: frozenset[str] = frozenset()
        self.cursors: dict[UUID, int] = {}
        self.sweep_interval, self.batch = sweep_interval, batch
        self.published = 0
        self.caught_up = 0

    def publish_nowait(self, activity: Activity) -> None:
        """Called after commit; the activity log stays the truth if this is dropped."""
        self.mailbox.send_nowait(activity)

    def head_nowait(self, org_id: UUID, seq: int) -> None:
        self.mailbox.send_nowait(Head(org_id, seq), coalesce=True)

    def sweep_nowait(self) -> None:
        self.mailbox.send_nowait(Sweep(), coalesce=True)

    async def track(self, org_id: UUID) -> int:
        """Start following an org (a socket joined it); answers the log's head."""
        async with self.db.transaction() as conn:
            head = (await org_event_heads(conn, [org_id])).get(org_id, 0)
        self.cursors.setdefault(org_id, head)
        return head

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._tick)
            nursery.start_soon(self._run_followups)
            task_status.started()
            await ride_out("notifier", self._sweep)  # what was committed while we were down
            async for message in self.mailbox.receive:
                await ride_out("notifier", partial(self._handle, message))

    async def _tick(self) -> None:
        while True:
            await trio.sleep(self.sweep_interval)
            self.sweep_nowait()

    async def _handle(self, message: Message) -> None:
        if isinstance(message, Sweep):
            await self._sweep()
            return
        cursor = self.cursors.get(message.org_id)
        if cursor is None and isinstance(message, Activity):
            if not self.ws_manager.org_connections(message.org_id):
                self._process(message)  # nobody here to deliver to; still follow up
                return
            cursor = self.cursors[message.org_id] = message.seq - 1
        if cursor is None or message.seq <= cursor:
            return
        if isinstance(message, Activity) and message.seq == cursor + 1:
            self._process(message)
        else:
            await self._catch_up(message.org_id)

    async def _sweep(self) -> None:
        live = set(self.ws_manager.orgs())
        for org_id in [o for o in self.cursors if o not in live]:
            del self.cursors[org_id]
        if not self.cursors:
            return
        async with self.db.transaction() as conn:
            heads = await org_event_heads(conn, list(self.cursors))
        for org_id, head in heads.items():
            if head > self.cursors.get(org_id, head):
                await self._catch_up(org_id)

    async def _catch_up(self, org_id: UUID) -> None:
        while (cursor := self.cursors.get(org_id)) is not None:
            async with self.db.transaction(org_id=org_id) as conn:
                missed = await list_org_activity_after(conn, org_id, cursor, self.batch)
            for activity in missed:
                self._process(activity)
            self.caught_up += len(missed)
            if len(missed) < self.batch:
                return

    def _process(self, activity: Activity) -> None:
        if activity.org_id in self.cursors:
            self.cursors[activity.org_id] = activity.seq
        self.ws_manager.deliver_nowait(Deliver(activity.channel, activity.frame().decode(), seq=activity.seq))
        self._revoke(activity)
        if self.follow_up is not None and activity.type in self.follow_up_types:
            self.followups.send_nowait(activity)
        self.published += 1

    def _revoke(self, activity: Activity) -> None:
        user_id = revoked_user(activity)
        if user_id is not None:
            self.ws_manager.close_member(activity.org_id, user_id, CLOSE_MEMBERSHIP_REVOKED, "membership revoked")
        if activity.type == "member_role_changed":
            # Forum and topic subscriptions were checked against the old role: drop them; the
            # client resubscribes and each channel is checked again like a REST read.
            changed = UUID(str(activity.payload["membership"]["user"]["id"]))
            self.ws_manager.drop_content_channels(activity.org_id, changed, "role_changed")
        if activity.type == "participant_removed":
            # On every node: a removed participant's sockets anywhere stop receiving the conversation.
            removed = UUID(str(activity.payload["user_id"]))
            self.ws_manager.remove_from_channel(activity.org_id, removed, activity.channel, "removed")

    async def _run_followups(self) -> None:
        async for activity in self.followups.receive:
            if self.follow_up is not None:
                await self.follow_up(activity)


def revoked_user(activity: Activity) -> UUID | None:
    """Whose membership this event ends (left, removed or suspended), if any."""
    payload = activity.payload
    if activity.type == "member_left":
        return UUID(str(payload["user_id"]))
    if activity.type == "member_status_changed" and payload.get("membership", {}).get("status") == "suspended":
        return UUID(str(payload["membership"]["user"]["id"]))
    return None


BusHandler = Callable[[dict[str, Any]], None]


def application_name(node_id: UUID) -> str:
    """What this node's database connections call themselves (the activity trigger reports it)."""
    return f"community-{node_id.hex[:16]}"


def with_application_name(dsn: str, node_id: UUID) -> str:
    parts = urlsplit(dsn)
    query = "&".join(p for p in [parts.query, f"application_name={application_name(node_id)}"] if p)
    return urlunsplit(parts._replace(query=query))


class ClusterBus:
    """LISTEN/NOTIFY between nodes: event heads in, ephemeral frames both ways."""

    def __init__(self, db: Database, notifier: Notifier, node_id: UUID, *, mailbox_size: int = 10_000) -> None:
        self.db, self.notifier, self.node_id = db, notifier, node_id
        self.outgoing: Mailbox[str] = Mailbox("cluster_bus", mailbox_size)
        self.handlers: dict[str, BusHandler] = {}
        self.received = 0
        self.application_name = application_name(node_id)

    def publish_nowait(self, kind: str, body: dict[str, Any]) -> bool:
        payload = dumps({**body, "k": kind, "n": self.node_id})
        if len(payload.encode()) > MAX_NOTIFY_BYTES:
            log.warning("cluster_bus.payload_too_large", kind=kind, size=len(payload))
            return False
        return self.outgoing.send_nowait(payload)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        backoff = 0.1
        while True:
            # A lost LISTEN connection (or a database outage) is noticed, logged and reconnected
            # with backoff here: crash-looping would take the whole core down with the database.
            if await ride_out("cluster_bus", self._listen):
                backoff = 0.1
            await trio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _listen(self) -> None:
        async with open_listener(self.db.dsn, [ACTIVITY_CHANNEL, BUS_CHANNEL]) as listener, \
                trio.open_nursery() as nursery:
            nursery.start_soon(self._send_loop)
            nursery.start_soon(self._receive_loop, listener.receive)
            self.notifier.sweep_nowait()  # anything committed while we were not listening
            await listener.lost.wait()
            log.warning("cluster_bus.listen_lost", reason="connection lost or its queue overflowed")
            nursery.cancel_scope.cancel()

    async def _send_loop(self) -> None:
        async for first in self.outgoing.receive:
            batch = [first]
            while len(batch) < 200:
                try:
                    batch.append(self.outgoing.receive.receive_nowait())
                except trio.WouldBlock:
                    break
            async with self.db.transaction() as conn:
                await conn.execute("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", BUS_CHANNEL, batch)

    async def _receive_loop(self, receive: trio.MemoryReceiveChannel[tuple[str, str]]) -> None:
        async for channel, payload in receive:
            self.received += 1
            if channel == ACTIVITY_CHANNEL:
                org, seq, writer = [*payload.split(":", 2), ""][:3]
                # Our own commits reach the notifier first-hand after commit (the sweep covers a drop);
                # reading the log for them too would put a round trip on every delivery.
                if writer != self.application_name:
                    self.notifier.head_nowait(UUID(org), int(seq))
                continue
            message = json.loads(payload)
            if message.get("n") == str(self.node_id):
                continue
            handler = self.handlers.get(message.get("k", ""))
            if handler is not None:
                handler(message)
