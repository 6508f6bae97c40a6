"""The running system's handles, shared by the tree, the listeners and the routes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram

from community.actors.db_pool import DbPool
from community.actors.indexer import Indexer
from community.actors.notifier import Notifier
from community.actors.ws_manager import WsManager
from community.db.pool import Database
from community.settings import Settings
from community.supervisor import Supervisor

if TYPE_CHECKING:
    from community.services.identity import LoginLimits, Passwords
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
    metrics: Metrics = field(default_factory=Metrics)
    root: Supervisor | None = None
    core: Supervisor | None = None
    http_port: int | None = None
    ws_port: int | None = None

    @property
    def ws_url(self) -> str:
        if self.settings.public_ws_url:
            return self.settings.public_ws_url
        host = self.settings.host if self.settings.host not in ("0.0.0.0", "::") else "localhost"  # noqa: S104
        return f"ws://{host}:{self.ws_port or self.settings.websocket_port}/ws"
