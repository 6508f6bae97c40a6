"""Operator commands, run as processes against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import trio

from tests.factories import Factory, Personas


def _run(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "COMMUNITY_DATA_DIR": str(tmp_path), "LOG_LEVEL": "warning"}
    return subprocess.run([sys.executable, "-m", "community", *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


async def test_set_tier_changes_the_seat_limit(database_url: str, tmp_path: Path, personas: Personas,
                                               factory: Factory) -> None:
    done = await trio.to_thread.run_sync(_run, database_url, tmp_path, "org", "set-tier", personas.acme.slug,
                                         "enterprise")
    assert done.returncode == 0, done.stderr
    assert "tier enterprise, 5 of 1000 seats used" in done.stdout
    limit = await factory.conn.fetchval("SELECT member_limit FROM organizations WHERE id = $1", personas.acme.id)
    assert limit == 1000
    custom = await trio.to_thread.run_sync(_run, database_url, tmp_path, "org", "set-tier", personas.acme.slug,
                                           "custom")
    assert "of unlimited seats" in custom.stdout


async def test_set_tier_refuses_unknown_org_and_tier(database_url: str, tmp_path: Path) -> None:
    missing = await trio.to_thread.run_sync(_run, database_url, tmp_path, "org", "set-tier", "nope", "enterprise")
    assert missing.returncode == 1
    assert "No such organization" in missing.stderr
    bad_tier = await trio.to_thread.run_sync(_run, database_url, tmp_path, "org", "set-tier", "nope", "gold")
    assert bad_tier.returncode == 2
