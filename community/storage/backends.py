"""The backend the settings choose: S3 when `AWS_S3_BUCKET` is set, else files under the data directory."""

from __future__ import annotations

from community.db.pool import Database
from community.settings import Settings
from community.storage import Storage
from community.storage.local import LocalStorage
from community.storage.s3 import S3Storage

_SECRET = "SELECT value FROM server_secrets WHERE name = 'files'"  # noqa: S105 - a query, not a secret


def storage_from_settings(settings: Settings, db: Database) -> Storage:
    if settings.aws_s3_bucket:
        return S3Storage(bucket=settings.aws_s3_bucket, endpoint_url=settings.aws_endpoint_url,
                         region=settings.aws_region, access_key_id=settings.aws_access_key_id,
                         secret_access_key=settings.aws_secret_access_key)

    async def shared_secret() -> str:
        if settings.files_signing_secret:
            return settings.files_signing_secret
        value = await db.fetchval(_SECRET)
        if not value:
            raise RuntimeError("server_secrets has no 'files' secret (migration 0016)")
        return str(value)

    return LocalStorage(settings.data_dir / "files", shared_secret)
