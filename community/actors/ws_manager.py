"""ws_manager: the registry of live sockets (the seed's gproc).

Channel -> connections, connection -> channels, user -> connections. Registration and
delivery are synchronous calls (like an ETS table: trio is single-threaded), so fan-out never
waits. An event arrives already encoded and is framed once: the same bytes go to every
subscriber's socket, and a connection whose bounded backlog is full is closed (1013), never
allowed to slow the others.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count
from typing import TypeVar
from uuid import UUID

import structlog
import trio

from community.actors.mailbox import Mailbox
from community.domain.audience import Audience, Viewer
from community.domain.events import CONTENT_KINDS, Channel, ChannelKind, Viewing
from community.domain.principal import SessionKey
from community.realtime._wire import text_frame
from community.realtime.protocol import CLOSE_SERVICE_RESTART, CLOSE_TRY_AGAIN_LATER

log = structlog.get_logger("community.actors.ws_manager")
K = TypeVar("K")

MAX_HELD = 1_000

# What a socket is sent: (event id or 0 for ephemeral frames, JSON text; or bytes already framed
# for the wire: a fanned-out event, framed once for all its recipients).
Frame = tuple[int, str | bytes]


@dataclass(eq=False, slots=True)
class Connection:
    """One live socket as the registry sees it; its session writes what `send` is given."""

    user_id: UUID
    org_id: UUID
    id: int = 0  # the registry numbers connections as they register
    channels: set[Channel] = field(default_factory=set)
    close_code: int | None = None
    close_reason: str = ""
    # While a resume replays the log, live events wait here so ids stay in order.
    held: list[Frame] | None = None
    # Writes a frame to the socket from the delivering task, as asyncio's transport.write does
    # (what the kernel does not take waits, bounded, for the socket's own task to flush); False:
    # the client fell too far behind. The session installs it.
    send: Callable[[Frame], bool] | None = None
    # Wakes the session's task when something else closes the connection.
    on_close: Callable[[], None] | None = None
    may_type: set[Channel] = field(default_factory=set)
    # What this person may see now (their role, kept current by role-change events); None sees
    # only frames meant for everyone on the channel.
    viewer: Viewer | None = None
    # This socket's slot in the per-user connection count (the database's ws_connections row).
    claim: UUID | None = None
    # The token's session (SQL session_revoked()): signing out closes the socket on every node.
    session: SessionKey | None = None
    live_first: int = 0
    live_last: int = 0

    def close_soon(self, code: int, reason: str) -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
            if self.on_close is not None:
                self.on_close()

    def put_nowait(self, frame: Frame) -> bool:
        """Send or hold a frame; False when the client fell behind (the caller drops it)."""
        if self.held is not None:
            if len(self.held) >= MAX_HELD:
                return False
            self.held.append(frame)
            return True
        if self.send is None or not self.send(frame):
            return False
        self.sent_live(frame[0])
        return True

    def sent_live(self, seq: int) -> None:
        """Event ids from `live_first` to `live_last` went to this socket (a resume skips those only)."""
        if seq:
            self.live_first = self.live_first or seq
            self.live_last = max(self.live_last, seq)


@dataclass
class RealtimeSettings:
    """Limits of the realtime path (tests shorten the timers)."""

    outbox_size: int = 256  # frames a socket may have waiting for the kernel before it is closed 1013
    max_channels: int = 200
    max_connections_per_user: int = 20
    ping_interval: float = 30.0
    ping_timeout: float = 30.0
    retention: timedelta = timedelta(days=7)
    resume_max: int = 5_000
    typing_interval: float = 3.0
    presence_debounce: float = 1.0
    presence_stale: timedelta = timedelta(seconds=30)


@dataclass(frozen=True)
class Deliver:
    channel: Channel
    data: str
    seq: int = 0
    exclude_user: UUID | None = None
    # Who of the channel's subscribers may see it (domain/audience.py); None: all of them.
    audience: Audience | None = None


class WsManager:
    def __init__(self, mailbox_size: int = 10_000) -> None:
        self.mailbox: Mailbox[Deliver] = Mailbox("ws_manager", mailbox_size)
        self._by_channel: defaultdict[Channel, set[Connection]] = defaultdict(set)
        self._by_user: defaultdict[UUID, set[Connection]] = defaultdict(set)
        self._by_org: defaultdict[UUID, set[Connection]] = defaultdict(set)
        self._connections: set[Connection] = set()
        # `viewing` snapshots, kept until a subscription in their org changes (a batch a commit burst).
        self._viewing: dict[tuple[UUID, ChannelKind], Viewing] = {}
        self.delivered = 0
        self.slow_closed = 0
        self._ids = count(1)

    def register(self, conn: Connection, channels: list[Channel]) -> None:
        conn.id = next(self._ids)
        self._connections.add(conn)
        self._by_user[conn.user_id].add(conn)
        self._by_org[conn.org_id].add(conn)
        for channel in channels:
            self.subscribe(conn, channel)

    def unregister(self, conn: Connection) -> None:
        self._connections.discard(conn)
        for channel in list(conn.channels):
            self.unsubscribe(conn, channel)
        _discard(self._by_user, conn.user_id, conn)
        _discard(self._by_org, conn.org_id, conn)

    def subscribe(self, conn: Connection, channel: Channel) -> None:
        conn.channels.add(channel)
        self._by_channel[channel].add(conn)
        self._viewing.pop((conn.org_id, channel.kind), None)

    def unsubscribe(self, conn: Connection, channel: Channel) -> None:
        conn.channels.discard(channel)
        _discard(self._by_channel, channel, conn)
        self._viewing.pop((conn.org_id, channel.kind), None)

    def connections(self) -> frozenset[Connection]:
        return frozenset(self._connections)

    def user_connections(self, user_id: UUID) -> frozenset[Connection]:
        return frozenset(self._by_user.get(user_id, ()))

    def org_connections(self, org_id: UUID) -> frozenset[Connection]:
        return frozenset(self._by_org.get(org_id, ()))

    def orgs(self) -> list[UUID]:
        return list(self._by_org)

    def subscribers(self, channel: Channel) -> frozenset[Connection]:
        return frozenset(self._by_channel.get(channel, ()))

    def viewing(self, org_id: UUID, kind: ChannelKind) -> Viewing:
        """Who has a socket here on each of the org's channels of `kind`: a copy, so another thread
        may read it (the notification writer's batch runs on the database's thread). Made again
        only after a subscription of that kind in that org changed: it costs every socket of the org."""
        if (known := self._viewing.get((org_id, kind))) is not None:
            return known
        found: defaultdict[Channel, set[UUID]] = defaultdict(set)
        for conn in self._by_org.get(org_id, ()):
            for channel in conn.channels:
                if channel.kind is kind:
                    found[channel].add(conn.user_id)
        snapshot = self._viewing[(org_id, kind)] = {channel: frozenset(users) for channel, users in found.items()}
        return snapshot

    def deliver_nowait(self, message: Deliver) -> None:
        """Fan out now, from the caller's task; same bytes to every subscriber its audience admits.

        The event is framed for the wire once, when its first recipient is found: every socket
        gets the same bytes (one payload per event: the audience rule admits or refuses, it never
        rewrites a payload per recipient).
        """
        frame: Frame | None = None
        audience = message.audience
        for conn in tuple(self._by_channel.get(message.channel, ())):
            if message.exclude_user is not None and conn.user_id == message.exclude_user:
                continue
            if audience is not None and not audience.admits(conn.viewer):
                continue
            if frame is None:
                frame = (message.seq, text_frame(message.data) or message.data)
            if conn.put_nowait(frame):
                self.delivered += 1
            else:
                self.drop_slow(conn)

    def send_to(self, conn: Connection, data: str) -> bool:
        """An ephemeral frame meant for this one socket (a slow consumer is closed, as in a fan-out)."""
        if conn.put_nowait((0, data)):
            self.delivered += 1
            return True
        self.drop_slow(conn)
        return False

    def drop_slow(self, conn: Connection) -> None:
        self.slow_closed += 1
        log.warning("ws.slow_consumer_closed", connection=conn.id, user_id=str(conn.user_id))
        conn.close_soon(CLOSE_TRY_AGAIN_LATER, "client fell too far behind")
        self.unregister(conn)

    def close_member(self, org_id: UUID, user_id: UUID, code: int, reason: str) -> int:
        """Close one person's sockets in one org (membership revoked)."""
        found = [c for c in self._by_user.get(user_id, ()) if c.org_id == org_id]
        for conn in found:
            conn.close_soon(code, reason)
            self.unregister(conn)
        return len(found)

    def close_connections(self, found: list[Connection], code: int, reason: str) -> int:
        for conn in found:
            conn.close_soon(code, reason)
            self.unregister(conn)
        return len(found)

    def remove_from_channel(self, org_id: UUID, user_id: UUID, channel: Channel, reason: str, *,
                            only: Connection | None = None) -> int:
        """One person's sockets in one org leave `channel` (e.g. removed from a conversation)."""
        found = [c for c in self._by_user.get(user_id, ()) if c.org_id == org_id
                 and channel in c.channels | c.may_type and (only is None or c is only)]
        for conn in found:
            self.unsubscribe(conn, channel)
            conn.may_type.discard(channel)
            conn.put_nowait((0, json.dumps({"type": "unsubscribed", "channel": str(channel), "reason": reason})))
        return len(found)

    def drop_content_channels(self, org_id: UUID, user_id: UUID, reason: str) -> None:
        """Unsubscribe one person's sockets in one org from every forum: and topic: channel."""
        channels = {ch for c in self._by_user.get(user_id, ()) if c.org_id == org_id
                    for ch in c.channels | c.may_type if ch.kind in CONTENT_KINDS}
        for channel in channels:
            self.remove_from_channel(org_id, user_id, channel, reason)

    def update_viewer(self, org_id: UUID, user_id: UUID, viewer: Viewer) -> None:
        """One person's role changed: what their sockets in the org may see, from now on."""
        for conn in self._by_user.get(user_id, ()):
            if conn.org_id == org_id:
                since = conn.viewer.since if conn.viewer is not None else None
                conn.viewer = Viewer(viewer.user_id, viewer.rank, viewer.is_member, viewer.lists_members, since)

    def drop_unseen(self, org_id: UUID, visible: Callable[[Connection, Channel], bool], reason: str) -> int:
        """Every socket in the org leaves the forum and topic channels it may no longer read."""
        dropped = 0
        for conn in tuple(self._by_org.get(org_id, ())):
            for channel in [ch for ch in conn.channels | conn.may_type if ch.kind in CONTENT_KINDS]:
                if not visible(conn, channel):
                    dropped += self.remove_from_channel(org_id, conn.user_id, channel, reason, only=conn)
        return dropped

    def close_all(self, code: int, reason: str) -> None:
        for conn in tuple(self._connections):
            conn.close_soon(code, reason)
            self.unregister(conn)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        try:
            async for message in self.mailbox.receive:
                self.deliver_nowait(message)
        finally:
            # The registry is this actor's state: after a restart clients reconnect and resume.
            self.close_all(CLOSE_SERVICE_RESTART, "server restarting")


def _discard(index: defaultdict[K, set[Connection]], key: K, conn: Connection) -> None:
    members = index.get(key)
    if members is not None:
        members.discard(conn)
        if not members:
            del index[key]
