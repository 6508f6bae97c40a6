"""The objects as the API returns them (also the payloads of activity events)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from community.db.queries.forums import ForumRow
from community.db.queries.invitations import InvitationRow
from community.db.queries.members import MemberRow
from community.db.queries.messages import MessageRow
from community.db.queries.moderation import FlagRow, LogEntryRow
from community.db.queries.orgs import OrgRow
from community.db.queries.posts import PostRow
from community.db.queries.topics import TopicRow
from community.db.queries.users import UserRow


def user_view(user: UserRow) -> dict[str, Any]:
    """A user as the API returns them (never the password hash)."""
    return {"id": user.id, "email": user.email, "display_name": user.display_name, "avatar_url": user.avatar_url,
            "created_at": user.created_at, "email_verified": user.email_verified_at is not None}


def person_ref(user_id: UUID, display_name: str | None, avatar_url: str | None) -> dict[str, Any]:
    """A person as the API names them beside something they did (author, reporter, actor...)."""
    return {"id": user_id, "display_name": display_name, "avatar_url": avatar_url}


def user_ref(record: dict[str, Any], *, id_key: str = "user_id") -> dict[str, Any]:
    return person_ref(record[id_key], record["display_name"], record.get("avatar_url"))


_ORG_KEYS = ("id", "name", "slug", "description", "logo_url", "custom_domain", "branding", "subscription_tier",
             "member_limit", "current_member_count", "is_public", "settings", "created_at")


def org_view(org: OrgRow | Mapping[str, Any]) -> dict[str, Any]:
    """An org read as its row, or the caller's `OrgMember.org` (the request's context, a mapping)."""
    if isinstance(org, OrgRow):
        return {k: getattr(org, k) for k in _ORG_KEYS}
    return {k: org[k] for k in _ORG_KEYS}


def org_ref(org: OrgRow | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(org, OrgRow):
        return {"id": org.id, "slug": org.slug, "name": org.name}
    return {"id": org["id"], "slug": org["slug"], "name": org["name"]}


def member_view(member: MemberRow) -> dict[str, Any]:
    return {"user": {"id": member.user_id, "display_name": member.display_name, "avatar_url": member.avatar_url},
            "role": member.role, "status": member.status, "joined_at": member.joined_at,
            "permissions": member.permissions}


def membership_view(member: MemberRow, org: OrgRow | Mapping[str, Any]) -> dict[str, Any]:
    return {"organization": org_ref(org), **member_view(member)}


def invitation_view(inv: InvitationRow) -> dict[str, Any]:
    return {"id": inv.id, "email": inv.email, "role": inv.role, "expires_at": inv.expires_at,
            "created_at": inv.created_at, "invited_by": inv.invited_by, "status": inv.status}


def forum_view(forum: ForumRow) -> dict[str, Any]:
    return {"id": forum.id, "name": forum.name, "slug": forum.slug, "description": forum.description,
            "parent_id": forum.parent_id, "is_private": forum.is_private, "required_role": forum.required_role,
            "sort_order": forum.sort_order, "topic_count": forum.topic_count, "post_count": forum.post_count,
            "last_post_at": forum.last_post_at, "created_at": forum.created_at, "updated_at": forum.updated_at,
            "depth": len(forum.path)}


def topic_view(topic: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
    """A topic row as read (the one-statement topic page, listings); listings (`full=False`) carry the
    stored excerpt instead of the content and html."""
    keys = ("id", "forum_id", "title", "slug", "tags", "is_pinned", "is_locked", "is_announcement", "view_count",
            "reply_count", "last_reply_at", "last_reply_by", "last_activity_at", "solution_post_id", "edit_count",
            "last_edited_at", "created_at")
    view = {k: topic[k] for k in keys}
    view["author"] = user_ref(topic, id_key="author_id") if topic["author_id"] else None
    if full:
        view.update(content=topic["content"], html=topic["html"])
    else:
        view["excerpt"] = topic["excerpt"]
    return view


def topic_row_view(topic: TopicRow) -> dict[str, Any]:
    """`topic_view` of a topic loaded through `access_topic`."""
    author = ({"id": topic.author_id, "display_name": topic.display_name, "avatar_url": topic.avatar_url}
              if topic.author_id else None)
    return {"id": topic.id, "forum_id": topic.forum_id, "title": topic.title, "slug": topic.slug,
            "tags": list(topic.tags), "is_pinned": topic.is_pinned, "is_locked": topic.is_locked,
            "is_announcement": topic.is_announcement, "view_count": topic.view_count,
            "reply_count": topic.reply_count, "last_reply_at": topic.last_reply_at,
            "last_reply_by": topic.last_reply_by, "last_activity_at": topic.last_activity_at,
            "solution_post_id": topic.solution_post_id, "edit_count": topic.edit_count,
            "last_edited_at": topic.last_edited_at, "created_at": topic.created_at, "author": author,
            "content": topic.content, "html": topic.html}


def post_view(post: dict[str, Any], *, moderator: bool = False) -> dict[str, Any]:
    """A post row as read (the topic page, a reply as written). Deleted posts are placeholders; hidden
    ones are blank to everyone but moderators."""
    deleted = post["deleted_at"] is not None
    blank = deleted or (post["is_hidden"] and not moderator)
    return {"id": post["id"], "topic_id": post["topic_id"], "parent_id": post["parent_id"],
            "author": None if deleted or not post["author_id"] else user_ref(post, id_key="author_id"),
            "content": "" if blank else post["content"], "html": "" if blank else post["html"],
            "is_solution": post["is_solution"], "reactions": {} if blank else post["reactions"],
            "my_reactions": list(post["my_reactions"]), "edit_count": post["edit_count"],
            "created_at": post["created_at"], "last_edited_at": post["last_edited_at"],
            "is_deleted": deleted, "is_hidden": post["is_hidden"],
            "attachments": [] if blank else list(post.get("attachments") or [])}


def post_row_view(post: PostRow, *, moderator: bool = False) -> dict[str, Any]:
    """`post_view` of a post loaded through `access_post`."""
    deleted = post.deleted_at is not None
    blank = deleted or (post.is_hidden and not moderator)
    author = (None if deleted or not post.author_id
              else {"id": post.author_id, "display_name": post.display_name, "avatar_url": post.avatar_url})
    return {"id": post.id, "topic_id": post.topic_id, "parent_id": post.parent_id, "author": author,
            "content": "" if blank else post.content, "html": "" if blank else post.html,
            "is_solution": post.is_solution, "reactions": {} if blank else post.reactions,
            "my_reactions": list(post.my_reactions), "edit_count": post.edit_count,
            "created_at": post.created_at, "last_edited_at": post.last_edited_at,
            "is_deleted": deleted, "is_hidden": post.is_hidden,
            "attachments": [] if blank else list(post.attachments or [])}


def revision_view(revision: dict[str, Any]) -> dict[str, Any]:
    return {"id": revision["id"], "editor": user_ref(revision, id_key="editor_id") if revision["editor_id"] else None,
            "previous_content": revision["previous_content"], "edited_at": revision["edited_at"]}


def flag_view(flag: FlagRow) -> dict[str, Any]:
    reporter = person_ref(flag.reporter_id, flag.display_name, flag.avatar_url) if flag.reporter_id else None
    return {"id": flag.id, "post_id": flag.post_id, "topic_id": flag.topic_id, "forum_id": flag.forum_id,
            "reason": flag.reason, "status": flag.status, "resolution": flag.resolution,
            "resolved_by": flag.resolved_by, "resolved_at": flag.resolved_at, "created_at": flag.created_at,
            "reporter": reporter}


def log_entry_view(entry: LogEntryRow) -> dict[str, Any]:
    actor = person_ref(entry.actor_id, entry.display_name, entry.avatar_url) if entry.actor_id else None
    return {"id": entry.id, "action": entry.action, "target_type": entry.target_type, "target_id": entry.target_id,
            "details": entry.details, "created_at": entry.created_at, "actor": actor}


def conversation_view(conv: dict[str, Any], participants: list[dict[str, Any]], *,
                      viewer: bool = True) -> dict[str, Any]:
    """A conversation; `viewer=False` leaves out the caller's own read state (broadcast payloads)."""
    from community.domain.markdown import excerpt

    last = None
    if conv.get("last_message_id"):
        deleted = conv["last_deleted_at"] is not None
        last = {"id": conv["last_message_id"], "is_deleted": deleted, "created_at": conv["last_created_at"],
                "sender": {"id": conv["last_sender_id"], "display_name": conv["last_sender_name"]}
                if conv["last_sender_id"] else None,
                "excerpt": "" if deleted else excerpt(conv["last_content"], 140)}
    view = {k: conv[k] for k in ("id", "kind", "title", "owner_id", "created_at", "updated_at", "last_activity_at")}
    view["participants"] = [{"user": user_ref(p), "joined_at": p["joined_at"],
                             "last_read_message_id": p["last_read_message_id"]} for p in participants]
    view["last_message"] = last
    if viewer:
        view.update(unread_count=conv["unread_count"], last_read_message_id=conv["last_read_message_id"])
    return view


