"""The tree: which supervisors, which children, which strategy — and booting it."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from urllib.parse import urlsplit

import hypercorn.config
import hypercorn.trio
import structlog
import trio

from community.actors.db_pool import DbPool
from community.actors.indexer import Indexer
from community.actors.mailer import Mailer
from community.actors.notifier import ClusterBus, Notifier, with_application_name
from community.actors.ws_manager import WsManager
from community.db.embedded import open_embedded_postgres
from community.db.migrate import migrate
from community.db.pool import Database
from community.http.app import create_app
from community.http.ws import WsListener
from community.runtime import Runtime
from community.services.identity import LoginLimits, Passwords
from community.services.search import search_steps
from community.services.tokens import LocalKeys, TokenVerifier
from community.settings import Settings
from community.supervisor import ChildSpec, Supervisor

log = structlog.get_logger("community")
APP_ROLE = "community_app"


def build_runtime(settings: Settings, dsn: str) -> Runtime:
    node_id = uuid.uuid4()
    db = Database(with_application_name(dsn, node_id), min_size=settings.db_pool_min,
                  max_size=settings.db_pool_max, role=APP_ROLE)
    ws_manager = WsManager()
    keys = LocalKeys.load_or_create(settings.data_dir)
    runtime = Runtime(settings=settings, db=db, db_pool=DbPool(db), ws_manager=ws_manager,
                      notifier=Notifier(ws_manager, db), indexer=Indexer(steps=search_steps(db)), keys=keys,
                      verifier=TokenVerifier.from_settings(settings, keys),
                      passwords=Passwords(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib),
                      login_limits=LoginLimits(), mailer=Mailer(settings), node_id=node_id)
    wire_realtime(runtime)
    assert runtime.bus is not None and runtime.presence is not None
    # rest_for_one: each child depends only on those started before it, so a notifier crash
    # restarts the notifier and what follows while ws_manager keeps every socket open (the new
    # notifier catches up from the activity log); a db_pool crash still restarts them all.
    runtime.core = Supervisor("core", [
        ChildSpec("db_pool", runtime.db_pool.run, shutdown=5.0),
        ChildSpec("ws_manager", runtime.ws_manager.run, shutdown=5.0),
        ChildSpec("notifier", runtime.notifier.run, shutdown=5.0),
        ChildSpec("indexer", runtime.indexer.run, shutdown=5.0),
        ChildSpec("cluster_bus", runtime.bus.run, shutdown=5.0),
        ChildSpec("presence", runtime.presence.run, shutdown=5.0),
    ], strategy="rest_for_one", intensity=3, period=10.0)
    workers = Supervisor("workers", [
        ChildSpec("mailer", runtime.mailer.run, shutdown=5.0),
    ], strategy="one_for_one", intensity=5, period=60.0)
    runtime.root = Supervisor("root", [
        ChildSpec("core", runtime.core.run, shutdown=10.0),
        ChildSpec("workers", workers.run, shutdown=10.0),
        ChildSpec("http", HttpListener(runtime).run, shutdown=settings.shutdown_grace_seconds),
        ChildSpec("ws", WsListener(runtime).run, shutdown=settings.shutdown_grace_seconds),
    ], strategy="rest_for_one", intensity=3, period=60.0)
    return runtime


def wire_realtime(runtime: Runtime) -> None:
    from community.services import notifications, realtime

    runtime.bus = ClusterBus(runtime.db, runtime.notifier, runtime.node_id)
    runtime.bus.handlers["frame"] = lambda message: realtime.deliver_remote_frame(runtime, message)
    runtime.presence = realtime.Presence(runtime)
    runtime.typing_throttle = realtime.TypingThrottle(runtime.realtime.typing_interval)
    runtime.notifier.follow_up = lambda activity: notifications.write_for_activity(runtime, activity)
    runtime.notifier.follow_up_types = notifications.FOLLOW_UP_TYPES


class HttpListener:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _config(self) -> hypercorn.config.Config:
        settings = self.runtime.settings
        config = hypercorn.config.Config()
        config.bind = [f"{settings.host}:{settings.port}"]
        config.accesslog = None  # our own request log line replaces it (and never logs tokens)
        config.loglevel = "WARNING"  # its start-up banner duplicates our http.listening event
        config.graceful_timeout = settings.shutdown_grace_seconds
        config.websocket_max_message_size = 64 * 1024
        config.h11_max_incomplete_size = 64 * 1024
        return config

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        app = create_app(self.runtime)
        async with trio.open_nursery() as nursery:
            binds: list[str] = await nursery.start(hypercorn.trio.serve, app, self._config())
            self.runtime.http_port = urlsplit(binds[0]).port
            log.info("http.listening", binds=binds)
            task_status.started()


@asynccontextmanager
async def open_database_url(settings: Settings) -> AsyncIterator[str]:
    """`DATABASE_URL`, or an embedded PostgreSQL under the data directory."""
    if settings.database_url:
        yield settings.database_url
        return
    async with open_embedded_postgres(settings.data_dir) as dsn:
        yield dsn


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The database and a runtime without listeners: for CLI commands."""
    async with open_database_url(settings) as dsn:
        await migrate(dsn)
        runtime = build_runtime(settings, dsn)
        await runtime.db.open()
        try:
            yield runtime
        finally:
            await runtime.db.close()


async def run_system(settings: Settings, *, task_status: trio.TaskStatus[Runtime] = trio.TASK_STATUS_IGNORED,
                     ) -> None:
    """Database, migrations, then the whole tree; runs until cancelled."""
    started = time.monotonic()
    async with AsyncExitStack() as stack:
        dsn = await stack.enter_async_context(open_database_url(settings))
        await migrate(dsn)
        runtime = build_runtime(settings, dsn)
        root = runtime.root
        if root is None:
            raise RuntimeError("build_runtime made no root supervisor")
        async with trio.open_nursery() as nursery:
            await nursery.start(root.run)
            log.info("community.ready", http_port=runtime.http_port, ws_port=runtime.ws_port,
                     boot_ms=round((time.monotonic() - started) * 1000))
            task_status.started(runtime)
