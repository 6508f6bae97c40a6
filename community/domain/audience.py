"""Who may see an activity event, and what of it: the one rule for live delivery, resume,
notifications and the dashboard, the same rule REST applies to the objects the event is about.

* Forum-bound events (forums, topics, posts, reactions, announcements) go to those whose
  forum rank reaches the forum's `view_rank` as it is when the event is delivered (a forum
  made private, or a topic moved into one, stops reaching those who can no longer read it).
* Member events go to those who may list members (`members.read`), and to the member concerned.
* Presence goes to those who may list members; the organization itself to everyone who may read it.
* `user:` events reach that user only; conversation events the participants (their
  subscriptions are checked and dropped on removal).
* Other events name their audience with `min_rank` (calendar events: 0 public, 1 members);
  anything else on `org:` reaches members from `member` up (guests and non-members are not
  told of what no rule admits to them; a feature whose events guests may see adds its rule here).

Replays apply `Current`: what the event refers to as it is now. A topic or forum that is
gone takes its events with it (their deletion events stay, as ids); a post deleted or hidden
since is replayed as REST shows it now, blank.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from community.domain.events import Activity, ChannelKind, EventType
from community.domain.permissions import RANK, Perm, Role, has_permission

OWNER_RANK = RANK[Role.OWNER]
_MEMBER_EVENTS = frozenset({EventType.MEMBER_JOINED, EventType.MEMBER_LEFT, EventType.MEMBER_ROLE_CHANGED,
                            EventType.MEMBER_STATUS_CHANGED})
_EVENT_EVENTS = frozenset({EventType.EVENT_CREATED, EventType.EVENT_UPDATED, EventType.EVENT_CANCELLED,
                           EventType.EVENT_DELETED})
_DELETIONS = frozenset({EventType.FORUM_DELETED, EventType.TOPIC_DELETED, EventType.POST_DELETED})
# Events whose delivery can change who may read a forum or topic channel.
REVISIBILITY = frozenset({EventType.FORUM_UPDATED, EventType.FORUM_DELETED, EventType.TOPIC_MOVED})
# A forum's rank is read after these (the event is judged with the forum as it now is).
FORUM_CHANGES = frozenset({EventType.FORUM_CREATED, EventType.FORUM_UPDATED})


def forum_rank(role: Role | None, overrides: Mapping[str, Any] | None = None) -> int:
    """The rank compared with a forum's view_rank: -1 for non-members, all for forum managers."""
    if role is None:
        return -1
    if has_permission(role, Perm.MANAGE_FORUMS, overrides):
        return OWNER_RANK
    return RANK[role]


@dataclass(frozen=True, slots=True)
class Viewer:
    """One recipient as the rule sees them, from their membership as it is now."""

    user_id: UUID | None
    rank: int
    is_member: bool
    lists_members: bool
    since: datetime | None = None  # replays start here (the connection's opening, for non-members)

    @classmethod
    def of(cls, user_id: UUID | None, role: Role | None, overrides: Mapping[str, Any] | None = None,
           since: datetime | None = None) -> Viewer:
        lists = role is not None and has_permission(role, Perm.LIST_MEMBERS, overrides)
        return cls(user_id, forum_rank(role, overrides), role is not None, lists, since)


@dataclass(frozen=True, slots=True)
class Audience:
    """Who an event is for; `admits` is all a fan-out asks per recipient."""

    min_rank: int | None = None
    members_only: bool = True
    lists_members: bool = False
    users: frozenset[UUID] = frozenset()
    only_users: bool = False

    def admits(self, viewer: Viewer | None) -> bool:
        if viewer is None:
            return False
        if viewer.user_id is not None and viewer.user_id in self.users:
            return True
        if self.only_users or (self.members_only and not viewer.is_member):
            return False
        if self.lists_members and not viewer.lists_members:
            return False
        return self.min_rank is None or viewer.rank >= self.min_rank

    def to_wire(self) -> dict[str, Any]:
        """For the cluster bus (ephemeral frames carry their audience to the other nodes)."""
        return {"r": self.min_rank, "m": self.members_only, "l": self.lists_members,
                "u": sorted(str(u) for u in self.users), "o": self.only_users}

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Audience:
        return cls(min_rank=wire.get("r"), members_only=bool(wire.get("m", True)), lists_members=bool(wire.get("l")),
                   users=frozenset(UUID(u) for u in wire.get("u") or ()), only_users=bool(wire.get("o")))


EVERYONE = Audience(members_only=False)
PARTICIPANTS = Audience()  # conversations: their subscriptions are the check
MEMBERS = Audience(min_rank=RANK[Role.MEMBER])  # not guests
MEMBER_LISTERS = Audience(lists_members=True)


