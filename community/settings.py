"""Settings from the environment (and `.env`), validated once at start-up."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from community.dns_txt import parse_resolver


def _default_log_format() -> Literal["json", "console"]:
    return "console" if sys.stdout.isatty() else "json"


class Settings(BaseSettings):
    """Every setting, with its default; `config/default.toml` documents them."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    websocket_port: int = Field(default=8081, ge=0, le=65535)
    database_url: str | None = None
    community_data_dir: Path = Path("./var")
    log_format: Literal["json", "console"] = Field(default_factory=_default_log_format)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=10, ge=1)
    # Each new pool connection runs the analytics answer's statements once before it serves anyone
    # (their first run on a connection costs 20-60 ms: issue 18). Off only where systems boot by the
    # hundred and never serve analytics twice on a connection (the test suite, which tests it on).
    db_warm_up: bool = True
    # Each step against the database (a connection from the pool, BEGIN, a statement, COMMIT)
    # waits at most this long: a frozen database answers 503 after it, never a hang.
    db_timeout_seconds: float = Field(default=15.0, gt=0, le=600)
    shutdown_grace_seconds: float = Field(default=5.0, gt=0)
    # An idle keep-alive connection stays open this long. Longer than the proxies in front keep
    # theirs (Render's and most load balancers' 60 s) and than clients' pools (httpx: 5 s): the
    # side that closes an idle connection must be the client, or a request sent as the server
    # closes it is lost (hypercorn's default, 5 s, lost one in 3,000 in the soak).
    keep_alive_seconds: float = Field(default=75.0, gt=0, le=3600)
    # The read-page response cache (http/page_cache.py): entries live at most this long (0: off);
    # invalidation is by what this node hears, the lifetime is the backstop for time alone.
    page_cache_ttl_seconds: float = Field(default=15.0, ge=0, le=300)
    page_cache_max_entries: int = Field(default=10_000, ge=1)
    page_cache_max_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)

    auth0_domain: str | None = None
    auth0_audience: str | None = None
    auth0_client_id: str | None = None
    auth0_client_secret: str | None = None
    auth0_jwks_url: str | None = None
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=1024)
    token_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    token_issuer: str = "community"  # noqa: S105 - an issuer name, not a secret
    token_audience: str = "community-api"  # noqa: S105

    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "community@localhost"
    smtp_starttls: bool = True

    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    # Billing (Stripe): a Price id per tier (custom is billed per seat), the grace period after a
    # failed payment before new joins are refused, and the debounce of custom-tier seat changes.
    stripe_price_community: str | None = None
    stripe_price_organization: str | None = None
    stripe_price_enterprise: str | None = None
    stripe_price_custom: str | None = None
    billing_grace_days: int = Field(default=7, ge=0, le=90)
    billing_seat_sync_seconds: float = Field(default=60.0, ge=0)
    # Integrations (webhooks, Slack, Discord): loopback/private targets only when explicitly allowed
    # (tests, local development); retries back off from the base for the window, then give up; an
    # integration failing for `disable_after` is turned off; per-org sends in flight, all nodes.
    integrations_allow_private: bool = False
    integrations_retry_base_seconds: float = Field(default=30.0, gt=0)
    integrations_retry_window_seconds: float = Field(default=24 * 3600.0, gt=0)
    integrations_disable_after_seconds: float = Field(default=24 * 3600.0, gt=0)
    integrations_per_org_concurrency: int = Field(default=4, ge=1, le=64)

    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_s3_bucket: str | None = None
    aws_endpoint_url: str | None = None
    aws_region: str = "us-east-1"
    files_signing_secret: str | None = None
    files_extract_timeout_seconds: float = Field(default=20.0, gt=0)

    reminder_interval_seconds: float = Field(default=30.0, gt=0, le=3600)
    analytics_interval_seconds: float = Field(default=300.0, gt=0, le=86400)

    # Several nodes: keys and limits live in the database (hardening).
    token_signing_key: str | None = None  # a PEM RSA key pinned for every node; empty: keys in the database
    token_key_rotation_days: int = Field(default=30, ge=1, le=3650)
    search_per_minute: int = Field(default=60, ge=1, le=10_000)
    proxy_hops: int = Field(default=0, ge=0, le=5)  # reverse proxies in front that append X-Forwarded-For

    next_public_app_url: str = "http://localhost:8080"
    api_url: str = "http://localhost:8080"
    public_ws_url: str | None = None

    # The seed's browser-side names: the app reads them from /api/config at run time. The Auth0
    # pair also configures the server when AUTH0_DOMAIN / AUTH0_CLIENT_ID are unset.
    next_public_auth0_domain: str | None = None
    next_public_auth0_client_id: str | None = None
    next_public_stripe_publishable_key: str | None = None

    # The HTTP API's self-check: every answer must match what /openapi.json declares (tests turn it on).
    validate_responses: bool = False

    # The browser app: the folder `make install` builds it into (`vite build`); empty means `web/dist`.
    web_dist_dir: Path | None = None

    # Processes: `community serve` runs WORKERS server processes (0: one per core) sharing the
    # ports through SO_REUSEPORT; SERVE_ROLE picks the listeners each one runs.
    workers: int = Field(default=0, ge=0, le=256)
    serve_role: Literal["all", "http", "ws"] = "all"
    reuse_port: bool = False

    # Realtime: more browser origins of the app (scheme://host[:port], JSON list) besides
    # NEXT_PUBLIC_APP_URL and the REST listener's own; websocket abuse limits.
    app_origins: list[str] = Field(default_factory=list)

    # Custom domains: the DNS resolver that TXT proofs are looked up with (address:port; empty: the
    # system's), and how long one lookup may take.
    dns_resolver: str = ""
    dns_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # A verified custom domain is looked up again once its last check is this old; the checker
    # looks for such domains every `domain_check_interval_seconds`.
    domain_recheck_after_seconds: float = Field(default=86400.0, gt=0, le=30 * 86400)
    domain_check_interval_seconds: float = Field(default=600.0, gt=0, le=86400)
    ws_max_connections_per_user: int = Field(default=20, ge=1)
    ws_max_subscriptions: int = Field(default=200, ge=1)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value and urlsplit(value).scheme not in ("postgres", "postgresql"):
            raise ValueError("must be a postgresql:// URL")
        return value or None

    @field_validator("dns_resolver")
    @classmethod
    def _check_dns_resolver(cls, value: str) -> str:
        parse_resolver(value)
        return value.strip()

    @field_validator("web_dist_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return value or None

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _seed_names(self) -> Settings:
        """`NEXT_PUBLIC_AUTH0_*` alone (the seed's deployment) turns Auth0 on: the domain, and the
        client id as the audience (the SPA's ID tokens) unless AUTH0_AUDIENCE names an API."""
        self.auth0_domain = self.auth0_domain or self.next_public_auth0_domain or None
        self.auth0_client_id = self.auth0_client_id or self.next_public_auth0_client_id or None
        if self.auth0_domain and not self.auth0_audience:
            self.auth0_audience = self.auth0_client_id
        return self

    @property
    def web_dist(self) -> Path:
        return self.web_dist_dir or Path(__file__).resolve().parent.parent / "web" / "dist"

    @property
    def data_dir(self) -> Path:
        return self.community_data_dir.resolve()

    @property
    def auth0_enabled(self) -> bool:
        return bool(self.auth0_domain and self.auth0_audience)


class SettingsError(Exception):
    """An invalid setting; the message is one line naming it."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid setting {problems}") from None
