"""Uploads: where the browser sends a file, what the server accepts, and claiming a stored file.

`check_create_upload` refuses what can be refused before any byte is stored (type, size over
the tier's file limit, the storage quota, which it reserves race-free), then answers where
to send the bytes. `take_upload` is how a feature uses a stored file (a resource, a post's
attachment, a logo): it checks the stored object's size, type and first bytes, and marks the
upload registered exactly once. Unregistered uploads are swept by the files worker after a day.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from pydantic import Field, JsonValue, field_validator

from community.db.pool import Conn, Database
from community.db.queries import files as q
from community.db.queries import orgs as org_queries
from community.db.queries.files import UploadRow
from community.domain import files
from community.domain.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
)
from community.domain.input import Body
from community.domain.permissions import Perm
from community.domain.principal import OrgMember
from community.handles import FileStore
from community.services.unit import Unit
from community.storage import Storage
from community.storage.local import IncompleteError, LocalStorage, TooLargeError
from community.storage.signing import BadTokenError

_NOT_FOUND = "No such upload."
Purpose = Literal["resource", "logo", "attachment"]
assert set(files.PURPOSES) == {"resource", "logo", "attachment"}


def _limits(member: OrgMember, custom_quota: int | None) -> files.StorageLimits:
    return files.limits_for(str(member.org.get("subscription_tier") or "community"), custom_quota)


def _check_purpose(member: OrgMember, purpose: str, content_type: str, size: int) -> None:
    if not member.is_member:
        raise NotFoundError("No such organization.")
    if purpose == "resource":
        member.require(Perm.UPLOAD_RESOURCES)
    else:
        member.require(Perm.CREATE_POST)
    if purpose == "logo":
        if content_type not in files.IMAGE_TYPES:
            raise UnsupportedMediaTypeError("A logo is a PNG, JPEG, GIF or WebP image.", field="content_type")
        if size > files.LOGO_BYTES:
            raise PayloadTooLargeError(f"A logo is at most {files.LOGO_BYTES} bytes.", limit_bytes=files.LOGO_BYTES)


class CreateUploadBody(Body):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=3, max_length=100,
                              json_schema_extra={"enum": list[JsonValue](sorted(files.ALLOWED))})
    size: int = Field(gt=0, le=64 * files.LARGEST_FILE)
    purpose: Purpose = "resource"

    @field_validator("content_type")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.split(";")[0].strip().lower()


async def check_create_upload(db: Database, store: FileStore, member: OrgMember,
                              data: CreateUploadBody) -> dict[str, Any]:
    """201's `upload`: refused (415, 413) before any byte is stored when it cannot be accepted."""
    file_name = files.clean_file_name(data.filename)
    if (why := files.type_problem(file_name, data.content_type)) is not None:
        raise UnsupportedMediaTypeError(f"Refused: {why}.", field="content_type")
    _check_purpose(member, data.purpose, data.content_type, data.size)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        _, custom = await q.storage_account(conn, member.org_id)
        limits = _limits(member, custom)
        if data.size > limits.file_bytes:
            raise PayloadTooLargeError(f"Files are limited to {limits.file_bytes} bytes on this plan.",
                                       limit_bytes=limits.file_bytes)
        upload = await do_create_upload(Unit(conn=conn, org_id=member.org_id, actor_id=member.user_id), member,
                                        data, file_name, limits)
    target = await store.storage.upload_target(key=upload.storage_key, content_type=data.content_type,
                                                 size=data.size, prefix=f"org/{member.org_id}/",
                                                 expires_at=upload.expires_at)
    return {"id": upload.id, "method": target.method, "url": target.url, "fields": target.fields,
            "headers": target.headers, "expires_at": target.expires_at, "file_name": file_name,
            "content_type": data.content_type, "size": data.size, "purpose": data.purpose}


async def do_create_upload(unit: Unit, member: OrgMember, data: CreateUploadBody, file_name: str,
                           limits: files.StorageLimits) -> UploadRow:
    """Reserves the bytes (413 past the quota, race-free) and writes the pending upload."""
    if await q.reserve_storage(unit.conn, member.org_id, data.size, limits.quota_bytes) is None:
        raise PayloadTooLargeError("The organization's storage quota would be exceeded.",
                                   reason="storage_quota", limit_bytes=limits.quota_bytes)
    upload_id = uuid.uuid4()
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=files.UPLOAD_TTL_SECONDS)
    return await q.insert_upload(unit.conn, upload_id=upload_id, org_id=member.org_id, user_id=member.user_id,
                                 purpose=data.purpose, storage_key=f"org/{member.org_id}/{upload_id}/"
                                 f"{files.key_name(file_name)}", file_name=file_name,
                                 content_type=data.content_type, size=data.size, expires_at=expires_at)


