"""Matrix cases for the directory, @mention completion, the Markdown preview, read positions and visits."""

from __future__ import annotations

from typing import Any

from tests.matrix_forums import post_setup
from tests.matrix_support import everyone, expect

_MEMBERS = expect(200, 200, 200, 200, 200, 401, 404)

CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": "/api/orgs", "path": lambda c, p: "/api/orgs?public=true", "expect": everyone(200)},
    {"method": "GET", "rule": "/api/orgs/<org>/members/suggest",
     "path": lambda c, p: f"/api/orgs/{c.personas.acme.slug}/members/suggest?q=acme", "expect": _MEMBERS},
    {"method": "POST", "rule": "/api/orgs/<org>/markdown/preview",
     "path": lambda c, p: f"/api/orgs/{c.personas.acme.slug}/markdown/preview",
     "body": {"content": "**hi** @acmeowner"}, "expect": _MEMBERS},
    {"method": "PUT", "rule": "/api/orgs/<org>/topics/<uuid:topic_id>/read", "setup": post_setup,
     "path": lambda c, p: f"/api/orgs/{c.personas.acme.slug}/topics/{p['topic_id']}/read",
     "body": lambda c, p: {"post_id": p["post_id"]}, "expect": _MEMBERS},
    {"method": "POST", "rule": "/api/orgs/<org>/visits",
     "path": lambda c, p: f"/api/orgs/{c.personas.acme.slug}/visits", "expect": _MEMBERS},
]
