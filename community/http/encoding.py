"""JSON out with orjson, and quart-schema's conversion pass only for values that need it.

Routes answer plain dicts and lists of str/int/UUID/datetime...; quart-schema would run each
through a fresh pydantic `TypeAdapter` before the encoder sees it. orjson encodes those types
natively (UTC datetimes as `...Z`, like the stdlib path did); anything else (a pydantic
model, a Decimal) goes through pydantic's `to_jsonable_python`. Request bodies are still
parsed by the stdlib, which keeps a lone surrogate for validation to name (422).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

import orjson
from pydantic_core import to_jsonable_python
from quart import Response
from quart.json.provider import DefaultJSONProvider
from quart_trio import QuartTrio

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
_PLAIN = (dict, list, str, bytes, Response)


def _default(value: Any) -> Any:
    if isinstance(value, UUID):  # asyncpg's own UUID subclass, which orjson does not take as a UUID
        return str(value)
    return to_jsonable_python(value)


def encode(value: object) -> bytes:
    return orjson.dumps(value, default=_default, option=_OPTIONS)


class OrjsonProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return encode(obj).decode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        body = encode(self._prepare_response_obj(args, kwargs))
        response_class: Any = self._app.response_class
        return cast(Response, response_class(body, mimetype="application/json"))


def use_fast_json(app: QuartTrio) -> None:
    """Call after `QuartSchema(app)`: it set its own provider and wrapped `make_response`."""
    app.json = OrjsonProvider(app)
    converting: Callable[[Any], Awaitable[Any]] = app.make_response
    plain: Callable[[Any], Awaitable[Any]] = getattr(converting, "__wrapped__", converting)

    async def make_response(result: Any) -> Any:
        value = result[0] if isinstance(result, tuple) else result
        return await (plain if isinstance(value, _PLAIN) else converting)(result)

    app.make_response = make_response  # type: ignore[method-assign]


# PostgreSQL text and jsonb cannot hold NUL, so no stored value encodes as this JSON string.
_HOLE_VALUE = "\x00hole\x00"
_HOLE = encode(_HOLE_VALUE)


@dataclass(frozen=True)
class Encoded:
    """A JSON answer encoded once, with one hole where an integer goes at each use (a view count)."""

    head: bytes
    tail: bytes

    @classmethod
    def with_hole(cls, value: Any, place: Callable[[Any, str], None]) -> Encoded:
        """Encode `value` after `place(value, marker)` put the marker where the number goes."""
        place(value, _HOLE_VALUE)
        head, found, tail = encode(value).partition(_HOLE)
        if not found or _HOLE in tail:
            raise ValueError("the hole must be placed exactly once")
        return cls(head, tail)

    @property
    def size(self) -> int:
        return len(self.head) + len(self.tail)

    def response(self, number: int) -> Response:
        return Response(b"".join((self.head, str(number).encode(), self.tail)), mimetype="application/json")
