"""What client input may be: the base of every request body, and text PostgreSQL can hold.

The bodies themselves live beside the use case that takes them (`services/<area>.py`): a
service's signature says what it accepts, and routes hand the validated body on as it is.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


def _plain_text(value: str) -> str:
    """PostgreSQL text holds neither NUL nor lone surrogates: refuse them here (422), not in SQL (500)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


Text = Annotated[str, AfterValidator(_plain_text)]


class Body(BaseModel):
    """A request body: unknown fields are refused, strings arrive stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
