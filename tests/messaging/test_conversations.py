"""Conversations and messages over real HTTP: pairs, groups, idempotency, read state, rules."""

from __future__ import annotations

import uuid

import httpx
import trio

from tests.factories import Factory, Personas
from tests.messaging.conftest import base, say, start


async def test_direct_is_one_per_pair_even_under_concurrent_starts(client: httpx.AsyncClient,
                                                                   personas: Personas) -> None:
    acme = personas.acme
    statuses: list[int] = []
    ids: set[str] = set()

    async def one(flip: bool) -> None:
        who, other = (acme.member, acme.admin) if flip else (acme.admin, acme.member)
        r = await client.post(base(acme), json={"participant_ids": [str(other.user_id)]}, headers=who.auth)
        statuses.append(r.status_code)
        ids.add(r.json()["conversation"]["id"])

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            for i in range(10):
                nursery.start_soon(one, i % 2 == 0)
    assert len(ids) == 1
    assert sorted(statuses) == [200] * 9 + [201]
    conv = (await client.get(f"{base(acme)}/{ids.pop()}", headers=acme.member.auth)).json()["conversation"]
    assert conv["kind"] == "direct" and conv["title"] is None
    assert {p["user"]["id"] for p in conv["participants"]} == {str(acme.member.user_id), str(acme.admin.user_id)}


async def test_a_title_with_one_other_person_starts_a_group_of_two(client: httpx.AsyncClient,
                                                                    personas: Personas) -> None:
    """The document allows a title beside one participant (the fuzzer sent it, 422 "a group has 3 to 100"):
    a group of two is a state a group reaches anyway when one of three leaves, so it may start there."""
    acme = personas.acme
    with trio.fail_after(10):
        group = await start(client, acme, acme.member, acme.admin, title="Q3 plans")
        assert group["kind"] == "group" and group["title"] == "Q3 plans"
        assert group["owner_id"] == str(acme.member.user_id)
        assert {p["user"]["id"] for p in group["participants"]} == {str(acme.member.user_id), str(acme.admin.user_id)}
        direct = await start(client, acme, acme.member, acme.admin)  # without a title: the direct one, apart
        assert direct["kind"] == "direct" and direct["id"] != group["id"]
        r = await client.post(f"{base(acme)}/{group['id']}/participants", json={"user_ids": [str(acme.owner.user_id)]},
                              headers=acme.member.auth)
        assert r.status_code == 200 and len(r.json()["conversation"]["participants"]) == 3


async def test_group_rules(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    with trio.fail_after(10):
        r = await client.post(base(acme), json={"participant_ids": [str(acme.admin.user_id), str(acme.owner.user_id)]},
                              headers=acme.member.auth)
        assert r.status_code == 422  # a group has a title
        group = await start(client, acme, acme.member, acme.admin, acme.owner, title="Plans")
        url = f"{base(acme)}/{group['id']}"
        assert group["owner_id"] == str(acme.member.user_id)
        r = await client.patch(url, json={"title": "Nope"}, headers=acme.admin.auth)
        assert r.status_code == 403
        r = await client.patch(url, json={"title": "Plans 2"}, headers=acme.member.auth)
        assert r.json()["conversation"]["title"] == "Plans 2"
        r = await client.post(f"{url}/participants", json={"user_ids": [str(acme.moderator.user_id)]},
                              headers=acme.member.auth)
        assert len(r.json()["conversation"]["participants"]) == 4
        # The moderator can read now; the owner removes them; they see 404 afterwards.
        assert (await client.get(url, headers=acme.moderator.auth)).status_code == 200
        r = await client.delete(f"{url}/participants/{acme.moderator.user_id}", headers=acme.member.auth)
        assert r.status_code == 204
        assert (await client.get(url, headers=acme.moderator.auth)).status_code == 404
        # Others cannot remove; anyone leaves; the owner leaving hands ownership on.
        r = await client.delete(f"{url}/participants/{acme.owner.user_id}", headers=acme.admin.auth)
        assert r.status_code == 403
        assert (await client.delete(f"{url}/participants/{acme.member.user_id}",
                                    headers=acme.member.auth)).status_code == 204
        conv = (await client.get(url, headers=acme.admin.auth)).json()["conversation"]
        assert conv["owner_id"] in {str(acme.admin.user_id), str(acme.owner.user_id)}
        # A group has at most 100 people, you included; a direct has no participants to change.
        r = await client.post(base(acme), json={"participant_ids": [str(uuid.uuid4()) for _ in range(100)],
                                                "title": "Crowd"}, headers=acme.member.auth)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "participant_ids"], r.text
        direct = await start(client, acme, acme.member, acme.admin)
        r = await client.patch(f"{base(acme)}/{direct['id']}", json={"title": "x"}, headers=acme.member.auth)
        assert r.status_code == 409


