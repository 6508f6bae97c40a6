"""Attachments of posts and messages: a download for whoever may read the post or the message."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from community.db.pool import Conn, Database
from community.db.queries import files as q
from community.db.queries.files import AttachmentRow
from community.domain.errors import NotFoundError
from community.domain.files import IMAGE_TYPES
from community.domain.principal import OrgMember
from community.handles import FileStore
from community.services.conversations import access_conversation
from community.services.files import signed_url
from community.services.forums import moderates
from community.services.posts import access_post

_NOT_FOUND = "No such attachment."


async def access_attachment(conn: Conn, member: OrgMember, upload_id: UUID) -> AttachmentRow:
    """The only loader of an attachment: missing, on a post the caller cannot read (deleted, hidden
    from them, in a forum they cannot see) or in a conversation they are not part of, the same 404."""
    if not member.is_member:
        raise NotFoundError(_NOT_FOUND)
    found = await q.get_attachment(conn, member.org_id, upload_id)
    if found is None:
        raise NotFoundError(_NOT_FOUND)
    try:
        if found.post_id is not None:
            post = await access_post(conn, member, found.post_id)
            if post.deleted_at is not None or (post.is_hidden and not moderates(member, post.in_mod_scope)):
                raise NotFoundError(_NOT_FOUND)
        else:
            assert found.conversation_id is not None  # not a post's: a message's (attachments' CHECK)
            await access_conversation(conn, member, found.conversation_id)
    except NotFoundError:
        raise NotFoundError(_NOT_FOUND) from None
    return found


async def read_download(db: Database, store: FileStore, member: OrgMember, upload_id: UUID, *,
                        thumbnail: bool = False) -> tuple[str, datetime]:
    """A URL valid five minutes, for a reader of the post (live, not hidden) or a participant."""
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        found = await access_attachment(conn, member, upload_id)
    if thumbnail and found.thumbnail_key:
        return await signed_url(store.storage, found.thumbnail_key, file_name="thumbnail.webp",
                                content_type="image/webp")
    if thumbnail and found.content_type not in IMAGE_TYPES:
        raise NotFoundError("This attachment is not an image, so it has no thumbnail.")
    # An image whose thumbnail the files worker has not made yet shows as it is meanwhile.
    return await signed_url(store.storage, found.storage_key, file_name=found.file_name,
                            content_type=found.content_type)
