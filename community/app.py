"""The tree: which supervisors, which children, which strategy — and booting it."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

import hypercorn.config
import hypercorn.trio
import structlog
import trio

from community.actors.analytics import Analytics
from community.actors.billing import BillingWorker
from community.actors.cluster_bus import ClusterBus, with_application_name
from community.actors.db_pool import DbPool
from community.actors.deliverer import Deliverer
from community.actors.domain_checker import DomainChecker
from community.actors.download_counter import DownloadCounter
from community.actors.files_worker import FilesWorker
from community.actors.indexer import Indexer
from community.actors.key_ring import KeyRing
from community.actors.mailer import Mailer
from community.actors.notification_writer import NotificationWriter
from community.actors.notifier import Notifier
from community.actors.presence import Presence
from community.actors.reminders import Reminders
from community.actors.view_counter import ViewCounter
from community.actors.ws_manager import RealtimeSettings, WsManager
from community.billing import Billing
from community.billing.gateway import StripeGateway
from community.db.embedded import open_embedded_postgres
from community.db.migrate import migrate
from community.db.pool import Database
from community.domain.events import ChannelKind
from community.handles import Endpoints, FileStore, Handles, Publisher, Realtime, Telemetry
from community.http.app import create_app
from community.identity import Identity
from community.page_cache import PageCache
from community.ratelimit import DatabaseRateLimiter
from community.realtime.listener import WsListener
from community.services import analytics, billing, domain_checks, event_notices, integrations, notifications
from community.services.reminders import reminder_steps
from community.services.search import search_steps
from community.settings import Settings
from community.shared_port import bind_shared
from community.storage.backends import storage_from_settings
from community.supervisor import ChildSpec, Supervisor

log = structlog.get_logger("community")
APP_ROLE = "community_app"


def build_handles(settings: Settings, dsn: str) -> Handles:
    """Every handle, once, in start order; nothing is filled in later."""
    node_id = uuid.uuid4()
    db = Database(with_application_name(dsn, node_id), min_size=settings.db_pool_min,
                  max_size=settings.db_pool_max, role=APP_ROLE, timeout=settings.db_timeout_seconds,
                  warm_up=analytics.prepare_connection if settings.db_warm_up else None)
    registry = WsManager()
    notifier = Notifier(registry, db)
    indexer = Indexer(steps=search_steps(db))
    bus = ClusterBus(db, node_id, notifier=notifier, registry=registry)
    limiter = DatabaseRateLimiter(db)
    realtime_settings = RealtimeSettings(max_channels=settings.ws_max_subscriptions,
                                         max_connections_per_user=settings.ws_max_connections_per_user)
    realtime = Realtime(settings=realtime_settings, registry=registry, bus=bus, limiter=limiter)
    mailer = Mailer(settings)
    # The deliverer's work reads the publisher and realtime handles, built just below.
    deliverer = Deliverer(partial(integrations.claim_deliveries, db, settings),
                          lambda sender, org_id, delivery_id: integrations.deliver_one(
                              db, publisher, realtime, settings, sender, org_id, delivery_id),
                          events=integrations.DELIVERING_EVENTS)
    writer = NotificationWriter(db, notifications.do_write_notifications,
                                partial(event_notices.publish_notices, realtime),
                                partial(registry.viewing, kind=ChannelKind.CONVERSATION),
                                events=notifications.NOTIFYING_EVENTS)
    publisher = Publisher(notifier, indexer, deliverer, writer)
    gateway = StripeGateway(settings) if settings.stripe_secret_key else None
    billing_worker = BillingWorker(lambda: billing.billing_step(db, publisher, realtime, billing_handle))
    billing_handle = Billing(settings=settings, gateway=gateway, worker=billing_worker)
    reminders = Reminders(reminder_steps(db, publisher, realtime, mailer, settings),
                          interval=settings.reminder_interval_seconds)
    storage = storage_from_settings(settings, db)
    return Handles(settings=settings, node_id=node_id, db=db, db_pool=DbPool(db), registry=registry,
                   notifier=notifier, indexer=indexer, bus=bus, notification_writer=writer,
                   presence=Presence(db, node_id, realtime_settings, bus), realtime=realtime,
                   publisher=publisher, views=ViewCounter(db), limiter=limiter,
                   identity=Identity.from_settings(settings, db, limiter),
                   mailer=mailer, billing=billing_handle, deliverer=deliverer, endpoints=Endpoints(settings),
                   telemetry=Telemetry(), reminders=reminders,
                   analytics=Analytics(partial(analytics.rollup_step, db),
                                       interval=settings.analytics_interval_seconds),
                   domain_checker=DomainChecker(partial(domain_checks.recheck_step, db, publisher, realtime, settings),
                                                interval=settings.domain_check_interval_seconds),
                   files=FileStore(storage, FilesWorker(db, storage, indexer,
                                                        extract_timeout=settings.files_extract_timeout_seconds),
                                   DownloadCounter(db)),
                   pages=PageCache(db.generations, ttl=settings.page_cache_ttl_seconds,
                                   max_entries=settings.page_cache_max_entries,
                                   max_bytes=settings.page_cache_max_bytes))


@dataclass(frozen=True)
class System:
    """The handles and the tree that runs their actors (what `run_system` reports when ready)."""

    handles: Handles
    root: Supervisor
    core: Supervisor
    workers: Supervisor

    @property
    def http_port(self) -> int | None:
        return self.handles.endpoints.http_port

    @property
    def ws_port(self) -> int | None:
        return self.handles.endpoints.ws_port


def build_tree(handles: Handles) -> System:
    """The only list of actors. rest_for_one: each child depends only on those started before it,
    so a notifier crash restarts the notifier and what follows while ws_manager keeps every socket
    open (the new notifier catches up from the activity log); a db_pool crash restarts them all."""
    h = handles
    core = Supervisor("core", [
        ChildSpec("db_pool", h.db_pool.run, shutdown=5.0),
        ChildSpec("ws_manager", h.registry.run, shutdown=5.0),
        ChildSpec("notifier", h.notifier.run, shutdown=5.0),
        ChildSpec("indexer", h.indexer.run, shutdown=5.0),
        ChildSpec("cluster_bus", h.bus.run, shutdown=5.0),
        ChildSpec("presence", h.presence.run, shutdown=5.0),
    ], strategy="rest_for_one", intensity=3, period=10.0)
    workers = Supervisor("workers", [
        ChildSpec("notification_writer", h.notification_writer.run, shutdown=5.0),
        ChildSpec("view_counter", h.views.run, shutdown=5.0),
        ChildSpec("mailer", h.mailer.run, shutdown=5.0),
        ChildSpec("billing", h.billing.worker.run, shutdown=5.0),
        ChildSpec("reminders", h.reminders.run, shutdown=5.0),
        ChildSpec("deliverer", h.deliverer.run, shutdown=5.0),
        ChildSpec("analytics", h.analytics.run, shutdown=5.0),
        ChildSpec("domain_checker", h.domain_checker.run, shutdown=5.0),
        ChildSpec("files_worker", h.files.worker.run, shutdown=5.0),
        ChildSpec("key_ring", KeyRing(h.identity, h.db.dsn).run, shutdown=5.0),
        ChildSpec("download_counter", h.files.downloads.run, shutdown=10.0),
    ], strategy="one_for_one", intensity=5, period=60.0)
    root = Supervisor("root", [
        ChildSpec("core", core.run, shutdown=10.0),
        ChildSpec("workers", workers.run, shutdown=10.0),
        *_listeners(h),
    ], strategy="rest_for_one", intensity=3, period=60.0)
    h.telemetry.watch(root, core, workers)
    return System(handles=h, root=root, core=core, workers=workers)


def _listeners(h: Handles) -> list[ChildSpec]:
    """`--role http` or `ws` runs one listener; both by default."""
    role, grace = h.settings.serve_role, h.settings.shutdown_grace_seconds
    return ([ChildSpec("http", HttpListener(h).run, shutdown=grace)] if role in ("all", "http") else []) + (
        [ChildSpec("ws", WsListener(h).run, shutdown=grace)] if role in ("all", "ws") else [])


class HttpListener:
    def __init__(self, handles: Handles) -> None:
        self.handles = handles

    def _config(self) -> hypercorn.config.Config:
        settings = self.handles.settings
        config = hypercorn.config.Config()
        config.bind = [f"{settings.host}:{settings.port}"]
        if settings.reuse_port:  # hypercorn owns the descriptor from here on
            config.bind = [f"fd://{bind_shared(settings.host, settings.port).detach()}"]
        config.accesslog = None  # our own request log line replaces it (and never logs tokens)
        config.loglevel = "WARNING"  # its start-up banner duplicates our http.listening event
        config.graceful_timeout = settings.shutdown_grace_seconds
        config.keep_alive_timeout = settings.keep_alive_seconds
        config.websocket_max_message_size = 64 * 1024
        config.h11_max_incomplete_size = 64 * 1024
        return config

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        app = create_app(self.handles)
        async with trio.open_nursery() as nursery:
            binds: list[str] = await nursery.start(hypercorn.trio.serve, app, self._config())
            self.handles.endpoints.http_port = urlsplit(binds[0]).port
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
async def open_handles(settings: Settings) -> AsyncIterator[Handles]:
    """The database and the handles without the tree: for CLI commands."""
    async with open_database_url(settings) as dsn:
        await migrate(dsn)
        handles = build_handles(settings, dsn)
        await handles.identity.load_keys(dsn)
        await handles.db.open()
        try:
            yield handles
        finally:
            await handles.db.close()


async def run_system(settings: Settings, *, task_status: trio.TaskStatus[System] = trio.TASK_STATUS_IGNORED,
                     ) -> None:
    """Database, migrations, then the whole tree; runs until cancelled."""
    started = time.monotonic()
    async with AsyncExitStack() as stack:
        dsn = await stack.enter_async_context(open_database_url(settings))
        await migrate(dsn)
        handles = build_handles(settings, dsn)
        await handles.identity.load_keys(dsn)  # before anything can issue or verify a token
        system = build_tree(handles)
        async with trio.open_nursery() as nursery:
            await nursery.start(system.root.run)
            log.info("community.ready", http_port=system.http_port, ws_port=system.ws_port,
                     boot_ms=round((time.monotonic() - started) * 1000))
            task_status.started(system)
