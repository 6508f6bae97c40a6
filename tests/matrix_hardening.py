"""Routes added by hardening: the API documentation's own files (public, the same for everyone)."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import everyone

CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": "/docs/<asset>", "path": lambda c, p: "/docs/swagger-ui.css", "expect": everyone(200)},
]