async def storage_view(db: Database, member: OrgMember) -> dict[str, int]:
    """`organization.storage`: bytes used (registered and reserved) and the quota."""
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        used, custom = await q.storage_account(conn, member.org_id)
    return {"used_bytes": used, "limit_bytes": _limits(member, custom).quota_bytes}


async def take_upload(db: Database, store: FileStore, member: OrgMember, upload_id: UUID,
                      purpose: str) -> UploadRow:
    """Claim the caller's stored upload for `purpose` (a logo, say): its row, now registered."""
    upload = await inspect_upload(db, store, member, upload_id, purpose)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        return await claim_upload(conn, member, upload)


async def access_upload(conn: Conn, member: OrgMember, upload_id: UUID) -> UploadRow:
    """The only loader of an upload for a caller: someone else's is the same 404 as a missing one."""
    upload = await q.get_upload(conn, member.org_id, upload_id)
    if upload is None or upload.user_id != member.user_id:
        raise NotFoundError(_NOT_FOUND)
    return upload


async def inspect_upload(db: Database, store: FileStore, member: OrgMember, upload_id: UUID,
                         purpose: str) -> UploadRow:
    """The caller's stored, still unclaimed upload for `purpose`, checked (before any transaction).

    The stored object must be exactly what was declared: its size (413/422), its type and its
    first bytes (415). A refused object is deleted at once and its bytes given back.
    """
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        upload = await access_upload(conn, member, upload_id)
    if upload.purpose != purpose:
        raise ConflictError(f"This upload is for a {upload.purpose}, not a {purpose}.", field="upload_id")
    if upload.status != "pending":
        raise ConflictError("This upload is already in use.", field="upload_id")
    problem = await _inspect(store.storage, upload)
    if isinstance(problem, ConflictError):  # not stored (yet): the upload may still be sent
        raise problem
    if problem is not None:
        async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
            await q.delete_upload(conn, member.org_id, upload_id)
        store.worker.poke()
        raise problem
    return upload


async def claim_upload(conn: Conn, member: OrgMember, upload: UploadRow) -> UploadRow:
    """Mark an inspected upload registered, in the caller's transaction: exactly one claim wins."""
    taken = await q.mark_registered(conn, member.org_id, upload.id)
    if taken is None:
        raise ConflictError("This upload is already in use.", field="upload_id")
    return taken


async def inspect_attachments(db: Database, store: FileStore | None, member: OrgMember,
                              upload_ids: Sequence[UUID]) -> list[UploadRow]:
    if not upload_ids:
        return []
    if store is None:
        raise RuntimeError("attachments need the file store")
    if len(set(upload_ids)) != len(upload_ids):
        raise ValidationFailedError("an upload is attached twice", [
            {"loc": ["body", "attachments"], "msg": "an upload is attached twice"}])
    return [await inspect_upload(db, store, member, u, "attachment") for u in upload_ids]


def attachment_view(upload: UploadRow) -> dict[str, Any]:
    return {"id": upload.id, "file_name": upload.file_name, "content_type": upload.content_type,
            "size": upload.size, "is_image": upload.content_type in files.IMAGE_TYPES}


async def attach(conn: Conn, member: OrgMember, uploads: list[UploadRow], *, post_id: UUID | None = None,
                 message_id: UUID | None = None) -> list[dict[str, Any]]:
    """Claim inspected uploads as a post's or a message's attachments, in its transaction."""
    if not uploads:
        return []
    for upload in uploads:
        await claim_upload(conn, member, upload)
    ids = [u.id for u in uploads]
    await q.insert_attachments(conn, member.org_id, ids, post_id=post_id, message_id=message_id)
    listed = [attachment_view(u) for u in uploads]
    if post_id is not None:
        await q.set_post_attachments(conn, member.org_id, post_id, listed)
    elif message_id is not None:
        await q.set_message_attachments(conn, member.org_id, message_id, listed)
    return listed


async def _inspect(storage: Storage, upload: UploadRow) -> Exception | None:
    stored = await storage.stat(upload.storage_key)
    if stored is None:
        return ConflictError("The file has not been uploaded yet (or its upload failed).", field="upload_id")
    if stored.size > upload.size:
        return PayloadTooLargeError("The stored file is larger than declared.", limit_bytes=upload.size)
    if stored.size < upload.size:
        return ValidationFailedError("The stored file is smaller than declared.",
                                     [{"loc": ["body", "upload_id"], "msg": "incomplete upload"}])
    if stored.content_type.split(";")[0].strip().lower() != upload.content_type:
        return UnsupportedMediaTypeError("The stored file's type is not the declared one.", field="upload_id")
    head = await storage.read(upload.storage_key, limit=files.SNIFF_BYTES)
    if not files.sniff(upload.content_type, head):
        return UnsupportedMediaTypeError(f"The file's bytes are not a {upload.content_type} file.",
                                         field="upload_id")
    return None


