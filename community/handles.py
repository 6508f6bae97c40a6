"""The running system's handles: built once at boot in start order, frozen, passed down.

A use case takes the handles it uses, never the whole set: `db` to read, `db` and `publisher`
to write (a unit of work), `limiter` for rate limits, `views` to count a view, `identity` to
sign in, `realtime` to reach sockets, `mailer` to mail.
Routes find them with `http.context.current_handles()`; the tree (`app.py`) owns the actors.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from prometheus_client import CollectorRegistry, Counter, Histogram

from community.actors.analytics import Analytics
from community.actors.cluster_bus import ClusterBus
from community.actors.db_pool import DbPool
from community.actors.deliverer import Deliverer
from community.actors.domain_checker import DomainChecker
from community.actors.download_counter import DownloadCounter
from community.actors.files_worker import FilesWorker
from community.actors.indexer import Indexer
from community.actors.mailbox import Mailbox, held_by
from community.actors.mailer import Mailer
from community.actors.notification_writer import NotificationWriter
from community.actors.notifier import Notifier
from community.actors.presence import Presence
from community.actors.reminders import Reminders
from community.actors.view_counter import ViewCounter
from community.actors.ws_manager import RealtimeSettings, WsManager
from community.billing import Billing
from community.db.pool import Database
from community.domain.events import Activity, Channel
from community.identity import Identity
from community.page_cache import PageCache
from community.ratelimit import RateLimiter
from community.settings import Settings
from community.storage import Storage
from community.supervisor import Supervisor


@dataclass(frozen=True)
class Publisher:
    """After a commit: the unit's activities to the notifier; (coalesced) pokes to the queue workers."""

    notifier: Notifier
    indexer: Indexer
    deliverer: Deliverer
    notification_writer: NotificationWriter

    def committed(self, activities: Sequence[Activity]) -> None:
        for activity in activities:
            self.notifier.publish_nowait(activity)
        self.deliverer.committed(activities)  # a trigger may have queued integration deliveries with them
        # Triggers queue search work in the writer's transaction, whatever the write was (an org's
        # language, a hidden post...); a poke is coalesced and cheap, so every commit sends one.
        self.indexer.poke()
        self.notification_writer.committed(activities)  # its trigger queued the events that notify


@dataclass(frozen=True)
class Realtime:
    """What use cases reach of realtime: this node's socket registry and frames to every node."""

    settings: RealtimeSettings
    registry: WsManager
    bus: ClusterBus
    # Typing indicators are throttled in the database like every limit: one frame per user per
    # channel per interval across all nodes, not per node.
    limiter: RateLimiter
    # This node's socket slots whose release an outage kept back: the next heartbeat makes them.
    unreleased: set[UUID] = field(default_factory=set)

    def publish_frame(self, channel: Channel, data: str, *, exclude_user: UUID | None = None) -> None:
        self.bus.publish_frame(channel, data, exclude_user=exclude_user)


@dataclass(frozen=True)
class FileStore:
    """Stored files: the backend, the worker that acts on them after commit, and download counts."""

    storage: Storage
    worker: FilesWorker
    downloads: DownloadCounter


class Endpoints:
    """Where the listeners bound (port 0 picks one); each listener reports its own."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.http_port: int | None = None
        self.ws_port: int | None = None

    @property
    def ws_url(self) -> str:
        if self._settings.public_ws_url:
            return self._settings.public_ws_url
        host = self._settings.host if self._settings.host not in ("0.0.0.0", "::") else "localhost"  # noqa: S104
        return f"ws://{host}:{self.ws_port or self._settings.websocket_port}/ws"


class Telemetry:
    """Request metrics, and the supervisors `/readyz` and `/metrics` read at scrape time."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("community_http_requests", "HTTP requests served", ["method", "status"],
                                registry=self.registry)
        self.latency = Histogram("community_http_request_seconds", "HTTP request latency", registry=self.registry)
        self.supervisors: list[Supervisor] = []

    def watch(self, *supervisors: Supervisor) -> None:
        """Called once by the tree when it is built (the supervisors start the listeners)."""
        self.supervisors.extend(supervisors)

    def mailboxes(self) -> list[Mailbox[Any]]:
        """Every mailbox of every actor in the tree, found from the children the supervisors run:
        the tree in app.py is the only list of actors, and an actor's mailboxes register with it."""
        found: dict[int, Mailbox[Any]] = {}
        for sup in self.supervisors:
            for spec in sup.child_specs():
                for box in held_by(getattr(spec.start, "__self__", None)):
                    found.setdefault(id(box), box)
        return list(found.values())

    def supervisor(self, name: str) -> Supervisor | None:
        return next((s for s in self.supervisors if s.id == name), None)


@dataclass(frozen=True)
class Handles:
    settings: Settings
    node_id: uuid.UUID
    db: Database
    db_pool: DbPool
    registry: WsManager
    notifier: Notifier
    indexer: Indexer
    bus: ClusterBus
    notification_writer: NotificationWriter
    presence: Presence
    realtime: Realtime
    publisher: Publisher
    views: ViewCounter
    limiter: RateLimiter
    identity: Identity
    mailer: Mailer
    billing: Billing
    deliverer: Deliverer
    endpoints: Endpoints
    telemetry: Telemetry
    reminders: Reminders
    analytics: Analytics
    domain_checker: DomainChecker
    files: FileStore
    pages: PageCache
