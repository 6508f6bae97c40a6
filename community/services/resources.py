"""The resource library: register an upload as a resource, list, read, edit, delete, download.

Who reads a resource: members whose role is at least its `required_role` (guests: those
marked `guest`); the uploader and moderators+ edit and delete it. A download is a 302 to a
URL valid for five minutes and is counted without a write per download (the download counter
batches them). `resource_created` reaches exactly the people who may read the resource.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field, field_validator

from community.db.pool import Conn, Database
from community.db.queries import files as file_queries
from community.db.queries import resources as q
from community.db.queries.files import UploadRow
from community.db.queries.resources import ResourceRow
from community.domain import files
from community.domain.cursors import keyed_cursor, next_cursor
from community.domain.errors import ForbiddenError, NotFoundError, ValidationFailedError
from community.domain.events import Channel, ChannelKind, EventType
from community.domain.input import Body
from community.domain.permissions import RANK, Perm, Role
from community.domain.principal import OrgMember
from community.domain.tags import TAGS_SCHEMA, normalise_tags
from community.handles import FileStore, Publisher
from community.services.files import claim_upload, inspect_upload, signed_url
from community.services.forums import viewer_rank
from community.services.unit import Unit, unit_of_work

_NOT_FOUND = "No such resource."
RoleName = Literal["owner", "admin", "moderator", "member", "guest"]


class CreateResourceBody(Body):
    upload_id: UUID
    title: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    category: str | None = Field(default=None, min_length=1, max_length=100)
    tags: list[str] | None = Field(default=None, max_length=10, json_schema_extra=TAGS_SCHEMA)
    required_role: RoleName | None = None
    is_featured: bool | None = None

    _tags = field_validator("tags")(normalise_tags)


class UpdateResourceBody(Body):
    title: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    category: str | None = Field(default=None, max_length=100)
    tags: list[str] | None = Field(default=None, max_length=10, json_schema_extra=TAGS_SCHEMA)
    required_role: RoleName | None = None
    is_featured: bool | None = None

    _tags = field_validator("tags")(normalise_tags)
_CURSOR_TYPES: dict[str, type] = {"recent": datetime, "popular": int, "title": str}


def resource_channel(resource_id: UUID) -> Channel:
    """Where `resource_created` is logged: nobody subscribes; the notifier hands it to each reader
    (actors/notifier.py `_to_readers`)."""
    return Channel(ChannelKind.RESOURCE, resource_id)


def resource_view(found: ResourceRow, *, pending_downloads: int = 0,
                  thumbnail_url: str | None = None) -> dict[str, Any]:
    return {"id": found.id, "title": found.title, "description": found.description, "file_name": found.file_name,
            "file_size": found.file_size, "file_type": found.file_type, "category": found.category,
            "tags": found.tags, "is_featured": found.is_featured, "required_role": found.required_role,
            "created_at": found.created_at, "updated_at": found.updated_at,
            "download_count": found.download_count + pending_downloads,
            "uploaded_by": ({"id": found.uploaded_by, "display_name": found.display_name}
                            if found.uploaded_by else None),
            "is_image": found.file_type in files.IMAGE_TYPES, "thumbnail_url": thumbnail_url,
            "text_status": found.text_status}


def _may_read(member: OrgMember, found: ResourceRow) -> bool:
    return viewer_rank(member) >= RANK[Role(found.required_role)]


def _may_edit(member: OrgMember, found: ResourceRow) -> bool:
    return member.at_least(Role.MODERATOR) or (member.user_id is not None and found.uploaded_by == member.user_id)


def _check_required_role(member: OrgMember, required_role: str | None) -> None:
    if required_role is not None and (member.role is None or RANK[Role(required_role)] > RANK[member.role]):
        raise ValidationFailedError("required_role is above your own role", [
            {"loc": ["body", "required_role"], "msg": "cannot be above your own role"}])


async def _view(store: FileStore, found: ResourceRow) -> dict[str, Any]:
    thumbnail = None
    if found.thumbnail_key:
        thumbnail, _ = await signed_url(store.storage, found.thumbnail_key, file_name="thumbnail.webp",
                                        content_type="image/webp")
    return resource_view(found, thumbnail_url=thumbnail,
                         pending_downloads=store.downloads.pending_for(found.org_id, found.id))


async def access_resource(conn: Conn, member: OrgMember, resource_id: UUID, *, lock: bool = False) -> ResourceRow:
    """The only loader of a resource: missing and above the caller's rank are the same 404."""
    found = await q.get_resource(conn, member.org_id, resource_id, lock=lock)
    if found is None or not member.is_member or not _may_read(member, found):
        raise NotFoundError(_NOT_FOUND)
    return found


async def _read(db: Database, member: OrgMember, resource_id: UUID) -> ResourceRow:
    member.require(Perm.READ_PUBLIC)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        return await access_resource(conn, member, resource_id)


async def read_resource(db: Database, store: FileStore, member: OrgMember, resource_id: UUID) -> dict[str, Any]:
    return await _view(store, await _read(db, member, resource_id))


