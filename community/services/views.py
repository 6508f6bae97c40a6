"""The objects as the API returns them (also the payloads of activity events)."""

from __future__ import annotations

from typing import Any


def user_view(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "email": user["email"], "display_name": user["display_name"],
            "avatar_url": user.get("avatar_url"), "created_at": user["created_at"]}


def user_ref(record: dict[str, Any], *, id_key: str = "user_id") -> dict[str, Any]:
    return {"id": record[id_key], "display_name": record["display_name"], "avatar_url": record.get("avatar_url")}


def org_view(org: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "slug", "description", "logo_url", "custom_domain", "branding", "subscription_tier",
            "member_limit", "current_member_count", "is_public", "settings", "created_at")
    return {k: org[k] for k in keys}


def org_ref(org: dict[str, Any]) -> dict[str, Any]:
    return {"id": org["id"], "slug": org["slug"], "name": org["name"]}


def member_view(member: dict[str, Any]) -> dict[str, Any]:
    return {"user": user_ref(member), "role": member["role"], "status": member["status"],
            "joined_at": member["joined_at"], "permissions": member["permissions"]}


def membership_view(member: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
    return {"organization": org_ref(org), **member_view(member)}


def invitation_view(inv: dict[str, Any]) -> dict[str, Any]:
    status = ("accepted" if inv["accepted_at"] else "revoked" if inv["revoked_at"] else "pending")
    return {"id": inv["id"], "email": inv["email"], "role": inv["role"], "expires_at": inv["expires_at"],
            "created_at": inv["created_at"], "invited_by": inv["invited_by"], "status": status}
