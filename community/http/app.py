"""The QuartTrio application factory: routes, schema, limits, errors, request log."""

from __future__ import annotations

import time

import structlog
from quart import Response, current_app, g, request
from quart_schema import QuartSchema
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE
from quart_trio import QuartTrio

from community.domain.errors import BadRequestError
from community.handles import Handles
from community.http.context import current_handles
from community.http.errors import register_error_handlers
from community.http.openapi import CommunityOpenAPI, check_answer
from community.http.routes import (
    auth,
    billing,
    calendar,
    conversations,
    dashboard,
    events,
    forums,
    members,
    moderation,
    notifications,
    orgs,
    posts,
    search,
    system,
    topics,
    web,
)

log = structlog.get_logger("community.http")
_BLUEPRINTS = [system.blueprint, auth.blueprint, orgs.blueprint, members.blueprint,
               forums.blueprint, topics.blueprint, posts.blueprint, moderation.blueprint, dashboard.blueprint,
               notifications.blueprint, conversations.blueprint, search.blueprint,
               billing.blueprint, events.blueprint, calendar.blueprint]


def create_app(handles: Handles) -> QuartTrio:
    app = QuartTrio("community")
    app.config["MAX_CONTENT_LENGTH"] = handles.settings.max_body_bytes
    app.config["QUART_SCHEMA_CONVERSION_PREFERENCE"] = "pydantic"
    app.extensions["community"] = handles
    QuartSchema(app, info={"title": "Community API", "version": "1"}, openapi_path="/openapi.json",
                swagger_ui_path="/docs", redoc_ui_path=None, scalar_ui_path=None,
                openapi_provider_class=CommunityOpenAPI)
    register_error_handlers(app)
    app.before_request(_start_timer)
    app.before_request(_require_json_body)
    app.after_request(_log_request)
    if handles.settings.validate_responses:
        app.after_request(check_answer)  # registered last, so it runs first (and the log shows its verdict)
    for blueprint in _BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_blueprint(web.blueprint)  # the browser app: every path the API does not claim
    return app


async def _start_timer() -> None:
    g.started = time.perf_counter()


async def _require_json_body() -> None:
    """A route that takes a body takes JSON: anything else is a 400, not a confusing 422."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or not hasattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE):
        return
    if not request.is_json:
        raise BadRequestError("The body must be JSON (Content-Type: application/json).")
    if await request.get_json(silent=True) is None:
        raise BadRequestError("The body is not valid JSON.")


async def _log_request(response: Response) -> Response:
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    metrics = current_handles().telemetry
    metrics.requests.labels(request.method, str(response.status_code)).inc()
    metrics.latency.observe(elapsed)
    # Path only: the query string may carry an access_token.
    log.info("http.request", method=request.method, path=request.path, status=response.status_code,
             ms=round(elapsed * 1000, 2))
    return response
