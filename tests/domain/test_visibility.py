"""The ranks Python compares and the ranks SQL compares (`role_rank()`, forum view ranks) agree."""

from __future__ import annotations

from community.app import System
from community.domain.permissions import RANK, Role


async def test_sql_role_rank_agrees_with_python(runtime: System) -> None:
    async with runtime.handles.db.transaction() as conn:
        found = {r["role"]: r["rank"] for r in await conn.fetch(
            "SELECT r AS role, role_rank(r) AS rank FROM unnest($1::text[]) AS r", [role.value for role in Role])}
        unknown = await conn.fetchval("SELECT role_rank('superuser')")
    assert found == {role.value: RANK[role] for role in Role}
    assert unknown is None
