"""A topic or post loaded through `access_*` (a typed row) shows as the same row read as a dict does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from community.db.queries.posts import PostRow
from community.db.queries.topics import TopicRow
from community.services.views import post_row_view, post_view, topic_row_view, topic_view

_AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _topic(**changes: Any) -> dict[str, Any]:
    forum_id = uuid.uuid4()
    return {"id": uuid.uuid4(), "org_id": uuid.uuid4(), "forum_id": forum_id, "title": "T", "slug": "t",
            "content": "c", "html": "<p>c</p>", "excerpt": "c", "author_id": uuid.uuid4(), "display_name": "Ana",
            "avatar_url": None, "is_pinned": False, "is_locked": True, "is_announcement": False, "view_count": 3,
            "reply_count": 2, "last_reply_at": _AT, "last_reply_by": uuid.uuid4(), "last_activity_at": _AT,
            "tags": ["a", "b"], "edit_count": 1, "last_edited_at": None, "created_at": _AT, "forum_view_rank": 0,
            "forum_path": [forum_id], "solution_post_id": None, "in_mod_scope": True, **changes}


def _post(**changes: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "org_id": uuid.uuid4(), "topic_id": uuid.uuid4(), "parent_id": None,
            "author_id": uuid.uuid4(), "display_name": "Ana", "avatar_url": "https://a.example/a.png",
            "content": "c", "html": "<p>c</p>", "is_solution": False, "reactions": {"👍": 2}, "edit_count": 0,
            "last_edited_at": None, "is_hidden": False, "deleted_at": None, "created_at": _AT,
            "attachments": None, "my_reactions": ["👍"], "forum_id": uuid.uuid4(), "topic_author_id": None,
            "topic_is_locked": False, "forum_view_rank": 0, "forum_path": [uuid.uuid4()], "in_mod_scope": False,
            **changes}


@pytest.mark.parametrize("changes", [{}, {"author_id": None, "display_name": None}])
def test_a_topic_row_shows_as_its_record(changes: dict[str, Any]) -> None:
    record = _topic(**changes)
    assert topic_row_view(TopicRow.from_record(record)) == topic_view(record)
    assert list(topic_row_view(TopicRow.from_record(record))) == list(topic_view(record))


@pytest.mark.parametrize(("changes", "moderator"), [
    ({}, False), ({"is_hidden": True}, False), ({"is_hidden": True}, True), ({"deleted_at": _AT}, True),
    ({"attachments": [{"id": "x"}]}, False), ({"author_id": None}, False)])
def test_a_post_row_shows_as_its_record(changes: dict[str, Any], moderator: bool) -> None:
    record = _post(**changes)
    assert post_row_view(PostRow.from_record(record), moderator=moderator) == post_view(record, moderator=moderator)
    assert list(post_row_view(PostRow.from_record(record))) == list(post_view(record))
