"""The directory, @mention completion, the Markdown preview and /api/config over real HTTP."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx

from community.app import System
from community.settings import Settings
from tests.factories import Factory, Personas


async def test_directory_lists_public_orgs_by_name_in_pages(client: httpx.AsyncClient, factory: Factory,
                                                            personas: Personas) -> None:
    names = ["delta", "Alpha", "charlie", "Bravo", "echo"]
    made = {name: await factory.org(name, is_public=True) for name in names}
    await factory.org("hidden", is_public=False)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = {"cursor": cursor} if cursor else {}
        r = await client.get("/api/orgs", params={"public": "true", "limit": 2, **page})
        assert r.status_code == 200, r.text
        seen += [o["name"] for o in r.json()["organizations"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Alpha", "Bravo", "charlie", "delta", "echo"]
    entry = next(o for o in r.json()["organizations"] if o["name"] == "echo")
    assert entry["slug"] == made["echo"].slug
    assert "settings" not in entry and "stripe_customer_id" not in entry
    assert personas.acme.slug not in {o["slug"] for o in r.json()["organizations"]}


async def test_directory_needs_public_true(client: httpx.AsyncClient) -> None:
    for params in ({}, {"public": "false"}, {"public": "true", "limit": "0"}, {"public": "true", "cursor": "bad"}):
        r = await client.get("/api/orgs", params=params)
        assert r.status_code in (400, 422), (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"


async def test_member_suggestions(client: httpx.AsyncClient, factory: Factory, personas: Personas) -> None:
    acme = personas.acme
    ana = await factory.user("Ana Lima")
    await factory.join(acme, ana, "member")
    outsider = await factory.user("Anabel Out")
    await factory.join(personas.globex, outsider, "member")
    suspended = await factory.user("Anastasia Gone")
    await factory.join(acme, suspended, "member", status="suspended")
    for q in ("an", "@An", "lim", "analima"):
        r = await client.get(f"/api/orgs/{acme.slug}/members/suggest", params={"q": q}, headers=acme.guest.auth)
        assert r.status_code == 200, r.text
        assert [m["user"]["display_name"] for m in r.json()["members"]] == ["Ana Lima"], q
    [found] = r.json()["members"]
    assert found["handle"] == "analima" and found["role"] == "member"
    r = await client.get(f"/api/orgs/{acme.slug}/members/suggest", params={"q": "%"}, headers=acme.member.auth)
    assert r.json()["members"] == []
    r = await client.get(f"/api/orgs/{acme.slug}/members/suggest", params={"q": ""}, headers=acme.member.auth)
    assert r.status_code == 422


async def test_a_mention_picked_from_suggestions_reaches_the_member(client: httpx.AsyncClient, factory: Factory,
                                                                   personas: Personas) -> None:
    acme = personas.acme
    ana = await factory.user("Ana Lima")
    await factory.join(acme, ana, "member")
    r = await client.get(f"/api/orgs/{acme.slug}/members/suggest", params={"q": "ana"}, headers=acme.member.auth)
    handle = r.json()["members"][0]["handle"]
    r = await client.post(f"/api/orgs/{acme.slug}/markdown/preview", json={"content": f"hi @{handle}"},
                          headers=acme.member.auth)
    assert r.json()["mentions"] == [handle]


async def test_preview_is_what_will_be_posted(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    content = "# Title\n\n**bold** <script>alert(1)</script> [x](javascript:alert(1)) `@notamention` @acmeowner"
    r = await client.post(f"/api/orgs/{acme.slug}/markdown/preview", json={"content": content},
                          headers=acme.member.auth)
    assert r.status_code == 200, r.text
    preview = r.json()
    assert "<script" not in preview["html"] and "href=\"javascript" not in preview["html"]
    assert preview["mentions"] == ["acmeowner"]
    forum = (await client.post(f"/api/orgs/{acme.slug}/forums", json={"name": "General"},
                               headers=acme.admin.auth)).json()["forum"]
    topic = (await client.post(f"/api/orgs/{acme.slug}/forums/{forum['id']}/topics",
                               json={"title": "Hello", "content": "first"}, headers=acme.member.auth)).json()["topic"]
    post = (await client.post(f"/api/orgs/{acme.slug}/topics/{topic['id']}/posts", json={"content": content},
                              headers=acme.member.auth)).json()["post"]
    assert post["html"] == preview["html"]


async def test_preview_limits(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    url = f"/api/orgs/{acme.slug}/markdown/preview"
    r = await client.post(url, json={"content": "x" * (64 * 1024 + 1)}, headers=acme.member.auth)
    assert r.status_code == 413
    r = await client.post(url, json={"content": "nul \u0000"}, headers=acme.member.auth)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "content"]
    r = await client.post(url, json={"content": "hi", "extra": 1}, headers=acme.member.auth)
    assert r.status_code == 422


async def test_config_answers_what_the_app_needs(client: httpx.AsyncClient, runtime: System) -> None:
    body = (await client.get("/api/config")).json()
    assert body == {"ws_url": f"ws://127.0.0.1:{runtime.ws_port}/ws", "auth": "builtin", "auth0_domain": None,
                    "auth0_audience": None, "auth0_client_id": None, "stripe_publishable_key": None,
                    "app_url": "http://localhost:8080", "api_url": "http://localhost:8080", "org": None}


def test_the_seed_settings_work_as_named(tmp_path: Path) -> None:
    settings = Settings(next_public_auth0_domain="community.auth0.com", next_public_auth0_client_id="abc123",
                        next_public_stripe_publishable_key="pk_test_1", next_public_app_url="https://app.example",
                        api_url="https://api.example", _env_file=None)  # type: ignore[call-arg]
    assert settings.auth0_enabled
    assert (settings.auth0_domain, settings.auth0_client_id, settings.auth0_audience) == (
        "community.auth0.com", "abc123", "abc123")
    explicit = Settings(auth0_domain="a.auth0.com", auth0_audience="https://api", next_public_auth0_domain="b",
                        _env_file=None)  # type: ignore[call-arg]
    assert (explicit.auth0_domain, explicit.auth0_audience) == ("a.auth0.com", "https://api")


async def _topic_with_posts(client: httpx.AsyncClient, personas: Personas, n: int) -> tuple[str, str, list[str]]:
    acme = personas.acme
    forum = (await client.post(f"/api/orgs/{acme.slug}/forums", json={"name": "Reading"},
                               headers=acme.admin.auth)).json()["forum"]
    topic = (await client.post(f"/api/orgs/{acme.slug}/forums/{forum['id']}/topics",
                               json={"title": "Long one", "content": "first"}, headers=acme.owner.auth)).json()["topic"]
    ids = []
    for i in range(n):
        r = await client.post(f"/api/orgs/{acme.slug}/topics/{topic['id']}/posts", json={"content": f"post {i}"},
                              headers=acme.owner.auth)
        ids.append(r.json()["post"]["id"])
    return forum["id"], topic["id"], ids


async def test_read_positions_follow_the_reader_and_only_move_forward(client: httpx.AsyncClient,
                                                                       personas: Personas) -> None:
    acme = personas.acme
    forum_id, topic_id, ids = await _topic_with_posts(client, personas, 5)
    base = f"/api/orgs/{acme.slug}"

    async def forum_entry() -> dict[str, object]:
        r = await client.get(f"{base}/forums/{forum_id}", headers=acme.member.auth)
        assert r.status_code == 200, r.text
        return dict(next(t for t in r.json()["topics"] if t["id"] == topic_id))

    entry = await forum_entry()
    assert (entry["is_new"], entry["unread_count"], entry["last_read_post_id"]) == (True, 5, None)
    page = (await client.get(f"{base}/topics/{topic_id}", headers=acme.member.auth)).json()
    assert page["read"] == {"last_read_post_id": None, "first_unread_post_id": ids[0], "unread_count": 5,
                            "unread_cursor": None}

    r = await client.put(f"{base}/topics/{topic_id}/read", json={"post_id": ids[2]}, headers=acme.member.auth)
    assert r.status_code == 200, r.text
    read = r.json()["read"]
    assert (read["topic_id"], read["last_read_post_id"], read["first_unread_post_id"], read["unread_count"]) == (
        topic_id, ids[2], ids[3], 2)
    # The cursor opens the topic at the first unread post.
    r = await client.get(f"{base}/topics/{topic_id}", params={"cursor": read["unread_cursor"]},
                         headers=acme.member.auth)
    assert [p["id"] for p in r.json()["posts"]] == ids[3:]
    # An older post (a stale tab) leaves the position where it is.
    r = await client.put(f"{base}/topics/{topic_id}/read", json={"post_id": ids[0]}, headers=acme.member.auth)
    assert r.json()["read"]["last_read_post_id"] == ids[2]
    entry = await forum_entry()
    assert (entry["is_new"], entry["unread_count"], entry["last_read_post_id"]) == (False, 2, ids[2])
    # Another member's position is their own.
    r = await client.get(f"{base}/forums/{forum_id}", headers=acme.moderator.auth)
    assert next(t for t in r.json()["topics"] if t["id"] == topic_id)["unread_count"] == 5
    # New posts count as unread; reading to the end leaves nothing.
    r = await client.post(f"{base}/topics/{topic_id}/posts", json={"content": "later"}, headers=acme.owner.auth)
    assert (await forum_entry())["unread_count"] == 3
    r = await client.put(f"{base}/topics/{topic_id}/read", json={"post_id": r.json()["post"]["id"]},
                         headers=acme.member.auth)
    assert (r.json()["read"]["unread_count"], r.json()["read"]["first_unread_post_id"]) == (0, None)
    page = (await client.get(f"{base}/topics/{topic_id}", headers=acme.member.auth)).json()
    assert page["read"]["unread_count"] == 0


async def test_read_position_errors(client: httpx.AsyncClient, personas: Personas, factory: Factory) -> None:
    acme = personas.acme
    _, topic_id, ids = await _topic_with_posts(client, personas, 1)
    _, _, other_ids = await _topic_with_posts(client, personas, 1)
    base = f"/api/orgs/{acme.slug}"
    r = await client.put(f"{base}/topics/{topic_id}/read", json={"post_id": other_ids[0]}, headers=acme.member.auth)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = await client.put(f"{base}/topics/{topic_id}/read", json={"post_id": "nope"}, headers=acme.member.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "post_id"]
    r = await client.put(f"{base}/topics/{topic_id}/read", json={}, headers=acme.member.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "post_id"]
    # Another org's member: the topic is not there for them.
    globex = personas.globex
    r = await client.put(f"/api/orgs/{globex.slug}/topics/{topic_id}/read", json={"post_id": ids[0]},
                         headers=globex.owner.auth)
    assert r.status_code == 404


async def test_visits_mark_what_is_new_since_the_last_one(client: httpx.AsyncClient, factory: Factory,
                                                          personas: Personas) -> None:
    acme = personas.acme
    url = f"/api/orgs/{acme.slug}/visits"
    first = (await client.post(url, headers=acme.member.auth)).json()["visit"]
    assert first["last_visit_at"] is None
    again = (await client.post(url, headers=acme.member.auth)).json()["visit"]
    assert again["last_visit_at"] is None and again["last_seen_at"] >= first["last_seen_at"]
    # 40 minutes away: the next call starts a new visit, and the previous one ended when last seen.
    await factory.conn.execute(
        "UPDATE org_visits SET last_seen_at = now() - interval '40 minutes' WHERE org_id = $1 AND user_id = $2",
        acme.id, acme.member.user_id)
    ended = await factory.conn.fetchval(
        "SELECT last_seen_at FROM org_visits WHERE org_id = $1 AND user_id = $2", acme.id, acme.member.user_id)
    visit = (await client.post(url, headers=acme.member.auth)).json()["visit"]
    assert datetime.fromisoformat(visit["last_visit_at"]) == ended
    forum = (await client.post(f"/api/orgs/{acme.slug}/forums", json={"name": "Visits"},
                               headers=acme.admin.auth)).json()["forum"]
    page = (await client.get(f"/api/orgs/{acme.slug}/forums/{forum['id']}", headers=acme.member.auth)).json()
    assert page["last_visit_at"] == visit["last_visit_at"]
