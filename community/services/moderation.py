"""Moderation: flags into a queue (scoped to a moderator's forums), resolve them, read the log."""

from __future__ import annotations

import uuid
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from community.db.pool import Conn, Database
from community.db.queries import forums, moderation, posts
from community.db.queries.moderation import FlagRow
from community.db.queries.posts import PostRow
from community.domain.cursors import encode_cursor, next_cursor, seq_cursor, time_cursor
from community.domain.errors import ConflictError, ForbiddenError, NotFoundError
from community.domain.events import Channel, EventType
from community.domain.input import Body
from community.domain.permissions import Perm, Role
from community.domain.principal import OrgMember
from community.handles import Publisher
from community.services.forums import moderates_forum
from community.services.members import UpdateMemberBody, check_update_in
from community.services.posts import access_live_post, access_post, delete_post_in
from community.services.unit import Unit, unit_of_work
from community.services.views import flag_view, log_entry_view, post_row_view

_NO_FLAG = "No such flag."


class FlagBody(Body):
    reason: str = Field(min_length=1, max_length=1000)


class ResolveBody(Body):
    action: Literal["hide", "delete", "dismiss"]
    note: str | None = Field(default=None, max_length=1000)


class SuspendBody(Body):
    reason: str | None = Field(default=None, max_length=1000)
    suspend: bool = True


async def check_flag_post(db: Database, publisher: Publisher, member: OrgMember, post_id: UUID,
                          data: FlagBody) -> dict[str, Any]:
    """Anyone who sees a live post and may flag flags it once."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        post = await access_live_post(unit.conn, member, post_id)
        member.require(Perm.FLAG)
        return await do_flag_post(unit, member, post, data.reason)


async def do_flag_post(unit: Unit, member: OrgMember, post: PostRow, reason: str) -> dict[str, Any]:
    flag_id = uuid.uuid4()
    if not await moderation.insert_flag(unit.conn, flag_id=flag_id, org_id=member.org_id, post_id=post.id,
                                        forum_id=post.forum_id, reporter_id=member.user_id, reason=reason):
        raise ConflictError("You have already flagged this post.")
    return flag_view(await access_flag(unit.conn, member, flag_id))


async def access_flag(conn: Conn, member: OrgMember, flag_id: UUID) -> FlagRow:
    """The only loader of a flag for a caller: missing, and outside the forums the caller moderates
    (or their own flag, for the one who just filed it), are the same 404."""
    flag = await moderation.get_flag(conn, member.org_id, flag_id)
    if flag is None or not (flag.reporter_id == member.user_id
                            or await moderates_forum(conn, member, list(flag.forum_path))):
        raise NotFoundError(_NO_FLAG)
    return flag


async def _scope(conn: Any, member: OrgMember) -> list[UUID] | None:
    """The forums a moderator covers, or None for the whole org."""
    member.require(Perm.MODERATE)
    if member.at_least(Role.ADMIN) or member.user_id is None:
        return None
    return await forums.assigned_forums(conn, member.org_id, member.user_id) or None


async def list_flags(db: Database, member: OrgMember, *, status: str, cursor: str | None,
                     limit: int) -> dict[str, Any]:
    after = time_cursor(cursor)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        scope = await _scope(conn, member)
        found = await moderation.list_flags(conn, member.org_id, status=status, scope=scope,
                                            after=after,
                                            limit=limit + 1)
    page = found[:limit]
    key = (page[-1].created_at, page[-1].id) if page else None
    return {"flags": [{**flag_view(f), "content": f.content} for f in page],
            "next_cursor": next_cursor(found, limit, key)}


async def check_resolve_flag(db: Database, publisher: Publisher, member: OrgMember, flag_id: UUID,
                             data: ResolveBody) -> dict[str, Any]:
    """Moderators resolve open flags in the forums they moderate."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        member.require(Perm.MODERATE)
        flag = await access_flag(unit.conn, member, flag_id)
        if flag.reporter_id == member.user_id and not await moderates_forum(unit.conn, member,
                                                                            list(flag.forum_path)):
            raise NotFoundError(_NO_FLAG)  # their own flag outside the forums they moderate is not theirs to resolve
        if flag.status != "open":
            raise ConflictError("This flag is already resolved.")
        post = await access_post(unit.conn, member, flag.post_id)
        return await do_resolve_flag(unit, member, flag, post, action=data.action, note=data.note)


async def do_resolve_flag(unit: Unit, member: OrgMember, flag: FlagRow, post: PostRow, *, action: str,
                          note: str | None) -> dict[str, Any]:
    if action == "dismiss":
        await moderation.resolve_flag(unit.conn, member.org_id, flag.id, status="dismissed", resolution="dismiss",
                                      resolved_by=member.user_id)
    else:
        await moderation.resolve_post_flags(unit.conn, member.org_id, post.id, resolution=action,
                                            resolved_by=member.user_id)
        if action == "hide":
            await posts.set_hidden(unit.conn, member.org_id, post.id, True)
            hidden = await access_post(unit.conn, member, post.id)
            await unit.record(Channel.topic(post.topic_id), EventType.POST_UPDATED,
                              {"post": {**post_row_view(hidden), "my_reactions": []}, "topic_id": post.topic_id,
                               "forum_id": post.forum_id, "mentions": [], "reply_to_user_id": None})
        else:
            await delete_post_in(unit, member, post)
    await moderation.append_log(unit.conn, member.org_id, actor_id=member.user_id, action=f"flag_{action}",
                                target_type="post", target_id=post.id,
                                details={"flag_id": flag.id, "reason": flag.reason, "note": note})
    return flag_view(await access_flag(unit.conn, member, flag.id))


async def check_suspend_member(db: Database, publisher: Publisher, member: OrgMember, user_id: UUID,
                               data: SuspendBody) -> dict[str, Any]:
    """Suspend (or reinstate) from the moderation screen: the member rules apply, and it is logged in
    the same unit of work as the change."""
    member.require(Perm.SUSPEND_MEMBERS)
    changes = UpdateMemberBody(status="suspended" if data.suspend else "active")
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        view = await check_update_in(unit, member, user_id, changes)
        await moderation.append_log(unit.conn, member.org_id, actor_id=member.user_id,
                                    action="suspend_member" if data.suspend else "reinstate_member",
                                    target_type="member", target_id=user_id, details={"reason": data.reason})
    return view


async def list_log(db: Database, member: OrgMember, *, cursor: str | None, limit: int) -> dict[str, Any]:
    if not member.can(Perm.VIEW_MODERATION_LOG):
        raise ForbiddenError("Only admins read the moderation log.")
    before = seq_cursor(cursor)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        found = await moderation.list_log(conn, member.org_id, before=before, limit=limit + 1)
    page = found[:limit]
    cursor_out = encode_cursor([page[-1].id]) if len(found) > limit and page else None
    return {"entries": [log_entry_view(e) for e in page], "next_cursor": cursor_out}
