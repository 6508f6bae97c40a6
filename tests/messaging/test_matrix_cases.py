"""The messaging slice of the authorization matrix, runnable on its own (tests/test_matrix.py runs all)."""

from __future__ import annotations

import httpx
import trio

from community.app import System
from tests import test_matrix
from tests.factories import Factory, Personas
from tests.matrix_messaging import CASES
from tests.matrix_support import PERSONAS, MatrixContext


async def test_messaging_matrix(client: httpx.AsyncClient, personas: Personas, factory: Factory,
                                runtime: System) -> None:
    ctx = MatrixContext(client, personas, factory, runtime)
    mismatches = []
    with trio.fail_after(60):
        for case in CASES:
            for persona in PERSONAS:
                status = await test_matrix._call(ctx, case, persona)
                if status != case["expect"][persona]:
                    setup = getattr(case.get("setup"), "__name__", "-")
                    mismatches.append(f"{case['method']} {case['rule']} ({setup}) as {persona}: "
                                      f"got {status}, expected {case['expect'][persona]}")
    assert mismatches == [], "\n".join(mismatches)
