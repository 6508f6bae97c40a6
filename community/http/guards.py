"""Input that no route may see: undecodable or too deeply nested JSON, NUL bytes and lone surrogates.

One check before every request, so a route added tomorrow is covered without knowing it:
PostgreSQL text cannot hold NUL, and a lone surrogate (valid JSON: `"\\ud800"`) cannot be
encoded to UTF-8 on the way to the database, a log line or a websocket frame.
"""

from __future__ import annotations

import json
import re
from typing import Any

from quart import current_app, request
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE

from community.domain.errors import BadRequestError, ValidationFailedError

MAX_JSON_DEPTH = 32
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_BAD_TEXT_MSG = "must not contain NUL bytes or unpaired surrogates"


def bad_text(value: str) -> bool:
    return _BAD_TEXT.search(value) is not None


async def guard_request() -> None:
    """before_request: path, query string and (for routes that take one) the JSON body."""
    errors: list[dict[str, object]] = []
    if bad_text(request.path):
        errors.append({"loc": ["path"], "msg": _BAD_TEXT_MSG, "type": "bad_text"})
    for key, values in request.args.lists():
        if bad_text(key) or any(bad_text(v) for v in values):
            errors.append({"loc": ["query", _printable(key)], "msg": _BAD_TEXT_MSG, "type": "bad_text"})
    if errors:
        raise ValidationFailedError("invalid text in the request line", errors)
    if request.method in ("POST", "PUT", "PATCH") and _takes_body():  # not a CORS preflight (OPTIONS)
        await _check_json_body()


def _takes_body() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and hasattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE)


async def _check_json_body() -> None:
    """A route that takes a body takes JSON: parsed here once, strictly, and cached for the route."""
    if not request.is_json:
        raise BadRequestError("The body must be JSON (Content-Type: application/json).")
    raw = await request.get_data(cache=True, as_text=False)
    assert isinstance(raw, bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestError("The body is not valid UTF-8.") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise BadRequestError(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.") from None
    except ValueError:
        raise BadRequestError("The body is not valid JSON.") from None
    errors = find_bad_json(data)
    if errors is None:
        raise BadRequestError(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.")
    if errors:
        names = ", ".join(_dotted(e["loc"]) for e in errors)
        raise ValidationFailedError(f"invalid: {names}", errors)
    request._cached_json[False] = request._cached_json[True] = data


def find_bad_json(data: Any) -> list[dict[str, object]] | None:
    """Every string (key or value) holding NUL or a lone surrogate, by location; None when too deep.

    Iterative, so depth costs no recursion; stops collecting after 20 errors.
    """
    errors: list[dict[str, object]] = []
    stack: list[tuple[Any, list[object]]] = [(data, ["body"])]
    while stack and len(errors) < 20:
        value, loc = stack.pop()
        if len(loc) > MAX_JSON_DEPTH + 1:
            return None
        if isinstance(value, str):
            if bad_text(value):
                errors.append({"loc": loc, "msg": _BAD_TEXT_MSG, "type": "bad_text"})
        elif isinstance(value, dict):
            for key, item in value.items():
                if bad_text(key):
                    errors.append({"loc": [*loc, _printable(key)], "msg": "key " + _BAD_TEXT_MSG, "type": "bad_text"})
                else:
                    stack.append((item, [*loc, key]))
        elif isinstance(value, list):
            stack.extend((item, [*loc, i]) for i, item in enumerate(value))
    errors.sort(key=lambda e: [str(p) for p in e["loc"]])  # type: ignore[attr-defined]
    return errors


def _dotted(loc: object) -> str:
    parts = loc[1:] if isinstance(loc, list) else []
    return ".".join(str(p) for p in parts) or "body"


def _printable(text: str) -> str:
    """The client's own text, safe to echo in an answer or a log line."""
    return _BAD_TEXT.sub("\ufffd", text)
