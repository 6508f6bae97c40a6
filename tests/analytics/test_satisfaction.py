"""Satisfaction: event ratings (attendees only, after the end, once and editable), the quarterly
CSAT (answer or dismiss, once a quarter), and their scores and response rates in analytics."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from community.services import satisfaction
from tests.factories import Factory, Personas
from tests.matrix_satisfaction import past_event
from tests.matrix_support import MatrixContext


def _fields(r: httpx.Response) -> set[str]:
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    return {str(e["loc"][-1]) for e in r.json().get("errors", [])}


async def test_attendees_rate_an_ended_event_once_and_may_change_it(
        client: httpx.AsyncClient, factory: Factory, personas: Personas, runtime: Any) -> None:
    acme, conn = personas.acme, factory.conn
    ctx = MatrixContext(client, personas, factory, runtime)
    past = await past_event(ctx)
    url = f"/api/orgs/{acme.slug}/events/{past['event_id']}"

    # Nobody was checked in, so everyone going attended: the member rates, then changes their mind.
    mine = (await client.get(url + "/rating", headers=acme.member.auth)).json()
    assert mine == {"occurrence_id": str(past["occurrence_id"]), "can_rate": True, "rating": None}
    r = await client.put(url + "/rating", json={"score": 3, "comment": "  Too long  "}, headers=acme.member.auth)
    assert r.status_code == 200, r.text
    first = r.json()["rating"]
    assert first["score"] == 3 and first["comment"] == "Too long"
    r = await client.put(url + "/rating", json={"score": 5}, headers=acme.member.auth)
    assert r.status_code == 200 and r.json()["rating"]["score"] == 5 and r.json()["rating"]["comment"] is None
    assert r.json()["rating"]["created_at"] == first["created_at"]
    assert await conn.fetchval("SELECT count(*) FROM event_ratings WHERE user_id = $1", acme.member.user_id) == 1
    assert (await client.get(url + "/rating", headers=acme.member.auth)).json()["rating"]["score"] == 5

    # Once someone is checked in, only those checked in attended.
    await conn.execute("UPDATE event_registrations SET checked_in_at = now() - interval '1 day' "
                       "WHERE occurrence_id = $1 AND user_id = $2", past["occurrence_id"], acme.admin.user_id)
    await conn.execute("UPDATE event_occurrences SET checked_in_count = 1 WHERE id = $1", past["occurrence_id"])
    r = await client.put(url + "/rating", json={"score": 4}, headers=acme.moderator.auth)
    assert r.status_code == 403, r.text
    assert (await client.get(url + "/rating", headers=acme.moderator.auth)).json()["can_rate"] is False
    assert (await client.put(url + "/rating", json={"score": 2, "comment": "Meh"},
                             headers=acme.admin.auth)).status_code == 200
    # Someone not registered at all, another org, nobody signed in.
    await conn.execute("DELETE FROM event_registrations WHERE occurrence_id = $1 AND user_id = $2",
                       past["occurrence_id"], acme.guest.user_id)
    assert (await client.put(url + "/rating", json={"score": 4}, headers=acme.guest.auth)).status_code == 403
    assert (await client.put(url + "/rating", json={"score": 4},
                             headers=personas.globex.owner.auth)).status_code == 404
    assert (await client.put(url + "/rating", json={"score": 4})).status_code == 401

    # Bad input names every failing field.
    for body, names in (({"score": 0}, {"score"}), ({"score": 6, "comment": "x" * 2001}, {"score", "comment"}),
                        ({"score": 4, "comment": "a\x00b"}, {"comment"}), ({}, {"score"}),
                        ({"score": 4, "extra": 1}, {"extra"})):
        r = await client.put(url + "/rating", json=body, headers=acme.admin.auth)
        assert r.status_code == 422 and _fields(r) >= names, (body, r.text)

    # The event's managers read the ratings; the member does not.
    ratings = (await client.get(url + "/ratings", headers=acme.owner.auth)).json()
    # (the member rated while nobody was checked in: the rating stays; the rate never exceeds 1)
    assert ratings["summary"] == {"average": 3.5, "ratings": 2, "attendees": 1, "response_rate": 1.0,
                                  "distribution": [0, 1, 0, 0, 1]}
    assert [e["user"]["id"] for e in ratings["ratings"]] == [str(acme.admin.user_id), str(acme.member.user_id)]
    assert (await client.get(url + "/ratings", headers=acme.member.auth)).status_code == 403
    page = (await client.get(url + "/ratings", params={"limit": 1}, headers=acme.owner.auth)).json()
    assert len(page["ratings"]) == 1 and page["next_cursor"]
    rest = (await client.get(url + "/ratings", params={"limit": 1, "cursor": page["next_cursor"]},
                             headers=acme.owner.auth)).json()
    assert [e["user"]["id"] for e in rest["ratings"]] == [str(acme.member.user_id)] and rest["next_cursor"] is None

    # Not before it ended; never a cancelled one.
    soon = datetime.now(UTC) + timedelta(hours=1)
    later = await conn.fetchval(
        "INSERT INTO event_occurrences (org_id, event_id, recurrence_id, start_time, end_time) "
        "VALUES ($1, $2, $3, $3, $4) RETURNING id", acme.id, past["event_id"], soon, soon + timedelta(hours=1))
    await conn.execute("INSERT INTO event_registrations (org_id, event_id, occurrence_id, user_id, status) "
                       "VALUES ($1, $2, $3, $4, 'going')", acme.id, past["event_id"], later, acme.member.user_id)
    r = await client.put(url + "/rating", json={"score": 4, "occurrence": str(later)}, headers=acme.member.auth)
    assert r.status_code == 409 and "ended" in r.json()["detail"], r.text
    await conn.execute("UPDATE event_occurrences SET status = 'cancelled' WHERE id = $1", past["occurrence_id"])
    r = await client.put(url + "/rating", json={"score": 4}, headers=acme.member.auth)
    assert r.status_code == 409 and "cancelled" in r.json()["detail"]


async def test_csat_is_asked_once_a_quarter_and_a_dismissal_counts(
        client: httpx.AsyncClient, factory: Factory, personas: Personas) -> None:
    acme, conn = personas.acme, factory.conn
    url = f"/api/orgs/{acme.slug}/csat"
    quarter = satisfaction.quarter_label(satisfaction.quarter_of(datetime.now(UTC).date()))
    # Just joined: not asked yet (a member is asked after their first week).
    fresh = (await client.get(url, headers=acme.member.auth)).json()["csat"]
    assert fresh == {"question": "How satisfied are you with this community?", "quarter": quarter, "due": False,
                     "response": None}
    await conn.execute("UPDATE memberships SET joined_at = now() - interval '30 days' WHERE org_id = $1", acme.id)
    assert (await client.get(url, headers=acme.member.auth)).json()["csat"]["due"] is True

    r = await client.post(url, json={"score": 4, "comment": "Friendly"}, headers=acme.member.auth)
    assert r.status_code == 201, r.text
    answered = r.json()["csat"]
    assert answered["due"] is False and answered["response"]["score"] == 4
    assert answered["response"]["dismissed"] is False and answered["response"]["comment"] == "Friendly"
    again = await client.post(url, json={"score": 1}, headers=acme.member.auth)
    assert again.status_code == 409 and again.json()["quarter"] == quarter
    assert (await client.post(url + "/dismiss", headers=acme.member.auth)).status_code == 409

    r = await client.post(url + "/dismiss", headers=acme.admin.auth)
    assert r.status_code == 200 and r.json()["csat"]["response"] == {
        "score": None, "comment": None, "dismissed": True, "created_at": r.json()["csat"]["response"]["created_at"]}
    assert (await client.post(url, json={"score": 5}, headers=acme.admin.auth)).status_code == 409
    assert (await client.get(url, headers=acme.admin.auth)).json()["csat"]["due"] is False

    # Last quarter's answer does not count for this one.
    await conn.execute("UPDATE csat_responses SET quarter = (date_trunc('quarter', now()) - interval '3 months')::date "
                       "WHERE user_id = $1", acme.moderator.user_id)
    await conn.execute("INSERT INTO csat_responses (org_id, user_id, quarter, score) VALUES "
                       "($1, $2, (date_trunc('quarter', now()) - interval '3 months')::date, 2)",
                       acme.id, acme.moderator.user_id)
    assert (await client.get(url, headers=acme.moderator.auth)).json()["csat"]["due"] is True

    for body, names in (({"score": 0}, {"score"}), ({"score": "five"}, {"score"}), ({}, {"score"}),
                        ({"score": 3, "comment": "\ud800"}, {"comment"})):
        raw = json.dumps(body)  # ASCII with \u escapes: a lone surrogate reaches the server as sent
        r = await client.post(url, content=raw, headers={**acme.guest.auth, "Content-Type": "application/json"})
        assert r.status_code == 422 and _fields(r) >= names, (body, r.text)
    assert (await client.get(url, headers=personas.globex.owner.auth)).status_code == 404
    assert (await client.get(url)).status_code == 401


async def test_scores_and_response_rates_in_analytics(
        client: httpx.AsyncClient, factory: Factory, personas: Personas, runtime: Any) -> None:
    acme, conn = personas.acme, factory.conn
    ctx = MatrixContext(client, personas, factory, runtime)
    past = await past_event(ctx)  # 5 attendees (nobody checked in)
    url = f"/api/orgs/{acme.slug}/events/{past['event_id']}/rating"
    for person, score in ((acme.member, 5), (acme.moderator, 4), (acme.guest, 2)):
        assert (await client.put(url, json={"score": score}, headers=person.auth)).status_code == 200
    csat = f"/api/orgs/{acme.slug}/csat"
    assert (await client.post(csat, json={"score": 5}, headers=acme.member.auth)).status_code == 201
    assert (await client.post(csat, json={"score": 3}, headers=acme.moderator.auth)).status_code == 201
    assert (await client.post(csat + "/dismiss", headers=acme.guest.auth)).status_code == 200
    # A response given long ago is outside the default range.
    await conn.execute("INSERT INTO csat_responses (org_id, user_id, quarter, score, created_at) "
                       "VALUES ($1, $2, '2020-01-01', 1, '2020-01-05')", acme.id, acme.owner.user_id)

    body = (await client.get(f"/api/orgs/{acme.slug}/analytics", headers=acme.admin.auth)).json()
    s = body["satisfaction"]
    assert s["csat"] == {"average": 4.0, "responses": 2, "dismissals": 1, "response_rate": round(2 / 3, 4),
                         "distribution": [0, 0, 1, 0, 1], "satisfied_share": 0.5}
    assert s["events"] == {"average": round(11 / 3, 2), "ratings": 3, "attendees": 5, "response_rate": 0.6,
                           "distribution": [0, 1, 0, 1, 1]}
    totals = body["totals"]
    assert (totals["csat_average"], totals["csat_responses"]) == (4.0, 2)
    assert (totals["event_rating_average"], totals["event_ratings"]) == (round(11 / 3, 2), 3)
    ended = (datetime.now(UTC) - timedelta(days=1, hours=1)).date().isoformat()
    today = datetime.now(UTC).date().isoformat()
    by_day = {p["period"]: p for p in body["series"]}
    assert by_day[ended]["event_ratings"] == 3 and by_day[today]["csat_responses"] == 2
    assert sum(p["event_ratings"] for p in body["series"]) == 3
    csv_text = (await client.get(f"/api/orgs/{acme.slug}/analytics.csv", headers=acme.admin.auth)).text
    header = csv_text.splitlines()[0].split(",")
    assert header[-4:] == ["csat_average", "csat_responses", "event_rating_average", "event_ratings"]
