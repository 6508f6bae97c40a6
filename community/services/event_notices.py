"""Notifications about events, written in the writer's own transaction.

Unlike mentions (written by the notifier after commit), these are part of the change itself:
the cancellation, the promotion off the waitlist and the reminder commit together with the
notifications they owe, so a crash can neither lose one nor send one twice. Frames go out
after commit.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from community.db.pool import Conn
from community.db.queries import notifications as q
from community.domain.events import Activity, Channel, dumps
from community.handles import Realtime
from community.services.views import notification_view

_TITLE = 300
_EXCERPT = 300


async def write_notices(conn: Conn, activity: Activity, user_ids: list[UUID], *, kind: str, title: str,
                        excerpt: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    people = [u for u in dict.fromkeys(user_ids) if u != activity.actor_id]
    if not people:
        return []
    # Written as the notifier writes them, in the org's context without a user (a person may
    # read only their own notifications), then the writer's context is restored.
    # (A failed insert aborts the transaction: nothing to restore then.)
    await conn.set_context(org_id=activity.org_id, user_id=None)
    written = await q.insert_notifications(conn, org_id=activity.org_id, user_ids=people, kind=kind,
                                           activity_seq=activity.seq, actor_id=activity.actor_id,
                                           subject_type="event", subject_id=_uuid(data.get("event_id")),
                                           title=title[:_TITLE], excerpt=excerpt[:_EXCERPT], data=data)
    await conn.set_context(org_id=activity.org_id, user_id=activity.actor_id)
    return written


def publish_notices(realtime: Realtime, written: list[dict[str, Any]]) -> None:
    for row in written:
        channel = Channel.user(row["user_id"])
        realtime.publish_frame(channel, dumps({"type": "notification", "channel": channel,
                                               "notification": notification_view(row)}))


def _uuid(value: object) -> UUID | None:
    return value if isinstance(value, UUID) else UUID(str(value)) if value else None
