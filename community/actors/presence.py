"""presence: who is online, across nodes — rows per (node, org, user), coalesced per tick, bounded fan-out.

Who is online is part of the member list: REST shows it (`GET /presence`) to those who may list
members, and so does the socket, to those of them who need it:

* sockets subscribed to `presence:<org>` (a screen that shows the org's online list: the member
  list, a topic's authors, the conversation list) get every change, and the whole list when they
  subscribe (`snapshot`);
* every other socket gets the changes of the people it shares a conversation with (on `org:<id>`),
  and those of them online when it connects (`snapshot`).

A member who shares nothing with X and watches no online list never hears of X. Connects and
disconnects within one tick (`presence_debounce`) are written in one statement per org and go out
as one frame per recipient, whatever their number; other nodes hear the tick's changes over the
cluster bus and fan them out to their own sockets the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any
from uuid import UUID

import trio

from community.actors.cluster_bus import ClusterBus
from community.actors.outage import ride_out
from community.actors.ws_manager import Connection, Deliver, RealtimeSettings
from community.db.pool import Conn, Database
from community.db.queries import notifications as q
from community.domain.audience import MEMBER_LISTERS
from community.domain.events import Channel, dumps
from community.domain.principal import OrgMember

Change = dict[str, Any]  # {"user_id", "user_name", "status": "online" | "offline"}


def presence_frame(channel: Channel, users: list[Change], *, snapshot: bool = False) -> str:
    """One frame for any number of changes (`users`); a single change also keeps its fields at the top."""
    frame: dict[str, Any] = {"type": "presence", "channel": channel, "users": users}
    if snapshot:
        frame["snapshot"] = True
    elif len(users) == 1:
        frame.update(users[0])
    return dumps(frame)


class Presence:
    """Who is online: rows per (node, org, user) in the database; one tick coalesces the transitions."""

    def __init__(self, db: Database, node_id: UUID, settings: RealtimeSettings, bus: ClusterBus) -> None:
        self.db, self.node_id, self.settings, self.bus = db, node_id, settings, bus
        self._local: defaultdict[tuple[UUID, UUID], int] = defaultdict(int)
        self._joined: set[Connection] = set()
        self._announced: dict[tuple[UUID, UUID], bool] = {}
        self._dirty: set[tuple[UUID, UUID]] = set()
        self._fresh: defaultdict[UUID, set[Connection]] = defaultdict(set)  # org -> sockets owed a snapshot
        self._remote: defaultdict[UUID, dict[str, Change]] = defaultdict(dict)  # org -> other nodes' changes
        self._wake = trio.Event()
        self.frames = 0  # presence frames written to sockets (tests, benches)

    async def joined(self, member: OrgMember, conn: Connection) -> None:
        key = (member.org_id, _user(member))
        self._joined.add(conn)
        self._local[key] += 1
        if self._local[key] == 1:
            self._mark(key)
        if MEMBER_LISTERS.admits(conn.viewer):
            self._fresh[key[0]].add(conn)
            self._wake.set()

    async def left(self, member: OrgMember, conn: Connection) -> None:
        """A socket ended (one that never joined, failing before, counts for nothing)."""
        if conn not in self._joined:
            return
        self._joined.discard(conn)
        key = (member.org_id, _user(member))
        self._fresh.get(key[0], set()).discard(conn)
        self._local[key] -= 1
        if self._local[key] <= 0:
            del self._local[key]
            self._mark(key)

    def _mark(self, key: tuple[UUID, UUID]) -> None:
        self._dirty.add(key)
        self._wake.set()

    def heard(self, org_id: UUID, changes: list[Change]) -> None:
        """Another node's tick changed these (the cluster bus calls it); fanned out at our next tick."""
        if self.bus.registry.org_connections(org_id):
            for change in changes:
                self._remote[org_id][str(change["user_id"])] = change
            self._wake.set()

    async def online(self, org_id: UUID) -> list[dict[str, Any]]:
        async with self.db.transaction(org_id=org_id, invalidates=False) as conn:
            found = await q.list_online(conn, org_id, self.settings.presence_stale)
        return [{"user": {"id": r["user_id"], "display_name": r["display_name"]}, "since": r["connected_at"]}
                for r in found]

    async def snapshot(self, org_id: UUID) -> str:
        """The frame a `presence:<org>` subscriber starts from: who is online now, as REST answers."""
        users = [{"user_id": o["user"]["id"], "user_name": o["user"]["display_name"], "status": "online"}
                 for o in await self.online(org_id)]
        return presence_frame(Channel.presence(org_id), users, snapshot=True)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._hear)
            task_status.started()
            while True:
                await self._wake.wait()
                self._wake = trio.Event()
                await trio.sleep(self.settings.presence_debounce)
                dirty, self._dirty = self._dirty, set()
                fresh, self._fresh = self._fresh, defaultdict(set)
                remote, self._remote = self._remote, defaultdict(dict)
                users: defaultdict[UUID, list[UUID]] = defaultdict(list)
                for org_id, user_id in dirty:
                    users[org_id].append(user_id)
                for org_id in {*users, *fresh, *remote}:
                    await ride_out("presence", partial(self._tick, org_id, sorted(users.get(org_id, [])),
                                                       fresh.get(org_id, set()), remote.get(org_id, {})))

    async def _hear(self) -> None:
        async for org_id, changes in self.bus.presence.receive:
            self.heard(org_id, changes)

    async def _tick(self, org_id: UUID, users: list[UUID], fresh: set[Connection],
                    remote: dict[str, Change]) -> None:
        """One org's tick: write this node's comings and goings, announce the transitions, fan out."""
        came = [u for u in users if (org_id, u) in self._local]
        went = [u for u in users if (org_id, u) not in self._local]
        registry = self.bus.registry
        async with self.db.transaction(org_id=org_id, invalidates=False) as conn:
            found = await q.presence_tick(conn, self.node_id, org_id, came, went,
                                          self.settings.presence_stale) if users else []
            ours: dict[str, Change] = {}
            for row in found:
                key, online = (org_id, row["user_id"]), bool(row["online"])
                if self._announced.get(key) != online:
                    ours[str(row["user_id"])] = {"user_id": row["user_id"], "user_name": row["display_name"],
                                                 "status": "online" if online else "offline"}
                self._announced[key] = online
                if not online and key not in self._local:
                    del self._announced[key]
            fresh = {c for c in fresh if c.close_code is None and c in registry.org_connections(org_id)}
            changes = list({**remote, **ours}.values())
            sends = await self._fan_out(conn, org_id, changes, skip=fresh)
            sends += await self._snapshots(conn, org_id, fresh)
        for send in sends:  # after commit: what a frame says, REST already answers
            send()
        if ours:
            self.bus.publish_presence(org_id, list(ours.values()))

    async def _fan_out(self, conn: Conn, org_id: UUID, changes: list[Change], *,
                       skip: set[Connection]) -> list[Callable[[], None]]:
        """The changes to those who watch the org's online list (one frame for all of them) and to
        everyone else who shares a conversation with a changed person (one frame each)."""
        if not changes:
            return []
        registry, channel = self.bus.registry, Channel.presence(org_id)
        watchers = registry.subscribers(channel)
        message = Deliver(channel, presence_frame(channel, changes), audience=MEMBER_LISTERS)
        sends: list[Callable[[], None]] = [partial(self._to_watchers, message)]
        others = [c for c in registry.org_connections(org_id)
                  if c not in watchers and c not in skip and MEMBER_LISTERS.admits(c.viewer)]
        if not others:
            return sends
        by_id = {str(c["user_id"]): c for c in changes}
        pairs = await q.conversation_peers(conn, org_id, [UUID(u) for u in by_id], sorted({c.user_id for c in others}))
        seen: defaultdict[UUID, list[Change]] = defaultdict(list)
        for subject, viewer in pairs:
            seen[viewer].append(by_id[str(subject)])
        return [*sends, partial(self._send_each, org_id, others, seen, snapshot=False)]

    def _to_watchers(self, message: Deliver) -> None:
        before = self.bus.registry.delivered
        self.bus.registry.deliver_nowait(message)
        self.frames += self.bus.registry.delivered - before

    async def _snapshots(self, conn: Conn, org_id: UUID, fresh: set[Connection]) -> list[Callable[[], None]]:
        """A socket that just connected: the people it shares a conversation with who are online now."""
        fresh = {c for c in fresh if Channel.presence(org_id) not in c.channels}  # they had the whole list
        if not fresh:
            return []
        viewers = sorted({c.user_id for c in fresh})
        online = {r["user_id"]: r for r in await q.list_online(conn, org_id, self.settings.presence_stale)}
        if not online:
            return []
        pairs = await q.conversation_peers(conn, org_id, sorted(online), viewers)
        seen: defaultdict[UUID, list[Change]] = defaultdict(list)
        for subject, viewer in pairs:
            row = online[subject]
            seen[viewer].append({"user_id": subject, "user_name": row["display_name"], "status": "online"})
        return [partial(self._send_each, org_id, list(fresh), seen, snapshot=True)]

    def _send_each(self, org_id: UUID, conns: list[Connection], seen: dict[UUID, list[Change]], *,
                   snapshot: bool) -> None:
        registry, frames = self.bus.registry, dict[UUID, str]()
        for c in conns:
            changes = seen.get(c.user_id)
            if not changes or c.close_code is not None:
                continue
            data = frames.get(c.user_id)
            if data is None:
                data = frames[c.user_id] = presence_frame(Channel.org(org_id), sorted(changes, key=_by_user),
                                                          snapshot=snapshot)
            if registry.send_to(c, data):
                self.frames += 1


def _by_user(change: Change) -> str:
    return str(change["user_id"])


def _user(member: OrgMember) -> UUID:
    assert member.user_id is not None
    return member.user_id
