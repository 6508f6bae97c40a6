"""cluster_bus: LISTEN/NOTIFY between nodes — event heads in, ephemeral frames both ways.

Three channels: `community_activity` (a trigger NOTIFYs "org:seq:writer" at each commit, so every
node hears every event; the notifier reads the row), `community_bus` (ephemeral frames:
typing, notifications), which this actor also delivers to the local registry, and presence
changes, which it hands to the presence actor (it knows who here shares a conversation with whom),
and `community_pages` (triggers on what read pages show, "o:<org>", "u:<user>" or "*": changes that
write no activity, such as a role, a profile or a sign-out). Both heads and page changes
invalidate this node's cached pages (`db.generations`); while not listening, it caches nothing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import structlog
import trio

from community.actors.mailbox import Mailbox
from community.actors.notifier import Notifier
from community.actors.outage import ride_out
from community.actors.ws_manager import Deliver, WsManager
from community.db.pool import Database, open_listener
from community.domain.audience import Audience
from community.domain.events import Channel, dumps

log = structlog.get_logger("community.actors.cluster_bus")
ACTIVITY_CHANNEL = "community_activity"
BUS_CHANNEL = "community_bus"
PAGES_CHANNEL = "community_pages"
MAX_NOTIFY_BYTES = 7_900
_FRAME = "frame"
_SIGNED_OUT = "signed_out"
_PRESENCE = "presence"
_PRESENCE_CHUNK = 40  # changes per NOTIFY (about 120 bytes each, under MAX_NOTIFY_BYTES)


def application_name(node_id: UUID) -> str:
    """What this node's database connections call themselves (the activity trigger reports it)."""
    return f"community-{node_id.hex[:16]}"


def with_application_name(dsn: str, node_id: UUID) -> str:
    parts = urlsplit(dsn)
    query = "&".join(p for p in [parts.query, f"application_name={application_name(node_id)}"] if p)
    return urlunsplit(parts._replace(query=query))


class ClusterBus:
    def __init__(self, db: Database, node_id: UUID, *, notifier: Notifier, registry: WsManager,
                 mailbox_size: int = 10_000) -> None:
        self.db, self.node_id, self.notifier, self.registry = db, node_id, notifier, registry
        self.outgoing: Mailbox[str] = Mailbox("cluster_bus", mailbox_size)
        # Users who signed out somewhere: the websocket listener checks their sockets' sessions now
        # (its periodic check of every socket covers a notice lost with the LISTEN connection).
        self.signed_out: Mailbox[UUID] = Mailbox("signed_out", 1_000)
        # Presence changes another node's tick made: the presence actor fans them out to our sockets.
        self.presence: Mailbox[tuple[UUID, list[dict[str, Any]]]] = Mailbox("presence_heard", 10_000)
        self.received = 0
        self.application_name = application_name(node_id)

    def publish_frame(self, channel: Channel, data: str, *, exclude_user: UUID | None = None,
                      audience: Audience | None = None) -> None:
        """An ephemeral frame to this node's subscribers now and to the other nodes over NOTIFY.

        `audience`: who of the channel's subscribers may see it (presence: those who list members).
        """
        self.registry.deliver_nowait(Deliver(channel, data, exclude_user=exclude_user, audience=audience))
        payload = dumps({"c": channel, "f": data, "x": exclude_user, "k": _FRAME, "n": self.node_id,
                         "a": audience.to_wire() if audience is not None else None})
        if len(payload.encode()) > MAX_NOTIFY_BYTES:
            log.warning("cluster_bus.payload_too_large", kind=_FRAME, size=len(payload))
            return
        self.outgoing.send_nowait(payload)

    def publish_presence(self, org_id: UUID, changes: list[dict[str, Any]]) -> None:
        """One tick's presence changes in one org, to the other nodes (each fans out to its own sockets)."""
        for i in range(0, len(changes), _PRESENCE_CHUNK):
            self.outgoing.send_nowait(dumps({"k": _PRESENCE, "o": org_id, "c": changes[i:i + _PRESENCE_CHUNK],
                                             "n": self.node_id}))

    def publish_signed_out(self, user_id: UUID) -> None:
        """After a sign-out committed: every node closes this user's sockets whose session ended."""
        self.signed_out.send_nowait(user_id)
        self.outgoing.send_nowait(dumps({"k": _SIGNED_OUT, "u": user_id, "n": self.node_id}))

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
        try:
            async with open_listener(self.db.dsn, [ACTIVITY_CHANNEL, BUS_CHANNEL, PAGES_CHANNEL]) as listener, \
                    trio.open_nursery() as nursery:
                self.db.generations.heard()
                nursery.start_soon(self._send_loop)
                nursery.start_soon(self._receive_loop, listener.receive)
                self.notifier.sweep_nowait()  # anything committed while we were not listening
                await listener.lost.wait()
                log.warning("cluster_bus.listen_lost", reason="connection lost or its queue overflowed")
                nursery.cancel_scope.cancel()
        finally:  # other nodes' changes go unheard from here: cached pages are dropped and bypassed
            self.db.generations.lost()

    async def _send_loop(self) -> None:
        async for first in self.outgoing.receive:
            batch = [first]
            while len(batch) < 200:
                try:
                    batch.append(self.outgoing.receive.receive_nowait())
                except trio.WouldBlock:
                    break
            # One statement on its own (its own transaction, one round trip): NOTIFY is sent at its
            # commit, and it changes nothing a page shows.
            await self.db.fetch_once("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", BUS_CHANNEL, batch,
                                   invalidates=False)

    async def _receive_loop(self, receive: trio.MemoryReceiveChannel[tuple[str, str]]) -> None:
        async for channel, payload in receive:
            self.received += 1
            if channel == PAGES_CHANNEL:
                scope = payload.partition(":")[2]
                self.db.generations.bump(UUID(scope) if scope else None)
                continue
            if channel == ACTIVITY_CHANNEL:
                org, seq, writer = [*payload.split(":", 2), ""][:3]
                self.db.generations.bump(UUID(org))
                # Our own commits reach the notifier first-hand after commit (the sweep covers a drop);
                # reading the log for them too would put a round trip on every delivery.
                if writer != self.application_name:
                    self.notifier.head_nowait(UUID(org), int(seq))
                continue
            self._remote(json.loads(payload))

    def _remote(self, message: dict[str, Any]) -> None:
        if message.get("n") == str(self.node_id):
            return
        if message.get("k") == _SIGNED_OUT:
            self.signed_out.send_nowait(UUID(message["u"]))
            return
        if message.get("k") == _PRESENCE:
            self.presence.send_nowait((UUID(message["o"]), list(message["c"])))
            return
        if message.get("k") != _FRAME:
            return
        exclude = UUID(message["x"]) if message.get("x") else None
        audience = Audience.from_wire(message["a"]) if message.get("a") else None
        self.registry.deliver_nowait(Deliver(Channel.parse(message["c"]), message["f"], exclude_user=exclude,
                                             audience=audience))