async def signed_url(storage: Storage, key: str, *, file_name: str, content_type: str,
                     seconds: int = files.DOWNLOAD_TTL_SECONDS) -> tuple[str, datetime]:
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
    url = await storage.download_url(key, file_name=file_name, content_type=content_type,
                                             expires_at=expires_at)
    return url, expires_at


# The local backend's own endpoints: the browser PUTs to and GETs from signed URLs.

def _local(storage: Storage) -> LocalStorage:
    if not isinstance(storage, LocalStorage):
        raise NotFoundError("Files are not served from here.")
    return storage


async def _claims(storage: LocalStorage, token: str, op: str) -> dict[str, Any]:
    try:
        return await storage.check_token(token, op)
    except BadTokenError:
        raise ForbiddenError("This file link is invalid or has expired.") from None


async def receive_local_upload(db: Database, storage: Storage, token: str, *, content_type: str | None,
                               content_length: int | None, chunks: AsyncIterator[bytes]) -> None:
    """PUT to a signed upload URL: the exact type, never more than the declared size, only while pending."""
    local = _local(storage)
    claims = await _claims(local, token, "put")
    key, size = str(claims["k"]), int(claims["s"])
    if (content_type or "").split(";")[0].strip().lower() != claims["t"]:
        raise UnsupportedMediaTypeError(f"This upload takes Content-Type: {claims['t']}.")
    if content_length is not None and content_length > size:
        raise PayloadTooLargeError(f"This upload takes at most {size} bytes.", limit_bytes=size)
    org_id = UUID(key.split("/")[1])
    async with db.transaction(org_id=org_id) as conn:
        upload = await q.get_upload_by_key(conn, org_id, key)
    if upload is None or upload.status != "pending":
        raise ForbiddenError("This upload is closed.")
    try:
        await local.receive(key, str(claims["t"]), size, chunks)
    except TooLargeError:
        raise PayloadTooLargeError(f"This upload takes at most {size} bytes.", limit_bytes=size) from None
    except IncompleteError as exc:
        raise ValidationFailedError(f"Incomplete upload: {exc}.", [{"loc": ["body"], "msg": str(exc)}]) from None


async def local_file(storage: Storage, token: str) -> tuple[str, str, str]:
    """GET from a signed download URL: (path on disk, content type, file name)."""
    local = _local(storage)
    claims = await _claims(local, token, "get")
    path = local.path(str(claims["k"]))
    if await local.stat(str(claims["k"])) is None:
        raise NotFoundError("No such file.")
    return str(path), str(claims["t"]), str(claims["n"])


async def org_storage_for(db: Database, org_ref: str) -> dict[str, Any]:
    """Operator view (CLI): an org's storage account."""
    async with db.transaction() as conn:
        org_id = await org_queries.resolve_org(conn, org_ref)
        if org_id is None:
            raise NotFoundError("No such organization.")
        await conn.set_context(org_id=org_id, user_id=None)
        used, custom = await q.storage_account(conn, org_id)
    return {"org_id": org_id, "used_bytes": used, "limit_bytes": custom}


async def check_set_storage_limit(db: Database, org_ref: str, limit_bytes: int | None) -> dict[str, Any]:
    """Operator command: a custom storage quota for one org (None: back to the tier's)."""
    async with db.transaction() as conn:
        org_id = await org_queries.resolve_org(conn, org_ref)
        if org_id is None:
            raise NotFoundError("No such organization.")
        await conn.set_context(org_id=org_id, user_id=None)
        await do_set_storage_limit(Unit(conn=conn, org_id=org_id, actor_id=None), limit_bytes)
    return await org_storage_for(db, org_ref)


async def do_set_storage_limit(unit: Unit, limit_bytes: int | None) -> None:
    assert unit.org_id is not None
    await q.set_storage_limit(unit.conn, unit.org_id, limit_bytes)


def public_image_path(upload_id: UUID) -> str:
    """The stable URL of a registered logo upload (store it as `logo_url` / `avatar_url`)."""
    return f"/api/images/{upload_id}"


async def public_image_url(db: Database, storage: Storage, upload_id: UUID) -> str:
    """Where a logo's bytes are now: its re-encoded thumbnail once made (no metadata), else the original."""
    async with db.transaction() as conn:
        found = await q.public_image(conn, upload_id)
    if found is None:
        raise NotFoundError("No such image.")
    key, content_type = ((found["thumbnail_key"], "image/webp") if found["thumbnail_key"]
                         else (found["storage_key"], found["content_type"]))
    url, _ = await signed_url(storage, key, file_name="image", content_type=content_type)
    return url
