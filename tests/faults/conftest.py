"""A PostgreSQL of the test's own, to stop, restart and freeze (the session's shared one serves every other test)."""

from __future__ import annotations

import contextlib
import os
import signal
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest


class OwnPostgres:
    def __init__(self, pgdata: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver

            self.server: Any = pgserver.get_server(pgdata, cleanup_mode="stop")
        self.pgdata = pgdata
        self.uri = str(self.server.get_uri())

    def stop_immediately(self) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(["-m", "immediate", "-w", "stop"], pgdata=self.pgdata, user=self.server.system_user, timeout=20)

    def start(self) -> None:
        with self.server._lock:
            self.server.ensure_postgres_running()

    def _processes(self) -> list[psutil.Process]:
        pid = self.server.get_postmaster_info().pid
        postmaster = psutil.Process(pid)
        return [postmaster, *postmaster.children(recursive=True)]

    def freeze(self) -> None:
        for proc in self._processes():
            os.kill(proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        # Children first; one may be gone all the same (a zombie listed here, reaped by the postmaster
        # meanwhile), and a process that is gone needs no thawing.
        for proc in reversed(self._processes()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGCONT)

    def cleanup(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.server.cleanup()


@pytest.fixture
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnPostgres]:
    pg = OwnPostgres(tmp_path_factory.mktemp("own-pg"))
    try:
        yield pg
    finally:
        with contextlib.suppress(psutil.Error, OSError):  # already stopped
            pg.thaw()
        pg.cleanup()
