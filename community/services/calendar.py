"""Calendar feeds: one event's `.ics`, an org's public calendar, and each user's private feed.

The private feed is fetched by calendar apps without a session, so its URL carries a secret
(256 bits); only the secret's SHA-256 is stored, a new URL replaces the old one and revoking
deletes it. It lists what the user registered for (going, interested, waitlisted) in every
org they still belong to, as they may see it there now.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from community.db.pool import Database
from community.db.queries import calendar_feeds as fq
from community.db.queries import events as q
from community.db.queries import members
from community.domain.errors import NotFoundError
from community.domain.ical import calendar
from community.domain.permissions import Role
from community.domain.principal import OrgMember, Principal
from community.services.events import event_view, list_series, now
from community.services.unit import Unit, account_unit
from community.settings import Settings

PAST = timedelta(days=90)  # feeds keep recent history so a client does not drop what just happened
MAX_ITEMS = 2000
FEED_PATH = "/api/calendar-feed.ics?token={token}"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def event_url(settings: Settings, org_slug: str, event_id: UUID) -> str:
    return f"{settings.next_public_app_url.rstrip('/')}/{org_slug}/events/{event_id}"


async def event_ics(db: Database, settings: Settings, member: OrgMember, event_id: UUID) -> bytes:
    views = await list_series(db, member, event_id, MAX_ITEMS)
    slug = member.org["slug"]
    name = views[0]["title"] if views else "Event"
    return calendar(name, [(v, event_url(settings, slug, event_id)) for v in views], timezone=_zone(views))


def _zone(views: list[dict[str, Any]]) -> str | None:
    return str(views[0]["timezone"]) if views else None


async def org_calendar_ics(db: Database, settings: Settings, member: OrgMember) -> bytes:
    """A public org's public events; a private org has no public calendar (404 for everyone)."""
    if not member.org["is_public"]:
        raise NotFoundError("This organization has no public calendar.")
    async with db.transaction(org_id=member.org_id) as conn:
        found = await q.list_public_occurrences(conn, member.org_id, now() - PAST, MAX_ITEMS)
    views = [event_view(o, None) for o in found]
    slug = member.org["slug"]
    return calendar(member.org["name"], [(v, event_url(settings, slug, v["id"])) for v in views])


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def feed_url(settings: Settings, request_root: str, token: str) -> str:
    """On `API_URL` when it is set, else on the origin the request came to (calendar apps fetch it there)."""
    root = settings.api_url if "api_url" in settings.model_fields_set else request_root
    return root.rstrip("/") + FEED_PATH.format(token=token)


async def check_create_feed(db: Database, settings: Settings, principal: Principal, *,
                            request_root: str) -> dict[str, Any]:
    """Anyone signed in has one personal feed; a new one replaces (and ends) the old."""
    token = secrets.token_urlsafe(32)
    async with account_unit(db, user_id=principal.user_id) as unit:
        created = await do_create_feed(unit, principal, _hash(token))
    return {"url": feed_url(settings, request_root, token), "created_at": created}


async def do_create_feed(unit: Unit, principal: Principal, token_hash: bytes) -> datetime:
    return await fq.replace_feed(unit.conn, principal.user_id, token_hash)


async def read_feed(db: Database, principal: Principal) -> dict[str, Any]:
    async with db.transaction(user_id=principal.user_id) as conn:
        found = await fq.get_feed(conn, principal.user_id)
    if found is None:
        return {"feed": None}
    return {"feed": {"created_at": found.created_at, "last_used_at": found.last_used_at}}


async def check_revoke_feed(db: Database, principal: Principal) -> None:
    async with account_unit(db, user_id=principal.user_id) as unit:
        await do_revoke_feed(unit, principal)


async def do_revoke_feed(unit: Unit, principal: Principal) -> None:
    """The caller's feed stops answering (404 when there is none)."""
    if not await fq.delete_feed(unit.conn, principal.user_id):
        raise NotFoundError("You have no calendar feed.")


async def personal_feed_ics(db: Database, settings: Settings, token: str) -> bytes:
    if not _TOKEN.match(token):
        raise NotFoundError("No such calendar feed.")
    async with db.transaction() as conn:
        owner = await fq.feed_owner(conn, _hash(token))
    if owner is None:
        raise NotFoundError("No such calendar feed.")
    async with db.transaction(user_id=owner) as conn:
        memberships = [m for m in await members.list_user_memberships(conn, owner) if m["status"] == "active"]
    items: list[tuple[dict[str, Any], str]] = []
    for m in memberships:
        member = OrgMember(principal=Principal(owner, "", ""), org_id=m["id"], org={"slug": m["slug"]},
                           role=Role(m["role"]))
        async with db.transaction(org_id=m["id"], user_id=owner) as conn:
            found = await q.list_registered_occurrences(conn, m["id"], owner, now() - PAST,
                                                        members_only=member.at_least(Role.MEMBER), limit=MAX_ITEMS)
        items += [(event_view(o, member), event_url(settings, m["slug"], o.id)) for o in found]
    items.sort(key=lambda item: item[0]["start_time"])
    return calendar("My events", items[:MAX_ITEMS])
