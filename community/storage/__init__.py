"""File storage: one interface, two backends chosen by settings.

`LocalStorage` keeps objects under the data directory and hands out URLs to the app itself,
signed with a secret every node shares (from the database, or `FILES_SIGNING_SECRET`);
`S3Storage` talks to any S3-compatible service through boto3 when `AWS_S3_BUCKET` is set.
Both answer the same calls and pass the same tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class UploadTarget:
    """Where the browser sends the bytes itself: a form POST (S3) or a PUT (local)."""

    method: str
    url: str
    fields: dict[str, str]
    headers: dict[str, str]
    expires_at: datetime


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str


class Storage(Protocol):
    backend: str
    #: Where the browser talks to this storage itself (uploads, previews): for the page's CSP.
    origins: tuple[str, ...]

    async def upload_target(self, *, key: str, content_type: str, size: int, prefix: str,
                            expires_at: datetime) -> UploadTarget: ...

    async def stat(self, key: str) -> StoredObject | None: ...

    async def read(self, key: str, *, limit: int) -> bytes:
        """At most the first `limit` bytes."""
        ...

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def delete(self, key: str) -> None:
        """Idempotent: deleting what is not there succeeds."""
        ...

    async def download_url(self, key: str, *, file_name: str, content_type: str, expires_at: datetime) -> str: ...
