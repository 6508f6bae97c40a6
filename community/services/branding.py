"""An org's logo: taken from the upload flow, re-encoded before anyone sees it.

The stored original is read once, decoded and re-encoded by Pillow (resized, WebP, no metadata)
before the org points at it, so the logo's public URL never serves the bytes the browser sent
(EXIF, GPS, a polyglot file). The upload is claimed in the same transaction as the org update;
a replaced logo's upload is deleted there too (its objects follow through the deletion queue).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

import trio

from community.db.pool import Conn, Database
from community.db.queries import files as file_queries
from community.db.queries.files import UploadRow
from community.domain.errors import ValidationFailedError
from community.domain.permissions import Perm
from community.domain.principal import OrgMember
from community.handles import FileStore
from community.services import files
from community.storage.images import NotAnImageError, thumbnail

MAX_LOGO_BYTES = 5 * 1024 * 1024
_OWN_IMAGE = re.compile(r"^/api/images/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


@dataclass(frozen=True)
class Logo:
    """A checked, re-encoded logo upload, ready to be claimed in the org update's transaction."""

    upload: UploadRow
    key: str
    width: int
    height: int

    @property
    def url(self) -> str:
        return files.public_image_path(self.upload.id)


async def check_logo(db: Database, store: FileStore, member: OrgMember, upload_id: UUID) -> Logo:
    """The caller's stored logo upload, checked and re-encoded (403 without the right to change the org)."""
    member.require(Perm.UPDATE_ORG)
    upload = await files.inspect_upload(db, store, member, upload_id, "logo")
    data = await store.storage.read(upload.storage_key, limit=MAX_LOGO_BYTES)
    try:
        small, width, height = await trio.to_thread.run_sync(thumbnail, data)
    except NotAnImageError:
        raise ValidationFailedError("The logo is not an image that can be read.", [
            {"loc": ["body", "branding", "logo_upload_id"], "msg": "not a readable PNG, JPEG, GIF or WebP image",
             "type": "not_an_image"}]) from None
    key = upload.storage_key.rsplit("/", 1)[0] + "/.thumb.webp"
    await store.storage.put(key, small, "image/webp")
    return Logo(upload=upload, key=key, width=width, height=height)


async def use_logo(conn: Conn, member: OrgMember, logo: Logo) -> str:
    """Claim the logo upload (exactly once) with its re-encoded image; its public path."""
    await files.claim_upload(conn, member, logo.upload)
    await file_queries.set_thumbnail(conn, member.org_id, logo.upload.id, logo.key, logo.width, logo.height)
    return logo.url


async def drop_old_logo(conn: Conn, org_id: UUID, old_url: str | None, new_url: str | None) -> bool:
    """Delete the upload behind a logo that was replaced or removed; whether there was one."""
    found = _OWN_IMAGE.match(old_url or "")
    if found is None or old_url == new_url:
        return False
    await file_queries.delete_upload(conn, org_id, UUID(found.group(1)))
    return True
