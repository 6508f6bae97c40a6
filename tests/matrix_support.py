"""The authorization matrix's vocabulary: who calls, and a context for per-call set-up."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from community.app import System
from tests.factories import Factory, OrgPersonas, Persona, Personas

PERSONAS = ("owner", "admin", "moderator", "member", "guest", "anonymous", "other_org_owner")
ROLES = ("owner", "admin", "moderator", "member", "guest")


@dataclass
class MatrixContext:
    client: httpx.AsyncClient
    personas: Personas
    factory: Factory
    runtime: System

    def headers(self, persona: str) -> dict[str, str]:
        if persona == "anonymous":
            return {}
        if persona == "other_org_owner":
            return self.personas.globex.owner.auth
        person: Persona = self.personas.acme.people[persona]
        return person.auth

    def email(self, persona: str) -> str | None:
        if persona == "anonymous":
            return None
        if persona == "other_org_owner":
            return self.personas.globex.owner.email
        return self.personas.acme.people[persona].email

    async def fresh_org(self) -> OrgPersonas:
        """A new org where acme's personas hold their usual roles (for destructive calls)."""
        org = await self.factory.org("Scratch")
        for role in ROLES:
            await self.factory.join(org, self.personas.acme.people[role], role)
        return org

    async def invitation_token(self) -> str:
        r = await self.client.post(f"/api/orgs/{self.personas.acme.slug}/invitations",
                                   json={"email": "matrix@example.com", "role": "member"},
                                   headers=self.personas.acme.owner.auth)
        return str(r.json()["invitation"]["token"])


def unique_email() -> str:
    return f"m-{uuid.uuid4().hex[:10]}@example.com"


Setup = Callable[[MatrixContext], Awaitable[dict[str, Any]]]


def expect(owner: int, admin: int, moderator: int, member: int, guest: int, anonymous: int,
           other_org_owner: int) -> dict[str, int]:
    return dict(zip(PERSONAS, (owner, admin, moderator, member, guest, anonymous, other_org_owner), strict=True))


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PERSONAS, status)
