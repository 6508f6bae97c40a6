"""Realtime visibility as a matrix: every event type x every role (+ a signed-in non-member of the
public org, + another org's owner), live and on resume. A person receives exactly what REST
would show them now; nothing private ever reaches a frame of someone who cannot read it.

One scenario runs through every kind of event while all observers are connected (live); then
each observer reconnects, subscribes again to what it may, and resumes from the start (resume).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import trio
from trio_websocket import WebSocketConnection

from community.app import System
from tests.factories import Factory, OrgPersonas, Persona, Personas
from tests.realtime.conftest import open_socket, recv, send

ROLES = ("owner", "admin", "moderator", "member", "guest")
OBSERVERS = (*ROLES, "outsider", "other_org")
SECRET = "SECRET"  # in every private name, title and text: must reach no frame below the forum's rank
GONE = "GONE"  # in content later deleted or hidden: must reach no replay

_ALL = frozenset(ROLES)
_STAFF = frozenset({"owner", "admin", "moderator"})
_LISTERS = frozenset({"owner", "admin", "moderator", "member"})
_READERS = frozenset({*ROLES, "outsider"})


@dataclass
class World:
    client: httpx.AsyncClient
    acme: OrgPersonas
    ids: dict[str, str] = field(default_factory=dict)

    async def call(self, method: str, path: str, who: Persona, body: dict[str, Any] | None = None) -> dict[str, Any]:
        r = await self.client.request(method, f"/api/orgs/{self.acme.slug}{path}", json=body, headers=who.auth)
        assert r.status_code < 300, (method, path, r.status_code, r.text)
        return r.json() if r.content else {}

    async def forum(self, name: str, **extra: Any) -> str:
        return str((await self.call("POST", "/forums", self.acme.admin, {"name": name, **extra}))["forum"]["id"])

    async def topic(self, forum: str, title: str, **extra: Any) -> str:
        body = {"title": title, "content": f"{title} text", **extra}
        return str((await self.call("POST", f"/forums/{forum}/topics", self.acme.admin, body))["topic"]["id"])

    async def post(self, topic: str, content: str, who: Persona | None = None) -> str:
        found = await self.call("POST", f"/topics/{topic}/posts", who or self.acme.admin, {"content": content})
        return str(found["post"]["id"])


# Each step of the scenario (an event type and what it is about), and who receives it live /
# on resume. Resume shows what REST shows now: by then the open forum is private to members
# (guests lose its history), the moving topic is in the staff forum, a post is hidden and one
# deleted (replayed blank), and the second staff forum is gone (only its deletion remains).
_OPEN_NOW = _LISTERS
EXPECT: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "forum_created:open": (_ALL, _ALL),
    "forum_created:staff": (_STAFF, frozenset()),
    "topic_created:open": (_ALL, _OPEN_NOW),
    "topic_created:staff": (_STAFF, _STAFF),
    "announcement_published:open": (_ALL, _OPEN_NOW),
    "announcement_published:staff": (_STAFF, _STAFF),
    "post_created:open": (_ALL, _OPEN_NOW),
    "post_created:staff": (_STAFF, _STAFF),
    "reaction_added:open": (_ALL, _OPEN_NOW),
    "post_created:hidden": (_ALL, _OPEN_NOW),
    "post_updated:hidden": (_ALL, _OPEN_NOW),
    "post_created:deleted": (_ALL, _OPEN_NOW),
    "post_deleted:deleted": (_ALL, _OPEN_NOW),
    "member_joined:newcomer": (_LISTERS, _LISTERS),
    "member_role_changed:newcomer": (_LISTERS, _LISTERS),
    "member_left:newcomer": (_LISTERS, _LISTERS),
    # A non-member's replay starts when they connected: nothing of before.
    "organization_updated:acme": (_READERS, _ALL),
    "conversation_created:dm": (frozenset({"member", "moderator"}), frozenset({"member", "moderator"})),
    # Moved into the staff forum: readers below moderator are unsubscribed, hear neither of the
    # move nor of what is posted there since.
    "topic_moved:moving": (_STAFF, _STAFF),
    "post_created:moving": (_STAFF, _STAFF),
    # The open forum made private to members: guests stop hearing of it and of its topics.
    "forum_updated:open": (_LISTERS, _LISTERS),
    "topic_created:after_private": (_LISTERS, _LISTERS),
    "forum_deleted:staff2": (_STAFF, _STAFF),
}
BARRIER = "barrier"


def _key(frame: dict[str, Any]) -> tuple[str, str]:
    """An event's type and the id it is about, to name it with the scenario's ids."""
    for field_name in ("post", "topic", "forum", "conversation", "organization"):
        if isinstance(frame.get(field_name), dict) and frame["type"] not in ("announcement_published",):
            return frame["type"], str(frame[field_name]["id"])
    if frame["type"] == "announcement_published":
        return frame["type"], str(frame["topic"]["id"])
    if isinstance(frame.get("membership"), dict):
        return frame["type"], str(frame["membership"]["user"]["id"])
    for id_field in ("post_id", "forum_id", "user_id", "topic_id"):
        if frame.get(id_field):
            return frame["type"], str(frame[id_field])
    return frame["type"], ""


async def _scenario(world: World, factory: Factory, personas: Personas) -> dict[tuple[str, str], str]:
    """Every kind of event, in order; answers event key -> step name."""
    acme, names = world.acme, {}
    open_forum, staff_forum = world.ids["open_forum"], world.ids["staff_forum"]
    open_topic, staff_topic, moving = world.ids["open_topic"], world.ids["staff_topic"], world.ids["moving"]

    def named(kind: str, subject: str, step: str) -> None:
        names[(kind, subject)] = f"{kind}:{step}"

    named("forum_created", await world.forum("Open hall two"), "open")
    staff2 = await world.forum(f"{SECRET} staff two", is_private=True, required_role="moderator",
                               description=f"{SECRET} description")
    named("forum_created", staff2, "staff")
    named("topic_created", await world.topic(open_forum, "Open news"), "open")
    named("topic_created", await world.topic(staff_forum, f"{SECRET} plan"), "staff")
    ann_open = await world.topic(open_forum, "Open announcement", is_announcement=True)
    named("topic_created", ann_open, "open")
    named("announcement_published", ann_open, "open")
    ann_staff = await world.topic(staff_forum, f"{SECRET} announcement", is_announcement=True)
    named("topic_created", ann_staff, "staff")
    named("announcement_published", ann_staff, "staff")
    reply = await world.post(open_topic, "an open reply")
    named("post_created", reply, "open")
    named("post_created", await world.post(staff_topic, f"{SECRET} reply"), "staff")
    await world.call("PUT", f"/posts/{reply}/reactions/👍", acme.member)
    named("reaction_added", reply, "open")

    hidden = await world.post(open_topic, f"{GONE} hidden soon", who=acme.member)
    named("post_created", hidden, "hidden")
    flag = await world.call("POST", f"/posts/{hidden}/flags", acme.moderator, {"reason": "spam"})
    await world.call("POST", f"/moderation/flags/{flag['flag']['id']}/resolve", acme.admin, {"action": "hide"})
    named("post_updated", hidden, "hidden")
    deleted = await world.post(open_topic, f"{GONE} deleted soon", who=acme.member)
    named("post_created", deleted, "deleted")
    await world.call("DELETE", f"/posts/{deleted}", acme.member)
    named("post_deleted", deleted, "deleted")

    newcomer = await factory.user("Newcomer")
    invitation = await world.call("POST", "/invitations", acme.admin, {"email": newcomer.email, "role": "member"})
    r = await world.client.post(f"/api/invitations/{invitation['invitation']['token']}/accept", headers=newcomer.auth)
    assert r.status_code == 200, r.text
    for kind in ("member_joined", "member_role_changed", "member_left"):
        named(kind, str(newcomer.user_id), "newcomer")
    await world.call("PATCH", f"/members/{newcomer.user_id}", acme.admin, {"role": "moderator"})
    await world.call("DELETE", f"/members/{newcomer.user_id}", acme.admin)

    await world.call("PATCH", "", acme.owner, {"description": "now with news"})
    named("organization_updated", str(acme.id), "acme")
    dm = await world.call("POST", "/conversations", acme.member, {"participant_ids": [str(acme.moderator.user_id)]})
    named("conversation_created", str(dm["conversation"]["id"]), "dm")

    await world.call("PATCH", f"/topics/{moving}", acme.admin, {"forum_id": staff_forum})
    named("topic_moved", moving, "moving")
    named("post_created", await world.post(moving, f"{SECRET} after the move"), "moving")

    await world.call("PATCH", f"/forums/{open_forum}", acme.admin, {"is_private": True, "required_role": "member"})
    named("forum_updated", open_forum, "open")
    named("topic_created", await world.topic(open_forum, "Members only now"), "after_private")
    await world.call("DELETE", f"/forums/{staff2}", acme.admin)
    named("forum_deleted", staff2, "staff2")
    await world.call("PATCH", "", acme.owner, {"description": BARRIER})  # everyone in acme hears this last
    return names


@dataclass
class Observer:
    name: str
    persona: Persona
    org: OrgPersonas
    frames: list[dict[str, Any]] = field(default_factory=list)
    unsubscribed: list[str] = field(default_factory=list)


async def _subscribe_all(ws: WebSocketConnection, channels: list[str]) -> list[str]:
    """Subscribe to each channel; answers those granted (the others are refused as REST refuses)."""
    granted = []
    for channel in channels:
        await send(ws, type="subscribe", channel=channel)
        while True:
            frame = await recv(ws)
            if frame["type"] in ("subscribed", "error"):
                break
        if frame["type"] == "subscribed":
            granted.append(channel)
    return granted


async def _collect(ws: WebSocketConnection, observer: Observer, until: Callable[[dict[str, Any]], bool]) -> None:
    with trio.fail_after(30):
        while True:
            frame = json.loads(await ws.get_message())
            if frame["type"] == "unsubscribed":
                observer.unsubscribed.append(frame["channel"])
            elif frame["type"] not in ("presence", "pong", "notification", "typing", "subscribed"):
                observer.frames.append(frame)
            if until(frame):
                return


def _is_barrier(frame: dict[str, Any]) -> bool:
    return bool(frame["type"] == "organization_updated" and frame["organization"]["description"] == BARRIER)


async def _run_observer(system: System, observer: Observer, channels: list[str], ready: Callable[[], None],
                        done: trio.Event, *, quiet: bool, resume_after: int | None = None) -> None:
    async with open_socket(system, observer.persona, observer.org.slug) as ws:
        await _subscribe_all(ws, channels)
        if resume_after is not None:
            await send(ws, type="resume", after=resume_after)
        ready()
        if quiet:  # hears nothing of acme's barrier: a pong once the others heard it is the end
            await done.wait()
            await send(ws, type="ping")
            await _collect(ws, observer, lambda f: f["type"] == "pong")
        else:
            await _collect(ws, observer, _is_barrier)


async def test_every_event_reaches_exactly_who_rest_shows_it_to(
        runtime: System, personas: Personas, factory: Factory, client: httpx.AsyncClient) -> None:
    acme = personas.acme
    await factory.conn.execute("UPDATE organizations SET is_public = true WHERE id = $1", acme.id)
    world = World(client, acme)
    world.ids["open_forum"] = await world.forum("Open hall")
    world.ids["staff_forum"] = await world.forum(f"{SECRET} staff room", is_private=True, required_role="moderator")
    world.ids["open_topic"] = await world.topic(world.ids["open_forum"], "Open topic")
    world.ids["staff_topic"] = await world.topic(world.ids["staff_forum"], f"{SECRET} staff topic")
    world.ids["moving"] = await world.topic(world.ids["open_forum"], "Moving topic")
    channels = [f"forum:{world.ids['open_forum']}", f"forum:{world.ids['staff_forum']}",
                *(f"topic:{world.ids[k]}" for k in ("open_topic", "staff_topic", "moving"))]
    who = {**{role: (getattr(acme, role), acme) for role in ROLES}, "outsider": (personas.outsider, acme),
           "other_org": (personas.globex.owner, personas.globex)}
    head = int(await factory.conn.fetchval("SELECT coalesce(max(seq), 0) FROM activity WHERE org_id = $1", acme.id))

    live = {name: Observer(name, *who[name]) for name in OBSERVERS}
    names = await _observe(runtime, live, channels, lambda: _scenario(world, factory, personas))
    resumed = {name: Observer(name, *who[name]) for name in OBSERVERS}
    await _observe(runtime, resumed, channels, _nothing, resume_after=head)

    for phase, observers, column in (("live", live, 0), ("resume", resumed, 1)):
        for name, observer in observers.items():
            assert all(_key(f) in names for f in observer.frames), (phase, name, observer.frames)
            got = {names[_key(f)] for f in observer.frames}
            expected = {step for step, cells in EXPECT.items() if name in cells[column]}
            assert got == expected, (phase, name, sorted(got - expected), sorted(expected - got))
            _assert_no_leak(phase, name, observer)
    for name in ("member", "guest"):
        assert f"topic:{world.ids['moving']}" in live[name].unsubscribed, name
    assert f"forum:{world.ids['open_forum']}" in live["guest"].unsubscribed


def _assert_no_leak(phase: str, name: str, observer: Observer) -> None:
    for frame in observer.frames:
        text = json.dumps(frame)
        if name not in _STAFF:
            assert SECRET not in text, (phase, name, frame)
        if phase == "resume":
            assert GONE not in text, (phase, name, frame)
    if name == "other_org":
        assert observer.frames == [], observer.frames


async def _nothing() -> dict[tuple[str, str], str]:
    return {}


async def _observe(runtime: System, observers: dict[str, Observer], channels: list[str],
                   act: Callable[[], Awaitable[dict[tuple[str, str], str]]], *,
                   resume_after: int | None = None) -> dict[tuple[str, str], str]:
    all_ready, finished = trio.Event(), trio.Event()
    waiting = [len(observers)]

    def one_ready() -> None:
        waiting[0] -= 1
        if waiting[0] == 0:
            all_ready.set()

    names: dict[tuple[str, str], str] = {}
    # Those who hear nothing of acme (another org's owner; a non-member replaying from before they
    # connected) end on a pong once everyone else has heard the barrier.
    quiet = {"other_org"} if resume_after is None else {"other_org", "outsider"}
    with trio.fail_after(90):
        async with trio.open_nursery() as outer:
            for name in quiet:
                outer.start_soon(partial(_run_observer, runtime, observers[name], channels, one_ready, finished,
                                         quiet=True, resume_after=resume_after))
            async with trio.open_nursery() as inner:  # ends when each other observer heard the barrier
                for observer in observers.values():
                    if observer.name not in quiet:
                        inner.start_soon(partial(_run_observer, runtime, observer, channels, one_ready,
                                                 trio.Event(), quiet=False, resume_after=resume_after))
                await all_ready.wait()
                names = await act()
            finished.set()
    return names
