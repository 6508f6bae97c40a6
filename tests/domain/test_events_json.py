"""`dumps` (orjson) writes exactly what the stdlib encoder wrote, and falls back to it for what orjson refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import asyncpg
import pytest

from community.domain.events import Channel, ChannelKind, EventType, _default, dumps


def _stdlib(value: object) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("value", [
    {"id": uuid4(), "channel": Channel.conversation(uuid4()), "kind": ChannelKind.TOPIC,
     "type": EventType.MESSAGE_CREATED},
    {"at": datetime(2026, 12, 3, 12, 0, tzinfo=UTC), "micro": datetime(2026, 12, 3, 12, 0, 0, 5, tzinfo=UTC),
     "naive": datetime(2026, 12, 3, 12, 0, tzinfo=UTC).replace(tzinfo=None),
     "offset": datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))},
    {"text": "é \u2028 \u2029 \" \\ \n \t \x01 </script>", "n": 2**63 - 1,
     "nested": [1, 2.5, -0.1, None, True, {"a": []}]},
    {"pg": asyncpg.pgproto.pgproto.UUID(str(uuid4()))},  # asyncpg's own UUID subclass
    {"big": 2**70, "lone": "\ud800"},  # orjson refuses both: the stdlib writes them
])
def test_dumps_is_the_stdlib_text(value: object) -> None:
    assert dumps(value) == _stdlib(value)


def test_dumps_still_refuses_what_is_not_json() -> None:
    with pytest.raises(TypeError):
        dumps({"s": {1, 2}})
