"""notifier: committed activity in -> this node's sockets, in id order, with nothing lost.

The activity log is the truth and the mailbox only a fast path. The notifier keeps, per org
with sockets on this node, the last event id it delivered (`cursors`, kept on the handle so a
restart resumes where the crashed incarnation stopped). An event that is not the next id, a
NOTIFY from another node, or a periodic sweep makes it read the gap from the log.

The cluster bus (`actors/cluster_bus.py`) hears other nodes' commits and calls `head_nowait`.
Notifications are not written here: the notification writer reads its own queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from uuid import UUID

import structlog
import trio

from community.actors.mailbox import Mailbox
from community.actors.outage import ride_out
from community.actors.ws_manager import Connection, Deliver, WsManager
from community.db.pool import Database
from community.db.queries import audience as now
from community.db.queries.notifications import list_org_activity_after, org_event_head_once, org_event_heads
from community.domain.audience import FORUM_CHANGES, REVISIBILITY, Audience, Current, Viewer, judge
from community.domain.events import Activity, Channel, ChannelKind, EventType, dumps
from community.domain.permissions import Role
from community.realtime.protocol import CLOSE_MEMBERSHIP_REVOKED

log = structlog.get_logger("community.actors.notifier")


@dataclass(frozen=True)
class Head:
    """Another node (or this one's trigger) says the org's log reached `seq`."""

    org_id: UUID
    seq: int


@dataclass(frozen=True)
class Sweep:
    """Compare every tracked org's cursor with the log's head."""


Message = Activity | Head | Sweep


class Notifier:
    def __init__(self, ws_manager: WsManager, db: Database, *, mailbox_size: int = 10_000,
                 sweep_interval: float = 2.0, batch: int = 500) -> None:
        self.ws_manager, self.db = ws_manager, db
        self.mailbox: Mailbox[Message] = Mailbox("notifier", mailbox_size)
        self.cursors: dict[UUID, int] = {}
        # Per org with sockets here: forum -> view_rank, a cache of the forums table that the
        # activity stream invalidates (every forum change is an event this notifier handles).
        self.forum_ranks: dict[UUID, dict[UUID, int]] = {}
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
        """Start following an org (a socket joined it); answers the log's head (one statement)."""
        head = await org_event_head_once(self.db, org_id)
        self.cursors.setdefault(org_id, head)
        return head

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._tick)
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
                return  # nobody here to deliver to
            cursor = self.cursors[message.org_id] = message.seq - 1
        if cursor is None or message.seq <= cursor:
            return
        if isinstance(message, Activity) and message.seq == cursor + 1:
            await self._process(message)
        else:
            await self._catch_up(message.org_id)

    async def _sweep(self) -> None:
        live = set(self.ws_manager.orgs())
        for org_id in [o for o in self.cursors if o not in live]:
            del self.cursors[org_id]
        for org_id in [o for o in self.forum_ranks if o not in live]:
            del self.forum_ranks[org_id]
        if not self.cursors:
            return
        async with self.db.transaction(read_only=True) as conn:
            heads = await org_event_heads(conn, list(self.cursors))
        for org_id, head in heads.items():
            if head > self.cursors.get(org_id, head):
                await self._catch_up(org_id)

    async def _catch_up(self, org_id: UUID) -> None:
        while (cursor := self.cursors.get(org_id)) is not None:
            async with self.db.transaction(org_id=org_id, read_only=True) as conn:
                missed = await list_org_activity_after(conn, org_id, cursor, self.batch)
            for activity in missed:
                await self._process(activity)
            self.caught_up += len(missed)
            if len(missed) < self.batch:
                return

    async def _process(self, activity: Activity) -> None:
        org_id = activity.org_id
        if self.ws_manager.org_connections(org_id):
            if activity.type in FORUM_CHANGES:
                self.forum_ranks.pop(org_id, None)  # judged with the forum as it is now
            # Who may see it, decided now by the one rule (domain/audience.py) REST follows too.
            judged = judge(activity, Current(forum_ranks=await self._ranks(org_id)))
            if activity.type in REVISIBILITY:
                self.forum_ranks.pop(org_id, None)
                await self._drop_unseen(org_id)
            if judged is not None:
                data = dumps({"type": activity.type, "id": activity.seq, "channel": activity.channel,
                              **judged.payload})
                self.ws_manager.deliver_nowait(Deliver(activity.channel, data, seq=activity.seq,
                                                       audience=judged.audience))
            if activity.type is EventType.RESOURCE_CREATED:
                self._to_readers(activity)
        if org_id in self.cursors:
            self.cursors[org_id] = activity.seq
        self._revoke(activity)
        self.published += 1

    async def _ranks(self, org_id: UUID) -> dict[UUID, int]:
        ranks = self.forum_ranks.get(org_id)
        if ranks is None:
            async with self.db.transaction(org_id=org_id, read_only=True) as conn:
                ranks = self.forum_ranks[org_id] = await now.forum_ranks(conn, org_id)
        return ranks

    async def _drop_unseen(self, org_id: UUID) -> None:
        """A forum changed privacy (or went), or a topic moved: subscriptions follow what each may read now."""
        conns = self.ws_manager.org_connections(org_id)
        topics = sorted({ch.id for c in conns for ch in c.channels | c.may_type if ch.kind is ChannelKind.TOPIC})
        async with self.db.transaction(org_id=org_id, read_only=True) as conn:
            where = await now.topic_forums(conn, org_id, topics)
        ranks = await self._ranks(org_id)

        def visible(conn: Connection, channel: Channel) -> bool:
            forum_id = channel.id if channel.kind is ChannelKind.FORUM else where.get(channel.id)
            rank = ranks.get(forum_id) if forum_id is not None else None
            return rank is not None and conn.viewer is not None and conn.viewer.rank >= rank

        self.ws_manager.drop_unseen(org_id, visible, "not_visible")

    def _to_readers(self, activity: Activity) -> None:
        """`resource_created` is logged on a channel nobody subscribes to: each member with a socket
        here who may read the resource (its `min_rank`, as REST checks it) gets it on their own channel."""
        audience = Audience(min_rank=int(activity.payload.get("min_rank") or 0))
        readers = {c.user_id for c in self.ws_manager.org_connections(activity.org_id) if audience.admits(c.viewer)}
        for user_id in sorted(readers):
            channel = Channel.user(user_id)
            frame = {"type": activity.type, "channel": channel, "resource": activity.payload["resource"]}
            self.ws_manager.deliver_nowait(Deliver(channel, dumps(frame)))

    def _revoke(self, activity: Activity) -> None:
        user_id = revoked_user(activity)
        if user_id is not None:
            self.ws_manager.close_member(activity.org_id, user_id, CLOSE_MEMBERSHIP_REVOKED, "membership revoked")
        if activity.type is EventType.MEMBER_ROLE_CHANGED:
            # Forum and topic subscriptions were checked against the old role: drop them; the
            # client resubscribes and each channel is checked again like a REST read.
            membership = activity.payload["membership"]
            changed = UUID(str(membership["user"]["id"]))
            self.ws_manager.update_viewer(activity.org_id, changed, Viewer.of(
                changed, Role(membership["role"]), membership.get("permissions") or {}))
            self.ws_manager.drop_content_channels(activity.org_id, changed, "role_changed")
        if activity.type is EventType.PARTICIPANT_REMOVED:
            # On every node: a removed participant's sockets anywhere stop receiving the conversation.
            removed = UUID(str(activity.payload["user_id"]))
            self.ws_manager.remove_from_channel(activity.org_id, removed, activity.channel, "removed")


def revoked_user(activity: Activity) -> UUID | None:
    """Whose membership this event ends (left, removed or suspended), if any."""
    payload = activity.payload
    if activity.type is EventType.MEMBER_LEFT:
        return UUID(str(payload["user_id"]))
    if activity.type is EventType.MEMBER_STATUS_CHANGED and payload.get("membership", {}).get("status") == "suspended":
        return UUID(str(payload["membership"]["user"]["id"]))
    return None
