"""Events in search (`type=events`) and on the org channel, each only for those who may see the event."""

from __future__ import annotations

from typing import Any

import trio

from community.app import System
from tests.events.conftest import Api
from tests.factories import Personas
from tests.realtime.conftest import nothing_arrives, open_socket, recv_type


async def _search(api: Api, q: str, who: str, **params: Any) -> set[str]:
    found = await api.call("GET", "/search", who, params={"q": q, **params})
    return {r["id"] for r in found["results"]}


async def test_events_are_searchable_by_those_who_may_see_them(api: Api) -> None:
    public = await api.event(title="Kubernetes workshop", location="Lab 4", event_type="webinar")
    hidden = await api.event(title="Kubernetes budget review", is_public=False)
    with trio.fail_after(10):
        while True:
            if await _search(api, "kubernetes", "member", type="events") == {public["id"], hidden["id"]}:
                break
            await trio.sleep(0.05)
    assert await _search(api, "kubernetes", "guest", type="events") == {public["id"]}
    assert public["id"] in await _search(api, "webinar lab", "guest")  # type=all includes events
    found = (await api.call("GET", "/search", "member", params={"q": "workshop", "type": "events"}))["results"]
    assert found[0]["type"] == "event" and found[0]["event_id"] == public["id"] and found[0]["forum_id"] is None
    await api.call("PATCH", f"/events/{public['id']}", "moderator", json={"is_public": False})
    assert await _search(api, "kubernetes", "guest", type="events") == set()


async def test_org_channel_carries_events_without_meeting_links(runtime: System, api: Api,
                                                                personas: Personas) -> None:
    acme = personas.acme
    async with open_socket(runtime, acme.member, acme.slug) as member:
        event = await api.event(title="Open day")
        frame = await recv_type(member, "event_created")
        assert frame["channel"] == f"org:{acme.id}" and frame["event"]["id"] == event["id"]
        assert frame["event"]["meeting_url"] is None and frame["event"]["my_registration"] is None
        await api.call("PATCH", f"/events/{event['id']}", "moderator", json={"title": "Open day 2"})
        assert (await recv_type(member, "event_updated"))["event"]["title"] == "Open day 2"
        await api.call("POST", f"/events/{event['id']}/cancel", "moderator", json={"reason": "Rain"})
        assert (await recv_type(member, "event_cancelled"))["event"]["status"] == "cancelled"
        await nothing_arrives(member, 0.2, ignore=("presence",))


async def test_members_only_events_reach_members_and_never_guests(runtime: System, api: Api,
                                                                 personas: Personas) -> None:
    acme = personas.acme
    async with open_socket(runtime, acme.guest, acme.slug) as guest, \
            open_socket(runtime, acme.member, acme.slug) as member:
        hidden = await api.event(title="Board meeting", is_public=False)
        frame = await recv_type(member, "event_created")
        assert frame["event"]["title"] == "Board meeting" and frame["event_id"] == hidden["id"]
        shown = await api.event(title="Open day")
        assert (await recv_type(guest, "event_created"))["event_id"] == shown["id"]  # the first it gets
        assert (await recv_type(member, "event_created"))["event_id"] == shown["id"]
        await nothing_arrives(guest, 0.3, ignore=("presence",))
