"""The database goes away and comes back: 503 with Retry-After meanwhile, ready again after, logged as errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trio
from structlog.testing import capture_logs

from community.app import System, run_system
from community.settings import Settings
from tests.factories import PASSWORD
from tests.faults.conftest import OwnPostgres
from tests.tls import TLS


@pytest.fixture
async def outage_runtime(own_postgres: OwnPostgres, data_dir: Path) -> AsyncIterator[System]:
    settings = Settings(database_url=own_postgres.uri, host="127.0.0.1", port=0, websocket_port=0,
                        community_data_dir=data_dir, argon2_time_cost=1, argon2_memory_kib=1024,
                        log_format="console", log_level="warning", db_pool_min=1, db_pool_max=5,
                        _env_file=None)  # type: ignore[call-arg]
    async with trio.open_nursery() as nursery:
        runtime: System = await nursery.start(run_system, settings)
        yield runtime
        nursery.cancel_scope.cancel()


async def _until_ready(client: httpx.AsyncClient) -> None:
    for _ in range(100):
        if (await client.get("/readyz")).status_code == 200:
            return
        await trio.sleep(0.2)
    raise AssertionError("never ready")


async def test_an_outage_answers_503_with_retry_after_and_recovers(
        outage_runtime: System, own_postgres: OwnPostgres) -> None:
    async with httpx.AsyncClient(verify=TLS, base_url=f"http://127.0.0.1:{outage_runtime.http_port}",
                                 timeout=10) as client:
        r = await client.post("/api/auth/register", json={"email": "out@example.com", "password": PASSWORD,
                                                          "display_name": "Out"})
        assert r.status_code == 201
        auth = {"Authorization": f"Bearer {r.json()['token']}"}
        await trio.to_thread.run_sync(own_postgres.stop_immediately)
        with capture_logs() as logs, trio.fail_after(5):
            for call in (client.get("/api/me", headers=auth), client.post("/api/orgs", json={"name": "Down"},
                                                                           headers=auth),
                         client.post("/api/auth/login", json={"email": "out@example.com", "password": PASSWORD})):
                r = await call
                assert r.status_code == 503, r.text
                assert r.headers["content-type"] == "application/problem+json"
                assert r.json()["code"] == "database_unavailable"
                assert int(r.headers["retry-after"]) > 0
            r = await client.get("/readyz")
            assert (r.status_code, r.json()["failing"]) == (503, ["database"])
        failed = [e for e in logs if e["event"] == "http.request" and e["status"] == 503 and e["path"] != "/readyz"]
        assert len(failed) == 3
        assert {e["log_level"] for e in failed} == {"error"}
        assert not [e for e in logs if e["event"] == "http.unhandled_error"]
        await trio.to_thread.run_sync(own_postgres.start)
        with trio.fail_after(10):
            await _until_ready(client)
        assert (await client.get("/api/me", headers=auth)).status_code == 200
