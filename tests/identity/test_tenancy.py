"""Seats stay exact under any concurrency; invitations are bound to their e-mail; moderators act in their forums."""

from __future__ import annotations

import random
from typing import Any

import httpx
import trio
from structlog.testing import capture_logs

from tests.factories import Factory, Persona, Personas


async def _counts(factory: Factory, org_id: Any) -> tuple[int, int]:
    counter = await factory.conn.fetchval("SELECT current_member_count FROM organizations WHERE id = $1", org_id)
    live = await factory.conn.fetchval(
        "SELECT count(*) FROM memberships WHERE org_id = $1 AND status <> 'removed'", org_id)
    return counter, live


async def _invite(client: httpx.AsyncClient, personas: Personas, email: str, role: str = "member") -> str:
    r = await client.post(f"/api/orgs/{personas.acme.slug}/invitations", json={"email": email, "role": role},
                          headers=personas.acme.owner.auth)
    assert r.status_code == 201, r.text
    return str(r.json()["invitation"]["token"])


async def test_concurrent_leaves_of_one_member_free_one_seat(client: httpx.AsyncClient, personas: Personas,
                                                             factory: Factory) -> None:
    acme = personas.acme
    statuses: list[int] = []

    async def leave() -> None:
        r = await client.delete(f"/api/orgs/{acme.slug}/members/{acme.member.user_id}", headers=acme.member.auth)
        statuses.append(r.status_code)

    async def remove() -> None:
        r = await client.delete(f"/api/orgs/{acme.slug}/members/{acme.member.user_id}", headers=acme.admin.auth)
        statuses.append(r.status_code)

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            for i in range(8):
                nursery.start_soon(leave if i % 2 else remove)
    assert statuses.count(204) == 1
    assert sorted(set(statuses)) in ([204, 403], [204, 404], [204, 403, 404])  # gone: 404 to the admin, 403 to self
    counter, live = await _counts(factory, acme.id)
    assert counter == live == 4


async def test_randomized_concurrent_membership_changes_keep_the_seat_counter_exact(
        client: httpx.AsyncClient, personas: Personas, factory: Factory) -> None:
    """Joins, leaves, removals, suspensions and limit changes, racing: the counter equals a recount after."""
    acme, rng = personas.acme, random.Random(7)
    await factory.conn.execute("UPDATE organizations SET member_limit = 8 WHERE id = $1", acme.id)
    people = [await factory.user(f"Racer{i}") for i in range(12)]
    limits_seen = {8}
    outcomes: dict[str, int] = {}
    one_at_a_time = trio.Lock()  # the factory's one connection: two racers' limit changes must take turns

    async def join(person: Persona) -> int:
        token = await _invite(client, personas, person.email)
        return (await client.post(f"/api/invitations/{token}/accept", headers=person.auth)).status_code

    async def step(person: Persona) -> None:
        action = rng.choice(["join", "join", "leave", "remove", "suspend", "reinstate", "limit"])
        path = f"/api/orgs/{acme.slug}/members/{person.user_id}"
        if action == "join":
            status = await join(person)
        elif action == "leave":
            status = (await client.delete(path, headers=person.auth)).status_code
        elif action == "remove":
            status = (await client.delete(path, headers=acme.admin.auth)).status_code
        elif action in ("suspend", "reinstate"):
            body = {"status": "suspended" if action == "suspend" else "active"}
            status = (await client.patch(path, json=body, headers=acme.moderator.auth)).status_code
        else:
            limit = rng.choice([6, 8, 10])
            limits_seen.add(limit)
            async with one_at_a_time:
                await factory.conn.execute("UPDATE organizations SET member_limit = $2 WHERE id = $1",
                                           acme.id, limit)
            status = 200
        assert status < 500, (action, status)
        outcomes[f"{action} {status}"] = outcomes.get(f"{action} {status}", 0) + 1

    async def member_life(person: Persona) -> None:
        for _ in range(6):
            await step(person)

    with trio.fail_after(120):
        async with trio.open_nursery() as nursery:
            for person in people:
                nursery.start_soon(member_life, person)
    counter, live = await _counts(factory, acme.id)
    assert counter == live, outcomes
    assert live <= max(limits_seen)
    assert outcomes.get("join 200", 0) > 0 and outcomes.get("leave 204", 0) + outcomes.get("remove 204", 0) > 0


async def test_an_invitation_is_bound_to_its_email(client: httpx.AsyncClient, personas: Personas,
                                                   factory: Factory) -> None:
    invited, stranger = await factory.user("Invited"), await factory.user("Stranger")
    token = await _invite(client, personas, invited.email.upper(), role="admin")
    r = await client.post(f"/api/invitations/{token}/accept", headers=stranger.auth)
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    r = await client.post(f"/api/invitations/{token}/accept", headers=invited.auth)
    assert r.status_code == 200
    assert r.json()["membership"]["role"] == "admin"


async def test_invitation_tokens_never_reach_the_request_log(client: httpx.AsyncClient, personas: Personas,
                                                             factory: Factory) -> None:
    invited = await factory.user("Logged")
    token = await _invite(client, personas, invited.email)
    with capture_logs() as logs:
        await client.get(f"/api/invitations/{token}")
        await client.post(f"/api/invitations/{token}/accept", headers=invited.auth)
        await client.post(f"/api/invitations/{token}/accept-typo", headers=invited.auth)
    paths = [e["path"] for e in logs if e["event"] == "http.request"]
    assert paths == ["/api/invitations/[redacted]", "/api/invitations/[redacted]/accept",
                     "/api/invitations/[redacted]/accept-typo"]
    assert token not in repr(logs)


