"""Helpers for messaging tests: start conversations and send messages over real HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import OrgPersonas, Persona


def base(org: OrgPersonas) -> str:
    return f"/api/orgs/{org.slug}/conversations"


async def start(client: httpx.AsyncClient, org: OrgPersonas, who: Persona, *others: Persona,
                title: str | None = None, status: int = 201) -> dict[str, Any]:
    body: dict[str, Any] = {"participant_ids": [str(p.user_id) for p in others]}
    if title is not None:
        body["title"] = title
    r = await client.post(base(org), json=body, headers=who.auth)
    assert r.status_code == status, r.text
    conversation: dict[str, Any] = r.json().get("conversation", {})
    return conversation


async def say(client: httpx.AsyncClient, org: OrgPersonas, who: Persona, conversation_id: str, content: str,
              *, client_id: str | None = None, status: int = 201) -> dict[str, Any]:
    body: dict[str, Any] = {"content": content}
    if client_id is not None:
        body["client_id"] = client_id
    r = await client.post(f"{base(org)}/{conversation_id}/messages", json=body, headers=who.auth)
    assert r.status_code == status, r.text
    return r.json()  # type: ignore[no-any-return]
