"""Objects as files under the data directory, reached through URLs the app signs and serves.

Upload: `PUT /api/files/<token>` with the exact Content-Type, streamed to a temporary file
that is never allowed past the declared size and renamed into place only when complete.
Download: `GET /api/files/<token>`. Tokens are signed with a secret every node shares.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import trio

from community.storage import StoredObject, UploadTarget
from community.storage.signing import sign, verify

FILES_PATH = "/api/files/"
_KEY = re.compile(r"^org/[0-9a-f-]{36}/[0-9a-f-]{36}/[A-Za-z0-9._-]{1,120}$")


class TooLargeError(Exception):
    pass


class IncompleteError(Exception):
    pass


class LocalStorage:
    backend = "local"
    origins: tuple[str, ...] = ()  # the app itself

    def __init__(self, root: Path, secret: Callable[[], Awaitable[str]]) -> None:
        self.root = root
        self._load_secret = secret
        self._secret: bytes | None = None

    async def secret(self) -> bytes:
        if self._secret is None:
            self._secret = (await self._load_secret()).encode()
        return self._secret

    def path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key:
            raise ValueError(f"not an object key: {key!r}")
        return self.root / "objects" / key

    async def upload_target(self, *, key: str, content_type: str, size: int, prefix: str,
                            expires_at: datetime) -> UploadTarget:
        assert key.startswith(prefix)
        token = sign(await self.secret(), {"op": "put", "k": key, "t": content_type, "s": size,
                                           "e": int(expires_at.timestamp())})
        return UploadTarget("PUT", FILES_PATH + token, {}, {"Content-Type": content_type}, expires_at)

    async def stat(self, key: str) -> StoredObject | None:
        path = trio.Path(self.path(key))
        try:
            size = (await path.stat()).st_size
            content_type = await trio.Path(str(path) + ".type").read_text()
        except FileNotFoundError:
            return None
        return StoredObject(size, content_type)

    async def read(self, key: str, *, limit: int) -> bytes:
        async with await trio.open_file(self.path(key), "rb") as f:
            return await f.read(limit)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield data

        await self.receive(key, content_type, len(data), chunks())

    async def delete(self, key: str) -> None:
        for path in (self.path(key), Path(str(self.path(key)) + ".type")):
            await trio.to_thread.run_sync(partial(path.unlink, missing_ok=True))

    async def download_url(self, key: str, *, file_name: str, content_type: str, expires_at: datetime) -> str:
        return FILES_PATH + sign(await self.secret(), {"op": "get", "k": key, "t": content_type, "n": file_name,
                                                       "e": int(expires_at.timestamp())})

    async def check_token(self, token: str, op: str) -> dict[str, Any]:
        """The token's claims (BadToken when it is not one of ours, or expired)."""
        return verify(await self.secret(), token, op=op)

    async def receive(self, key: str, content_type: str, size: int, chunks: AsyncIterator[bytes]) -> None:
        """Stream into place: TooLargeError past `size` bytes, Incomplete short of them; nothing is left then."""
        final = self.path(key)
        await trio.Path(final.parent).mkdir(parents=True, exist_ok=True)
        temp = final.with_name(f".{final.name}.{secrets.token_hex(6)}.part")
        written = 0
        try:
            async with await trio.open_file(temp, "wb") as f:
                async for chunk in chunks:
                    written += len(chunk)
                    if written > size:
                        raise TooLargeError(f"more than the declared {size} bytes")
                    await f.write(chunk)
            if written != size:
                raise IncompleteError(f"{written} of the declared {size} bytes")
            await trio.Path(str(final) + ".type").write_text(content_type)
            await trio.to_thread.run_sync(os.replace, temp, final)
        finally:
            await trio.to_thread.run_sync(partial(temp.unlink, missing_ok=True))
