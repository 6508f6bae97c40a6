"""The domain checker in the running tree: with a short recheck age it notices on its own that a
verified domain's TXT record is gone, and the domain is nobody's."""

from __future__ import annotations

import httpx
import pytest
import trio

from community.app import System
from community.settings import Settings
from tests.branding.test_domain_recheck import _host_org, _verified, records
from tests.factories import Personas

__all__ = ["records"]  # the fixture, used by name


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"domain_recheck_after_seconds": 0.5, "domain_check_interval_seconds": 0.2})


async def test_the_checker_in_the_tree_rechecks_on_its_own(
        client: httpx.AsyncClient, personas: Personas, runtime: System, records: dict[str, list[str]]) -> None:
    acme = personas.acme
    with trio.fail_after(30):
        name = await _verified(client, acme, records)
        del records[name]
        while True:
            r = await client.get(f"/api/orgs/{acme.slug}/domain", headers=acme.owner.auth)
            if r.json()["domain"]["status"] == "pending":
                break
            await trio.sleep(0.1)
        assert await _host_org(client) is None
        assert runtime.handles.domain_checker.checked >= 1
