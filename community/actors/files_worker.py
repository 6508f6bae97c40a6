"""files_worker: what happens to stored files after the request that stored them.

Four queues, all in the database (the indexer's pattern: rows written in the writer's
transaction, a coalesced poke after commit, batches claimed with FOR UPDATE SKIP LOCKED,
idempotent per row, so several nodes share them and a crash only delays work):
* objects to delete (`storage_deletions`, filled by a trigger whenever an upload row goes);
* uploads never registered, swept a day after they were made (their bytes given back);
* resources whose words are not extracted yet (PDF in a bounded subprocess, text in-process);
  the text lands on the row, whose trigger queues it for the search indexer;
* registered images without a thumbnail (Pillow, re-encoded).
A periodic tick finds work no poke announced (stale uploads, another node's commits).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import structlog
import trio
from botocore.exceptions import BotoCoreError, ClientError

from community.actors.indexer import Indexer
from community.actors.mailbox import Mailbox
from community.actors.outage import ride_out
from community.db.pool import Database
from community.db.queries import files as q
from community.db.queries import resources as rq
from community.db.queries.files import UploadRow
from community.db.queries.resources import ResourceRow
from community.domain.files import IMAGE_TYPES, STALE_UPLOAD_SECONDS
from community.storage import Storage
from community.storage.extract import MAX_TEXT_CHARS, text_of
from community.storage.images import NotAnImageError, thumbnail

log = structlog.get_logger("community.actors.files_worker")
StorageErrors = (OSError, BotoCoreError, ClientError)
MAX_EXTRACT_BYTES = 25 * 1024 * 1024
MAX_IMAGE_BYTES = 30 * 1024 * 1024


class FilesWorker:
    def __init__(self, db: Database, storage: Storage, indexer: Indexer, *, extract_timeout: float = 20.0,
                 tick: float = 60.0, batch: int = 20) -> None:
        self.db, self.storage, self.indexer = db, storage, indexer
        self.extract_timeout, self.tick, self.batch = extract_timeout, tick, batch
        self.mailbox: Mailbox[None] = Mailbox("files_worker", 1)
        self.stale_after = timedelta(seconds=STALE_UPLOAD_SECONDS)
        self.done = 0

    def poke(self) -> None:
        self.mailbox.send_nowait(None, coalesce=True)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._tick)
            task_status.started()
            await ride_out("files_worker", self.drain)
            async for _ in self.mailbox.receive:
                if not await ride_out("files_worker", self.drain):
                    self.poke()

    async def _tick(self) -> None:
        while True:
            await trio.sleep(self.tick)
            self.poke()

    async def drain(self) -> None:
        while True:
            stale_before = datetime.now(UTC) - self.stale_after
            async with self.db.transaction(invalidates=False) as conn:  # which orgs have work: a read
                orgs = await q.pending_orgs(conn, stale_before, self.batch)
            done = 0
            for org_id in orgs:
                done += await self._org(org_id, stale_before)
            self.done += done
            if done == 0:
                return

    async def _org(self, org_id: UUID, stale_before: datetime) -> int:
        done = await self._delete_objects(org_id)
        done += await self._sweep(org_id, stale_before)
        done += await self._extract(org_id)
        done += await self._thumbnails(org_id)
        return done

    async def _delete_objects(self, org_id: UUID) -> int:
        async with self.db.transaction(org_id=org_id) as conn:
            claimed = await q.claim_deletions(conn, org_id, self.batch)
            gone = [i for i, key in claimed if await self._storage_ok(partial(self.storage.delete, key))]
            await q.finish_deletions(conn, org_id, gone)
        return len(gone)

    async def _sweep(self, org_id: UUID, stale_before: datetime) -> int:
        # Deleting the rows queues their objects (trigger) and gives their bytes back.
        async with self.db.transaction(org_id=org_id) as conn:
            stale = await q.claim_stale_uploads(conn, org_id, stale_before, self.batch)
            await q.delete_uploads(conn, org_id, [u.id for u in stale])
        if stale:
            log.info("files.swept_unregistered", org_id=str(org_id), uploads=len(stale))
        return len(stale)

    async def _extract(self, org_id: UUID) -> int:
        async with self.db.transaction(org_id=org_id) as conn:
            claimed = await rq.claim_text_pending(conn, org_id, self.batch)
            for resource in claimed:
                text, status = await self._text(resource)
                await rq.set_text(conn, org_id, resource.id, text, status)
        if claimed:
            self.indexer.poke()  # the rows' trigger queued them for search
        return len(claimed)

    async def _text(self, resource: ResourceRow) -> tuple[str | None, str]:
        if resource.file_size > MAX_EXTRACT_BYTES:
            return None, "too_large"
        data = await self._read(resource.storage_key, MAX_EXTRACT_BYTES)
        if data is None:
            return None, "failed"
        if resource.file_type != "application/pdf":
            return text_of(data), "done"
        with trio.move_on_after(self.extract_timeout):
            try:
                done = await trio.run_process(
                    [sys.executable, "-m", "community.storage.extract", "application/pdf", str(MAX_TEXT_CHARS)],
                    stdin=data, capture_stdout=True, capture_stderr=True, check=False)
            except OSError as exc:
                log.warning("files.extract_failed", resource_id=str(resource.id), reason=repr(exc))
                return None, "failed"
            if done.returncode != 0:
                log.info("files.extract_failed", resource_id=str(resource.id), code=done.returncode,
                         reason=done.stderr.decode(errors="replace")[-300:])
                return None, "failed"
            return done.stdout.decode("utf-8", errors="replace"), "done"
        log.info("files.extract_timeout", resource_id=str(resource.id), seconds=self.extract_timeout)
        return None, "failed"

    async def _thumbnails(self, org_id: UUID) -> int:
        async with self.db.transaction(org_id=org_id) as conn:
            claimed = await q.claim_images(conn, org_id, sorted(IMAGE_TYPES), self.batch)
            for upload in claimed:
                key, width, height = await self._thumbnail(upload)
                await q.set_thumbnail(conn, org_id, upload.id, key, width, height)
        return len(claimed)

    async def _thumbnail(self, upload: UploadRow) -> tuple[str | None, int, int]:
        data = await self._read(upload.storage_key, MAX_IMAGE_BYTES) if upload.size <= MAX_IMAGE_BYTES \
            else None
        if data is None:
            return None, 0, 0
        try:
            small, width, height = await trio.to_thread.run_sync(thumbnail, data)
        except NotAnImageError as exc:
            log.info("files.thumbnail_failed", upload_id=str(upload.id), reason=str(exc)[:200])
            return None, 0, 0
        key = upload.storage_key.rsplit("/", 1)[0] + "/.thumb.webp"
        if not await self._storage_ok(partial(self.storage.put, key, small, "image/webp")):
            return None, 0, 0
        return key, width, height

    async def _read(self, key: str, limit: int) -> bytes | None:
        try:
            return await self.storage.read(key, limit=limit)
        except StorageErrors as exc:
            log.warning("files.read_failed", key=key, reason=repr(exc))
            return None

    async def _storage_ok(self, call: Callable[[], Any]) -> bool:
        try:
            await call()
        except StorageErrors as exc:
            log.warning("files.storage_failed", reason=repr(exc))
            return False
        return True
