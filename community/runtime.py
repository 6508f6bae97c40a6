"""The running system's handles, shared by the tree, the listeners and the routes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram

from community.actors.db_pool import DbPool
from community.actors.indexer import Indexer
from community.actors.mailer import Mailer
from community.actors.notifier import ClusterBus, Notifier
from community.actors.ws_manager import RealtimeSettings, WsManager
from community.db.pool import Database
from community.settings import Settings
from community.supervisor import Supervisor

if TYPE_CHECKING:
    from community.services.identity import LoginLimits, Passwords
    from community.services.realtime import Presence, TypingThrottle
    from community.services.tokens import LocalKeys, TokenVerifier


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter("community_http_requests", "HTTP requests served",
                                ["method", "status"], registry=self.registry)
        self.latency = Histogram("community_http_request_seconds", "HTTP request latency",
                                 registry=self.registry)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    db_pool: DbPool
    ws_manager: WsManager
    notifier: Notifier
    indexer: Indexer
    keys: LocalKeys
    verifier: TokenVerifier
    passwords: Passwords
    login_limits: LoginLimits
    mailer: Mailer
    metrics: Metrics = field(default_factory=Metrics)
    root: Supervisor | None = None
    core: Supervisor | None = None
    http_port: int | None = None
    ws_port: int | None = None
    # Realtime: this process's id in the cluster, the bus between nodes, presence, limits.
    node_id: uuid.UUID = field(default_factory=uuid.uuid4)
    bus: ClusterBus | None = None
    presence: Presence | None = None
    typing_throttle: TypingThrottle = field(init=False)
    realtime: RealtimeSettings = field(default_factory=RealtimeSettings)

    @property
    def ws_url(self) -> str:
        if self.settings.public_ws_url:
            return self.settings.public_ws_url
        host = self.settings.host if self.settings.host not in ("0.0.0.0", "::") else "localhost"  # noqa: S104
        return f"ws://{host}:{self.ws_port or self.settings.websocket_port}/ws"
