"""The authorization matrix: every route x every persona, generated from the app's URL map.

A route missing from the matrix fails `test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import httpx
import pytest

from community.app import System
from community.http.app import create_app
from tests import (
    matrix_account,
    matrix_analytics,
    matrix_billing,
    matrix_core,
    matrix_domains,
    matrix_events,
    matrix_forums,
    matrix_hardening,
    matrix_integrations,
    matrix_messaging,
    matrix_reading,
    matrix_realtime,
    matrix_resources,
    matrix_satisfaction,
    matrix_search,
    matrix_tenancy,
    matrix_web,
)
from tests.factories import Factory, Personas
from tests.matrix_support import PERSONAS, MatrixContext

# One module of cases per area: import it above and append it here (one a line).
_MODULES = (
    matrix_core,
    matrix_forums,
    matrix_realtime,
    matrix_search,
    matrix_messaging,
    matrix_billing,
    matrix_events,
    matrix_web,
    matrix_tenancy,
    matrix_integrations,
    matrix_analytics,
    matrix_account,
    matrix_resources,
    matrix_satisfaction,
    matrix_hardening,
    matrix_domains,
    matrix_reading,
)
_IGNORED_ENDPOINTS = {"static"}


def _cases() -> list[dict[str, Any]]:
    return [case for module in _MODULES for case in module.CASES]


def _routes(runtime: System) -> set[tuple[str, str]]:
    app = create_app(runtime.handles)
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in _IGNORED_ENDPOINTS:
            continue
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                found.add((method, rule.rule))
    return found


async def test_every_route_is_in_the_matrix(runtime: System) -> None:
    covered = {(c["method"], c["rule"]) for c in _cases()}
    missing = sorted(_routes(runtime) - covered)
    assert missing == [], f"routes with no authorization matrix case: {missing}"
    stale = sorted(covered - _routes(runtime))
    assert stale == [], f"matrix cases for routes that do not exist: {stale}"
    for case in _cases():
        assert set(case["expect"]) == set(PERSONAS), (case["method"], case["rule"])


@pytest.mark.parametrize("module", _MODULES, ids=lambda m: m.__name__.removeprefix("tests.matrix_"))
async def test_authorization_matrix(module: ModuleType, client: httpx.AsyncClient, personas: Personas,
                                    factory: Factory, runtime: System) -> None:
    """One area's cases against fresh personas (one test per area, so the areas run in parallel)."""
    ctx = MatrixContext(client, personas, factory, runtime)
    mismatches = []
    calls = 0
    for case in module.CASES:
        for persona in PERSONAS:
            status = await _call(ctx, case, persona)
            calls += 1
            if status != case["expect"][persona]:
                mismatches.append(f"{case['method']} {case['rule']} as {persona}: "
                                  f"got {status}, expected {case['expect'][persona]}")
    assert mismatches == [], "\n".join(mismatches)
    assert calls == len(module.CASES) * len(PERSONAS)


async def _call(ctx: MatrixContext, case: dict[str, Any], persona: str) -> int:
    params = await case["setup"](ctx) if "setup" in case else {}
    if "setup_as" in case:  # set-up that depends on who calls (an invitation to the caller's own e-mail)
        params = await case["setup_as"](ctx, persona)
    body = case.get("body")
    if callable(body):
        body = body(ctx, params)
    # A case may sign in its own way (e.g. a fresh user per call, for calls that end sessions).
    headers = await case["headers"](ctx, params, persona) if "headers" in case else ctx.headers(persona)
    response = await ctx.client.request(case["method"], case["path"](ctx, params), json=body, headers=headers)
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json", (case["rule"], persona)
    return response.status_code
