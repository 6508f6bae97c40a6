"""Reminders: sent 24 h and 1 h before, once, through a crash of the actor mid-batch and a restart."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import trio

from community.app import System, run_system
from community.settings import Settings
from tests.events.conftest import Api, at, notifications
from tests.factories import Factory, Personas, build_personas, close, open_factory
from tests.smtp_sink import SmtpSink
from tests.tls import TLS

# A fault the database raises once, inside the first transaction that writes notifications:
# the sequence is not rolled back with it, so the retry after the restart goes through.
_FAULT = """
CREATE SEQUENCE reminder_fault;
CREATE FUNCTION reminder_fault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('reminder_fault') = 1 THEN RAISE EXCEPTION 'injected crash mid-batch'; END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER reminder_fault AFTER INSERT ON notifications FOR EACH STATEMENT EXECUTE FUNCTION reminder_fault();
"""


async def _due(factory: Factory, kind: str) -> None:
    await factory.conn.execute("UPDATE event_reminders SET due_at = now() - interval '1 minute' WHERE kind = $1", kind)


async def _round(runtime: System) -> None:
    """Poke the actor and wait until a whole round that began after now has finished."""
    reminders = runtime.handles.reminders
    with trio.fail_after(10):
        await _until(lambda: not reminders.busy and not reminders.mailbox.pending())
        seen = reminders.rounds
        runtime.handles.reminders.poke()
        await _until(lambda: runtime.handles.reminders.rounds > seen)


async def _until(condition: Callable[[], bool]) -> None:
    while True:
        if condition():
            return
        await trio.sleep(0.02)


async def _sent(factory: Factory) -> list[tuple[str, str]]:
    found = await factory.conn.fetch("SELECT user_id::text, data ->> 'kind' AS kind FROM notifications "
                                     "WHERE kind = 'event_reminder' ORDER BY 1, 2")
    return [(r["user_id"], r["kind"]) for r in found]


def _restarts(runtime: System) -> int:
    assert runtime.workers is not None
    return next(c.restarts for c in runtime.workers.which_children() if c.id == "reminders")


async def test_reminders_survive_a_crash_and_a_restart_with_no_duplicates_or_gaps(
        runtime: System, api: Api, factory: Factory, personas: Personas, client: httpx.AsyncClient) -> None:
    acme = personas.acme
    event = await api.event(start=at(days=3))
    for who, status in (("member", "going"), ("guest", "going"), ("admin", "interested"), ("owner", "going")):
        await api.register(event["id"], who, status)
    await api.register(event["id"], "owner", "not_going")  # no longer wants reminders
    await factory.conn.execute(_FAULT)
    await _due(factory, "24h")
    runtime.handles.reminders.poke()
    with trio.fail_after(15):
        await _until(lambda: _restarts(runtime) > 0)  # the first attempt crashed inside its transaction
        await notifications(client, acme.member.auth, 1, "event_reminder")
    await _round(runtime)
    people = sorted(str(p.user_id) for p in (acme.member, acme.guest, acme.admin))
    assert await _sent(factory) == [(p, "24h") for p in people]
    note = (await notifications(client, acme.guest.auth, 1, "event_reminder"))[0]
    assert note["title"] == "Monthly meetup" and note["excerpt"].startswith("Starts in 24 hours")
    # Killed and restarted: what was recorded as sent is not sent again.
    assert runtime.workers is not None
    runtime.workers.kill_child("reminders")
    with trio.fail_after(10):
        await _until(lambda: _restarts(runtime) >= 2)
    await _round(runtime)
    assert len(await _sent(factory)) == 3
    await _due(factory, "1h")
    await _round(runtime)
    assert await _sent(factory) == sorted([(p, k) for p in people for k in ("1h", "24h")])
    outcomes = await factory.conn.fetch("SELECT outcome, count(*) FROM event_reminders GROUP BY 1")
    assert {r["outcome"]: r["count"] for r in outcomes} == {"sent": 6}


async def test_overdue_reminders_send_the_latest_and_skip_what_no_longer_applies(
        runtime: System, api: Api, factory: Factory, personas: Personas) -> None:
    event = await api.event(start=at(days=3))
    cancelled = await api.event(start=at(days=3), title="Called off")
    for target in (event, cancelled):
        await api.register(target["id"], "member")
    await api.call("POST", f"/events/{cancelled['id']}/cancel", "moderator", json={"reason": "Ill"})
    await _due(factory, "24h")
    await _due(factory, "1h")
    await _round(runtime)
    assert await _sent(factory) == [(str(personas.acme.member.user_id), "1h")]
    rows = await factory.conn.fetch("SELECT kind, outcome FROM event_reminders ORDER BY kind")
    assert [(r["kind"], r["outcome"]) for r in rows] == [("1h", "sent"), ("24h", "skipped")]


async def test_reminders_are_mailed_when_smtp_is_set(settings: Settings, database_url: str) -> None:
    sink = SmtpSink()
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            await nursery.start(sink.run)
            configured = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": sink.port,
                                                     "next_public_app_url": "https://community.example"})
            runtime: System = await nursery.start(run_system, configured)
            factory, conn = await open_factory(runtime, database_url)
            personas = await build_personas(factory)
            async with httpx.AsyncClient(verify=TLS, base_url=f"http://127.0.0.1:{runtime.http_port}") as client:
                api = Api(client, personas)
                event = await api.event(start=at(days=2))
                await api.register(event["id"], "member")
                await _due(factory, "24h")
                await _round(runtime)
                await sink.received.wait()
                await _round(runtime)
            pending = await conn.fetchval("SELECT count(*) FROM event_reminders WHERE email_pending")
            await close(conn)
            nursery.cancel_scope.cancel()
    [message] = sink.messages
    assert message["To"] == personas.acme.member.email and message["Subject"] == "Reminder: Monthly meetup"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes) and f"https://community.example/{personas.acme.slug}/events/" in body.decode()
    assert pending == 0
