"""Operator and bootstrap endpoints: health, readiness, metrics, client config."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

import trio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from quart import Blueprint, Response, request

from community.handles import Handles
from community.http.context import current_handles
from community.http.models import Answer
from community.http.openapi import answers, public
from community.services import domains

blueprint = Blueprint("system", __name__)


class Health(Answer):
    status: str


class Readiness(Answer):
    status: str
    failing: list[str]


class HostOrg(Answer):
    """The org whose verified custom domain the request's Host is: what its app shows before sign-in."""

    id: UUID
    slug: str
    name: str
    logo_url: str | None
    branding: dict[str, Any]
    custom_domain: str


class ClientConfig(Answer):
    """What the browser app needs at run time."""

    ws_url: str
    auth: Literal["builtin", "auth0"]
    auth0_domain: str | None
    auth0_audience: str | None
    auth0_client_id: str | None
    stripe_publishable_key: str | None
    app_url: str
    api_url: str
    org: HostOrg | None = None  # set when the request's Host is an org's verified custom domain


@blueprint.get("/healthz")
@answers(Health)
async def healthz() -> dict[str, Any]:
    """The process is up and its event loop answers."""
    return {"status": "ok"}


@blueprint.get("/readyz")
@answers(Readiness)
@answers(Readiness, 503)
async def readyz() -> tuple[dict[str, Any], int]:
    """Ready when the database answers and every core actor is running; else 503 naming what is not."""
    h = current_handles()
    failing = [] if await h.db_pool.probe() else ["database"]
    core = h.telemetry.supervisor("core")
    if core is not None:
        failing += [c.id for c in core.which_children() if not c.running]
    status = 200 if not failing else 503
    return {"status": "ready" if status == 200 else "unavailable", "failing": failing}, status


@blueprint.get("/metrics")
@answers(None, media_type="text/plain")
async def metrics() -> Response:
    h = current_handles()
    body = generate_latest(h.telemetry.registry) + _live_gauges(h).encode()
    return Response(body, content_type=CONTENT_TYPE_LATEST)


@blueprint.get("/api/config")
@answers(ClientConfig)
@public
async def config() -> dict[str, Any]:
    h = current_handles()
    settings = h.settings
    org = await domains.org_for_host(h.db, request.headers.get("Host"))
    auth0 = settings.auth0_enabled
    return {"ws_url": h.endpoints.ws_url, "auth": "auth0" if auth0 else "builtin",
            "auth0_domain": settings.auth0_domain if auth0 else None,
            "auth0_audience": settings.auth0_audience if auth0 else None,
            "auth0_client_id": settings.auth0_client_id if auth0 else None,
            "stripe_publishable_key": settings.next_public_stripe_publishable_key or None,
            "app_url": settings.next_public_app_url.rstrip("/"), "api_url": settings.api_url.rstrip("/"), "org": org}


def _live_gauges(h: Handles) -> str:
    """Live values read at scrape time from the actors themselves."""
    gauges = _Gauges()
    gauges.add("community_ws_connections", "Open websockets on this node", len(h.registry.connections()))
    gauges.add("community_ws_delivered_total", "Frames queued to sockets", h.registry.delivered)
    gauges.add("community_notifier_published_total", "Events fanned out", h.notifier.published)
    gauges.add("community_indexer_indexed_total", "Rows indexed", h.indexer.indexed)
    gauges.add("community_reminders_done_total", "Event reminders settled, e-mails sent, occurrences added",
               h.reminders.done)
    gauges.add("community_analytics_days_total", "Daily rollups written", h.analytics.days_written)
    pages = h.pages
    gauges.add("community_page_cache_hits_total", "Read pages answered from the cache", pages.hits)
    gauges.add("community_page_cache_misses_total", "Read pages not in the cache (stale ones included)", pages.misses)
    gauges.add("community_page_cache_stale_total", "Entries found invalidated or expired", pages.stale)
    gauges.add("community_page_cache_bypassed_total", "Reads past the cache while the bus was not listening",
               pages.bypassed)
    gauges.add("community_page_cache_evicted_total", "Entries evicted for room", pages.evicted)
    gauges.add("community_page_cache_invalidations_total", "Changes heard (commits here, notices from the bus)",
               pages.generations.bumps)
    gauges.add("community_page_cache_entries", "Entries held", len(pages))
    gauges.add("community_page_cache_bytes", "Bytes held", pages.bytes)
    gauges.add("community_page_cache_listening", "1 while other nodes' changes are heard",
               int(pages.generations.listening))
    gauges.add("community_page_cache_enabled", "1 while reads may be answered from the cache", int(pages.enabled))
    for box in h.telemetry.mailboxes():
        gauges.add("community_mailbox_pending", "Messages waiting", box.pending(), actor=box.name)
        gauges.add("community_mailbox_dropped_total", "Messages dropped on overflow", box.dropped, actor=box.name)
    for sup in h.telemetry.supervisors:
        for child in sup.which_children():
            labels = {"supervisor": sup.id, "child": child.id}
            gauges.add("community_child_running", "1 when running", int(child.running), **labels)
            gauges.add("community_child_restarts_total", "Restarts", child.restarts, **labels)
    gauges.add("community_uptime_seconds", "Seconds on the trio clock", round(trio.current_time(), 3))
    return gauges.render()


class _Gauges:
    def __init__(self) -> None:
        self._series: dict[str, tuple[str, list[str]]] = {}

    def add(self, name: str, help_text: str, value: float, **labels: str) -> None:
        label_text = ",".join(f'{k}="{v}"' for k, v in labels.items())
        series = f"{name}{{{label_text}}}" if label_text else name
        self._series.setdefault(name, (help_text, []))[1].append(f"{series} {value}\n")

    def render(self) -> str:
        return "".join(f"# HELP {name} {help_text}\n# TYPE {name} gauge\n" + "".join(lines)
                       for name, (help_text, lines) in self._series.items())
