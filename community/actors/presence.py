"""presence: who is online, across nodes — rows per (node, org, user), debounced transitions."""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any
from uuid import UUID

import trio

from community.actors.cluster_bus import ClusterBus
from community.actors.outage import ride_out
from community.actors.ws_manager import RealtimeSettings
from community.db.pool import Database
from community.db.queries import notifications as q
from community.domain.audience import MEMBER_LISTERS
from community.domain.events import Channel, dumps
from community.domain.principal import OrgMember


class Presence:
    """Who is online: rows per (node, org, user) in the database; debounced transitions."""

    def __init__(self, db: Database, node_id: UUID, settings: RealtimeSettings, bus: ClusterBus) -> None:
        self.db, self.node_id, self.settings, self.bus = db, node_id, settings, bus
        self._local: defaultdict[tuple[UUID, UUID], int] = defaultdict(int)
        self._announced: dict[tuple[UUID, UUID], bool] = {}
        self._dirty: set[tuple[UUID, UUID]] = set()
        self._wake = trio.Event()

    async def joined(self, member: OrgMember) -> None:
        key = (member.org_id, _user(member))
        self._local[key] += 1
        if self._local[key] == 1:
            async with self.db.transaction(org_id=key[0], invalidates=False) as conn:
                if key not in self._announced:
                    self._announced[key] = bool(await q.list_online(conn, key[0], self.settings.presence_stale,
                                                                    key[1]))
                await q.presence_join(conn, self.node_id, *key)
            self._mark(key)

    async def left(self, member: OrgMember) -> None:
        key = (member.org_id, _user(member))
        self._local[key] -= 1
        if self._local[key] <= 0:
            del self._local[key]
            with trio.CancelScope(shield=True), trio.move_on_after(5):
                async with self.db.transaction(org_id=key[0], invalidates=False) as conn:
                    await q.presence_leave(conn, self.node_id, *key)
            self._mark(key)

    def _mark(self, key: tuple[UUID, UUID]) -> None:
        self._dirty.add(key)
        self._wake.set()

    async def online(self, org_id: UUID) -> list[dict[str, Any]]:
        async with self.db.transaction(org_id=org_id, invalidates=False) as conn:
            found = await q.list_online(conn, org_id, self.settings.presence_stale)
        return [{"user": {"id": r["user_id"], "display_name": r["display_name"]}, "since": r["connected_at"]}
                for r in found]

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._heartbeat)
            task_status.started()
            while True:
                await self._wake.wait()
                self._wake = trio.Event()
                await trio.sleep(self.settings.presence_debounce)
                dirty, self._dirty = self._dirty, set()
                for key in dirty:
                    await ride_out("presence", partial(self._announce, key))

    async def _heartbeat(self) -> None:
        while True:
            await ride_out("presence", self._beat)
            await trio.sleep(self.settings.presence_stale.total_seconds() / 3)

    async def _beat(self) -> None:
        async with self.db.transaction(invalidates=False) as conn:
            await q.presence_heartbeat(conn, self.node_id)

    async def _announce(self, key: tuple[UUID, UUID]) -> None:
        org_id, user_id = key
        async with self.db.transaction(org_id=org_id, invalidates=False) as conn:
            rows = await q.list_online(conn, org_id, self.settings.presence_stale, user_id)
        online = bool(rows)
        if self._announced.get(key) == online:
            return
        self._announced[key] = online
        if not online and key not in self._local:
            del self._announced[key]
        channel = Channel.org(org_id)
        frame = {"type": "presence", "channel": channel, "user_id": user_id,
                 "status": "online" if online else "offline"}
        # Who is online is part of the member list: those who may list members see it (REST too).
        self.bus.publish_frame(channel, dumps(frame), audience=MEMBER_LISTERS)


def _user(member: OrgMember) -> UUID:
    assert member.user_id is not None
    return member.user_id
