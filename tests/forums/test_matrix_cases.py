"""Every forum route has a case in tests/matrix_forums.py (tests/test_matrix.py runs them)."""

from __future__ import annotations

from community.app import System
from community.http.app import create_app
from tests.matrix_forums import CASES

_MINE = {"forums", "topics", "posts", "moderation", "dashboard"}


async def test_every_forum_route_has_a_case(runtime: System) -> None:
    app = create_app(runtime.handles)
    rules = {(m, r.rule) for r in app.url_map.iter_rules() for m in r.methods or ()
             if r.endpoint.split(".")[0] in _MINE and m not in ("HEAD", "OPTIONS")}
    assert rules == {(c["method"], c["rule"]) for c in CASES}
