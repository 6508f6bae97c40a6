"""Roles and permissions: one table, each permission and the lowest role that has it.

A membership's `permissions` JSONB can grant or revoke single permissions
(`{"forums.manage": true, "posts.create": false}`), except owner-only ones, which no
override grants. Roles always come from memberships, never from token claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MODERATOR = "moderator"
    MEMBER = "member"
    GUEST = "guest"


RANK: dict[Role, int] = {Role.GUEST: 0, Role.MEMBER: 1, Role.MODERATOR: 2, Role.ADMIN: 3, Role.OWNER: 4}


class Perm(StrEnum):
    READ_ORG = "org.read"
    UPDATE_ORG = "org.update"
    DELETE_ORG = "org.delete"
    MANAGE_BILLING = "billing.manage"
    VIEW_ANALYTICS = "analytics.read"
    LIST_MEMBERS = "members.read"
    INVITE_MEMBERS = "members.invite"
    MANAGE_MEMBERS = "members.manage"
    SUSPEND_MEMBERS = "members.suspend"
    READ_PUBLIC = "content.read_public"
    READ_PRIVATE = "content.read_private"
    CREATE_TOPIC = "topics.create"
    CREATE_POST = "posts.create"
    REACT = "posts.react"
    FLAG = "posts.flag"
    MODERATE = "content.moderate"
    MANAGE_FORUMS = "forums.manage"
    VIEW_MODERATION_LOG = "moderation.log"
    SEND_MESSAGES = "messages.send"
    CREATE_EVENTS = "events.create"
    MANAGE_EVENTS = "events.manage"
    MANAGE_INTEGRATIONS = "integrations.manage"
    UPLOAD_RESOURCES = "upload_resources"


PERMISSIONS: dict[Perm, Role] = {
    Perm.READ_ORG: Role.GUEST,
    Perm.READ_PUBLIC: Role.GUEST,
    Perm.LIST_MEMBERS: Role.MEMBER,
    Perm.READ_PRIVATE: Role.MEMBER,
    Perm.CREATE_TOPIC: Role.MEMBER,
    Perm.CREATE_POST: Role.MEMBER,
    Perm.REACT: Role.MEMBER,
    Perm.FLAG: Role.MEMBER,
    Perm.SEND_MESSAGES: Role.MEMBER,
    Perm.MODERATE: Role.MODERATOR,
    Perm.UPLOAD_RESOURCES: Role.MODERATOR,
    Perm.SUSPEND_MEMBERS: Role.MODERATOR,
    Perm.CREATE_EVENTS: Role.MODERATOR,
    Perm.MANAGE_EVENTS: Role.MODERATOR,
    Perm.UPDATE_ORG: Role.ADMIN,
    Perm.VIEW_ANALYTICS: Role.ADMIN,
    Perm.INVITE_MEMBERS: Role.ADMIN,
    Perm.MANAGE_MEMBERS: Role.ADMIN,
    Perm.MANAGE_FORUMS: Role.ADMIN,
    Perm.VIEW_MODERATION_LOG: Role.ADMIN,
    Perm.MANAGE_INTEGRATIONS: Role.ADMIN,
    Perm.DELETE_ORG: Role.OWNER,
    Perm.MANAGE_BILLING: Role.OWNER,
}


def outranks(a: Role, b: Role) -> bool:
    return RANK[a] > RANK[b]


def at_least(role: Role, floor: Role) -> bool:
    return RANK[role] >= RANK[floor]


def has_permission(role: Role, perm: Perm, overrides: Mapping[str, object] | None = None) -> bool:
    floor = PERMISSIONS[perm]
    override = (overrides or {}).get(perm.value)
    if isinstance(override, bool) and floor is not Role.OWNER:
        return override
    return at_least(role, floor)


def grantable_permissions() -> list[str]:
    """The permissions an override may name: every one but the owner's own."""
    return sorted(p.value for p, floor in PERMISSIONS.items() if floor is not Role.OWNER)


def valid_overrides(overrides: Mapping[str, object]) -> list[str]:
    """The keys of an overrides object that are not known, grantable permissions."""
    known = {p.value for p, floor in PERMISSIONS.items() if floor is not Role.OWNER}
    return [k for k, v in overrides.items() if k not in known or not isinstance(v, bool)]
