"""The typed row's view and the record's view (the conversation page, the send) answer the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from community.db.queries.messages import MessageRow
from community.services.views import message_row_view, message_view


def _record(**changes: Any) -> dict[str, Any]:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    return {"id": uuid.uuid4(), "seq": 7, "org_id": uuid.uuid4(), "conversation_id": uuid.uuid4(),
            "sender_id": uuid.uuid4(), "display_name": "Ana", "avatar_url": None, "client_id": "c1",
            "attachments": [{"id": "a", "file_name": "f.png", "content_type": "image/png", "size": 3}],
            "content": "hi", "html": "<p>hi</p>", "reactions": {"👍": 2}, "edit_count": 1, "edited_at": now,
            "deleted_at": None, "created_at": now, "my_reactions": ["👍"], **changes}


@pytest.mark.parametrize("changes", [{}, {"sender_id": None, "display_name": None},
                                     {"deleted_at": datetime(2026, 12, 4, tzinfo=UTC), "attachments": None}])
def test_row_and_record_views_agree(changes: dict[str, Any]) -> None:
    record = _record(**changes)
    row = MessageRow(**{**record, "my_reactions": tuple(record["my_reactions"])})
    assert message_row_view(row) == message_view(record)
