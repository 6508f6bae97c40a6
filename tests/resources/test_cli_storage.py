"""`community org set-storage`: a custom storage quota for one org, shown in organization.storage."""

from __future__ import annotations

from pathlib import Path

import httpx
import trio

from tests.factories import Personas
from tests.test_cli import _run


async def test_set_storage_gives_an_org_its_own_quota(database_url: str, tmp_path: Path, personas: Personas,
                                                      client: httpx.AsyncClient) -> None:
    with trio.fail_after(120):
        done = await trio.to_thread.run_sync(_run, database_url, tmp_path, "org", "set-storage", personas.acme.slug,
                                             "2GB")
        assert done.returncode == 0, done.stderr
        org = (await client.get(f"/api/orgs/{personas.acme.slug}", headers=personas.acme.member.auth)).json()
        assert org["organization"]["storage"] == {"used_bytes": 0, "limit_bytes": 2 * 1024**3}
        back = await trio.to_thread.run_sync(_run, database_url, tmp_path, "org", "set-storage", personas.acme.slug,
                                             "default")
        assert back.returncode == 0 and "the tier's quota" in back.stdout
        bad = await trio.to_thread.run_sync(_run, database_url, tmp_path, "org", "set-storage", personas.acme.slug,
                                            "lots")
        assert bad.returncode == 2 and "not a size" in bad.stderr
