"""The analytics tests rewrite an org's history (creation day, joins, activity) and then roll it up.
The runtime's analytics actor runs one round at boot and the next only after its interval (300 s): a boot
round that overlapped the personas' creation rolled up the new orgs' first days before a test moved their
creation back, so their next due day was today and the history was never rolled up (CI, 12-03). Here the
orgs are made only once that round is over, so every rollup a test sees is one it asked for."""

from __future__ import annotations

import pytest
import trio

from community.app import System
from tests.factories import Factory, Personas, build_personas


@pytest.fixture
async def personas(factory: Factory, runtime: System) -> Personas:
    with trio.fail_after(30):
        while runtime.handles.analytics.rounds < 1:  # noqa: ASYNC110 - a counter the actor bumps, no event to wait on
            await trio.sleep(0.01)
    return await build_personas(factory)
