"""Events: create, read as each kind of reader, validate, edit, cancel, delete, list a range."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx

from tests.events.conftest import Api, at, iso, notifications
from tests.factories import Factory, Personas


async def test_create_and_read_as_each_reader(api: Api) -> None:
    event = await api.event(max_attendees=30, event_type="meeting")
    assert event["status"] == "scheduled" and event["attendee_count"] == 0 and event["places_left"] == 30
    assert event["html"] == "<p>Bring <em>snacks</em></p>\n"
    assert event["created_by"]["display_name"] == api.personas.acme.moderator.display_name
    assert event["start_time"].endswith("Z") and event["timezone"] == "Europe/Berlin"
    member = (await api.call("GET", f"/events/{event['id']}"))["event"]
    assert member["meeting_url"] == "https://meet.example.com/abc"
    guest = (await api.call("GET", f"/events/{event['id']}", "guest"))["event"]
    assert guest["meeting_url"] is None and guest["title"] == "Monthly meetup"
    await api.call("GET", f"/events/{event['id']}", "owner", org="globex", expect=404)


async def test_members_only_events_are_hidden_from_guests(api: Api) -> None:
    hidden = await api.event(title="Staff planning", is_public=False)
    shown = await api.event(title="Open day")
    listed = [e["id"] for e in (await api.call("GET", "/events", "guest"))["events"]]
    assert listed == [shown["id"]]
    assert len((await api.call("GET", "/events"))["events"]) == 2
    await api.call("GET", f"/events/{hidden['id']}", "guest", expect=404)
    await api.register(hidden["id"], "guest", expect=404)
    assert (await api.register(shown["id"], "guest"))["status"] == "going"


async def test_public_org_events_are_readable_by_anyone(api: Api, factory: Factory, personas: Personas) -> None:
    await factory.conn.execute("UPDATE organizations SET is_public = true WHERE id = $1", personas.acme.id)
    shown = await api.event(title="Open day")
    await api.event(title="Staff only", is_public=False)
    anon = (await api.call("GET", "/events", "anonymous"))["events"]
    assert [e["id"] for e in anon] == [shown["id"]] and anon[0]["meeting_url"] is None
    outsider = await api.client.get(f"{api.base()}/events/{shown['id']}", headers=personas.outsider.auth)
    assert outsider.status_code == 200 and outsider.json()["event"]["my_registration"] is None
    r = await api.client.put(f"{api.base()}/events/{shown['id']}/registration", json={"status": "going"},
                             headers=personas.outsider.auth)
    assert r.status_code == 403


async def test_validation_names_every_failing_field(api: Api) -> None:
    start = at(days=2)
    body = {"title": "x", "start_time": iso(start), "end_time": iso(start - timedelta(hours=1)),
            "timezone": "Mars/Olympus"}
    r = await api.call("POST", "/events", "moderator", json=body, expect=422)
    assert {tuple(e["loc"]) for e in r["errors"]} == {("body", "timezone"), ("body", "end_time")}
    body.update(end_time=iso(start + timedelta(hours=1)), timezone="Europe/Berlin", recurrence="FREQ=HOURLY")
    r = await api.call("POST", "/events", "moderator", json=body, expect=422)
    assert [e["loc"] for e in r["errors"]] == [["body", "recurrence"]]
    for bad in ({"title": "a\u0000b"}, {"description": "\ud800"}, {"start_time": "2026-12-01T10:00:00"},
                {"meeting_url": "javascript:alert(1)"}, {"max_attendees": 0}):
        raw = json.dumps({**body, "recurrence": None, **bad})  # ASCII-escaped: a lone surrogate travels as JSON
        r = await api.client.post(f"{api.base()}/events", content=raw, headers={
            **api.personas.acme.moderator.auth, "Content-Type": "application/json"})
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["errors"][0]["loc"][1] == next(iter(bad)), bad


async def test_create_events_permission_is_overridable(api: Api, factory: Factory, personas: Personas) -> None:
    r = await api.client.post(f"{api.base()}/events", headers=personas.acme.member.auth,
                              json={"title": "t", "start_time": iso(at(1)), "end_time": iso(at(1, 1)),
                                    "timezone": "UTC"})
    assert r.status_code == 403
    await factory.conn.execute("UPDATE memberships SET permissions = '{\"events.create\": true}' "
                               "WHERE org_id = $1 AND user_id = $2", personas.acme.id, personas.acme.member.user_id)
    created = await api.event(who="member")
    await api.call("PATCH", f"/events/{created['id']}", "member", json={"title": "Mine"})
    await factory.conn.execute("UPDATE memberships SET permissions = '{\"events.create\": false}' "
                               "WHERE org_id = $1 AND user_id = $2", personas.acme.id, personas.acme.moderator.user_id)
    r = await api.client.post(f"{api.base()}/events", headers=personas.acme.moderator.auth,
                              json={"title": "t", "start_time": iso(at(1)), "end_time": iso(at(1, 1)),
                                    "timezone": "UTC"})
    assert r.status_code == 403


async def test_edit_cancel_and_delete_notify_registrants(api: Api, client: httpx.AsyncClient) -> None:
    event = await api.event()
    await api.register(event["id"], "member")
    await api.register(event["id"], "guest", "interested")
    await api.call("PATCH", f"/events/{event['id']}", "member", json={"title": "Nope"}, expect=403)
    moved = at(days=4)
    edited = (await api.call("PATCH", f"/events/{event['id']}", "moderator",
                             json={"start_time": iso(moved), "title": "Meetup (moved)"}))["event"]
    assert edited["start_time"] == iso(moved) and edited["end_time"] == iso(moved + timedelta(hours=2))
    assert edited["my_registration"] is None and edited["attendee_count"] == 1
    acme = api.personas.acme
    assert (await notifications(client, acme.member.auth, 1, "event_updated"))[0]["title"] == "Meetup (moved)"
    r = await api.call("POST", f"/events/{event['id']}/cancel", "moderator", json={"reason": "Venue flooded"})
    assert r["event"]["status"] == "cancelled" and r["event"]["cancel_reason"] == "Venue flooded"
    notes = await notifications(client, acme.guest.auth, 1, "event_cancelled")
    assert notes[0]["excerpt"] == "Cancelled: Venue flooded"
    await api.register(event["id"], "admin", expect=409)
    await api.call("DELETE", f"/events/{event['id']}", "member", expect=403)
    await api.call("DELETE", f"/events/{event['id']}", "admin", expect=204)
    await api.call("GET", f"/events/{event['id']}", expect=404)


async def test_listing_is_a_range_earliest_first_with_a_cursor(api: Api) -> None:
    ids = [(await api.event(title=f"E{d}", start=at(days=d)))["id"] for d in (5, 1, 3, 2, 4)]
    page = await api.call("GET", "/events", params={"limit": 2})
    assert [e["title"] for e in page["events"]] == ["E1", "E2"] and page["next_cursor"]
    rest = await api.call("GET", "/events", params={"limit": 10, "cursor": page["next_cursor"]})
    assert [e["title"] for e in rest["events"]] == ["E3", "E4", "E5"] and rest["next_cursor"] is None
    window = await api.call("GET", "/events", params={"from": iso(at(days=2)), "to": iso(at(days=4))})
    assert [e["title"] for e in window["events"]] == ["E2", "E3"]
    r = await api.call("GET", "/events", params={"from": iso(at(days=4)), "to": iso(at(days=2))}, expect=422)
    assert r["errors"][0]["loc"] == ["query", "to"]
    assert len(ids) == 5


async def test_create_topic_opens_a_linked_discussion(api: Api) -> None:
    await api.call("POST", "/forums", "admin", json={"name": "General"}, expect=201)
    event = await api.event(create_topic=True)
    assert event["topic_id"] is not None
    topic = (await api.call("GET", f"/topics/{event['topic_id']}"))["topic"]
    assert topic["title"] == "Monthly meetup" and f"/events/{event['id']}" in topic["content"]
    r = await api.call("POST", "/events", "moderator", expect=422, json={
        "title": "Secret", "start_time": iso(at(2)), "end_time": iso(at(2, 1)), "timezone": "UTC",
        "is_public": False, "create_topic": True})
    assert r["errors"][0]["loc"] == ["body", "create_topic"]


async def test_dashboard_shows_upcoming_events(api: Api) -> None:
    await api.event(title="Soon", start=at(days=2))
    await api.event(title="Members", start=at(days=1), is_public=False)
    await api.event(title="Later", start=at(days=60))
    dash = await api.call("GET", "/dashboard")
    assert dash["stats"]["upcoming_events"] == 2
    assert [e["title"] for e in dash["upcoming_events"]] == ["Members", "Soon", "Later"]
    guest = await api.call("GET", "/dashboard", "guest")
    assert guest["stats"]["upcoming_events"] == 1
    assert [e["title"] for e in guest["upcoming_events"]] == ["Soon", "Later"]
