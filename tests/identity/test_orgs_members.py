"""Organizations, members, invitations and seats, over real HTTP."""

from __future__ import annotations

import httpx
import trio

from community.app import System
from tests.factories import Factory, Personas


async def test_create_org_makes_creator_owner(client: httpx.AsyncClient, personas: Personas) -> None:
    r = await client.post("/api/orgs", json={"name": "Rust Café Berlin"}, headers=personas.outsider.auth)
    assert r.status_code == 201
    org = r.json()["organization"]
    assert org["slug"] == "rust-cafe-berlin"
    assert (org["subscription_tier"], org["member_limit"], org["current_member_count"]) == ("community", 50, 1)
    me = (await client.get("/api/me", headers=personas.outsider.auth)).json()
    assert [(m["organization"]["slug"], m["role"]) for m in me["memberships"]] == [("rust-cafe-berlin", "owner")]
    again = await client.post("/api/orgs", json={"name": "Rust Café Berlin"}, headers=personas.outsider.auth)
    assert again.json()["organization"]["slug"] == "rust-cafe-berlin-2"


async def test_slug_rules(client: httpx.AsyncClient, personas: Personas) -> None:
    auth = personas.outsider.auth
    assert (await client.post("/api/orgs", json={"name": "x", "slug": "api"}, headers=auth)).status_code == 422
    assert (await client.post("/api/orgs", json={"name": "x", "slug": "Bad Slug"}, headers=auth)).status_code == 422
    taken = await client.post("/api/orgs", json={"name": "x", "slug": personas.acme.slug}, headers=auth)
    assert taken.status_code == 409


async def test_patch_cannot_write_tier_or_counts(client: httpx.AsyncClient, personas: Personas) -> None:
    url = f"/api/orgs/{personas.acme.slug}"
    r = await client.patch(url, json={"member_limit": 10000}, headers=personas.acme.owner.auth)
    assert r.status_code == 422
    r = await client.patch(url, json={"name": "Acme 2", "branding": {"primary_color": "#123456"}},
                           headers=personas.acme.admin.auth)
    assert r.status_code == 200
    assert r.json()["organization"]["branding"] == {"primary_color": "#123456"}
    assert (await client.patch(url, json={"name": "no"}, headers=personas.acme.moderator.auth)).status_code == 403


async def test_other_org_ids_answer_404_like_missing(client: httpx.AsyncClient, personas: Personas) -> None:
    foreign = await client.get(f"/api/orgs/{personas.globex.id}", headers=personas.acme.owner.auth)
    missing = await client.get("/api/orgs/00000000-0000-4000-8000-000000000000", headers=personas.acme.owner.auth)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


async def test_members_list_pages_and_filters(client: httpx.AsyncClient, personas: Personas) -> None:
    url = f"/api/orgs/{personas.acme.slug}/members"
    first = (await client.get(url, params={"limit": 2}, headers=personas.acme.member.auth)).json()
    assert len(first["members"]) == 2
    second = (await client.get(url, params={"limit": 10, "cursor": first["next_cursor"]},
                               headers=personas.acme.member.auth)).json()
    assert len(second["members"]) == 3
    assert second["next_cursor"] is None
    admins = (await client.get(url, params={"role": "admin"}, headers=personas.acme.member.auth)).json()
    assert [m["role"] for m in admins["members"]] == ["admin"]
    bad = await client.get(url, params={"cursor": "garbage"}, headers=personas.acme.member.auth)
    assert bad.status_code == 422


