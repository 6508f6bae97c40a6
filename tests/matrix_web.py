"""The browser app's routes: the same page for everyone (what it shows is decided by the API calls it makes)."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import everyone

CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": "/", "path": lambda c, p: "/", "expect": everyone(200)},
    {"method": "GET", "rule": "/<app_path:path>", "path": lambda c, p: f"/{c.personas.acme.slug}/topics/x",
     "expect": everyone(200)},
]
