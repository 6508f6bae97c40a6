"""ws_manager: the registry of live sockets (the seed's gproc).

Channel -> connections, connection -> channels, user -> connections. Registration is a
synchronous call (like an ETS table: trio is single-threaded); delivery goes through the
mailbox so the request path never waits on fan-out. An event arrives already encoded:
the same bytes go to every subscriber's bounded outbox, and a connection whose outbox is
full is closed (1013), never allowed to slow the others.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import count
from typing import TypeVar
from uuid import UUID

import structlog
import trio

from community.actors.mailbox import Mailbox

log = structlog.get_logger("community.actors.ws_manager")
_ids = count(1)
K = TypeVar("K")

CLOSE_GOING_AWAY = 1001
CLOSE_SERVICE_RESTART = 1012
CLOSE_TRY_AGAIN_LATER = 1013


@dataclass(eq=False)
class Connection:
    """One live socket as the registry sees it; the socket's writer drains `outbox`."""

    user_id: UUID
    org_id: UUID
    outbox: trio.MemorySendChannel[bytes]
    id: int = field(default_factory=lambda: next(_ids))
    channels: set[str] = field(default_factory=set)
    close_code: int | None = None
    close_reason: str = ""
    closed: trio.Event = field(default_factory=trio.Event)

    def close_soon(self, code: int, reason: str) -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
            self.closed.set()


@dataclass(frozen=True)
class Deliver:
    channel: str
    data: bytes
    exclude_user: UUID | None = None


class WsManager:
    def __init__(self, mailbox_size: int = 10_000) -> None:
        self.mailbox: Mailbox[Deliver] = Mailbox("ws_manager", mailbox_size)
        self._by_channel: defaultdict[str, set[Connection]] = defaultdict(set)
        self._by_user: defaultdict[UUID, set[Connection]] = defaultdict(set)
        self._connections: set[Connection] = set()
        self.delivered = 0

    def register(self, conn: Connection, channels: list[str]) -> None:
        self._connections.add(conn)
        self._by_user[conn.user_id].add(conn)
        for channel in channels:
            self.subscribe(conn, channel)

    def unregister(self, conn: Connection) -> None:
        self._connections.discard(conn)
        for channel in list(conn.channels):
            self.unsubscribe(conn, channel)
        _discard(self._by_user, conn.user_id, conn)

    def subscribe(self, conn: Connection, channel: str) -> None:
        conn.channels.add(channel)
        self._by_channel[channel].add(conn)

    def unsubscribe(self, conn: Connection, channel: str) -> None:
        conn.channels.discard(channel)
        _discard(self._by_channel, channel, conn)

    def connections(self) -> frozenset[Connection]:
        return frozenset(self._connections)

    def user_connections(self, user_id: UUID) -> frozenset[Connection]:
        return frozenset(self._by_user.get(user_id, ()))

    def subscribers(self, channel: str) -> frozenset[Connection]:
        return frozenset(self._by_channel.get(channel, ()))

    def deliver_nowait(self, message: Deliver) -> None:
        """Fan out now, from the caller's task; same bytes to every subscriber."""
        for conn in tuple(self._by_channel.get(message.channel, ())):
            if message.exclude_user is not None and conn.user_id == message.exclude_user:
                continue
            try:
                conn.outbox.send_nowait(message.data)
            except trio.WouldBlock:
                log.warning("ws.slow_consumer_closed", connection=conn.id, user_id=str(conn.user_id))
                conn.close_soon(CLOSE_TRY_AGAIN_LATER, "client fell too far behind")
                self.unregister(conn)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                self.unregister(conn)
            else:
                self.delivered += 1

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
