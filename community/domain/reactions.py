"""Reactions: the emoji a post or a message may carry (one set for both)."""

from __future__ import annotations

from community.domain.errors import ValidationFailedError

REACTIONS = ("👍", "👎", "❤️", "🎉", "😄", "😕", "🚀", "👀")


def check_reaction(emoji: str) -> str:
    """`emoji` when it is an allowed reaction; else a 422 naming the path segment."""
    if emoji not in REACTIONS:
        raise ValidationFailedError("emoji: not an allowed reaction", [
            {"loc": ["path", "emoji"], "msg": f"one of {' '.join(REACTIONS)}"}])
    return emoji
