"""`community serve --workers N`: N server processes on the same ports (SO_REUSEPORT).

The parent owns what must exist once per machine (the embedded PostgreSQL, migrations),
then runs each worker as `community serve --workers 1` with `REUSE_PORT` set and the
database URL in its environment. A worker that dies is restarted (at most 3 times in 60 s,
then the parent stops the others and exits 1, like the root supervisor); SIGTERM or SIGINT
to the parent is passed on as SIGTERM and each worker stops its tree as a single process
would. Workers run in their own session, so a terminal's Ctrl-C reaches the parent only.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import deque

import structlog
import trio

from community.settings import Settings

log = structlog.get_logger("community.processes")
_INTENSITY, _PERIOD = 3, 60.0


class WorkerCrashLoopError(Exception):
    """A worker died more than the intensity allows within the period."""


def worker_count(settings: Settings) -> int:
    return settings.workers or len(os.sched_getaffinity(0))


def _command(settings: Settings) -> list[str]:
    return [sys.executable, "-m", "community", "serve", "--workers", "1", "--host", settings.host,
            "--port", str(settings.port), "--ws-port", str(settings.websocket_port), "--role", settings.serve_role]


async def serve_workers(settings: Settings, count: int, *,
                        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Runs until cancelled (then stops every worker) or a worker crash-loops."""
    from community.app import open_database_url
    from community.db.migrate import migrate

    async with open_database_url(settings) as dsn:
        await migrate(dsn)
        env = {**os.environ, "DATABASE_URL": dsn, "REUSE_PORT": "true"}
        log.info("community.workers_starting", workers=count, role=settings.serve_role)
        async with trio.open_nursery() as nursery:
            for index in range(count):
                nursery.start_soon(_keep_running, index, _command(settings), env, settings.shutdown_grace_seconds)
            task_status.started()


async def _keep_running(index: int, command: list[str], env: dict[str, str], grace: float) -> None:
    exits: deque[float] = deque(maxlen=_INTENSITY + 1)
    while True:
        code = await _run_once(command, env, grace)
        exits.append(trio.current_time())
        log.error("community.worker_exited", worker=index, code=code, restarts=len(exits) - 1)
        if len(exits) > _INTENSITY and exits[-1] - exits[0] < _PERIOD:
            raise WorkerCrashLoopError(f"worker {index} exited {len(exits)} times within {_PERIOD:g} s")
        await trio.sleep(0.5)


async def _run_once(command: list[str], env: dict[str, str], grace: float) -> int:
    async def stop(process: trio.Process) -> None:
        process.send_signal(signal.SIGTERM)
        with trio.move_on_after(grace + 10):
            await process.wait()
            return
        process.kill()

    result = await trio.run_process(command, env=env, check=False, stdin=None, start_new_session=True,
                                    deliver_cancel=stop)
    return result.returncode
