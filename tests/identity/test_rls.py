"""Row-level security as the backstop: queries as the app role, with no org filter of their own."""

from __future__ import annotations

import pytest

from community.app import System
from community.db.pool import Database
from tests.factories import Personas

ORG_TABLES = ["organizations", "memberships", "activity", "invitations", "org_event_counters",
              "moderator_assignments"]


async def test_app_role_cannot_bypass_rls(runtime: System) -> None:
    async with runtime.handles.db.transaction() as conn:
        who = await conn.fetchrow(
            "SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        owned = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
        unforced = await conn.fetch(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace "
            "AND relname = ANY($1::text[]) AND NOT (relrowsecurity AND relforcerowsecurity)", ORG_TABLES)
    assert who is not None
    assert (who["name"], who["rolsuper"], who["rolbypassrls"]) == ("community_app", False, False)
    assert owned == 0
    assert unforced == []


async def test_every_org_scoped_table_has_rls(runtime: System) -> None:
    async with runtime.handles.db.transaction() as conn:
        missing = await conn.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' "
            "WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace "
            "AND NOT (c.relrowsecurity AND c.relforcerowsecurity)")
    assert [r["relname"] for r in missing] == []


@pytest.mark.parametrize("table", ORG_TABLES)
async def test_without_org_context_org_tables_read_empty(runtime: System, personas: Personas, table: str) -> None:
    async with runtime.handles.db.transaction() as conn:
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0


async def test_unfiltered_query_sees_only_the_context_org(runtime: System, personas: Personas) -> None:
    async with runtime.handles.db.transaction(org_id=personas.acme.id) as conn:
        orgs = await conn.fetch("SELECT id FROM organizations")
        members = await conn.fetch("SELECT DISTINCT org_id FROM memberships")
    assert [r["id"] for r in orgs] == [personas.acme.id]
    assert [r["org_id"] for r in members] == [personas.acme.id]


async def test_writes_into_another_org_are_refused(runtime: System, personas: Personas) -> None:
    with pytest.raises(Exception, match="row-level security"):
        async with runtime.handles.db.transaction(org_id=personas.acme.id) as conn:
            await conn.execute("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'member')",
                               personas.globex.id, personas.outsider.user_id)


async def test_pooled_connections_never_carry_an_org_without_a_reset_round_trip(
        runtime: System, personas: Personas) -> None:
    db = Database(runtime.handles.db.dsn, min_size=1, max_size=1, role="community_app")
    await db.open()
    try:
        async with db.transaction(org_id=personas.acme.id) as conn:
            assert await conn.fetchval("SELECT count(*) FROM memberships") == 5
            pid = await conn.fetchval("SELECT pg_backend_pid()")
            # Session state nothing of ours sets; it survives only if the pool does not reset.
            await conn.execute("SET application_name = 'not reset'")
        async with db.transaction() as conn:  # the same single pooled connection
            assert await conn.fetchval("SELECT pg_backend_pid()") == pid
            assert await conn.fetchval("SELECT current_setting('application_name')") == "not reset"
            assert await conn.fetchval("SELECT current_setting('app.org_id', true)") in ("", None)
            assert await conn.fetchval("SELECT count(*) FROM memberships") == 0
    finally:
        await db.close()


async def test_user_sees_own_memberships_across_orgs_only(runtime: System, personas: Personas) -> None:
    async with runtime.handles.db.transaction(user_id=personas.acme.member.user_id) as conn:
        rows = await conn.fetch("SELECT org_id, user_id FROM memberships")
    assert [(r["org_id"], r["user_id"]) for r in rows] == [(personas.acme.id, personas.acme.member.user_id)]
