"""Tags (topics, resources): lower-case, inner spaces as hyphens, duplicates dropped; 1-30 characters each.

A tag is a word of any script: letters, digits and combining marks (é typed as e + accent, Hindi's
vowel signs), the joiners Persian and Indic words need, and `_ + # . -`. It is stored NFC-normalised
and lower-cased, so "Café" typed either way is one tag, and a filter finds it whatever its case.
JSON Schema cannot spell "a letter of any script" in a pattern both ECMA and Python read the same
(`\\w` is ASCII-only in one, Unicode in the other), so the document says it as the `tag` format.
"""

from __future__ import annotations

import re
import unicodedata

from pydantic.config import JsonDict

MAX_TAGS = 5
MAX_TAG_LENGTH = 30
_SYMBOLS = frozenset("_+#.-")
_JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner: part of Persian and Indic words
_WHITESPACE = re.compile(r"\s+")
TAG_FORMAT: JsonDict = {"format": "tag", "description": (
    f"1-{MAX_TAG_LENGTH} letters of any script, digits or _ + # . - (stored lower-case, inner spaces as hyphens)")}
TAGS_SCHEMA: JsonDict = {"items": {"type": "string", **TAG_FORMAT}}


def _word_character(c: str) -> bool:
    return c.isalnum() or c in _SYMBOLS or unicodedata.category(c)[0] == "M"


def normalise_tag(tag: str) -> str:
    """The tag as stored; ValueError when it is not one."""
    clean = unicodedata.normalize("NFC", _WHITESPACE.sub("-", tag.strip().lower()))
    if not 1 <= len(clean) <= MAX_TAG_LENGTH:
        raise ValueError(f"invalid tag {tag!r}: 1-{MAX_TAG_LENGTH} characters")
    inner = clean[1:-1] if len(clean) > 2 else ""
    if not (all(_word_character(c) or c in _JOINERS for c in inner) and _word_character(clean[-1])
            and (clean[0].isalnum() or clean[0] in _SYMBOLS)):
        raise ValueError(f"invalid tag {tag!r}: letters, digits or + # . - _")
    return clean


def normalise_tags(tags: list[str] | None) -> list[str] | None:
    """The tags as stored, duplicates dropped (None stays None); ValueError naming the first invalid one."""
    if tags is None:
        return None
    return list(dict.fromkeys(normalise_tag(tag) for tag in tags))


def normalise_tag_filter(tag: str | None) -> str | None:
    """A `?tag=` filter as the tags it should find are stored (absent or empty: no filter)."""
    return normalise_tag(tag) if tag else None
