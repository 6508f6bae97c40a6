"""Typed cursors: what a decoder answers is the key its query takes; anything else is a 422 on `cursor`."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from community.domain.cursors import encode_cursor, keyed_cursor, time_cursor
from community.domain.errors import ValidationFailedError


def test_keyed_cursor_round_trips_each_key_type() -> None:
    last = uuid4()
    at = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)
    assert keyed_cursor(encode_cursor(["acme", last]), str) == ("acme", last)
    assert keyed_cursor(encode_cursor([7, last]), int) == (7, last)
    assert keyed_cursor(encode_cursor([at, last]), datetime) == (at, last)
    assert keyed_cursor(None, str) is None


@pytest.mark.parametrize("values", [[7, "x"], ["acme"], [True, "00000000-0000-0000-0000-000000000000"]])
def test_keyed_cursor_of_another_shape_is_invalid(values: list[object]) -> None:
    with pytest.raises(ValidationFailedError) as caught:
        keyed_cursor(encode_cursor(values), int)
    assert caught.value.data["errors"] == [{"loc": ["query", "cursor"], "msg": "invalid cursor"}]


def test_time_cursor_refuses_a_name_cursor() -> None:
    with pytest.raises(ValidationFailedError):
        time_cursor(encode_cursor(["acme", uuid4()]))
