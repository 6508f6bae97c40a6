"""Helpers for the search tests: write through the API as acme's personas, then search."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import trio

from tests.factories import Personas


class SearchApi:
    def __init__(self, client: httpx.AsyncClient, personas: Personas) -> None:
        self.client, self.personas = client, personas

    async def call(self, method: str, path: str, who: str = "member", *, json: Any = None, params: Any = None,
                   expect: int = 200, org: str = "acme") -> Any:
        people = self.personas.acme if org == "acme" else self.personas.globex
        r = await self.client.request(method, f"/api/orgs/{people.slug}{path}", json=json, params=params,
                                      headers=getattr(people, who).auth)
        assert r.status_code == expect, (method, path, who, r.status_code, r.text)
        return r.json() if r.content else None

    async def forum(self, name: str, **extra: Any) -> dict[str, Any]:
        return dict((await self.call("POST", "/forums", "admin", json={"name": name, **extra}, expect=201))["forum"])

    async def topic(self, forum_id: object, title: str, content: str, who: str = "admin",
                    **extra: Any) -> dict[str, Any]:
        body = {"title": title, "content": content, **extra}
        return dict((await self.call("POST", f"/forums/{forum_id}/topics", who, json=body, expect=201))["topic"])

    async def post(self, topic_id: object, content: str, who: str = "admin") -> dict[str, Any]:
        body = {"content": content}
        return dict((await self.call("POST", f"/topics/{topic_id}/posts", who, json=body, expect=201))["post"])

    async def search(self, q: str, who: str = "member", *, org: str = "acme", **params: Any) -> list[dict[str, Any]]:
        return list((await self.call("GET", "/search", who, params={"q": q, **params}, org=org))["results"])

    async def ids(self, q: str, who: str = "member", **params: Any) -> set[str]:
        return {r["id"] for r in await self.search(q, who, **params)}

    async def until(self, q: str, expected: set[str], who: str = "admin", within: float = 5.0,
                    **params: Any) -> float:
        """Seconds until the search as `who` answers exactly `expected`."""
        start = trio.current_time()
        with trio.fail_after(within):
            while True:
                if await self.ids(q, who, **params) == expected:
                    break
                await trio.sleep(0.05)
        return trio.current_time() - start


@pytest.fixture
def api(client: httpx.AsyncClient, personas: Personas) -> SearchApi:
    return SearchApi(client, personas)