@dataclass(frozen=True)
class Current:
    """What events refer to, as it is now. Live delivery knows only forum ranks (the payload was
    written a moment ago); a replay also knows where each topic is now and which posts went blank."""

    forum_ranks: Mapping[UUID, int]
    topic_forums: Mapping[UUID, UUID] | None = None
    deleted_posts: frozenset[UUID] = frozenset()
    hidden_posts: frozenset[UUID] = frozenset()


@dataclass(frozen=True)
class Judged:
    audience: Audience
    payload: dict[str, Any] = field(default_factory=dict)


def judge(activity: Activity, current: Current) -> Judged | None:
    """The audience of an event and the payload they get; None when no one may see it now."""
    kind, payload = activity.channel.kind, activity.payload
    if kind is ChannelKind.USER:
        return Judged(Audience(users=frozenset({activity.channel.id}), only_users=True), payload)
    if kind is ChannelKind.CONVERSATION:
        return Judged(PARTICIPANTS, payload)
    if activity.type in _MEMBER_EVENTS:
        subject = member_subject(activity)
        return Judged(Audience(lists_members=True, users=frozenset({subject}) if subject else frozenset()), payload)
    if activity.type is EventType.ORGANIZATION_UPDATED:
        return Judged(EVERYONE, payload)
    if activity.type in _EVENT_EVENTS:
        # A public event is for everyone who may read the org (as REST shows it); else members up.
        return Judged(EVERYONE if int(payload.get("min_rank", 1)) <= 0 else MEMBERS, payload)
    forum_id = _forum_of(activity, current)
    if forum_id is None:
        if _is_forum_bound(activity):
            return None  # its topic is gone: nothing of it is shown any more
        if "min_rank" in payload:  # the writer says who may see it (events: 0 public, 1 members)
            named = int(payload["min_rank"] or 0)
            return Judged(EVERYONE if named <= 0 else Audience(min_rank=named), payload)
        return Judged(MEMBERS, payload)
    rank = current.forum_ranks.get(forum_id)
    if rank is None:
        if activity.type not in _DELETIONS:
            return None  # the forum is gone
        # Gone: its rank as it was deleted, if the event says; else those who see every forum.
        rank = int(payload.get("min_rank", OWNER_RANK))
    rank = max(rank, int(payload.get("min_rank") or 0))
    return Judged(Audience(min_rank=rank), _as_now(payload, current))


def member_subject(activity: Activity) -> UUID | None:
    payload = activity.payload
    raw = payload.get("user_id") or (payload.get("membership") or {}).get("user", {}).get("id")
    return UUID(str(raw)) if raw else None


def referenced(activity: Activity) -> tuple[UUID | None, UUID | None, UUID | None]:
    """The forum, topic and post an event is about (ids, as far as its payload names them)."""
    payload = activity.payload
    post, topic, forum = (_object(payload, key) for key in ("post", "topic", "forum"))
    forum_id = payload.get("forum_id") or topic.get("forum_id") or forum.get("id")
    topic_id = payload.get("topic_id") or post.get("topic_id") or topic.get("id")
    if activity.channel.kind is ChannelKind.TOPIC:
        topic_id = topic_id or activity.channel.id
    if activity.channel.kind is ChannelKind.FORUM:
        forum_id = forum_id or activity.channel.id
    post_id = payload.get("post_id") or post.get("id")
    return _uuid(forum_id), _uuid(topic_id), _uuid(post_id)


def _is_forum_bound(activity: Activity) -> bool:
    forum_id, topic_id, _ = referenced(activity)
    return forum_id is not None or topic_id is not None


def _forum_of(activity: Activity, current: Current) -> UUID | None:
    forum_id, topic_id, _ = referenced(activity)
    if topic_id is not None and current.topic_forums is not None and activity.type is not EventType.TOPIC_DELETED:
        return current.topic_forums.get(topic_id)  # where the topic is now (None: it is gone)
    return forum_id


def _as_now(payload: dict[str, Any], current: Current) -> dict[str, Any]:
    post = payload.get("post")
    if not isinstance(post, dict) or not post.get("id"):
        return payload
    post_id = _uuid(post["id"])
    if post_id in current.deleted_posts:
        post = {**post, "content": "", "html": "", "reactions": {}, "author": None, "is_deleted": True}
    elif post_id in current.hidden_posts:
        post = {**post, "content": "", "html": "", "reactions": {}, "is_hidden": True}
    else:
        return payload
    return {**payload, "post": post}


def _object(payload: dict[str, Any], key: str) -> dict[str, Any]:
    value = payload.get(key)
    return value if isinstance(value, dict) else {}


def _uuid(value: object) -> UUID | None:
    if isinstance(value, UUID) or not value:
        return value if isinstance(value, UUID) else None
    try:
        return UUID(str(value))
    except ValueError:
        return None
