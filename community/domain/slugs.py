"""Slugs: lowercase ASCII words joined by hyphens, generated from names."""

from __future__ import annotations

import re
import unicodedata

RESERVED = frozenset({
    "api", "ws", "admin", "static", "assets", "auth", "login", "logout", "register", "signup",
    "settings", "billing", "docs", "openapi", "healthz", "readyz", "metrics", "www", "app",
    "new", "me", "orgs", "invitations", "help", "support", "status", "well-known",
})
_NON_WORD = re.compile(r"[^a-z0-9]+")
SLUG_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"


def slugify(name: str, *, max_length: int = 100) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _NON_WORD.sub("-", ascii_name.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def is_reserved(slug: str) -> bool:
    return slug in RESERVED


def with_suffix(slug: str, n: int, *, max_length: int = 100) -> str:
    suffix = f"-{n}"
    return slug[: max_length - len(suffix)].rstrip("-") + suffix
