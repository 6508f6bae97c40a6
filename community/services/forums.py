"""Forums: the tree, who sees which forum, who moderates where; create, read, update, delete.

Visibility: a forum is seen by a caller whose role rank is at least the forum's
`view_rank` (the highest `required_role` of a private forum on its path), so a
sub-forum of a private forum is as private as its parent. Admins see every forum.
Non-visible forums answer the same 404 as missing ones.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from pydantic import Field

from community.db.pool import CONTEXT_ORG, Conn, Database, Query, UniqueViolation
from community.db.queries import forums, reads, topics
from community.db.queries.forums import ForumRow
from community.domain.audience import forum_rank
from community.domain.cursors import next_cursor, pinned_cursor
from community.domain.errors import ConflictError, NotFoundError, ValidationFailedError
from community.domain.events import Channel, EventType
from community.domain.input import Body
from community.domain.permissions import Perm, Role
from community.domain.principal import OrgMember
from community.domain.slugs import slugify, with_suffix
from community.handles import Publisher
from community.services.unit import Unit, unit_of_work
from community.services.views import forum_view, topic_view

MAX_DEPTH = 3
_NOT_FOUND = "No such forum."


class CreateForumBody(Body):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=5000)
    parent_id: UUID | None = None
    is_private: bool = False
    required_role: Role = Role.MEMBER
    sort_order: int = Field(default=0, ge=-1_000_000, le=1_000_000)


class UpdateForumBody(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=5000)
    parent_id: UUID | None = None
    is_private: bool | None = None
    required_role: Role | None = None
    sort_order: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)


def viewer_rank(member: OrgMember) -> int:
    """The rank compared with a forum's view_rank: -1 for non-members, everything for forum managers."""
    return forum_rank(member.role, member.overrides)  # the one rule realtime delivery follows too


def can_see(member: OrgMember, view_rank: int) -> bool:
    return view_rank <= viewer_rank(member)


def moderates(member: OrgMember, in_scope: bool) -> bool:
    """Admins moderate everywhere; moderators where their assignments (if any) reach."""
    if member.at_least(Role.ADMIN):
        return True
    return member.can(Perm.MODERATE) and in_scope


async def moderates_forum(conn: Conn, member: OrgMember, forum_path: list[UUID]) -> bool:
    if member.at_least(Role.ADMIN) or not member.can(Perm.MODERATE) or member.user_id is None:
        return moderates(member, False)
    assigned = await forums.assigned_forums(conn, member.org_id, member.user_id)
    return not assigned or bool(set(assigned) & set(forum_path))


async def access_forum(conn: Conn, member: OrgMember, forum_id: UUID, *, for_update: bool = False) -> ForumRow:
    """The only loader of a forum: missing and not visible to the caller are the same 404."""
    return _visible(member, await forums.get_forum(conn, member.org_id, forum_id, for_update=for_update))


def forum_in_context(forum_id: UUID) -> Query:
    """What `access_forum` loads, as a part of a one-statement read (`Database.read_in_context`)."""
    return forums.get_forum_query(CONTEXT_ORG, forum_id)


def access_forum_row(member: OrgMember, found: dict[str, Any] | None) -> ForumRow:
    """`access_forum`'s rule on the row `forum_in_context` read in the caller's own statement."""
    return _visible(member, ForumRow.from_record(found) if found is not None else None)


def _visible(member: OrgMember, forum: ForumRow | None) -> ForumRow:
    if forum is None or not can_see(member, forum.view_rank):
        raise NotFoundError(_NOT_FOUND)
    return forum


async def read_forum_view(db: Database, member: OrgMember, forum_id: UUID) -> dict[str, Any]:
    """The forum as the API shows it, if the caller may see it (realtime subscriptions use this)."""
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        return forum_view(await access_forum(conn, member, forum_id))


async def list_forums(db: Database, member: OrgMember) -> dict[str, Any]:
    member.require(Perm.READ_PUBLIC)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        found = await forums.list_visible_forums(conn, member.org_id, viewer_rank(member))
    return {"forums": forum_tree(found)}


