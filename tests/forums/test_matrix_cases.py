"""Run tests/matrix_forums.py here too, and check every forum route has a case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from community.app import System
from community.http.app import create_app
from tests.factories import Factory, Personas
from tests.matrix_forums import CASES

_MINE = {"forums", "topics", "posts", "moderation", "dashboard"}


@dataclass
class Ctx:
    client: httpx.AsyncClient
    personas: Personas
    factory: Factory


def _headers(personas: Personas, who: str) -> dict[str, str]:
    if who == "anonymous":
        return {}
    if who == "other_org_owner":
        return personas.globex.owner.auth
    return dict(getattr(personas.acme, who).auth)


async def test_every_forum_route_has_a_case(runtime: System) -> None:
    app = create_app(runtime.handles)
    rules = {(m, r.rule) for r in app.url_map.iter_rules() for m in r.methods or ()
             if r.endpoint.split(".")[0] in _MINE and m not in ("HEAD", "OPTIONS")}
    assert rules == {(c["method"], c["rule"]) for c in CASES}


async def test_matrix(client: httpx.AsyncClient, personas: Personas, factory: Factory) -> None:
    ctx = Ctx(client, personas, factory)
    failures: list[Any] = []
    for case in CASES:
        for who, status in case["expect"].items():
            params = await case["setup"](ctx) if "setup" in case else {}
            r = await client.request(case["method"], case["path"](ctx, params), json=case["body"],
                                     headers=_headers(personas, who))
            if r.status_code != status:
                failures.append((case["method"], case["rule"], who, status, r.status_code))
    assert failures == []
