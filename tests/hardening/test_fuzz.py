"""schemathesis over the live /openapi.json, as every persona: no 5xx, nothing undeclared, problem+json.

A short run here (COMMUNITY_FUZZ_EXAMPLES examples per operation and mode, 6 by default);
`make fuzz` runs the same with many more. Path values come from the authorization matrix's own
set-ups, so each route is reached with ids that exist as well as with generated ones.
"""

from __future__ import annotations

import os
import re
from typing import Any

import httpx
import pytest
import trio
from schemathesis import GenerationMode

from community.app import System
from tests.factories import Factory, Personas
from tests.hardening.fuzz import Target, path_values, run_fuzz
from tests.matrix_support import PERSONAS, MatrixContext
from tests.test_matrix import _cases


def _template(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


async def _targets(ctx: MatrixContext) -> dict[tuple[str, str], Target]:
    targets = {}
    for case in _cases():
        params = await case["setup"](ctx) if "setup" in case else {}
        if "setup_as" in case:
            params = await case["setup_as"](ctx, "owner")
        headers = {persona: (await case["headers"](ctx, params, persona) if "headers" in case
                             else ctx.headers(persona)) for persona in PERSONAS}
        template = _template(case["rule"])
        targets[(case["method"], template)] = Target(case["method"], template,
                                                     path_values(template, case["path"](ctx, params)), headers)
    return targets


async def test_the_fuzzer_finds_no_server_error_and_nothing_undeclared(
        client: httpx.AsyncClient, personas: Personas, factory: Factory, runtime: System,
        capsys: pytest.CaptureFixture[str]) -> None:
    examples = int(os.environ.get("COMMUNITY_FUZZ_EXAMPLES", "6"))
    ctx = MatrixContext(client, personas, factory, runtime)
    targets = await _targets(ctx)
    openapi: dict[str, Any] = (await client.get("/openapi.json")).json()
    with trio.fail_after(60 + examples * 60):
        report = await trio.to_thread.run_sync(
            lambda: run_fuzz(str(client.base_url).rstrip("/"), openapi, targets, examples=examples,
                             modes=(GenerationMode.POSITIVE, GenerationMode.NEGATIVE)))
    with capsys.disabled():  # the run's figures, on the terminal even when it passes (docs/HARDENING.md)
        print(f"\nfuzz: {examples} examples, {len(targets)} operations, {report.requests} requests in "
              f"{report.seconds:.0f} s, {len(report.failures)} failures, statuses {sorted(report.statuses.items())}")
    assert report.failures == {}, "\n".join(report.lines())
    assert report.statuses.get(200, 0) + report.statuses.get(201, 0) > len(targets)  # the routes were reached
