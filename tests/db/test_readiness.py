"""/readyz tells the truth when the database goes away and comes back."""

from __future__ import annotations

import warnings
from pathlib import Path

import httpx
import trio

from community.app import System, run_system
from community.settings import Settings
from tests.tls import TLS


def _start_pg(path: Path) -> object:
    from pgserver import get_server  # type: ignore[attr-defined]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return get_server(path, cleanup_mode="stop")


async def _ready(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/readyz")


async def test_readyz_follows_the_database(tmp_path: Path) -> None:
    pgdata = tmp_path / "pgdata"
    server = await trio.to_thread.run_sync(_start_pg, pgdata)
    settings = Settings(database_url=server.get_uri(), port=0, websocket_port=0,  # type: ignore[attr-defined]
                        community_data_dir=tmp_path / "var", _env_file=None)  # type: ignore[call-arg]
    with trio.fail_after(90):
        async with trio.open_nursery() as nursery:
            runtime: System = await nursery.start(run_system, settings)
            async with httpx.AsyncClient(verify=TLS, base_url=f"http://127.0.0.1:{runtime.http_port}") as client:
                assert (await _ready(client)).status_code == 200
                await trio.to_thread.run_sync(server.cleanup)  # type: ignore[attr-defined]
                down = await _ready(client)
                assert down.status_code == 503
                assert down.json()["failing"] == ["database"]
                assert (await client.get("/healthz")).status_code == 200
                server = await trio.to_thread.run_sync(_start_pg, pgdata)
                for _ in range(300):
                    if (await _ready(client)).status_code == 200:
                        break
                    await trio.sleep(0.2)
                assert (await _ready(client)).status_code == 200
            nursery.cancel_scope.cancel()
    await trio.to_thread.run_sync(server.cleanup)  # type: ignore[attr-defined]
