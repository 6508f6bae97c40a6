"""S3-compatible storage through boto3 (AWS, MinIO, R2, ... via `AWS_ENDPOINT_URL`).

boto3 blocks: every call runs in a worker thread, at most `concurrency` at a time, so a slow
bucket never stalls the trio loop and never takes every thread. Presigning is local work (no
request), but it too runs off the loop with the rest, for the first call builds the client.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
import trio
from botocore.config import Config
from botocore.exceptions import ClientError

from community.storage import StoredObject, UploadTarget

T = TypeVar("T")


class S3Storage:
    backend = "s3"

    def __init__(self, *, bucket: str, endpoint_url: str | None, region: str, access_key_id: str | None,
                 secret_access_key: str | None, concurrency: int = 8) -> None:
        self.bucket = bucket
        self.origins = _origins(bucket, endpoint_url, region)
        self._options: dict[str, Any] = {
            "region_name": region, "endpoint_url": endpoint_url, "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret_access_key,
            "config": Config(signature_version="s3v4", connect_timeout=5, read_timeout=30,
                             retries={"max_attempts": 3, "mode": "standard"},
                             s3={"addressing_style": "path"} if endpoint_url else {}),
        }
        self._client: Any = None
        self._limiter = trio.CapacityLimiter(concurrency)

    def _s3(self) -> Any:
        if self._client is None:  # in a worker thread; a race only builds a second client
            self._client = boto3.session.Session().client("s3", **self._options)
        return self._client

    async def _run(self, call: Callable[[Any], T]) -> T:
        return await trio.to_thread.run_sync(lambda: call(self._s3()), limiter=self._limiter)

    async def upload_target(self, *, key: str, content_type: str, size: int, prefix: str,
                            expires_at: datetime) -> UploadTarget:
        seconds = max(1, int((expires_at - datetime.now(UTC)).total_seconds()))
        conditions: list[Any] = [{"Content-Type": content_type}, ["content-length-range", size, size],
                                 ["starts-with", "$key", prefix]]
        post = await self._run(lambda s3: s3.generate_presigned_post(
            Bucket=self.bucket, Key=key, Fields={"Content-Type": content_type}, Conditions=conditions,
            ExpiresIn=seconds))
        return UploadTarget("POST", str(post["url"]), {k: str(v) for k, v in post["fields"].items()}, {}, expires_at)

    async def stat(self, key: str) -> StoredObject | None:
        try:
            head = await self._run(lambda s3: s3.head_object(Bucket=self.bucket, Key=key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return StoredObject(int(head["ContentLength"]), str(head.get("ContentType") or ""))

    async def read(self, key: str, *, limit: int) -> bytes:
        def fetch(s3: Any) -> bytes:
            body = s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{limit - 1}")["Body"]
            try:
                return bytes(body.read(limit))
            finally:
                body.close()

        return await self._run(fetch)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._run(partial(_put, self.bucket, key, data, content_type))

    async def delete(self, key: str) -> None:
        await self._run(lambda s3: s3.delete_object(Bucket=self.bucket, Key=key))

    async def download_url(self, key: str, *, file_name: str, content_type: str, expires_at: datetime) -> str:
        from community.domain.files import content_disposition

        seconds = max(1, int((expires_at - datetime.now(UTC)).total_seconds()))
        # S3 lets a signed GET override only these standard headers; it has no way to add
        # X-Content-Type-Options. The exact (sniff-checked) type and `attachment` for non-images
        # are what keeps a browser from rendering a file, and the bucket is not the app's origin.
        params = {"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type,
                  "ResponseContentDisposition": content_disposition(file_name, content_type)}
        return str(await self._run(lambda s3: s3.generate_presigned_url("get_object", Params=params,
                                                                          ExpiresIn=seconds)))


def _origins(bucket: str, endpoint_url: str | None, region: str) -> tuple[str, ...]:
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        return (f"{parts.scheme}://{parts.netloc}",)
    return (f"https://{bucket}.s3.{region}.amazonaws.com", f"https://{bucket}.s3.amazonaws.com",
            f"https://s3.{region}.amazonaws.com")


def _put(bucket: str, key: str, data: bytes, content_type: str, s3: Any) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
