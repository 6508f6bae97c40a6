"""Attachments of posts and messages: a download for whoever may read the post or the message."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from community.db.pool import Database
from community.db.queries import files as q
from community.domain.errors import NotFoundError
from community.domain.files import IMAGE_TYPES
from community.domain.principal import OrgMember
from community.handles import FileStore
from community.services.conversations import access_conversation
from community.services.files import signed_url
from community.services.forums import moderates
from community.services.posts import access_post

_NOT_FOUND = "No such attachment."


async def do_download_attachment(db: Database, store: FileStore, member: OrgMember, upload_id: UUID, *,
                                 thumbnail: bool = False) -> tuple[str, datetime]:
    """A URL valid five minutes, for a reader of the post (live, not hidden) or a participant."""
    if not member.is_member:
        raise NotFoundError(_NOT_FOUND)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        found = await q.get_attachment(conn, member.org_id, upload_id)
        if found is None:
            raise NotFoundError(_NOT_FOUND)
        try:
            if found["post_id"] is not None:
                post = await access_post(conn, member, found["post_id"])
                if post["deleted_at"] is not None or (post["is_hidden"] and not moderates(member,
                                                                                          post["in_mod_scope"])):
                    raise NotFoundError(_NOT_FOUND)
            else:
                await access_conversation(conn, member, found["conversation_id"])
        except NotFoundError:
            raise NotFoundError(_NOT_FOUND) from None
    if thumbnail and found["thumbnail_key"]:
        return await signed_url(store.storage, found["thumbnail_key"], file_name="thumbnail.webp",
                                content_type="image/webp")
    if thumbnail and found["content_type"] not in IMAGE_TYPES:
        raise NotFoundError("This attachment is not an image, so it has no thumbnail.")
    # An image whose thumbnail the files worker has not made yet shows as it is meanwhile.
    return await signed_url(store.storage, found["storage_key"], file_name=found["file_name"],
                            content_type=found["content_type"])
