"""An embedded PostgreSQL (pgserver) under the data directory, so a new user installs nothing."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
import trio

log = structlog.get_logger("community.db")


def _start(pgdata: Path) -> Any:
    pgdata.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; pgserver only uses it for a lock file.
        warnings.simplefilter("ignore")
        from pgserver import get_server  # type: ignore[attr-defined]

        return get_server(pgdata, cleanup_mode="stop")


def _stop(server: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server.cleanup()


@asynccontextmanager
async def open_embedded_postgres(data_dir: Path) -> AsyncIterator[str]:
    """Start (or reuse) PostgreSQL in `data_dir/pgdata`; stop it on exit. Yields its DSN."""
    pgdata = data_dir / "pgdata"
    started = trio.current_time()
    server = await trio.to_thread.run_sync(_start, pgdata)
    log.info("db.embedded_started", pgdata=str(pgdata), ms=round((trio.current_time() - started) * 1000))
    try:
        yield str(server.get_uri())
    finally:
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(_stop, server)
        log.info("db.embedded_stopped", pgdata=str(pgdata))