def message_view(message: dict[str, Any]) -> dict[str, Any]:
    """A message; a deleted one keeps its place (and marker) with no content."""
    deleted = message["deleted_at"] is not None
    return {"id": message["id"], "conversation_id": message["conversation_id"],
            "sender": user_ref(message, id_key="sender_id") if message["sender_id"] else None,
            "client_id": message["client_id"], "content": message["content"], "html": message["html"],
            "reactions": message["reactions"], "my_reactions": list(message["my_reactions"]),
            "edit_count": message["edit_count"], "is_edited": message["edit_count"] > 0,
            "edited_at": message["edited_at"], "is_deleted": deleted, "deleted_at": message["deleted_at"],
            "created_at": message["created_at"],
            "attachments": [] if deleted else list(message.get("attachments") or [])}


def message_row_view(message: MessageRow) -> dict[str, Any]:
    """`message_view` of a typed row (what `access_message` and the writes read). The conversation
    page and the send keep the records as read, for `message_view`: no row built per message."""
    deleted = message.deleted_at is not None
    sender = {"id": message.sender_id, "display_name": message.display_name, "avatar_url": message.avatar_url}
    return {"id": message.id, "conversation_id": message.conversation_id,
            "sender": sender if message.sender_id else None,
            "client_id": message.client_id, "content": message.content, "html": message.html,
            "reactions": message.reactions, "my_reactions": list(message.my_reactions),
            "edit_count": message.edit_count, "is_edited": message.edit_count > 0,
            "edited_at": message.edited_at, "is_deleted": deleted, "deleted_at": message.deleted_at,
            "created_at": message.created_at, "attachments": [] if deleted else list(message.attachments or [])}


def block_view(block: dict[str, Any]) -> dict[str, Any]:
    return {"user": user_ref(block, id_key="blocked_id"), "created_at": block["created_at"]}


def _actor_name(data: dict[str, Any] | None) -> str | None:
    name = (data or {}).get("actor_name")
    return str(name) if name else None


def notification_view(row: dict[str, Any], *, available: bool = True) -> dict[str, Any]:
    """A notification; one whose subject its reader may no longer see keeps only ids (REST answers 404):
    no title, excerpt or `actor_name` (who replied, mentioned, posted: null then, and when unknown)."""
    if not available:
        row = {**row, "title": "", "excerpt": "",
               "data": {k: v for k, v in (row["data"] or {}).items() if k.endswith("_id")}}
    return {"available": available, "id": row["id"], "org_id": row["org_id"], "kind": row["kind"],
            "event_id": row["activity_seq"],
            "actor_id": row["actor_id"], "actor_name": _actor_name(row["data"]) if available else None,
            "subject": {"type": row["subject_type"], "id": row["subject_id"]},
            "title": row["title"], "excerpt": row["excerpt"], "data": row["data"], "created_at": row["created_at"],
            "read_at": row["read_at"], "is_read": row["read_at"] is not None}
