"""The resource library: rows, the filtered and sorted listing, download counts, extracted text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn, rows
from community.db.queries import Row
from community.db.queries.files import UploadRow


@dataclass(frozen=True, slots=True)
class ResourceRow(Row):
    """A resource with its upload's storage keys and its uploader's name (`display_name`)."""

    id: UUID
    org_id: UUID
    upload_id: UUID
    title: str
    description: str | None
    file_name: str
    file_size: int
    file_type: str
    category: str | None
    tags: list[str]
    is_featured: bool
    download_count: int
    uploaded_by: UUID | None
    display_name: str | None
    required_role: str
    text_status: str
    created_at: datetime
    updated_at: datetime
    storage_key: str
    thumbnail_key: str | None
    width: int | None
    height: int | None


_COLUMNS = """r.id, r.org_id, r.upload_id, r.title, r.description, r.file_name, r.file_size, r.file_type, r.category,
r.tags, r.is_featured, r.download_count, r.uploaded_by, u.display_name, r.required_role, r.text_status,
r.created_at, r.updated_at, up.storage_key, up.thumbnail_key, up.width, up.height"""
_FROM = """FROM resources r
JOIN uploads up ON up.org_id = r.org_id AND up.id = r.upload_id
LEFT JOIN users u ON u.id = r.uploaded_by"""
_GET = f"SELECT {_COLUMNS} {_FROM} WHERE r.org_id = $1 AND r.id = $2"
_LOCK = "SELECT id FROM resources WHERE org_id = $1 AND id = $2 FOR UPDATE"
_INSERT = """
INSERT INTO resources (id, org_id, upload_id, title, description, file_name, file_size, file_type, category, tags,
                       is_featured, uploaded_by, required_role, text_status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
"""
_UPDATABLE = ("title", "description", "category", "tags", "is_featured", "required_role")
_DELETE = "DELETE FROM resources WHERE org_id = $1 AND id = $2 RETURNING upload_id"

# $1 org, $2 viewer rank, $3 category, $4 tag, $5 featured, $6/$7 cursor, $8 limit.
_FILTER = """WHERE r.org_id = $1 AND role_rank(r.required_role) <= $2
  AND ($3::text IS NULL OR r.category = $3) AND ($4::text IS NULL OR $4 = ANY(r.tags))
  AND ($5::boolean IS NULL OR r.is_featured = $5)"""
_LISTS = {
    "recent": f"""SELECT {_COLUMNS} {_FROM} {_FILTER}
  AND ($6::timestamptz IS NULL OR (r.created_at, r.id) < ($6::timestamptz, $7::uuid))
ORDER BY r.created_at DESC, r.id DESC LIMIT $8""",
    "popular": f"""SELECT {_COLUMNS} {_FROM} {_FILTER}
  AND ($6::bigint IS NULL OR (r.download_count, r.id) < ($6::bigint, $7::uuid))
ORDER BY r.download_count DESC, r.id DESC LIMIT $8""",
    "title": f"""SELECT {_COLUMNS} {_FROM} {_FILTER}
  AND ($6::text IS NULL OR (lower(r.title), r.id) > ($6::text, $7::uuid))
ORDER BY lower(r.title), r.id LIMIT $8""",
}
_COUNT_VISIBLE = "SELECT count(*) FROM resources WHERE org_id = $1 AND role_rank(required_role) <= $2"
_ADD_DOWNLOADS = """
UPDATE resources r SET download_count = r.download_count + d.n
FROM unnest($2::uuid[], $3::bigint[]) AS d(id, n) WHERE r.org_id = $1 AND r.id = d.id
"""
_ADD_DAILY = """
INSERT INTO resource_downloads_daily AS x (org_id, resource_id, day, downloads)
SELECT $1, d.id, $4, d.n FROM unnest($2::uuid[], $3::bigint[]) AS d(id, n)
WHERE EXISTS (SELECT 1 FROM resources r WHERE r.org_id = $1 AND r.id = d.id)
ON CONFLICT (org_id, resource_id, day) DO UPDATE SET downloads = x.downloads + excluded.downloads
"""
_ADD_DOWNLOADERS = """
INSERT INTO resource_downloaders_daily (org_id, day, user_id)
SELECT $1, d.day, d.user_id FROM unnest($2::date[], $3::uuid[]) AS d(day, user_id)
WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = d.user_id)
ON CONFLICT DO NOTHING
"""
_CLAIM_TEXT = f"""
SELECT {_COLUMNS} {_FROM} WHERE r.org_id = $1 AND r.text_status = 'pending'
ORDER BY r.created_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED
"""
_MEMBER_ROLES = """
SELECT user_id, role, permissions FROM memberships
WHERE org_id = $1 AND user_id = ANY($2::uuid[]) AND status = 'active'
"""
_SET_TEXT = "UPDATE resources SET content_text = $3, text_status = $4 WHERE org_id = $1 AND id = $2"


async def get_resource(conn: Conn, org_id: UUID, resource_id: UUID, *, lock: bool = False) -> ResourceRow | None:
    if lock and await conn.fetchval(_LOCK, org_id, resource_id) is None:
        return None
    record = await conn.fetchrow(_GET, org_id, resource_id)
    return ResourceRow.from_record(record) if record is not None else None


async def insert_resource(conn: Conn, *, resource_id: UUID, org_id: UUID, upload: UploadRow, title: str,
                          description: str | None, category: str | None, tags: list[str], is_featured: bool,
                          uploaded_by: UUID | None, required_role: str, text_status: str) -> None:
    await conn.execute(_INSERT, resource_id, org_id, upload.id, title, description, upload.file_name,
                       upload.size, upload.content_type, category, tags, is_featured, uploaded_by,
                       required_role, text_status)


async def update_resource(conn: Conn, org_id: UUID, resource_id: UUID, changes: dict[str, Any]) -> None:
    chosen = [c for c in _UPDATABLE if c in changes]
    if not chosen:
        return
    sets = ", ".join(f"{c} = ${i + 3}" for i, c in enumerate(chosen))
    await conn.execute(f"UPDATE resources SET {sets}, updated_at = now() WHERE org_id = $1 AND id = $2",  # noqa: S608
                       org_id, resource_id, *[changes[c] for c in chosen])


async def delete_resource(conn: Conn, org_id: UUID, resource_id: UUID) -> UUID | None:
    """The resource's upload id (the caller deletes the upload, which queues its objects)."""
    found: UUID | None = await conn.fetchval(_DELETE, org_id, resource_id)
    return found