def forum_tree(found: list[ForumRow]) -> list[dict[str, Any]]:
    """Nest sub-forums under `children`; rows come parents first."""
    views: dict[UUID, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for forum in found:
        view = {**forum_view(forum), "children": []}
        views[forum.id] = view
        parent = views.get(forum.parent_id) if forum.parent_id else None
        (parent["children"] if parent else roots).append(view)
    return roots


async def read_forum(db: Database, member: OrgMember, forum_id: UUID, *, tag: str | None,
                     cursor: str | None, limit: int) -> dict[str, Any]:
    before = pinned_cursor(cursor)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        forum = await access_forum(conn, member, forum_id)
        found = await topics.list_forum_topics(conn, member.org_id, forum_id, tag=tag,
                                               before=before,
                                               limit=limit + 1)
        page = found[:limit]
        states: dict[UUID, dict[str, Any]] = {}
        visit = None
        if member.is_member and member.user_id is not None:
            states = await reads.read_states(conn, member.org_id, member.user_id, [t["id"] for t in page])
            visit = await reads.get_visit(conn, member.org_id, member.user_id)
    key = (page[-1]["is_pinned"], page[-1]["last_activity_at"], page[-1]["id"]) if page else None
    return {"forum": forum_view(forum), "topics": [_with_read(topic_view(t, full=False), states.get(t["id"]))
                                                   for t in page],
            "next_cursor": next_cursor(found, limit, key), "last_visit_at": reads.previous_visit(visit)}


def _with_read(topic: dict[str, Any], state: dict[str, Any] | None) -> dict[str, Any]:
    """`unread_count`: posts after the reader's position (all when never opened); `is_new`: never
    opened. Readers without a membership have no position: nothing is unread or new to them."""
    last = state["last_read_post_id"] if state else None
    topic.update(last_read_post_id=last, is_new=state is not None and last is None,
                 unread_count=state["unread_count"] if state else 0)
    return topic


async def check_create_forum(db: Database, publisher: Publisher, member: OrgMember, data: CreateForumBody) -> dict[
        str, Any]:
    """Forum managers create; a parent must be a forum they see, the new one at most MAX_DEPTH deep."""
    member.require(Perm.MANAGE_FORUMS)
    forum_id = uuid.uuid4()
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        path = [forum_id]
        if data.parent_id is not None:
            path = [*(await _parent(unit.conn, member, data.parent_id)).path, forum_id]
            _check_depth(len(path))
        return await do_create_forum(unit, member, data, forum_id=forum_id, path=path)


async def do_create_forum(unit: Unit, member: OrgMember, data: CreateForumBody, *, forum_id: UUID,
                          path: list[UUID]) -> dict[str, Any]:
    slug = await _free_slug(unit.conn, member.org_id, data.name)
    try:
        await forums.insert_forum(
            unit.conn, forum_id=forum_id, org_id=member.org_id, name=data.name, description=data.description,
            slug=slug, parent_id=data.parent_id, is_private=data.is_private, required_role=data.required_role,
            sort_order=data.sort_order, path=path)
    except UniqueViolation:  # a concurrent create took the slug between the check and the insert
        raise ConflictError(f"The slug {slug!r} was just taken; try again.", field="name") from None
    await forums.refresh_view_rank(unit.conn, member.org_id, forum_id)
    view = forum_view(await access_forum(unit.conn, member, forum_id))
    await unit.record(Channel.org(member.org_id), EventType.FORUM_CREATED, {"forum": view, "forum_id": forum_id})
    return view


async def check_update_forum(db: Database, publisher: Publisher, member: OrgMember, forum_id: UUID,
                             changes: UpdateForumBody) -> dict[str, Any]:
    """Forum managers edit; a new parent must be a forum they see, outside the forum's own subtree,
    and the moved subtree stays at most MAX_DEPTH deep."""
    member.require(Perm.MANAGE_FORUMS)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await access_forum(unit.conn, member, forum_id, for_update=True)
        parent_path = None
        if "parent_id" in changes.model_fields_set:
            parent_path = await _check_parent(unit.conn, member, forum_id, changes.parent_id)
        return await do_update_forum(unit, member, forum_id, changes, parent_path=parent_path)


async def do_update_forum(unit: Unit, member: OrgMember, forum_id: UUID, changes: UpdateForumBody, *,
                          parent_path: list[UUID] | None) -> dict[str, Any]:
    """`parent_path`: where the forum moves (None: it stays)."""
    await forums.update_forum(unit.conn, member.org_id, forum_id, changes.model_dump(exclude_unset=True))
    if parent_path is not None:
        await forums.move_subtree(unit.conn, member.org_id, forum_id, parent_path=parent_path,
                                  parent_id=changes.parent_id)
    await forums.refresh_view_rank(unit.conn, member.org_id, forum_id)
    view = forum_view(await access_forum(unit.conn, member, forum_id))
    await unit.record(Channel.org(member.org_id), EventType.FORUM_UPDATED, {"forum": view, "forum_id": forum_id})
    return view


async def check_delete_forum(db: Database, publisher: Publisher, member: OrgMember, forum_id: UUID) -> None:
    member.require(Perm.MANAGE_FORUMS)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await do_delete_forum(unit, member, await access_forum(unit.conn, member, forum_id, for_update=True))


async def do_delete_forum(unit: Unit, member: OrgMember, forum: ForumRow) -> None:
    await forums.delete_forum(unit.conn, member.org_id, forum.id)
    # Who could see it: once it is gone, its rank is known only from here (replays use it).
    await unit.record(Channel.org(member.org_id), EventType.FORUM_DELETED,
                      {"forum_id": forum.id, "min_rank": forum.view_rank})


async def _parent(conn: Conn, member: OrgMember, parent_id: UUID) -> ForumRow:
    try:
        return await access_forum(conn, member, parent_id)
    except NotFoundError:
        raise _invalid("parent_id", "no such forum") from None


async def _check_parent(conn: Conn, member: OrgMember, forum_id: UUID, parent_id: UUID | None) -> list[UUID]:
    """The new parent's path ([] for the top level)."""
    parent_path: list[UUID] = []
    if parent_id is not None:
        parent_path = list((await _parent(conn, member, parent_id)).path)
        if forum_id in parent_path:
            raise _invalid("parent_id", "a forum cannot be placed under itself or its sub-forums")
    _check_depth(len(parent_path) + await forums.subtree_height(conn, member.org_id, forum_id))
    return parent_path


def _check_depth(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _invalid("parent_id", f"forums nest at most {MAX_DEPTH} levels deep")


def _invalid(field: str, msg: str) -> ValidationFailedError:
    return ValidationFailedError(f"{field}: {msg}", [{"loc": ["body", field], "msg": msg}])


async def _free_slug(conn: Conn, org_id: UUID, name: str) -> str:
    base = slugify(name) or "forum"
    candidate, n = base, 1
    while await forums.slug_taken(conn, org_id, candidate):
        n += 1
        candidate = with_suffix(base, n)
    return candidate