async def _as(client: httpx.AsyncClient, who: Persona, method: str, path: str, body: Any = None,
              expect: int = 200) -> Any:
    r = await client.request(method, path, json=body, headers=who.auth)
    assert r.status_code == expect, (method, path, r.status_code, r.text)
    return r.json() if r.content else None


async def test_a_moderator_suspends_only_members_of_their_forums(client: httpx.AsyncClient, personas: Personas,
                                                                 factory: Factory) -> None:
    acme = personas.acme
    base = f"/api/orgs/{acme.slug}"
    inside, outside = await factory.user("Inside"), await factory.user("Outside")
    for person in (inside, outside):
        await factory.join(acme, person, "member")
    forum_a = (await _as(client, acme.owner, "POST", f"{base}/forums", {"name": "Assigned"}, 201))["forum"]["id"]
    forum_b = (await _as(client, acme.owner, "POST", f"{base}/forums", {"name": "Elsewhere"}, 201))["forum"]["id"]
    topic = (await _as(client, acme.owner, "POST", f"{base}/forums/{forum_a}/topics",
                       {"title": "In A", "content": "x"}, 201))["topic"]["id"]
    await _as(client, inside, "POST", f"{base}/topics/{topic}/posts", {"content": "reply in A"}, 201)
    await _as(client, outside, "POST", f"{base}/forums/{forum_b}/topics", {"title": "In B", "content": "y"}, 201)
    mod = acme.moderator
    forums_of_mod = f"{base}/moderators/{mod.user_id}/forums"
    assert (await _as(client, mod, "GET", forums_of_mod))["scope"] == "organization"
    await _as(client, acme.admin, "PUT", f"{forums_of_mod}/{forum_a}")
    assigned = await _as(client, mod, "GET", forums_of_mod)
    assert (assigned["scope"], [f["id"] for f in assigned["forums"]]) == ("forums", [forum_a])
    await _as(client, acme.admin, "PUT", f"{base}/moderators/{acme.member.user_id}/forums/{forum_a}", expect=409)
    await _as(client, mod, "POST", f"{base}/moderation/members/{inside.user_id}/suspend", {"reason": "x"})
    await _as(client, mod, "POST", f"{base}/moderation/members/{outside.user_id}/suspend", {"reason": "x"}, 403)
    await _as(client, mod, "PATCH", f"{base}/members/{outside.user_id}", {"status": "suspended"}, 403)
    await _as(client, acme.admin, "PATCH", f"{base}/members/{outside.user_id}", {"status": "suspended"})
    await _as(client, acme.admin, "DELETE", f"{forums_of_mod}/{forum_a}", expect=204)
    await _as(client, acme.admin, "DELETE", f"{forums_of_mod}/{forum_a}", expect=404)
    await _as(client, mod, "PATCH", f"{base}/members/{outside.user_id}", {"status": "active"})  # org-wide again
    log = (await _as(client, acme.owner, "GET", f"{base}/moderation/log"))["entries"]
    assert {"assign_moderator", "unassign_moderator"} <= {e["action"] for e in log}


async def test_a_locked_topic_refuses_reactions_edits_and_solutions_except_from_moderators(
        client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    base = f"/api/orgs/{acme.slug}"
    forum = (await _as(client, acme.owner, "POST", f"{base}/forums", {"name": "Locks"}, 201))["forum"]["id"]
    topic = (await _as(client, acme.member, "POST", f"{base}/forums/{forum}/topics",
                       {"title": "Question", "content": "q"}, 201))["topic"]["id"]
    post = (await _as(client, acme.member, "POST", f"{base}/topics/{topic}/posts", {"content": "a"}, 201))["post"]["id"]
    await _as(client, acme.moderator, "PATCH", f"{base}/topics/{topic}", {"is_locked": True})
    for method, path, body in (("PUT", f"{base}/posts/{post}/reactions/👍", None),
                               ("DELETE", f"{base}/posts/{post}/reactions/👍", None),
                               ("PATCH", f"{base}/posts/{post}", {"content": "edited"}),
                               ("PATCH", f"{base}/topics/{topic}", {"title": "Edited"}),
                               ("POST", f"{base}/posts/{post}/solution", None),
                               ("POST", f"{base}/topics/{topic}/posts", {"content": "more"})):
        r = await client.request(method, path, json=body, headers=acme.member.auth)
        assert (r.status_code, r.json()["detail"]) == (403, "This topic is locked."), (method, path)
    await _as(client, acme.moderator, "PUT", f"{base}/posts/{post}/reactions/👍")
    await _as(client, acme.moderator, "PATCH", f"{base}/posts/{post}", {"content": "moderated"})
    await _as(client, acme.moderator, "POST", f"{base}/posts/{post}/solution")
    await _as(client, acme.moderator, "PATCH", f"{base}/topics/{topic}", {"title": "Answered", "is_locked": False})
    await _as(client, acme.member, "PUT", f"{base}/posts/{post}/reactions/👍")
