"""Helpers for the forum tests: call the API as one of acme's personas and insist on the status."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import Personas


class Api:
    def __init__(self, client: httpx.AsyncClient, personas: Personas) -> None:
        self.client, self.personas = client, personas
        self.base = f"/api/orgs/{personas.acme.slug}"

    async def call(self, method: str, path: str, who: str = "member", *, json: Any = None,
                   expect: int | tuple[int, ...] = 200, org: str = "acme") -> Any:
        people = self.personas.acme if org == "acme" else self.personas.globex
        base = f"/api/orgs/{people.slug}"
        r = await self.client.request(method, base + path, json=json, headers=getattr(people, who).auth)
        allowed = expect if isinstance(expect, tuple) else (expect,)
        assert r.status_code in allowed, (method, path, who, r.status_code, r.text)
        return r.json() if r.content else None

    async def forum(self, name: str = "General", **extra: Any) -> dict[str, Any]:
        body = await self.call("POST", "/forums", "admin", json={"name": name, **extra}, expect=201)
        return dict(body["forum"])

    async def topic(self, forum_id: object, who: str = "member", **extra: Any) -> dict[str, Any]:
        body = {"title": "How do I start?", "content": "Hello **world**", **extra}
        return dict((await self.call("POST", f"/forums/{forum_id}/topics", who, json=body, expect=201))["topic"])

    async def post(self, topic_id: object, who: str = "member", content: str = "A reply",
                   parent_id: object = None) -> dict[str, Any]:
        body: dict[str, Any] = {"content": content}
        if parent_id:
            body["parent_id"] = str(parent_id)
        return dict((await self.call("POST", f"/topics/{topic_id}/posts", who, json=body, expect=201))["post"])


@pytest.fixture
def api(client: httpx.AsyncClient, personas: Personas) -> Api:
    return Api(client, personas)
