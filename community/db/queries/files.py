"""Uploads, each org's storage account, and the files worker's queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Record, row
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class UploadRow(Row):
    """An upload as stored: `pending` until a feature claims it (`registered`); `thumbnail_key`,
    `width` and `height` once the files worker (or the logo flow) has re-encoded an image."""

    id: UUID
    org_id: UUID
    user_id: UUID | None
    purpose: str
    storage_key: str
    file_name: str
    content_type: str
    size: int
    status: str
    expires_at: datetime
    thumbnail_key: str | None
    width: int | None
    height: int | None
    created_at: datetime
    registered_at: datetime | None


@dataclass(frozen=True, slots=True)
class AttachmentRow(Row):
    """An attachment with where it hangs (a post, or a message and its conversation) and its upload's keys."""

    upload_id: UUID
    post_id: UUID | None
    message_id: UUID | None
    conversation_id: UUID | None
    storage_key: str
    file_name: str
    content_type: str
    thumbnail_key: str | None


def _upload(found: Record | None) -> UploadRow | None:
    return UploadRow.from_record(found) if found is not None else None


_UPLOAD_COLUMNS = ("id, org_id, user_id, purpose, storage_key, file_name, content_type, size, status, expires_at, "
                   "thumbnail_key, width, height, created_at, registered_at")
_OPEN_ACCOUNT = "INSERT INTO org_storage (org_id) VALUES ($1) ON CONFLICT (org_id) DO NOTHING"
# One statement: under READ COMMITTED a concurrent reservation is re-checked against the row it
# committed, so two uploads can never both squeeze under the quota.
_RESERVE = """
UPDATE org_storage SET used_bytes = used_bytes + $2
WHERE org_id = $1 AND used_bytes + $2 <= coalesce(limit_bytes, $3)
RETURNING used_bytes
"""
_ACCOUNT = "SELECT used_bytes, limit_bytes FROM org_storage WHERE org_id = $1"
_SET_LIMIT = """
INSERT INTO org_storage (org_id, limit_bytes) VALUES ($1, $2)
ON CONFLICT (org_id) DO UPDATE SET limit_bytes = excluded.limit_bytes
"""
_INSERT_UPLOAD = f"""
INSERT INTO uploads (id, org_id, user_id, purpose, storage_key, file_name, content_type, size, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING {_UPLOAD_COLUMNS}
"""  # noqa: S608 - constant column list
_GET_UPLOAD = f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE org_id = $1 AND id = $2"  # noqa: S608
_GET_UPLOAD_BY_KEY = f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE org_id = $1 AND storage_key = $2"  # noqa: S608
_REGISTER = f"""
UPDATE uploads SET status = 'registered', registered_at = now()
WHERE org_id = $1 AND id = $2 AND status = 'pending'
RETURNING {_UPLOAD_COLUMNS}
"""  # noqa: S608
_DELETE_UPLOAD = "DELETE FROM uploads WHERE org_id = $1 AND id = $2"

_PENDING_ORGS = "SELECT files_pending_orgs($1, $2) AS org_id"
_CLAIM_DELETIONS = """
SELECT id, storage_key FROM storage_deletions WHERE org_id = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
"""
_DONE_DELETIONS = "DELETE FROM storage_deletions WHERE org_id = $1 AND id = ANY($2::bigint[])"
_CLAIM_STALE = f"""
SELECT {_UPLOAD_COLUMNS} FROM uploads
WHERE org_id = $1 AND status = 'pending' AND created_at < $2
ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED
"""  # noqa: S608
_DELETE_UPLOADS = "DELETE FROM uploads WHERE org_id = $1 AND id = ANY($2::uuid[])"
_CLAIM_IMAGES = f"""
SELECT {_UPLOAD_COLUMNS} FROM uploads
WHERE org_id = $1 AND status = 'registered' AND thumbnail_key IS NULL AND width IS NULL
  AND content_type = ANY($2::text[])
ORDER BY registered_at LIMIT $3 FOR UPDATE SKIP LOCKED
"""  # noqa: S608
_INSERT_ATTACHMENT = """
INSERT INTO attachments (org_id, upload_id, post_id, message_id, position) VALUES ($1, $2, $3, $4, $5)
"""
_POST_ATTACHMENTS = "UPDATE posts SET attachments = $3 WHERE org_id = $1 AND id = $2"
_MESSAGE_ATTACHMENTS = "UPDATE messages SET attachments = $3 WHERE org_id = $1 AND id = $2"
_GET_ATTACHMENT = """
SELECT a.upload_id, a.post_id, a.message_id, m.conversation_id, up.storage_key, up.file_name, up.content_type,
       up.thumbnail_key
FROM attachments a
JOIN uploads up ON up.org_id = a.org_id AND up.id = a.upload_id
LEFT JOIN messages m ON m.org_id = a.org_id AND m.id = a.message_id
WHERE a.org_id = $1 AND a.upload_id = $2
"""
_SET_THUMBNAIL = "UPDATE uploads SET thumbnail_key = $3, width = $4, height = $5 WHERE org_id = $1 AND id = $2"


