"""Every error answer is application/problem+json, with a stable `code`."""

from __future__ import annotations

from typing import Any

import structlog
from pydantic import ValidationError
from quart import Response, current_app, json
from quart_schema.validation import QuerystringValidationError, RequestSchemaValidationError
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException

from community.db.pool import DatabaseTimeout, DatabaseUnavailable
from community.domain.errors import CommunityError, RateLimitedError

log = structlog.get_logger("community.http")
PROBLEM_TYPE = "https://community.example/problems/"
RETRY_AFTER = 5  # seconds a client waits out a database outage before retrying

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
               415: "unsupported_media_type", 422: "validation_failed", 429: "rate_limited",
               503: "service_unavailable"}


def problem(status: int, code: str, title: str, detail: str, *,
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = {"type": PROBLEM_TYPE + code.replace("_", "-"), "title": title, "status": status,
            "code": code, "detail": detail, **extra}
    response = current_app.response_class(json.dumps(body), status=status,
                                          content_type="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def validation_errors(exc: ValidationError, prefix: str) -> list[dict[str, object]]:
    return [{"loc": [prefix, *err["loc"]], "msg": err["msg"], "type": err["type"]} for err in exc.errors()]


async def _community_error(exc: CommunityError) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimitedError) else None
    return problem(exc.status, exc.code, exc.title, exc.detail, headers=headers, **exc.data)


async def _schema_error(exc: RequestSchemaValidationError) -> Response:
    prefix = "query" if isinstance(exc, QuerystringValidationError) else "body"
    inner = exc.validation_error
    errors = validation_errors(inner, prefix) if isinstance(inner, ValidationError) else [
        {"loc": [prefix], "msg": str(inner), "type": "invalid"}]
    fields = ", ".join(_field_name(e["loc"], prefix) for e in errors)
    return problem(422, "validation_failed", "Validation failed", f"invalid: {fields}", errors=errors)


def _field_name(loc: object, prefix: str) -> str:
    parts = loc[1:] if isinstance(loc, list) else []
    return ".".join(str(p) for p in parts) or prefix


async def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = _HTTP_CODES.get(status, "http_error")
    response = problem(status, code, exc.name, exc.description or exc.name)
    if status == 405 and exc.get_headers():
        allow = dict(exc.get_headers()).get("Allow")
        if allow:
            response.headers["Allow"] = allow
    return response


async def _unexpected(exc: Exception) -> Response:
    if is_outage(exc):
        log.error("http.database_unavailable", reason=repr(exc))
        return problem(503, "database_unavailable", "Service unavailable",
                       "The database is unreachable; try again shortly.", headers={"Retry-After": str(RETRY_AFTER)})
    log.error("http.unhandled_error", exc_info=exc)
    return problem(500, "internal_error", "Internal server error", "The server failed to answer; it is logged.")


def is_outage(exc: BaseException) -> bool:
    """A database that is down, restarting or not answering in time (every leaf of a group)."""
    if isinstance(exc, BaseExceptionGroup):
        return all(is_outage(e) for e in exc.exceptions)
    return isinstance(exc, (*DatabaseUnavailable, DatabaseTimeout))


def register_error_handlers(app: QuartTrio) -> None:
    app.register_error_handler(CommunityError, _community_error)
    app.register_error_handler(RequestSchemaValidationError, _schema_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
