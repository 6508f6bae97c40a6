"""Structured logging: one JSON line an event for operators, or a console view."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

_SECRET_QUERY = re.compile(r"(access_token|token)=[^&\s]+", re.IGNORECASE)
_SECRET_KEYS = frozenset({"authorization", "password", "token", "access_token", "secret"})
# Route parameters that carry a credential (invitation tokens, feed tokens...): a route names its
# secret `<token>` (or another name here) and the request log never shows its value.
SECRET_PATH_PARAMS = frozenset({"token", "secret", "key", "signature"})
# A path segment that looks like a generated credential (32+ URL-safe characters with an upper-case
# letter; slugs and UUIDs are lower-case), for paths no route matched.
# The one value the log may carry whole although it holds a credential: a link the log delivers in
# place of a mail (account._send_link, only with no SMTP set and the app on a loopback address: a local
# install, where the log is the operator's own terminal). Anywhere else a link's token is redacted.
DELIVERED_LINK = "delivered_link"
_TOKEN_SEGMENT = re.compile(r"(?<=/)(?=[A-Za-z0-9_-]*[A-Z])[A-Za-z0-9_-]{32,}")


def redact_path(path: str, secrets: dict[str, object] | None = None) -> str:
    for name, value in (secrets or {}).items():
        if name in SECRET_PATH_PARAMS and str(value):
            path = path.replace(str(value), "[redacted]")
    return _TOKEN_SEGMENT.sub("[redacted]", path)


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Tokens never reach logs, whoever logged them."""
    for key in list(event):
        if key == DELIVERED_LINK:
            continue
        if key.lower() in _SECRET_KEYS:
            event[key] = "[redacted]"
        elif key == "path" and isinstance(event[key], str):
            event[key] = redact_path(event[key])
        elif isinstance(event[key], str) and "=" in event[key]:
            event[key] = _SECRET_QUERY.sub(r"\1=[redacted]", event[key])
    return event


def configure_logging(*, fmt: str, level: str) -> None:
    # JSON lines are rendered by orjson straight to bytes: a request's log line is on the hot path.
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_orjson_dumps)
        if fmt == "json"
        # Plain tracebacks: with rich installed (a dev dependency's) structlog would print every
        # frame's locals, tokens and e-mails included.
        else structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty(),
                                           exception_formatter=structlog.dev.plain_traceback)
    )
    factory: Any = (structlog.BytesLoggerFactory(sys.stdout.buffer) if fmt == "json"
                    else structlog.PrintLoggerFactory(sys.stdout))
    numeric = logging.getLevelNamesMapping()[level.upper()]
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
        structlog.processors.format_exc_info if fmt == "json" else _passthrough,
    ]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=factory,
        cache_logger_on_first_use=False,
    )
    # Third-party stdlib loggers (hypercorn, asyncio, asyncpg) and Python warnings: at warning and up,
    # the same one-JSON-event-a-line as ours, on stdout beside them.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[_from_stdlib, structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.JSONRenderer(serializer=_orjson_text) if fmt == "json" else renderer],
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared]))
    logging.basicConfig(level=max(numeric, logging.WARNING), handlers=[handler], force=True)
    logging.captureWarnings(True)


def _from_stdlib(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A stdlib record's text becomes `message`; the event names where it came from, like ours do."""
    event["message"] = str(event.get("event", ""))
    event["event"] = f"{event.get('logger', 'python')}.log"
    return event


def _orjson_dumps(event: MutableMapping[str, Any], **_: Any) -> bytes:
    return orjson.dumps(event, default=repr, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)


def _orjson_text(event: MutableMapping[str, Any], **_: Any) -> str:
    """For the stdlib's formatter, which writes text (bytes would print as b'...')."""
    return _orjson_dumps(event).decode()


def _passthrough(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return event