async def test_participants_must_be_active_members(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    with trio.fail_after(10):
        r = await client.post(base(acme), json={"participant_ids": [str(personas.globex.member.user_id)]},
                              headers=acme.member.auth)
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["body", "participant_ids"]


async def test_messages_markdown_size_edit_delete_reactions(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    with trio.fail_after(10):
        conv = await start(client, acme, acme.member, acme.admin)
        url = f"{base(acme)}/{conv['id']}/messages"
        sent = (await say(client, acme, acme.member, conv["id"], "**hi** <script>alert(1)</script>"))["message"]
        assert "<strong>hi</strong>" in sent["html"] and "<script>" not in sent["html"]
        await say(client, acme, acme.member, conv["id"], "x" * (8 * 1024 + 1), status=413)
        r = await client.patch(f"{url}/{sent['id']}", json={"content": "edited"}, headers=acme.admin.auth)
        assert r.status_code == 403
        r = await client.patch(f"{url}/{sent['id']}", json={"content": "edited"}, headers=acme.member.auth)
        assert r.json()["message"]["is_edited"] and r.json()["message"]["content"] == "edited"
        r = await client.put(f"{url}/{sent['id']}/reactions/👍", headers=acme.admin.auth)
        assert r.json()["message"]["reactions"] == {"👍": 1} and r.json()["message"]["my_reactions"] == ["👍"]
        assert (await client.put(f"{url}/{sent['id']}/reactions/x", headers=acme.admin.auth)).status_code == 422
        assert (await client.delete(f"{url}/{sent['id']}", headers=acme.admin.auth)).status_code == 403
        assert (await client.delete(f"{url}/{sent['id']}", headers=acme.member.auth)).status_code == 204
        page = (await client.get(url, headers=acme.admin.auth)).json()
        assert page["messages"][0]["is_deleted"] and page["messages"][0]["content"] == ""


async def test_client_id_makes_a_send_idempotent(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    with trio.fail_after(10):
        conv = await start(client, acme, acme.member, acme.admin)
        first = (await say(client, acme, acme.member, conv["id"], "once", client_id="c-1"))["message"]
        again = (await say(client, acme, acme.member, conv["id"], "once", client_id="c-1", status=200))["message"]
        assert again["id"] == first["id"]
        # Another sender's same client_id is theirs.
        other = (await say(client, acme, acme.admin, conv["id"], "mine", client_id="c-1"))["message"]
        assert other["id"] != first["id"]
        results: list[int] = []

        async def retry() -> None:
            r = await client.post(f"{base(acme)}/{conv['id']}/messages", json={"content": "x", "client_id": "c-2"},
                                  headers=acme.member.auth)
            results.append(r.status_code)

        async with trio.open_nursery() as nursery:
            for _ in range(8):
                nursery.start_soon(retry)
        assert sorted(results) == [200] * 7 + [201]
        page = (await client.get(f"{base(acme)}/{conv['id']}/messages?limit=100", headers=acme.member.auth)).json()
        assert len(page["messages"]) == 3


async def test_paging_before_after_and_cursor(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    with trio.fail_after(15):
        conv = await start(client, acme, acme.member, acme.admin)
        sent = [(await say(client, acme, acme.member, conv["id"], f"m{i}"))["message"]["id"] for i in range(5)]
        url = f"{base(acme)}/{conv['id']}/messages"
        first = (await client.get(f"{url}?limit=2", headers=acme.admin.auth)).json()
        assert [m["id"] for m in first["messages"]] == sent[:-3:-1]
        second = (await client.get(f"{url}?limit=2&cursor={first['next_cursor']}", headers=acme.admin.auth)).json()
        assert [m["id"] for m in second["messages"]] == [sent[2], sent[1]]
        after = (await client.get(f"{url}?after={sent[1]}", headers=acme.admin.auth)).json()
        assert [m["id"] for m in after["messages"]] == sent[2:] and after["next_cursor"] is None
        before = (await client.get(f"{url}?before={sent[1]}", headers=acme.admin.auth)).json()
        assert [m["id"] for m in before["messages"]] == [sent[0]]


async def test_read_state_and_unread_counts(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    with trio.fail_after(15):
        dm = await start(client, acme, acme.member, acme.admin)
        group = await start(client, acme, acme.member, acme.admin, acme.owner, title="G")
        ids = [(await say(client, acme, acme.member, dm["id"], f"d{i}"))["message"]["id"] for i in range(3)]
        await say(client, acme, acme.owner, group["id"], "g")
        listing = (await client.get(base(acme), headers=acme.admin.auth)).json()
        assert [c["id"] for c in listing["conversations"]] == [group["id"], dm["id"]]
        assert [c["unread_count"] for c in listing["conversations"]] == [1, 3]
        assert listing["conversations"][1]["last_message"]["excerpt"] == "d2"
        me = (await client.get("/api/me", headers=acme.admin.auth)).json()
        assert me["unread_messages"] == 4
        r = await client.post(f"{base(acme)}/{dm['id']}/read", json={"up_to": ids[1]}, headers=acme.admin.auth)
        assert r.json()["read"] == {"conversation_id": dm["id"], "last_read_message_id": ids[1], "unread_count": 1}
        # Never backwards.
        r = await client.post(f"{base(acme)}/{dm['id']}/read", json={"up_to": ids[0]}, headers=acme.admin.auth)
        assert r.json()["read"]["last_read_message_id"] == ids[1]
        conv = (await client.get(f"{base(acme)}/{dm['id']}", headers=acme.member.auth)).json()["conversation"]
        receipts = {p["user"]["id"]: p["last_read_message_id"] for p in conv["participants"]}
        assert receipts == {str(acme.admin.user_id): ids[1], str(acme.member.user_id): ids[2]}
        assert conv["unread_count"] == 0
        assert (await client.get("/api/me", headers=acme.admin.auth)).json()["unread_messages"] == 2


async def test_guests_non_participants_and_other_orgs(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    with trio.fail_after(10):
        await start(client, acme, acme.guest, acme.member, status=403)
        conv = await start(client, acme, acme.member, acme.guest)
        url = f"{base(acme)}/{conv['id']}"
        assert (await client.get(url, headers=acme.guest.auth)).status_code == 200
        await say(client, acme, acme.guest, conv["id"], "hi", status=403)
        assert (await client.get(url, headers=acme.admin.auth)).status_code == 404
        assert (await client.get(f"{url}/messages", headers=acme.owner.auth)).status_code == 404
        assert (await client.get(url, headers=personas.globex.owner.auth)).status_code == 404
        r = await client.get(f"/api/orgs/{personas.globex.slug}/conversations/{conv['id']}",
                             headers=personas.globex.owner.auth)
        assert r.status_code == 404


async def test_suspended_and_removed_members(client: httpx.AsyncClient, personas: Personas,
                                             factory: Factory) -> None:
    acme = personas.acme
    with trio.fail_after(10):
        conv = await start(client, acme, acme.member, acme.moderator)
        await factory.conn.execute("UPDATE memberships SET status = 'suspended' WHERE org_id = $1 AND user_id = $2",
                                   acme.id, acme.member.user_id)
        await say(client, acme, acme.member, conv["id"], "hi", status=403)
        await factory.conn.execute("UPDATE memberships SET status = 'removed' WHERE org_id = $1 AND user_id = $2",
                                   acme.id, acme.member.user_id)
        r = await client.get(f"{base(acme)}/{conv['id']}", headers=acme.member.auth)
        assert r.status_code == 404
        # Invited back later: the old conversation stays closed to them.
        await factory.conn.execute("UPDATE memberships SET status = 'active', joined_at = now() "
                                   "WHERE org_id = $1 AND user_id = $2", acme.id, acme.member.user_id)
        r = await client.get(f"{base(acme)}/{conv['id']}", headers=acme.member.auth)
        assert r.status_code == 404


async def test_dm_policy_and_blocks(client: httpx.AsyncClient, personas: Personas, factory: Factory) -> None:
    acme = personas.acme
    with trio.fail_after(15):
        dm = await start(client, acme, acme.member, acme.admin)
        r = await client.put(f"/api/orgs/{acme.slug}/blocks/{acme.member.user_id}", headers=acme.admin.auth)
        assert r.status_code == 204
        await say(client, acme, acme.member, dm["id"], "hi", status=403)
        await start(client, acme, acme.member, acme.admin, status=403)
        blocks = (await client.get(f"/api/orgs/{acme.slug}/blocks", headers=acme.admin.auth)).json()["blocks"]
        assert [b["user"]["id"] for b in blocks] == [str(acme.member.user_id)]
        # Groups are not affected by a block.
        await start(client, acme, acme.member, acme.admin, acme.owner, title="All")
        assert (await client.delete(f"/api/orgs/{acme.slug}/blocks/{acme.member.user_id}",
                                    headers=acme.admin.auth)).status_code == 204
        await say(client, acme, acme.member, dm["id"], "hi again")
        r = await client.put(f"/api/orgs/{acme.slug}/blocks/{acme.member.user_id}", headers=acme.member.auth)
        assert r.status_code == 422

        await _set_policy(factory, acme.id, "moderators")
        await start(client, acme, acme.member, acme.owner, status=403)
        staff = await start(client, acme, acme.moderator, acme.member)
        await say(client, acme, acme.member, staff["id"], "reply to staff")
        await say(client, acme, acme.member, dm["id"], "member to admin: admin is staff")
        other = await factory.user("Peer")
        await factory.join(acme, other, "member")
        await start(client, acme, acme.member, other, status=403)

        await _set_policy(factory, acme.id, "off")
        await say(client, acme, acme.moderator, staff["id"], "off now", status=403)
        await start(client, acme, acme.owner, acme.admin, status=403)
        await start(client, acme, acme.owner, acme.admin, acme.member, title="Groups still work")


async def _set_policy(factory: Factory, org_id: object, policy: str) -> None:
    await factory.conn.execute(
        "UPDATE organizations SET settings = jsonb_set(settings, '{messaging}', "
        "jsonb_build_object('dm_policy', $2::text)) WHERE id = $1", org_id, policy)


async def test_rate_limit_answers_429_with_retry_after(client: httpx.AsyncClient, personas: Personas,
                                                       factory: Factory) -> None:
    acme = personas.acme
    await factory.conn.execute(
        """UPDATE organizations SET settings = '{"messaging": {"per_minute": 3}}' WHERE id = $1""", acme.id)
    with trio.fail_after(10):
        conv = await start(client, acme, acme.admin, acme.moderator)
        for i in range(3):
            await say(client, acme, acme.admin, conv["id"], f"{i}", client_id=f"k{i}")
        r = await client.post(f"{base(acme)}/{conv['id']}/messages", json={"content": "4"}, headers=acme.admin.auth)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        # A retry of a sent message is not a new send.
        await say(client, acme, acme.admin, conv["id"], "0", client_id="k0", status=200)
        # Per sender: the other participant still sends.
        await say(client, acme, acme.moderator, conv["id"], "fine")
