"""What client input may be: the base of every request body, and text PostgreSQL can hold.

The bodies themselves live beside the use case that takes them (`services/<area>.py`): a
service's signature says what it accepts, and routes hand the validated body on as it is.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict


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


# An occurrence of an event: its id or its start time (RFC 3339, with a zone); events.parse_occurrence reads it.
Occurrence = Annotated[str, Field(max_length=64, json_schema_extra={"anyOf": [
    {"type": "string", "format": "uuid"}, {"type": "string", "format": "date-time"}]})]
# Semantic formats the document declares for what JSON Schema cannot spell (tests/hardening/fuzz.py
# generates each): a password the strength check accepts, an IANA time zone name.
PASSWORD_FORMAT: JsonDict = {"format": "password",
                   "description": "Hard to guess: zxcvbn scores it 2 of 4 or more, not built from the e-mail or name"}
WHITE_TEXT_FORMAT: JsonDict = {"format": "white-text-colour",
                     "description": "#rrggbb under white text: a contrast of at least 4.5:1 (WCAG AA)"}
RRULE_FORMAT: JsonDict = {"format": "rrule", "description": "An RFC 5545 RRULE without DTSTART; FREQ DAILY, WEEKLY, "
                           "MONTHLY or YEARLY, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10"}
TIME_ZONE_FORMAT: JsonDict = {"format": "time-zone", "description": "An IANA time zone name, e.g. Europe/Berlin"}


def null_refused(schema: JsonDict) -> None:
    """`json_schema_extra` for an optional field whose explicit null the use case refuses (422 naming it):
    the document leaves null out (validation still takes it, so the refusal names the field)."""
    options = schema.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        del schema["anyOf"]
        if len(rest) == 1 and isinstance(rest[0], dict):
            schema.update(rest[0])
        else:
            schema["anyOf"] = rest
    if schema.get("default", "") is None:
        del schema["default"]


def _any_case(word: str) -> str:
    return "".join(f"[{c}{c.upper()}]" for c in word)


# An e-mail address as EmailStr takes it: email-validator also refuses special-use domains (RFC 6761).
_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")
EMAIL_SCHEMA: JsonDict = {"pattern": rf"^(?![\s\S]*[@.]({'|'.join(_any_case(w) for w in _SPECIAL_USE)})\.?\s*$)"}


class Body(BaseModel):
    """A request body: unknown fields are refused, strings arrive stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
