"""Topic tags: lower-case, inner spaces as hyphens, duplicates dropped; 1-30 characters each."""

from __future__ import annotations

import re

from pydantic.config import JsonDict

MAX_TAGS = 5
_TAG = re.compile(r"^[\w+#.-]{1,30}$")
# What the document promises for a tag list: ASCII tags as stored (normalise_tag also takes other
# letters, upper case and inner spaces; a schema may be narrower than the server, never wider).
TAG_PATTERN = r"^[a-z0-9_+#.-]{1,30}$"
TAGS_SCHEMA: JsonDict = {"items": {"type": "string", "pattern": TAG_PATTERN}}


def normalise_tag(tag: str) -> str:
    """The tag as stored; ValueError when it is not one."""
    clean = re.sub(r"\s+", "-", tag.strip().lower())
    if not _TAG.match(clean):
        raise ValueError(f"invalid tag {tag!r}: 1-30 letters, digits or + # . - _")
    return clean


def normalise_tags(tags: list[str] | None) -> list[str] | None:
    """The tags as stored, duplicates dropped (None stays None); ValueError naming the first invalid one."""
    if tags is None:
        return None
    return list(dict.fromkeys(normalise_tag(tag) for tag in tags))