async def test_role_rules(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    url = f"/api/orgs/{acme.slug}/members"
    patch = client.patch
    assert (await patch(f"{url}/{acme.member.user_id}", json={"role": "owner"}, headers=acme.admin.auth)
            ).status_code == 403
    assert (await patch(f"{url}/{acme.owner.user_id}", json={"role": "member"}, headers=acme.owner.auth)
            ).status_code == 409  # the last owner
    assert (await patch(f"{url}/{acme.moderator.user_id}", json={"role": "admin"}, headers=acme.admin.auth)
            ).status_code == 200
    assert (await patch(f"{url}/{acme.moderator.user_id}", json={"role": "member"}, headers=acme.admin.auth)
            ).status_code == 403  # now a peer of the admin
    r = await patch(f"{url}/{acme.member.user_id}", json={"permissions": {"forums.manage": True}},
                    headers=acme.admin.auth)
    assert r.status_code == 200
    r = await patch(f"{url}/{acme.member.user_id}", json={"permissions": {"org.delete": True}},
                    headers=acme.owner.auth)
    assert r.status_code == 422
    assert (await client.delete(f"{url}/{acme.owner.user_id}", headers=acme.owner.auth)).status_code == 409


async def test_suspended_member_gets_403_until_reinstated(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    member_url = f"/api/orgs/{acme.slug}/members/{acme.member.user_id}"
    assert (await client.patch(member_url, json={"status": "suspended"}, headers=acme.moderator.auth)
            ).status_code == 200
    assert (await client.get(f"/api/orgs/{acme.slug}", headers=acme.member.auth)).status_code == 403
    assert (await client.patch(member_url, json={"status": "active"}, headers=acme.moderator.auth)
            ).status_code == 200
    assert (await client.get(f"/api/orgs/{acme.slug}", headers=acme.member.auth)).status_code == 200


async def test_leaving_frees_the_seat(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    before = (await client.get(f"/api/orgs/{acme.slug}", headers=acme.owner.auth)).json()["organization"]
    r = await client.delete(f"/api/orgs/{acme.slug}/members/{acme.member.user_id}", headers=acme.member.auth)
    assert r.status_code == 204
    after = (await client.get(f"/api/orgs/{acme.slug}", headers=acme.owner.auth)).json()["organization"]
    assert after["current_member_count"] == before["current_member_count"] - 1
    assert (await client.get(f"/api/orgs/{acme.slug}", headers=acme.member.auth)).status_code == 404


async def _invite(client: httpx.AsyncClient, personas: Personas, role: str = "member",
                  email: str = "new@example.com") -> str:
    r = await client.post(f"/api/orgs/{personas.acme.slug}/invitations",
                          json={"email": email, "role": role}, headers=personas.acme.admin.auth)
    assert r.status_code == 201, r.text
    return str(r.json()["invitation"]["token"])


async def test_invitation_lifecycle(client: httpx.AsyncClient, personas: Personas, factory: Factory) -> None:
    newcomer = await factory.user("Newcomer")
    token = await _invite(client, personas, email=newcomer.email)
    assert len(token) >= 32
    look = await client.get(f"/api/invitations/{token}")
    assert look.json()["invitation"]["organization"]["slug"] == personas.acme.slug
    r = await client.post(f"/api/invitations/{token}/accept", headers=newcomer.auth)
    assert r.status_code == 200
    assert r.json()["membership"]["role"] == "member"
    assert (await client.post(f"/api/invitations/{token}/accept", headers=newcomer.auth)).status_code == 410
    assert (await client.post("/api/invitations/" + "x" * 43 + "/accept", headers=newcomer.auth)).status_code == 404
    second = await _invite(client, personas, email=newcomer.email.upper())  # e-mail matching ignores case
    assert (await client.post(f"/api/invitations/{second}/accept", headers=newcomer.auth)).status_code == 409


async def test_invitation_rules(client: httpx.AsyncClient, personas: Personas, factory: Factory) -> None:
    acme = personas.acme
    url = f"/api/orgs/{acme.slug}/invitations"
    assert (await client.post(url, json={"email": "a@example.com", "role": "owner"}, headers=acme.owner.auth)
            ).status_code == 403
    assert (await client.post(url, json={"email": "a@example.com", "role": "admin"}, headers=acme.admin.auth)
            ).status_code == 201
    assert (await client.post(url, json={"email": "a@example.com"}, headers=acme.moderator.auth)).status_code == 403
    user = await factory.user("Late")
    token = await _invite(client, personas, email=user.email)
    listed = (await client.get(url, headers=acme.admin.auth)).json()["invitations"]
    assert all("token" not in inv for inv in listed)
    assert (await client.delete(f"{url}/{listed[0]['id']}", headers=acme.admin.auth)).status_code == 204
    assert (await client.post(f"/api/invitations/{token}/accept", headers=user.auth)).status_code == 410


async def test_expired_invitation_is_gone(client: httpx.AsyncClient, personas: Personas, factory: Factory) -> None:
    user = await factory.user("Late")
    token = await _invite(client, personas, email=user.email)
    await factory.conn.execute("UPDATE invitations SET expires_at = now() - interval '1 second'")
    r = await client.post(f"/api/invitations/{token}/accept", headers=user.auth)
    assert r.status_code == 410
    assert "expired" in r.json()["detail"]


async def test_single_use_under_20_concurrent_accepts(client: httpx.AsyncClient, personas: Personas,
                                                      factory: Factory) -> None:
    racer = await factory.user("Racer")
    token = await _invite(client, personas, email=racer.email)
    statuses: list[int] = []

    async def accept(auth: dict[str, str]) -> None:
        statuses.append((await client.post(f"/api/invitations/{token}/accept", headers=auth)).status_code)

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            for _ in range(20):
                nursery.start_soon(accept, racer.auth)
    assert sorted(statuses) == [200] + [410] * 19


async def test_seat_race_admits_exactly_the_free_seats(client: httpx.AsyncClient, personas: Personas,
                                                       factory: Factory, runtime: System) -> None:
    acme = personas.acme  # 5 members of 50: 45 free; one more joins to leave 44... use 46 free via limit 51
    await factory.conn.execute("UPDATE organizations SET member_limit = 51 WHERE id = $1", acme.id)
    users = [await factory.user(f"Seat{i}") for i in range(60)]
    tokens = [await _invite(client, personas, email=user.email) for user in users]
    statuses: list[int] = []

    async def accept(token: str, auth: dict[str, str]) -> None:
        statuses.append((await client.post(f"/api/invitations/{token}/accept", headers=auth)).status_code)

    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            for token, user in zip(tokens, users, strict=True):
                nursery.start_soon(accept, token, user.auth)
    assert statuses.count(200) == 46
    assert statuses.count(402) == 14
    count = await factory.conn.fetchval("SELECT current_member_count FROM organizations WHERE id = $1", acme.id)
    live = await factory.conn.fetchval(
        "SELECT count(*) FROM memberships WHERE org_id = $1 AND status <> 'removed'", acme.id)
    assert count == live == 51
    one_more = await factory.user("OneMore")
    full = await client.post(f"/api/invitations/{await _invite(client, personas, email=one_more.email)}/accept",
                             headers=one_more.auth)
    assert full.status_code == 402
    assert full.json()["type"].endswith("seat-limit")
