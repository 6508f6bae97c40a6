"""Reading like a forum regular: read positions, unread counts, "new" topics, last visits.

A member's position in a topic is the last post they read, in the topic's reading order; it only
moves forward and lives in the database, so it follows them across devices and nodes. Callers
without a membership (a public org's readers) have no position: nothing is unread or new to them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from community.db.pool import Database
from community.db.queries import reads
from community.domain.errors import NotFoundError
from community.domain.principal import OrgMember
from community.services.topics import access_topic, read_view
from community.services.unit import Unit

_NOT_FOUND = "No such topic."


def _reader(member: OrgMember) -> UUID | None:
    return member.user_id if member.is_member else None


async def check_mark_read(db: Database, member: OrgMember, topic_id: UUID, post_id: UUID) -> dict[str, Any]:
    """A member, in a topic they can see, up to one of its posts."""
    user_id = _reader(member)
    if user_id is None:
        raise NotFoundError(_NOT_FOUND)
    async with db.transaction(org_id=member.org_id, user_id=user_id) as conn:
        await access_topic(conn, member, topic_id)
        # Read positions publish nothing: a unit with no publisher behind it, committed with the transaction.
        return await do_mark_read(Unit(conn=conn, org_id=member.org_id, actor_id=user_id), user_id, topic_id,
                                  post_id)


async def do_mark_read(unit: Unit, user_id: UUID, topic_id: UUID, post_id: UUID) -> dict[str, Any]:
    """The position only moves forward; a post of another topic is a 404."""
    assert unit.org_id is not None
    if not await reads.advance_read(unit.conn, unit.org_id, user_id, topic_id, post_id):
        raise NotFoundError("No such post in this topic.")
    await reads.touch_visit(unit.conn, unit.org_id, user_id)
    state = (await reads.read_states(unit.conn, unit.org_id, user_id, [topic_id]))[topic_id]
    return {"topic_id": topic_id, **read_view(state)}


async def check_visit(db: Database, member: OrgMember) -> dict[str, Any]:
    """The app calls this when it opens the org: `last_visit_at` is where the previous visit ended."""
    user_id = _reader(member)
    if user_id is None:
        raise NotFoundError("No such organization.")
    async with db.transaction(org_id=member.org_id, user_id=user_id) as conn:
        return await do_visit(Unit(conn=conn, org_id=member.org_id, actor_id=user_id), user_id)


async def do_visit(unit: Unit, user_id: UUID) -> dict[str, Any]:
    assert unit.org_id is not None
    visit = await reads.touch_visit(unit.conn, unit.org_id, user_id)
    return {"last_visit_at": visit.previous_visit_at, "last_seen_at": visit.last_seen_at}
