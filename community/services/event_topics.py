"""An event's discussion topic, opened with the event (`create_topic`).

The topic goes in the forum the creator names (`topic_forum_id`), else in the first forum
whose readers match the event's: a public event's topic in a forum guests can read, a
members-only event's in one they cannot. Either way the creator must be able to post there.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from community.db.queries import forums, topics
from community.db.queries.forums import ForumRow
from community.domain.errors import ValidationFailedError
from community.domain.events import Channel, EventType
from community.domain.markdown import excerpt
from community.domain.permissions import RANK, Perm, Role
from community.domain.principal import OrgMember
from community.domain.slugs import slugify, with_suffix
from community.services.forums import access_forum, viewer_rank
from community.services.topics import access_topic, check_content
from community.services.unit import Unit
from community.services.views import topic_row_view

_MEMBER = RANK[Role.MEMBER]


def _refuse(msg: str) -> ValidationFailedError:
    return ValidationFailedError(msg, [{"loc": ["body", "create_topic"], "msg": msg}])


async def _choose_forum(unit: Unit, member: OrgMember, event: dict[str, Any], forum_id: UUID | None) -> ForumRow:
    wanted = 0 if event["is_public"] else _MEMBER
    if forum_id is not None:
        forum = await access_forum(unit.conn, member, forum_id, for_update=True)
        if not event["is_public"] and forum.view_rank < _MEMBER:
            raise _refuse("a members-only event's discussion cannot go in a forum guests can read")
        return forum
    visible = await forums.list_visible_forums(unit.conn, member.org_id, viewer_rank(member))
    for forum in visible:
        if forum.view_rank == wanted:
            return await access_forum(unit.conn, member, forum.id, for_update=True)
    raise _refuse("no forum to hold the discussion: create one, or give topic_forum_id")


async def open_topic(unit: Unit, member: OrgMember, event: dict[str, Any], forum_id: UUID | None) -> UUID:
    member.require(Perm.CREATE_TOPIC)
    forum = await _choose_forum(unit, member, event, forum_id)
    link = f"/{member.org['slug']}/events/{event['id']}"
    content = f"Discussion of the event **{event['title']}** ([event page]({link})).\n\n{event['description']}"
    topic_id = uuid.uuid4()
    base = slugify(event["title"]) or "event"
    slug, n = base, 1
    while await topics.slug_taken(unit.conn, member.org_id, forum.id, slug):  # the forum row is locked
        n += 1
        slug = with_suffix(base, n)
    created = await topics.insert_topic(
        unit.conn, topic_id=topic_id, org_id=member.org_id, forum_id=forum.id, title=event["title"], slug=slug,
        content=content, html=check_content(content), author_id=member.user_id, tags=["event"],
        is_announcement=False, excerpt=excerpt(content))
    await forums.bump_counters(unit.conn, member.org_id, forum.id, topics=1, at=created)
    view = topic_row_view(await access_topic(unit.conn, member, topic_id))
    await unit.record(Channel.forum(forum.id), EventType.TOPIC_CREATED,
                      {"topic": view, "forum_id": forum.id, "mentions": []})
    return topic_id
