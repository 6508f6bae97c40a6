"""Query strings, shared bodies and the answers of the routes (pydantic at the edge).

A body a service takes is declared beside that service (`services/<area>.py`, on
`domain/input.Body`), so the use case's signature names it.

Bodies forbid unknown fields (`extra="forbid"`). Answers (`Answer`) describe exactly what a
route sends: `/openapi.json` is generated from them, and with `VALIDATE_RESPONSES` on every
answer is checked against its model, unknown fields included.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from community.domain.cursors import DEFAULT_LIMIT, MAX_LIMIT
from community.domain.input import Body as Body
from community.domain.input import Text as Text
from community.domain.permissions import Role


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=500, pattern=r"^[A-Za-z0-9_-]*$", json_schema_extra={
        "format": "cursor", "description": "Opaque: the `next_cursor` of the previous page"})


class Answer(BaseModel):
    """An answer's shape: every field it carries, and nothing else."""

    model_config = ConfigDict(extra="forbid")


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str | None = None


class Problem(BaseModel):
    """An error (RFC 9457 problem details); `code` is the stable machine name of its class."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    code: str
    detail: str
    errors: list[FieldError] | None = None


Cursor = str | None
MemberStatus = Literal["active", "pending", "suspended", "removed"]


class UserRef(Answer):
    id: UUID
    display_name: str
    avatar_url: str | None


class PersonRef(Answer):
    id: UUID
    display_name: str


class OrgRef(Answer):
    id: UUID
    slug: str
    name: str


class Organization(Answer):
    id: UUID
    name: str
    slug: str
    description: str | None
    logo_url: str | None
    custom_domain: str | None
    branding: dict[str, Any]
    subscription_tier: str
    member_limit: int | None
    current_member_count: int
    is_public: bool
    settings: dict[str, Any]
    created_at: datetime


class OrganizationAnswer(Answer):
    organization: Organization


class StorageAccount(Answer):
    """Bytes stored (and reserved by uploads in flight) against the quota of the org's tier (or its own)."""

    used_bytes: int
    limit_bytes: int


class OrganizationDetail(Organization):
    storage: StorageAccount | None  # members only


class OrganizationDetailAnswer(Answer):
    organization: OrganizationDetail


class FileAttachment(Answer):
    """An upload attached to a post or a message: `GET /api/orgs/{org}/attachments/{id}` fetches it."""

    id: UUID
    file_name: str
    content_type: str
    size: int
    is_image: bool


class Member(Answer):
    user: UserRef
    role: Role
    status: MemberStatus
    joined_at: datetime
    permissions: dict[str, bool]


class Membership(Member):
    organization: OrgRef


class MembershipAnswer(Answer):
    membership: Membership


class Forum(Answer):
    id: UUID
    name: str
    slug: str
    description: str | None
    parent_id: UUID | None
    is_private: bool
    required_role: Role
    sort_order: int
    topic_count: int
    post_count: int
    last_post_at: datetime | None
    created_at: datetime
    updated_at: datetime
    depth: int


class ForumNode(Forum):
    """A forum with its sub-forums."""

    children: list[ForumNode]


class ForumAnswer(Answer):
    forum: Forum


class TopicBase(Answer):
    id: UUID
    forum_id: UUID
    title: str
    slug: str
    tags: list[str]
    is_pinned: bool
    is_locked: bool
    is_announcement: bool
    view_count: int
    reply_count: int
    last_reply_at: datetime | None
    last_reply_by: UUID | None
    last_activity_at: datetime
    solution_post_id: UUID | None
    edit_count: int
    last_edited_at: datetime | None
    created_at: datetime
    author: UserRef | None


class TopicSummary(TopicBase):
    """A topic in a list: the stored excerpt instead of the content."""

    excerpt: str


class ForumTopic(TopicSummary):
    """A topic in a forum's list with the reader's state: `unread_count` posts after their read
    position (all of them when never opened), `is_new` never opened. Zero/false without a membership."""

    unread_count: int
    is_new: bool
    last_read_post_id: UUID | None


class TopicReadPosition(Answer):
    """The caller's position in a topic. `unread_cursor` as `?cursor=` opens the topic at the first unread post."""

    last_read_post_id: UUID | None
    first_unread_post_id: UUID | None
    unread_count: int
    unread_cursor: str | None


class Topic(TopicBase):
    content: str
    html: str


class TopicAnswer(Answer):
    topic: Topic


class Post(Answer):
    """A post; `html` is rendered and sanitised. Deleted posts keep their place, blank."""

    id: UUID
    topic_id: UUID
    parent_id: UUID | None
    author: UserRef | None
    content: str
    html: str
    is_solution: bool
    reactions: dict[str, int]
    my_reactions: list[str]
    edit_count: int
    created_at: datetime
    last_edited_at: datetime | None
    is_deleted: bool
    is_hidden: bool
    attachments: list[FileAttachment]


class PostAnswer(Answer):
    post: Post


class MyRegistration(Answer):
    status: Literal["going", "interested", "not_going", "waitlisted"]
    position: int | None
    checked_in_at: datetime | None


class Event(Answer):
    """One occurrence of an event (a single event has one): `id` is the series, `occurrence_id` this date.

    `meeting_url` is null for guests and anonymous readers (and, when registration is required,
    for members not going); `my_registration` is the caller's answer for this occurrence.
    """

    id: UUID
    occurrence_id: UUID
    recurrence_id: datetime
    title: str
    description: str
    html: str
    event_type: str | None
    start_time: datetime
    end_time: datetime
    series_start_time: datetime
    series_end_time: datetime
    timezone: str
    location: str | None
    meeting_url: str | None
    max_attendees: int | None
    places_left: int | None
    registration_required: bool
    is_public: bool
    recurrence: str | None
    is_recurring: bool
    status: Literal["scheduled", "cancelled"]
    cancel_reason: str | None
    attendee_count: int
    waitlist_count: int
    interested_count: int
    checked_in_count: int
    my_registration: MyRegistration | None
    can_manage: bool
    topic_id: UUID | None
    created_by: UserRef | None
    created_at: datetime
    updated_at: datetime


class Flag(Answer):
    id: UUID
    post_id: UUID
    topic_id: UUID
    forum_id: UUID
    reason: str
    status: Literal["open", "resolved", "dismissed"]
    resolution: str | None
    resolved_by: UUID | None
    resolved_at: datetime | None
    created_at: datetime
    reporter: UserRef | None


class FlagAnswer(Answer):
    flag: Flag


class User(Answer):
    """The signed-in user's own account."""

    id: UUID
    email: str
    display_name: str
    avatar_url: str | None
    created_at: datetime
    email_verified: bool


class Session(Answer):
    user: User
    token: str
