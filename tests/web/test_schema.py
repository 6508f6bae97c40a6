"""web/src/api/schema.d.ts is generated from the server's own /openapi.json: regenerating it changes nothing.

`make web-schema` rewrites it (COMMUNITY_WRITE_SCHEMA=1) after an API change.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
import trio

WEB = Path(__file__).resolve().parents[2] / "web"
SCHEMA = WEB / "src" / "api" / "schema.d.ts"
GENERATOR = WEB / "node_modules" / ".bin" / "openapi-typescript"


async def test_generated_api_types_match_the_server(client: httpx.AsyncClient, tmp_path: Path) -> None:
    if not GENERATOR.exists():
        pytest.fail("web/node_modules is missing: run make install (needs Node.js 20+)", pytrace=False)
    spec = (await client.get("/openapi.json")).json()
    source = tmp_path / "openapi.json"
    source.write_text(json.dumps(spec, indent=2, sort_keys=True))
    generated = tmp_path / "schema.d.ts"
    with trio.fail_after(60):
        await trio.run_process([str(GENERATOR), str(source), "-o", str(generated)], cwd=WEB,
                               stdout=subprocess.DEVNULL)
    if os.environ.get("COMMUNITY_WRITE_SCHEMA") == "1":
        SCHEMA.write_text(generated.read_text())
    assert SCHEMA.exists(), "web/src/api/schema.d.ts is missing: run make web-schema"
    assert generated.read_text() == SCHEMA.read_text(), \
        "web/src/api/schema.d.ts is out of date with /openapi.json: run make web-schema and commit it"
