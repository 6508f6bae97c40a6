"""The topic page's response cache: hits cost no statement, and no change a viewer may see is hidden.

Every change goes through node A's API; the very next read on A shows it, and a read on node B
(a second tree on the same database, whose cached copy was warm) shows it within a bounded wait.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import trio

from community.app import System
from community.db.generations import Generations
from community.db.pool import close, connect
from community.http.encoding import Encoded
from community.page_cache import PageCache
from tests.factories import Persona, Personas
from tests.forums.conftest import Api
from tests.tls import TLS

Check = Callable[[httpx.Response], bool]


async def _listening(*nodes: System) -> None:
    with trio.fail_after(10):
        while not all(n.handles.pages.enabled for n in nodes):  # noqa: ASYNC110 - the bus reconnects on its own
            await trio.sleep(0.02)


def _client(node: System) -> httpx.AsyncClient:
    return httpx.AsyncClient(verify=TLS, base_url=f"http://127.0.0.1:{node.http_port}", timeout=10)


class Pages:
    """Reads one topic page as someone, on both nodes."""

    def __init__(self, a: httpx.AsyncClient, b: httpx.AsyncClient, slug: str, topic_id: str) -> None:
        self.a, self.b, self.path = a, b, f"/api/orgs/{slug}/topics/{topic_id}"

    async def read(self, client: httpx.AsyncClient, token: str) -> httpx.Response:
        return await client.get(self.path, headers={"Authorization": f"Bearer {token}"})

    async def warm(self, *tokens: str) -> None:
        for token in tokens:
            for client in (self.a, self.b, self.a, self.b):
                await self.read(client, token)

    async def change(self, what: str, token: str, act: Callable[[], Awaitable[Any]], seen: Check) -> None:
        await self.warm(token)
        assert not seen(await self.read(self.a, token)), f"{what}: already true before the change"
        await act()
        assert seen(await self.read(self.a, token)), f"{what}: not seen on the writer's node at once"
        with trio.fail_after(5):
            while not seen(await self.read(self.b, token)):  # noqa: ASYNC110 - polls the other node
                await trio.sleep(0.02)


def _posts(r: httpx.Response) -> list[dict[str, Any]]:
    return list(r.json()["posts"]) if r.status_code == 200 else []


def _post(r: httpx.Response, post_id: str) -> dict[str, Any]:
    return next((p for p in _posts(r) if p["id"] == post_id), {})


async def test_a_reload_is_a_hit_that_sends_no_statement_and_still_counts_its_view(
        api: Api, runtime: System, personas: Personas) -> None:
    await _listening(runtime)
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    await api.post(topic["id"])
    h = runtime.handles
    path = f"/topics/{topic['id']}"
    first = await api.call("GET", path)
    # The reply's after-commit work (notifications, the search index) and its page notices
    # invalidate for a moment; then a reload is a hit.
    with trio.fail_after(5):
        while True:
            hits, misses = h.pages.hits, h.pages.misses
            again = await api.call("GET", path)
            if h.pages.hits == hits + 1:
                break
            first = again
    assert h.pages.misses == misses  # a hit reads nothing from the database
    assert again["posts"] == first["posts"] and again["read"] == first["read"]
    assert again["topic"]["view_count"] == first["topic"]["view_count"] + 1
    # Another page, another viewer, another query: each its own entry.
    await api.call("GET", path, "moderator")
    await api.call("GET", path + "?limit=1")
    assert h.pages.misses == misses + 2
    metrics = (await api.client.get("/metrics")).text
    assert f"community_page_cache_hits_total {h.pages.hits}" in metrics
    assert "community_page_cache_listening 1" in metrics


async def test_every_change_a_viewer_may_see_is_seen_here_at_once_and_on_another_node(
        api: Api, runtime: System, second_node: System, personas: Personas) -> None:
    await _listening(runtime, second_node)
    acme = personas.acme
    forum = await api.forum()
    staff = await api.forum("Staff", is_private=True, required_role="moderator")
    topic = await api.topic(forum["id"])
    reply = await api.post(topic["id"], "admin", content="Original words")
    member, moderator = acme.member.token, acme.moderator.token
    async with _client(runtime) as a, _client(second_node) as b:
        pages = Pages(a, b, acme.slug, topic["id"])

        async def as_admin(method: str, path: str, json: Any = None, expect: int = 200) -> Any:
            return await api.call(method, path, "admin", json=json, expect=expect)

        await pages.change("post created", member, lambda: api.post(topic["id"], "owner", content="Fresh"),
                           lambda r: any(p["content"] == "Fresh" for p in _posts(r)))
        await pages.change("post edited", member,
                           lambda: as_admin("PATCH", f"/posts/{reply['id']}", {"content": "Edited words"}),
                           lambda r: _post(r, reply["id"]).get("content") == "Edited words")
        await pages.change("reaction", member, lambda: api.call("PUT", f"/posts/{reply['id']}/reactions/👍"),
                           lambda r: _post(r, reply["id"]).get("my_reactions") == ["👍"])

        async def hide() -> None:
            flag = await api.call("POST", f"/posts/{reply['id']}/flags", json={"reason": "spam"}, expect=201)
            await as_admin("POST", f"/moderation/flags/{flag['flag']['id']}/resolve", {"action": "hide"})
        await pages.change("post hidden", member, hide, lambda r: _post(r, reply["id"]).get("content") == "")
        await pages.warm(moderator)
        assert _post(await pages.read(b, moderator), reply["id"])["content"] == "Edited words"
        await pages.change("moderator demoted", moderator,
                           lambda: as_admin("PATCH", f"/members/{acme.moderator.user_id}", {"role": "member"}),
                           lambda r: _post(r, reply["id"]).get("content") == "")
        await pages.change("display name", member,
                           lambda: api.client.patch("/api/me", json={"display_name": "Renamed Owner"},
                                                    headers=acme.owner.auth),
                           lambda r: any((p["author"] or {}).get("display_name") == "Renamed Owner"
                                         for p in _posts(r)))
        await pages.change("post deleted", member, lambda: as_admin("DELETE", f"/posts/{reply['id']}", expect=204),
                           lambda r: r.status_code == 200 and not _post(r, reply["id"]))
        await pages.change("forum made staff-only", member,
                           lambda: as_admin("PATCH", f"/forums/{forum['id']}",
                                            {"is_private": True, "required_role": "admin"}),
                           lambda r: r.status_code == 404)
        await as_admin("PATCH", f"/forums/{forum['id']}", {"is_private": False})
        await pages.change("topic moved to a private forum", member,
                           lambda: as_admin("PATCH", f"/topics/{topic['id']}", {"forum_id": staff["id"]}),
                           lambda r: r.status_code == 404)
        await as_admin("PATCH", f"/topics/{topic['id']}", {"forum_id": forum["id"]})
        await pages.change("member suspended", member,
                           lambda: as_admin("POST", f"/moderation/members/{acme.member.user_id}/suspend", {}),
                           lambda r: r.status_code == 403)
        await as_admin("POST", f"/moderation/members/{acme.member.user_id}/suspend", {"suspend": False})
        await _signed_out(pages, runtime, acme.member)
        await pages.change("member removed", member,
                           lambda: as_admin("DELETE", f"/members/{acme.member.user_id}", expect=204),
                           lambda r: r.status_code == 404)
    assert second_node.handles.pages.hits > 0


async def _signed_out(pages: Pages, runtime: System, who: Persona) -> None:
    token = runtime.handles.identity.issue(str(who.user_id))
    await pages.change("signed out", token,
                       lambda: pages.a.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"}),
                       lambda r: r.status_code == 401)


async def test_a_lost_bus_drops_the_cache_and_reads_bypass_it_until_it_listens_again(
        api: Api, runtime: System, database_url: str) -> None:
    await _listening(runtime)
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    path = f"/topics/{topic['id']}"
    pages = runtime.handles.pages
    await _held(api, path, pages)
    listener = runtime.handles.bus.application_name
    conn = await connect(database_url)
    try:
        killed = await conn.fetch("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE application_name = $1 AND query LIKE 'LISTEN%'", listener)
    finally:
        await close(conn)
    assert len(killed) == 1
    with trio.fail_after(5):
        while pages.enabled:  # noqa: ASYNC110 - the bus notices its lost connection
            await trio.sleep(0.01)
    bypassed = pages.bypassed
    await api.call("GET", path)
    assert len(pages) == 0 and pages.bypassed == bypassed + 1
    await _listening(runtime)  # the bus reconnects by itself
    await _held(api, path, pages)


async def _held(api: Api, path: str, pages: PageCache) -> None:
    """Read until the page is held (a change heard just now invalidates the first reads)."""
    with trio.fail_after(5):
        while len(pages) != 1:
            await api.call("GET", path)


def test_an_entry_read_before_a_change_is_never_served_after_it() -> None:
    generations = Generations()
    generations.heard()
    org, viewer, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    cache = PageCache(generations, max_entries=2, max_bytes=1000)
    stamp = cache.stamp()
    generations.bump(org)  # committed while the read was on its way
    cache.put("k", stamp, "page", org_id=org, user_id=viewer, size=10)
    assert cache.get("k") is None
    cache.put("k", cache.stamp(), "page", org_id=org, user_id=viewer, size=10)
    generations.bump(other)  # another org, another user: still good
    assert cache.get("k") == "page"
    generations.bump(viewer)
    assert cache.get("k") is None
    for key in ("a", "b", "c"):  # bounded: the least recently used goes
        cache.put(key, cache.stamp(), key, org_id=org, user_id=None, size=400)
    assert len(cache) == 2 and cache.bytes == 800 and cache.get("a") is None
    generations.lost()
    assert cache.stamp() is None and cache.get("c") is None and len(cache) == 0


async def test_an_encoded_page_fills_its_hole_and_refuses_a_second_one() -> None:
    page = {"topic": {"view_count": 0, "title": '"\\u0000hole"'}, "posts": []}
    encoded = Encoded.with_hole(page, lambda p, marker: p["topic"].__setitem__("view_count", marker))
    assert await encoded.response(42).get_data() == (b'{"topic":{"view_count":42,"title":"\\"\\\\u0000hole\\""},'
                                               b'"posts":[]}')
    with pytest.raises(ValueError, match="exactly once"):
        Encoded.with_hole({"a": 0, "b": 0}, lambda p, marker: p.update(a=marker, b=marker))
