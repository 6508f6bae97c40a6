"""Recurring events: RRULE occurrences in the event's zone, per-occurrence registration and edits,
and the calendar feeds parsed back with icalendar."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from icalendar import Calendar

from community.app import System
from community.services.reminders import extend_series
from tests.events.conftest import Api, iso
from tests.factories import Factory, Personas

BERLIN = ZoneInfo("Europe/Berlin")


def _next_tuesday_before_dst_end() -> datetime:
    """10:00 Berlin on a Tuesday a few weeks before the last Sunday of October, next year."""
    year = datetime.now(UTC).year + 1
    start = datetime(year, 10, 6, 10, 0, tzinfo=BERLIN)
    return start + timedelta(days=(1 - start.weekday()) % 7)


def _expected(first: datetime, n: int = 10) -> list[datetime]:
    return [(first + timedelta(weeks=i)).astimezone(UTC) for i in range(n)]  # wall clock kept by zoneinfo


async def _series(api: Api) -> tuple[dict[str, object], datetime]:
    first = _next_tuesday_before_dst_end()
    event = await api.event(start=first.astimezone(UTC), recurrence="FREQ=WEEKLY;BYDAY=TU;COUNT=10",
                            max_attendees=2)
    return event, first


async def test_weekly_series_keeps_its_wall_clock_across_dst(api: Api) -> None:
    event, first = await _series(api)
    listed = (await api.call("GET", "/events", params={"from": iso(first.astimezone(UTC)), "limit": 50}))["events"]
    starts = [datetime.fromisoformat(e["start_time"]) for e in listed]
    assert starts == _expected(first)
    assert {e["id"] for e in listed} == {event["id"]} and len({e["occurrence_id"] for e in listed}) == 10
    assert {s.astimezone(BERLIN).hour for s in starts} == {10}
    assert {s.hour for s in starts} == {8, 9}  # UTC+2 before the change, UTC+1 after


async def test_registration_and_edits_per_occurrence(api: Api) -> None:
    event, first = await _series(api)
    listed = (await api.call("GET", "/events", params={"from": iso(first.astimezone(UTC)), "limit": 50}))["events"]
    third = listed[2]
    mine = await api.register(event["id"], "member", occurrence=third["start_time"])
    assert mine["occurrence_id"] == third["occurrence_id"] and mine["status"] == "going"
    by_id = await api.register(event["id"], "guest", occurrence=third["occurrence_id"])
    assert by_id["occurrence_id"] == third["occurrence_id"]
    read = (await api.call("GET", f"/events/{event['id']}", params={"occurrence": third["occurrence_id"]}))["event"]
    assert read["attendee_count"] == 2 and read["my_registration"]["status"] == "going"
    other = (await api.call("GET", f"/events/{event['id']}", params={"occurrence": listed[3]["start_time"]}))
    assert other["event"]["attendee_count"] == 0
    # "This occurrence": only the third moves and changes its title.
    later = datetime.fromisoformat(third["start_time"]) + timedelta(hours=3)
    edited = (await api.call("PATCH", f"/events/{event['id']}", "moderator", json={
        "occurrence": third["occurrence_id"], "start_time": iso(later), "title": "Special edition"}))["event"]
    assert edited["start_time"] == iso(later) and edited["title"] == "Special edition"
    r = await api.call("PATCH", f"/events/{event['id']}", "moderator", expect=422,
                       json={"occurrence": third["occurrence_id"], "max_attendees": 5})
    assert r["errors"][0]["loc"] == ["body", "max_attendees"]
    titles = [e["title"] for e in (await api.call("GET", "/events", params={"limit": 50}))["events"]]
    assert titles.count("Special edition") == 1 and titles.count("Monthly meetup") == 9
    # "The series": an hour later, everyone keeps their place on their date.
    shifted = (await api.call("PATCH", f"/events/{event['id']}", "moderator", json={
        "start_time": iso((first + timedelta(hours=1)).astimezone(UTC))}))["event"]
    assert shifted["series_start_time"] == iso((first + timedelta(hours=1)).astimezone(UTC))
    again = (await api.call("GET", f"/events/{event['id']}", params={"occurrence": third["occurrence_id"]}))["event"]
    assert again["my_registration"]["status"] == "going"
    assert datetime.fromisoformat(again["start_time"]).astimezone(BERLIN).hour == 11
    # Cancel one date only.
    cancelled = (await api.call("POST", f"/events/{event['id']}/cancel", "moderator",
                                json={"reason": "Holiday", "occurrence": listed[4]["occurrence_id"]}))["event"]
    assert cancelled["status"] == "cancelled" and cancelled["occurrence_id"] == listed[4]["occurrence_id"]
    statuses = [e["status"] for e in (await api.call("GET", "/events", params={"limit": 50}))["events"]]
    assert statuses.count("cancelled") == 1
    await api.register(event["id"], "admin", occurrence=listed[4]["occurrence_id"], expect=409)


async def test_event_ics_parses_back_to_ten_occurrences_across_dst(api: Api, client: httpx.AsyncClient) -> None:
    event, first = await _series(api)
    r = await api.call("GET", f"/events/{event['id']}/event.ics")
    assert r.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(r.content)
    vevents = calendar.walk("VEVENT")
    starts = sorted(v.decoded("dtstart") for v in vevents)
    assert starts == _expected(first)
    assert all(v.decoded("dtend") - v.decoded("dtstart") == timedelta(hours=2) for v in vevents)
    assert {str(v["summary"]) for v in vevents} == {"Monthly meetup"}
    assert "https://meet.example.com/abc" in str(vevents[0]["description"])
    guest = Calendar.from_ical((await api.call("GET", f"/events/{event['id']}/event.ics", "guest")).content)
    assert "meet.example.com" not in str(guest.walk("VEVENT")[0]["description"])


async def test_public_calendar_and_personal_feed(api: Api, client: httpx.AsyncClient, factory: Factory,
                                                 personas: Personas) -> None:
    await api.call("GET", "/calendar.ics", "anonymous", expect=404)
    await factory.conn.execute("UPDATE organizations SET is_public = true WHERE id = $1", personas.globex.id)
    public, _ = await _series(api)
    secret = await api.event(title="Board meeting", is_public=False)
    elsewhere = await api.event(org="globex", title="Globex social")
    await api.event(org="globex", title="Globex private", is_public=False)
    org_cal = Calendar.from_ical((await api.call("GET", "/calendar.ics", "anonymous", org="globex")).content)
    assert {str(v["summary"]) for v in org_cal.walk("VEVENT")} == {"Globex social"}
    # acme's member also belongs to globex: one feed, both orgs.
    member = personas.acme.member
    await factory.join(personas.globex, member, "member")
    await api.register(public["id"], "member")
    await api.register(secret["id"], "member", "interested")
    r = await client.put(f"/api/orgs/{personas.globex.slug}/events/{elsewhere['id']}/registration",
                         json={"status": "going"}, headers=member.auth)
    assert r.status_code == 200
    url = (await client.post("/api/me/calendar-feed", headers=member.auth)).json()["url"]
    base = str(client.base_url).rstrip("/")
    assert url.startswith(f"{base}/api/calendar-feed.ics?token=")
    assert (await client.get("/api/me/calendar-feed", headers=member.auth)).json()["feed"]["created_at"]
    feed = await client.get(url.replace(base, ""))
    assert feed.status_code == 200
    titles = sorted(str(v["summary"]) for v in Calendar.from_ical(feed.content).walk("VEVENT"))
    assert titles == ["Board meeting", "Globex social", "Monthly meetup"]
    newer = (await client.post("/api/me/calendar-feed", headers=member.auth)).json()["url"]
    assert (await client.get(url.replace(base, ""))).status_code == 404
    assert (await client.get(newer.replace(base, ""))).status_code == 200
    assert (await client.delete("/api/me/calendar-feed", headers=member.auth)).status_code == 204
    assert (await client.get(newer.replace(base, ""))).status_code == 404
    assert (await client.get("/api/calendar-feed.ics?token=nope")).status_code == 404


async def test_an_open_ended_series_is_extended_as_time_passes(api: Api, factory: Factory, runtime: System) -> None:
    event = await api.event(recurrence="FREQ=WEEKLY")
    count = "SELECT count(*) FROM event_occurrences WHERE event_id = $1"
    materialized = await factory.conn.fetchval(count, uuid.UUID(event["id"]))
    assert 100 <= materialized <= 106  # two years of weeks
    # As if a year went by: the series ends a year from now.
    await factory.conn.execute("DELETE FROM event_occurrences WHERE event_id = $1 AND start_time > now() + "
                               "interval '365 days'", uuid.UUID(event["id"]))
    await factory.conn.execute("UPDATE events SET materialized_until = (SELECT max(start_time) FROM event_occurrences "
                               "WHERE event_id = $1) WHERE id = $1", uuid.UUID(event["id"]))
    assert await extend_series(runtime.handles.db, 100) > 0
    assert await factory.conn.fetchval(count, uuid.UUID(event["id"])) == materialized
    assert await extend_series(runtime.handles.db, 100) == 0
