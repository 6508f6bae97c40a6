"""Integrations and their delivery log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database, Record
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class IntegrationRow(Row):
    """An integration as stored. Its URL (Slack's and Discord's carry their token) and signing secrets
    stay out of the repr, so a logged row never shows them."""

    id: UUID
    org_id: UUID
    kind: str
    name: str
    url: str = field(repr=False)
    events: tuple[str, ...]
    forum_id: UUID | None
    enabled: bool
    secret: str | None = field(repr=False)
    previous_secret: str | None = field(repr=False)
    previous_secret_expires_at: datetime | None
    failing_since: datetime | None
    disabled_reason: str | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime

    _TUPLES = ("events",)


@dataclass(frozen=True, slots=True)
class DeliveryRow(Row):
    """A delivery as stored (its lease, `claimed_until`, is the claim's alone)."""

    id: UUID
    org_id: UUID
    integration_id: UUID
    event_type: str
    activity_seq: int | None
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    response_status: int | None
    latency_ms: int | None
    response_excerpt: str | None
    error: str | None
    created_at: datetime
    delivered_at: datetime | None
    redelivered_at: datetime | None


COLUMNS = """id, org_id, kind, name, url, events, forum_id, enabled, secret, previous_secret,
    previous_secret_expires_at, failing_since, disabled_reason, created_by, created_at, updated_at"""
DELIVERY_COLUMNS = """id, org_id, integration_id, event_type, activity_seq, payload, status, attempts, next_attempt_at,
    last_attempt_at, response_status, latency_ms, response_excerpt, error, created_at, delivered_at, redelivered_at"""

_INSERT = f"""
INSERT INTO integrations (org_id, kind, name, url, events, forum_id, enabled, secret, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}
"""  # noqa: S608 - column constant
_GET = f"SELECT {COLUMNS} FROM integrations WHERE org_id = $1 AND id = $2"  # noqa: S608
_LIST = f"SELECT {COLUMNS} FROM integrations WHERE org_id = $1 ORDER BY created_at, id"  # noqa: S608
_UPDATE = f"""
UPDATE integrations SET name = coalesce($3, name), url = coalesce($4, url), events = coalesce($5, events),
    forum_id = CASE WHEN $6 THEN $7 ELSE forum_id END, enabled = coalesce($8, enabled),
    failing_since = CASE WHEN $8 THEN NULL ELSE failing_since END,
    disabled_reason = CASE WHEN $8 THEN NULL ELSE disabled_reason END, updated_at = now()
WHERE org_id = $1 AND id = $2 RETURNING {COLUMNS}
"""  # noqa: S608
_ROTATE = f"""
UPDATE integrations SET previous_secret = secret, previous_secret_expires_at = now() + $4::interval, secret = $3,
    updated_at = now()
WHERE org_id = $1 AND id = $2 RETURNING {COLUMNS}
"""  # noqa: S608
_DELETE = "DELETE FROM integrations WHERE org_id = $1 AND id = $2 RETURNING id"
_FAILED = f"""
UPDATE integrations SET failing_since = coalesce(failing_since, now()) WHERE org_id = $1 AND id = $2
RETURNING {COLUMNS}
"""  # noqa: S608
_SUCCEEDED = "UPDATE integrations SET failing_since = NULL WHERE org_id = $1 AND id = $2 AND failing_since IS NOT NULL"
_DISABLE = f"""
UPDATE integrations SET enabled = false, disabled_reason = $3, updated_at = now()
WHERE org_id = $1 AND id = $2 AND enabled RETURNING {COLUMNS}
"""  # noqa: S608

_QUEUE = f"""
INSERT INTO integration_deliveries (org_id, integration_id, event_type, payload) VALUES ($1, $2, $3, $4)
RETURNING {DELIVERY_COLUMNS}
"""  # noqa: S608
_GET_DELIVERY = f"SELECT {DELIVERY_COLUMNS} FROM integration_deliveries WHERE org_id = $1 AND id = $2"  # noqa: S608
_LIST_DELIVERIES = f"""
SELECT {DELIVERY_COLUMNS} FROM integration_deliveries
WHERE org_id = $1 AND integration_id = $2 AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
ORDER BY created_at DESC, id DESC LIMIT $5
"""  # noqa: S608
_REDELIVER = f"""
UPDATE integration_deliveries SET status = 'pending', next_attempt_at = now(), claimed_until = NULL,
    redelivered_at = now(), error = NULL
WHERE org_id = $1 AND integration_id = $2 AND id = $3 RETURNING {DELIVERY_COLUMNS}
"""  # noqa: S608
_CLAIM = "SELECT org_id, id FROM integration_claim($1, $2, $3)"
_RECORD_ATTEMPT = """
UPDATE integration_deliveries SET status = $3::varchar, next_attempt_at = coalesce($4, next_attempt_at),
    claimed_until = NULL, response_status = $5, latency_ms = $6, response_excerpt = $7, error = $8,
    delivered_at = CASE WHEN $3::varchar = 'delivered' THEN now() ELSE delivered_at END
WHERE org_id = $1 AND id = $2
"""


def _integration(record: Record | None) -> IntegrationRow | None:
    return IntegrationRow.from_record(record) if record is not None else None


def _delivery(record: Record | None) -> DeliveryRow | None:
    return DeliveryRow.from_record(record) if record is not None else None


async def insert_integration(conn: Conn, *, org_id: UUID, kind: str, name: str, url: str, events: list[str],
                             forum_id: UUID | None, enabled: bool, secret: str | None,
                             created_by: UUID | None) -> IntegrationRow:
    found = await conn.fetchrow(_INSERT, org_id, kind, name, url, events, forum_id, enabled, secret, created_by)
    assert found is not None
    return IntegrationRow.from_record(found)


async def get_integration(conn: Conn, org_id: UUID, integration_id: UUID) -> IntegrationRow | None:
    return _integration(await conn.fetchrow(_GET, org_id, integration_id))


async def list_integrations(conn: Conn, org_id: UUID) -> list[IntegrationRow]:
    return IntegrationRow.from_records(await conn.fetch(_LIST, org_id))


async def update_integration(conn: Conn, org_id: UUID, integration_id: UUID, *, name: str | None, url: str | None,
                             events: list[str] | None, set_forum: bool, forum_id: UUID | None,
                             enabled: bool | None) -> IntegrationRow | None:
    return _integration(await conn.fetchrow(_UPDATE, org_id, integration_id, name, url, events, set_forum, forum_id,
                                            enabled))


async def rotate_secret(conn: Conn, org_id: UUID, integration_id: UUID, secret: str,
                        overlap: timedelta) -> IntegrationRow | None:
    return _integration(await conn.fetchrow(_ROTATE, org_id, integration_id, secret, overlap))


async def delete_integration(conn: Conn, org_id: UUID, integration_id: UUID) -> bool:
    return await conn.fetchval(_DELETE, org_id, integration_id) is not None


async def mark_failing(conn: Conn, org_id: UUID, integration_id: UUID) -> IntegrationRow | None:
    return _integration(await conn.fetchrow(_FAILED, org_id, integration_id))


async def mark_succeeding(conn: Conn, org_id: UUID, integration_id: UUID) -> None:
    await conn.execute(_SUCCEEDED, org_id, integration_id)


async def disable(conn: Conn, org_id: UUID, integration_id: UUID, reason: str) -> IntegrationRow | None:
    return _integration(await conn.fetchrow(_DISABLE, org_id, integration_id, reason))


async def queue_delivery(conn: Conn, org_id: UUID, integration_id: UUID, event_type: str,
                         payload: dict[str, Any]) -> DeliveryRow:
    found = await conn.fetchrow(_QUEUE, org_id, integration_id, event_type, payload)
    assert found is not None
    return DeliveryRow.from_record(found)


async def get_delivery(conn: Conn, org_id: UUID, delivery_id: UUID) -> DeliveryRow | None:
    return _delivery(await conn.fetchrow(_GET_DELIVERY, org_id, delivery_id))


async def list_deliveries(conn: Conn, org_id: UUID, integration_id: UUID, *,
                          before: tuple[datetime, UUID] | None, limit: int) -> list[DeliveryRow]:
    at, last = before if before else (None, None)
    return DeliveryRow.from_records(await conn.fetch(_LIST_DELIVERIES, org_id, integration_id, at, last, limit))


async def redeliver(conn: Conn, org_id: UUID, integration_id: UUID, delivery_id: UUID) -> DeliveryRow | None:
    return _delivery(await conn.fetchrow(_REDELIVER, org_id, integration_id, delivery_id))


async def claim(db: Database, limit: int, per_org: int, lease: timedelta) -> list[tuple[UUID, UUID]]:
    """One statement in its own transaction, one handoff (the deliverer claims after every commit)."""
    # Leases on deliveries only: no page shows them, so cached pages stay good.
    return [(r["org_id"], r["id"]) for r in await db.fetch_once(_CLAIM, limit, per_org, lease, invalidates=False)]


async def record_attempt(conn: Conn, org_id: UUID, delivery_id: UUID, *, status: str,
                         next_attempt_at: datetime | None, response_status: int | None, latency_ms: int | None,
                         excerpt: str | None, error: str | None) -> None:
    await conn.execute(_RECORD_ATTEMPT, org_id, delivery_id, status, next_attempt_at, response_status, latency_ms,
                       excerpt, error)