async def list_resources(db: Database, store: FileStore, member: OrgMember, *, category: str | None, tag: str | None,
                         featured: bool | None, sort: str, cursor: str | None, limit: int) -> dict[str, Any]:
    member.require(Perm.READ_PUBLIC)
    if not member.is_member:
        raise NotFoundError("No such organization.")
    after: tuple[object, UUID] | None = keyed_cursor(cursor, _CURSOR_TYPES[sort])
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        found = await q.list_resources(conn, org_id=member.org_id, rank=viewer_rank(member), category=category,
                                       tag=tag, featured=featured, sort=sort,
                                       after=after,
                                       limit=limit + 1)
    page = found[:limit]
    key = None
    if page:
        last = page[-1]
        key = (last.created_at if sort == "recent" else last.download_count if sort == "popular"
               else last.title.lower(), last.id)
    return {"resources": [await _view(store, r) for r in page], "next_cursor": next_cursor(found, limit, key)}


async def check_create_resource(db: Database, publisher: Publisher, store: FileStore, member: OrgMember,
                                data: CreateResourceBody) -> dict[str, Any]:
    """Members who may upload, of an upload of theirs (purpose resource), for readers at most their rank."""
    if not member.is_member:
        raise NotFoundError("No such organization.")
    member.require(Perm.UPLOAD_RESOURCES)
    _check_required_role(member, data.required_role or "member")
    upload = await inspect_upload(db, store, member, data.upload_id, "resource")
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await claim_upload(unit.conn, member, upload)
        view = await do_create_resource(unit, member, data, upload)
    store.worker.poke()
    return view


async def do_create_resource(unit: Unit, member: OrgMember, data: CreateResourceBody,
                             upload: UploadRow) -> dict[str, Any]:
    resource_id, required_role = uuid.uuid4(), data.required_role or "member"
    text_status = "pending" if upload.content_type in files.EXTRACTABLE else "none"
    await q.insert_resource(unit.conn, resource_id=resource_id, org_id=member.org_id, upload=upload,
                            title=data.title, description=data.description, category=data.category,
                            tags=data.tags or [], is_featured=bool(data.is_featured), uploaded_by=member.user_id,
                            required_role=required_role, text_status=text_status)
    view = resource_view(await access_resource(unit.conn, member, resource_id))
    await unit.record(resource_channel(resource_id), EventType.RESOURCE_CREATED,
                      {"resource": view, "resource_id": resource_id, "min_rank": RANK[Role(required_role)]})
    return view


async def check_update_resource(db: Database, publisher: Publisher, store: FileStore, member: OrgMember,
                                resource_id: UUID, changes: UpdateResourceBody) -> dict[str, Any]:
    """Its uploader or a moderator; only moderators change `is_featured`; readers at most the editor's rank."""
    _check_required_role(member, changes.required_role)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        found = await access_resource(unit.conn, member, resource_id, lock=True)
        if not _may_edit(member, found):
            raise ForbiddenError("Only the uploader or a moderator edits this resource.")
        if "is_featured" in changes.model_fields_set and not member.at_least(Role.MODERATOR) and \
                changes.is_featured != found.is_featured:
            raise ForbiddenError("Only moderators feature resources.")
        updated = await do_update_resource(unit, member, resource_id, changes)
    return await _view(store, updated)


async def do_update_resource(unit: Unit, member: OrgMember, resource_id: UUID,
                             changes: UpdateResourceBody) -> ResourceRow:
    """Null clears `description` and `category`; elsewhere it leaves the field as it is."""
    fields = {k: v for k, v in changes.model_dump(exclude_unset=True).items()
              if v is not None or k in ("description", "category")}
    await q.update_resource(unit.conn, member.org_id, resource_id, fields)
    return await access_resource(unit.conn, member, resource_id)


async def check_delete_resource(db: Database, publisher: Publisher, store: FileStore, member: OrgMember,
                                resource_id: UUID) -> None:
    """Its uploader or a moderator: the row, its upload, and (through the files worker) its stored objects."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        found = await access_resource(unit.conn, member, resource_id, lock=True)
        if not _may_edit(member, found):
            raise ForbiddenError("Only the uploader or a moderator deletes this resource.")
        await do_delete_resource(unit, member, found)
    store.worker.poke()


async def do_delete_resource(unit: Unit, member: OrgMember, found: ResourceRow) -> None:
    upload_id = await q.delete_resource(unit.conn, member.org_id, found.id)
    if upload_id is not None:
        await file_queries.delete_upload(unit.conn, member.org_id, upload_id)


async def read_download(db: Database, store: FileStore, member: OrgMember, resource_id: UUID) -> tuple[str, datetime]:
    """A URL valid for five minutes; the download is counted (batched, not a write per download)."""
    found = await _read(db, member, resource_id)
    url, expires_at = await signed_url(store.storage, found.storage_key, file_name=found.file_name,
                                       content_type=found.file_type)
    store.downloads.count_nowait(member.org_id, resource_id, member.user_id)
    return url, expires_at


async def count_shared(db: Database, member: OrgMember) -> int:
    """The dashboard's `shared_resources`: what the caller may read."""
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        return await q.count_visible(conn, member.org_id, viewer_rank(member))


