"""Personas in two orgs (owner, admin, moderator, member, guest in each), written straight to the DB."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from argon2 import PasswordHasher

from community.app import System
from community.db.pool import Conn, close, connect

PASSWORD = "correct horse battery staple"
ROLES = ("owner", "admin", "moderator", "member", "guest")


@cache
def password_hash() -> str:
    return PasswordHasher(time_cost=1, memory_cost=1024).hash(PASSWORD)


@dataclass
class Persona:
    user_id: uuid.UUID
    email: str
    display_name: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class OrgPersonas:
    id: uuid.UUID
    slug: str
    people: dict[str, Persona] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, role: str) -> Persona:
        try:
            return self.people[role]
        except KeyError:
            raise AttributeError(role) from None


@dataclass
class Personas:
    acme: OrgPersonas
    globex: OrgPersonas
    outsider: Persona


class Factory:
    """Writes as the database owner (RLS does not apply): test set-up, never product code."""

    def __init__(self, runtime: System, conn: Conn) -> None:
        self.runtime, self.conn = runtime, conn

    async def user(self, name: str) -> Persona:
        email = f"{name.lower()}-{uuid.uuid4().hex[:12]}@example.com"  # 6 hex digits collided once in a matrix run
        user_id = await self.conn.fetchval(
            "INSERT INTO users (email, display_name, password_hash) VALUES ($1, $2, $3) RETURNING id",
            email, name, password_hash())
        return Persona(user_id, email, name, self.runtime.handles.identity.issue(str(user_id)))

    async def org(self, name: str, *, member_limit: int | None = 50, is_public: bool = False) -> OrgPersonas:
        slug = f"{name.lower()}-{uuid.uuid4().hex[:6]}"
        org_id = await self.conn.fetchval(
            "INSERT INTO organizations (name, slug, member_limit, is_public) VALUES ($1, $2, $3, $4) RETURNING id",
            name, slug, member_limit, is_public)
        return OrgPersonas(org_id, slug)

    async def join(self, org: OrgPersonas, persona: Persona, role: str, *, status: str = "active") -> None:
        await self.conn.execute(
            "INSERT INTO memberships (org_id, user_id, role, status) VALUES ($1, $2, $3, $4)",
            org.id, persona.user_id, role, status)
        await self.conn.execute(
            "UPDATE organizations SET current_member_count = current_member_count + 1 WHERE id = $1", org.id)
        org.people.setdefault(role, persona)

    async def org_with_roles(self, name: str) -> OrgPersonas:
        org = await self.org(name)
        for role in ROLES:
            await self.join(org, await self.user(f"{name}{role.title()}"), role)
        return org


async def open_factory(runtime: System, database_url: str) -> tuple[Factory, Conn]:
    conn = await connect(database_url)
    return Factory(runtime, conn), conn


async def build_personas(factory: Factory) -> Personas:
    return Personas(acme=await factory.org_with_roles("Acme"), globex=await factory.org_with_roles("Globex"),
                    outsider=await factory.user("Outsider"))


__all__ = ["PASSWORD", "Factory", "OrgPersonas", "Persona", "Personas", "build_personas", "close",
           "open_factory"]