async def list_resources(conn: Conn, *, org_id: UUID, rank: int, category: str | None, tag: str | None,
                         featured: bool | None, sort: str, after: tuple[Any, UUID] | None,
                         limit: int) -> list[ResourceRow]:
    key, last_id = after if after else (None, None)
    return ResourceRow.from_records(await conn.fetch(_LISTS[sort], org_id, rank, category, tag, featured, key,
                                                     last_id, limit))


async def count_visible(conn: Conn, org_id: UUID, rank: int) -> int:
    return int(await conn.fetchval(_COUNT_VISIBLE, org_id, rank))


async def add_downloads(conn: Conn, org_id: UUID, counts: dict[UUID, int], day: date) -> None:
    if not counts:
        return
    ids, ns = list(counts), list(counts.values())
    await conn.execute(_ADD_DOWNLOADS, org_id, ids, ns)
    await conn.execute(_ADD_DAILY, org_id, ids, ns, day)


async def add_downloaders(conn: Conn, org_id: UUID, seen: list[tuple[date, UUID]]) -> None:
    """Who downloaded on which day (analytics' active members); a repeat is a no-op."""
    if seen:
        await conn.execute(_ADD_DOWNLOADERS, org_id, [d for d, _ in seen], [u for _, u in seen])


async def claim_text_pending(conn: Conn, org_id: UUID, n: int) -> list[ResourceRow]:
    return ResourceRow.from_records(await conn.fetch(_CLAIM_TEXT, org_id, n))


async def set_text(conn: Conn, org_id: UUID, resource_id: UUID, text: str | None, status: str) -> None:
    await conn.execute(_SET_TEXT, org_id, resource_id, text, status)


async def member_roles(conn: Conn, org_id: UUID, user_ids: list[UUID]) -> list[dict[str, Any]]:
    """Active members among `user_ids`, with their role and permission overrides as they are now."""
    return rows(await conn.fetch(_MEMBER_ROLES, org_id, user_ids))
