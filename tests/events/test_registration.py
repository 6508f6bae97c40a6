"""Registration: going / interested / not going, the waitlist race, promotion, attendees, check-in."""

from __future__ import annotations

import uuid

import httpx
import trio

from tests.events.conftest import Api, notifications
from tests.factories import Factory, Persona, Personas


async def _crowd(factory: Factory, personas: Personas, n: int) -> list[Persona]:
    people = []
    for i in range(n):
        person = await factory.user(f"Fan{i}")
        await factory.join(personas.acme, person, "member")
        people.append(person)
    return people


async def test_fifty_concurrent_going_into_ten_places_admits_exactly_ten(
        api: Api, factory: Factory, personas: Personas, client: httpx.AsyncClient) -> None:
    await factory.conn.execute("UPDATE organizations SET member_limit = NULL WHERE id = $1", personas.acme.id)
    event = await api.event(max_attendees=10)
    people = await _crowd(factory, personas, 50)
    answers: list[dict[str, object]] = []

    async def go(person: Persona) -> None:
        r = await client.put(f"{api.base()}/events/{event['id']}/registration", json={"status": "going"},
                             headers=person.auth)
        assert r.status_code == 200, r.text
        answers.append(r.json()["registration"])

    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            for person in people:
                nursery.start_soon(go, person)
    assert sum(a["status"] == "going" for a in answers) == 10
    waitlisted = sorted(int(str(a["position"])) for a in answers if a["status"] == "waitlisted")
    assert waitlisted == list(range(1, 41))
    read = (await api.call("GET", f"/events/{event['id']}"))["event"]
    assert (read["attendee_count"], read["waitlist_count"], read["places_left"]) == (10, 40, 0)
    going = await factory.conn.fetchval(
        "SELECT count(*) FROM event_registrations WHERE occurrence_id = $1 AND status = 'going'",
        uuid.UUID(read["occurrence_id"]))
    assert going == 10


async def test_waitlist_in_order_and_a_freed_place_promotes_the_first(
        api: Api, client: httpx.AsyncClient) -> None:
    acme = api.personas.acme
    event = await api.event(max_attendees=1)
    assert (await api.register(event["id"], "member"))["status"] == "going"
    first = await api.register(event["id"], "guest")
    second = await api.register(event["id"], "admin")
    assert (first["status"], first["position"], second["status"], second["position"]) == \
        ("waitlisted", 1, "waitlisted", 2)
    again = await api.register(event["id"], "guest")
    assert (again["status"], again["position"]) == ("waitlisted", 1)
    await api.call("DELETE", f"/events/{event['id']}/registration", "member", expect=204)
    mine = (await api.call("GET", f"/events/{event['id']}", "guest"))["event"]["my_registration"]
    assert mine["status"] == "going" and mine["position"] is None
    note = (await notifications(client, acme.guest.auth, 1, "event_promoted"))[0]
    assert note["data"]["event_id"] == event["id"]
    admin = (await api.call("GET", f"/events/{event['id']}", "admin"))["event"]["my_registration"]
    assert admin == {"status": "waitlisted", "position": 1, "checked_in_at": None}
    assert (await api.register(event["id"], "guest", "not_going"))["status"] == "not_going"
    admin = (await api.call("GET", f"/events/{event['id']}", "admin"))["event"]["my_registration"]
    assert admin["status"] == "going"
    await api.call("DELETE", f"/events/{event['id']}/registration", "member", expect=404)


async def test_more_places_take_people_off_the_waitlist(api: Api) -> None:
    event = await api.event(max_attendees=1)
    for who in ("member", "guest", "admin"):
        await api.register(event["id"], who)
    await api.call("PATCH", f"/events/{event['id']}", "moderator", json={"max_attendees": 2})
    assert (await api.call("GET", f"/events/{event['id']}", "guest"))["event"]["my_registration"]["status"] == "going"
    await api.call("PATCH", f"/events/{event['id']}", "moderator", json={"max_attendees": None})
    read = (await api.call("GET", f"/events/{event['id']}", "admin"))["event"]
    assert read["my_registration"]["status"] == "going" and read["waitlist_count"] == 0


async def test_attendees_and_check_in(api: Api) -> None:
    acme = api.personas.acme
    event = await api.event(max_attendees=1)
    await api.register(event["id"], "member")
    await api.register(event["id"], "guest")
    await api.register(event["id"], "admin", "interested")
    await api.call("GET", f"/events/{event['id']}/attendees", "member", expect=403)
    listed = (await api.call("GET", f"/events/{event['id']}/attendees", "moderator"))["attendees"]
    assert [(a["user"]["id"], a["status"], a["position"]) for a in listed] == [
        (str(acme.member.user_id), "going", None), (str(acme.guest.user_id), "waitlisted", 1),
        (str(acme.admin.user_id), "interested", None)]
    page = await api.call("GET", f"/events/{event['id']}/attendees", "moderator", params={"limit": 1})
    rest = await api.call("GET", f"/events/{event['id']}/attendees", "moderator",
                          params={"limit": 5, "cursor": page["next_cursor"]})
    assert [a["status"] for a in page["attendees"] + rest["attendees"]] == ["going", "waitlisted", "interested"]
    path = f"/events/{event['id']}/attendees"
    checked = (await api.call("POST", f"{path}/{acme.member.user_id}/check-in", "moderator"))["attendee"]
    assert checked["checked_in_at"] is not None
    await api.call("POST", f"{path}/{acme.guest.user_id}/check-in", "moderator", expect=409)
    await api.call("POST", f"{path}/{acme.owner.user_id}/check-in", "moderator", expect=404)
    read = (await api.call("GET", f"/events/{event['id']}", "moderator"))["event"]
    assert read["checked_in_count"] == 1
    undone = (await api.call("DELETE", f"{path}/{acme.member.user_id}/check-in", "moderator"))["attendee"]
    assert undone["checked_in_at"] is None
    waiting = (await api.call("DELETE", f"{path}/{acme.guest.user_id}/check-in", "moderator"))["attendee"]
    assert (waiting["status"], waiting["position"], waiting["checked_in_at"]) == ("waitlisted", 1, None)
