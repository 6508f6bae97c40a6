"""Who is asking: a signed-in user, and what they are in one organization."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from community.domain.errors import ForbiddenError
from community.domain.org_settings import OrgSettings
from community.domain.permissions import Perm, Role, at_least, has_permission

# What decides whether a verified token's session is still on (SQL session_revoked()): the token's
# SHA-256, a built-in token's session generation, an Auth0 token's issue time.
SessionKey = tuple[bytes, int | None, datetime | None]


@dataclass(frozen=True)
class Principal:
    user_id: UUID
    email: str
    display_name: str


@dataclass(frozen=True)
class Caller:
    """Who a verified token names, before the database says who that is: a built-in user's id or an
    Auth0 subject (`auth0` also says a first sight may have to provision the user)."""

    user_id: UUID | None
    subject: str | None
    auth0: bool = False
    session: SessionKey | None = None


@dataclass(frozen=True)
class OrgMember:
    """The caller inside one org. `role` is None for a non-member reading a public org."""

    principal: Principal | None
    org_id: UUID
    org: dict[str, Any]
    role: Role | None
    status: str = "active"
    overrides: dict[str, Any] = field(default_factory=dict)
    settings: OrgSettings = field(default_factory=OrgSettings)

    @property
    def user_id(self) -> UUID | None:
        return self.principal.user_id if self.principal else None

    @property
    def is_member(self) -> bool:
        return self.role is not None

    def can(self, perm: Perm) -> bool:
        if self.role is None:
            return perm in (Perm.READ_ORG, Perm.READ_PUBLIC)
        return has_permission(self.role, perm, self.overrides)

    def require(self, perm: Perm) -> None:
        if not self.can(perm):
            raise ForbiddenError(f"Your role does not allow this ({perm.value}).")

    def at_least(self, role: Role) -> bool:
        return self.role is not None and at_least(self.role, role)