async def reserve_storage(conn: Conn, org_id: UUID, size: int, quota: int) -> int | None:
    """Add `size` to the org's used bytes if that stays within its quota: the new total, or None."""
    await conn.execute(_OPEN_ACCOUNT, org_id)
    used = await conn.fetchval(_RESERVE, org_id, size, quota)
    return int(used) if used is not None else None


async def storage_account(conn: Conn, org_id: UUID) -> tuple[int, int | None]:
    found = await conn.fetchrow(_ACCOUNT, org_id)
    return (int(found["used_bytes"]), found["limit_bytes"]) if found else (0, None)


async def set_storage_limit(conn: Conn, org_id: UUID, limit_bytes: int | None) -> None:
    await conn.execute(_SET_LIMIT, org_id, limit_bytes)


async def insert_upload(conn: Conn, *, upload_id: UUID, org_id: UUID, user_id: UUID | None, purpose: str,
                        storage_key: str, file_name: str, content_type: str, size: int,
                        expires_at: datetime) -> UploadRow:
    created = await conn.fetchrow(_INSERT_UPLOAD, upload_id, org_id, user_id, purpose, storage_key, file_name,
                                  content_type, size, expires_at)
    assert created is not None
    return UploadRow.from_record(created)


async def get_upload(conn: Conn, org_id: UUID, upload_id: UUID) -> UploadRow | None:
    return _upload(await conn.fetchrow(_GET_UPLOAD, org_id, upload_id))


async def get_upload_by_key(conn: Conn, org_id: UUID, key: str) -> UploadRow | None:
    return _upload(await conn.fetchrow(_GET_UPLOAD_BY_KEY, org_id, key))


async def mark_registered(conn: Conn, org_id: UUID, upload_id: UUID) -> UploadRow | None:
    """The upload, now registered; None when it was registered already (a concurrent claim won)."""
    return _upload(await conn.fetchrow(_REGISTER, org_id, upload_id))


async def delete_upload(conn: Conn, org_id: UUID, upload_id: UUID) -> None:
    await conn.execute(_DELETE_UPLOAD, org_id, upload_id)


async def pending_orgs(conn: Conn, stale_before: datetime, n: int) -> list[UUID]:
    return [r["org_id"] for r in await conn.fetch(_PENDING_ORGS, stale_before, n)]


async def claim_deletions(conn: Conn, org_id: UUID, n: int) -> list[tuple[int, str]]:
    return [(r["id"], r["storage_key"]) for r in await conn.fetch(_CLAIM_DELETIONS, org_id, n)]


async def finish_deletions(conn: Conn, org_id: UUID, ids: list[int]) -> None:
    await conn.execute(_DONE_DELETIONS, org_id, ids)


async def claim_stale_uploads(conn: Conn, org_id: UUID, before: datetime, n: int) -> list[UploadRow]:
    return UploadRow.from_records(await conn.fetch(_CLAIM_STALE, org_id, before, n))


async def delete_uploads(conn: Conn, org_id: UUID, ids: list[UUID]) -> None:
    await conn.execute(_DELETE_UPLOADS, org_id, ids)


async def claim_images(conn: Conn, org_id: UUID, types: list[str], n: int) -> list[UploadRow]:
    return UploadRow.from_records(await conn.fetch(_CLAIM_IMAGES, org_id, types, n))


async def set_thumbnail(conn: Conn, org_id: UUID, upload_id: UUID, key: str | None, width: int,
                        height: int) -> None:
    await conn.execute(_SET_THUMBNAIL, org_id, upload_id, key, width, height)


async def insert_attachments(conn: Conn, org_id: UUID, upload_ids: list[UUID], *, post_id: UUID | None = None,
                             message_id: UUID | None = None) -> None:
    await conn.executemany(_INSERT_ATTACHMENT, [(org_id, u, post_id, message_id, i) for i, u in enumerate(upload_ids)])


async def set_post_attachments(conn: Conn, org_id: UUID, post_id: UUID, listed: list[dict[str, Any]]) -> None:
    await conn.execute(_POST_ATTACHMENTS, org_id, post_id, listed)


async def set_message_attachments(conn: Conn, org_id: UUID, message_id: UUID, listed: list[dict[str, Any]]) -> None:
    await conn.execute(_MESSAGE_ATTACHMENTS, org_id, message_id, listed)


async def get_attachment(conn: Conn, org_id: UUID, upload_id: UUID) -> AttachmentRow | None:
    found = await conn.fetchrow(_GET_ATTACHMENT, org_id, upload_id)
    return AttachmentRow.from_record(found) if found is not None else None


_PUBLIC_IMAGE = "SELECT storage_key, content_type, thumbnail_key FROM public_image($1)"


async def public_image(conn: Conn, upload_id: UUID) -> dict[str, Any] | None:
    return row(await conn.fetchrow(_PUBLIC_IMAGE, upload_id))
