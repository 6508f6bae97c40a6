"""The QuartTrio application factory: routes, schema, limits, errors, request log."""

from __future__ import annotations

import time

import structlog
from quart import Response, g, request
from quart_schema import QuartSchema
from quart_trio import QuartTrio

from community.handles import Handles
from community.http.context import current_handles
from community.http.cors import add_cors_headers, answer_preflight
from community.http.encoding import use_fast_json
from community.http.errors import register_error_handlers
from community.http.guards import guard_request
from community.http.keepalive import CompleteRequests
from community.http.openapi import CommunityOpenAPI, check_answer
from community.http.routes import (
    account,
    analytics,
    auth,
    billing,
    calendar,
    conversations,
    dashboard,
    docs,
    domains,
    events,
    files,
    forums,
    integrations,
    members,
    moderation,
    moderators,
    notifications,
    orgs,
    posts,
    reading,
    resources,
    satisfaction,
    search,
    system,
    topics,
    web,
)
from community.http.rules import LazyBuildRule
from community.logs import redact_path

log = structlog.get_logger("community.http")
_BLUEPRINTS = [system.blueprint, auth.blueprint, orgs.blueprint, members.blueprint,
               forums.blueprint, topics.blueprint, posts.blueprint, moderation.blueprint, dashboard.blueprint,
               notifications.blueprint, conversations.blueprint, search.blueprint,
               billing.blueprint, events.blueprint, calendar.blueprint, moderators.blueprint,
               integrations.blueprint, analytics.blueprint, account.blueprint, resources.blueprint,
               files.blueprint, satisfaction.blueprint, docs.blueprint, domains.blueprint, reading.blueprint]


def create_app(handles: Handles) -> QuartTrio:
    app = QuartTrio("community")
    app.url_rule_class = LazyBuildRule
    app.request_class = files.FileAwareRequest
    app.config["MAX_CONTENT_LENGTH"] = handles.settings.max_body_bytes
    app.config["QUART_SCHEMA_CONVERSION_PREFERENCE"] = "pydantic"
    app.extensions["community"] = handles
    QuartSchema(app, info={"title": "Community API", "version": "1"}, openapi_path="/openapi.json",
                swagger_ui_path=None, redoc_ui_path=None, scalar_ui_path=None,
                openapi_provider_class=CommunityOpenAPI)
    use_fast_json(app)
    register_error_handlers(app)
    app.before_request(_start_timer)
    app.before_request(answer_preflight)  # before any guard reads a body
    app.before_request(guard_request)
    app.after_request(_log_request)
    app.after_request(add_cors_headers)
    if handles.settings.validate_responses:
        app.after_request(check_answer)  # registered last, so it runs first (and the log shows its verdict)
    for blueprint in _BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_blueprint(web.blueprint)  # the browser app: every path the API does not claim
    app.asgi_app = CompleteRequests(app.asgi_app, max_drain_bytes=4 * handles.settings.max_body_bytes)  # type: ignore[method-assign]
    return app


async def _start_timer() -> None:
    g.started = time.perf_counter()


async def _log_request(response: Response) -> Response:
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    metrics = current_handles().telemetry
    metrics.requests.labels(request.method, str(response.status_code)).inc()
    metrics.latency.observe(elapsed)
    # Path only: the query string may carry an access_token.
    # A failed request is an error for the operator; the rest is the access log.
    emit = log.error if response.status_code >= 500 else log.info
    emit("http.request", method=request.method, path=redact_path(request.path, request.view_args),
         status=response.status_code,
         ms=round(elapsed * 1000, 2))
    return response
