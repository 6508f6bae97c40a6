"""The organization dashboard: stats, forums, recent activity the caller may see, member stats.

`upcoming_events` (the next occurrences the caller may see; the stat counts those starting in
the next 30 days) come from the events feature; `shared_resources` counts the resources the caller may read;
`member_count` (active members now), `active_members` and `joined_last_30_days` are analytics'
totals of the last 30 UTC days with today (the same numbers the analytics page shows, from the
rollups and today's live counts); seats (which also count pending and suspended members) are the
organization's `current_member_count`. `total_posts` (all time, in the forums the caller sees) and
`active_discussions` (topics active in 7 days) have no analytics counterpart.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from community.db.pool import Database
from community.db.queries import forums, resources, topics
from community.db.queries.activity import list_recent_activity
from community.domain.audience import Current, Viewer, judge
from community.domain.events import Activity, ChannelKind
from community.domain.permissions import Perm
from community.domain.principal import OrgMember
from community.services.analytics import recent_totals
from community.services.events import upcoming
from community.services.forums import forum_tree, viewer_rank
from community.services.realtime import current_state
from community.services.views import org_view, topic_view

RECENT = 20
UPCOMING = 5
_SCAN = 200


async def read_dashboard(db: Database, member: OrgMember) -> dict[str, Any]:
    member.require(Perm.READ_ORG)
    rank = viewer_rank(member)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        stats = await forums.dashboard_stats(conn, member.org_id, rank)
        visible = await forums.list_visible_forums(conn, member.org_id, rank)
        recent = await list_recent_activity(conn, org_id=member.org_id, limit=_SCAN)
        current = await current_state(conn, member.org_id, recent)
        by_role = await forums.member_stats(conn, member.org_id)
        announcements = await topics.list_announcements(conn, member.org_id, rank, 5)
        upcoming_count, upcoming_events = await upcoming(conn, member, UPCOMING)
        shared_resources = await resources.count_visible(conn, member.org_id, rank)
        recent_numbers = await recent_totals(conn, member.org_id)
        seen = _recent(member, recent, current)
        titles = await topics.titles(conn, member.org_id, sorted({t for a in seen if (t := referenced_topic(a))}))
    seen = [_titled(item, titles) for item in seen]
    return {
        "organization": org_view(member.org),
        "stats": {"member_count": recent_numbers["members"], **stats,
                  "active_members": recent_numbers["active_members"],
                  "upcoming_events": upcoming_count, "shared_resources": shared_resources},
        "forums": forum_tree(visible),
        "recent_activity": seen,
        "member_stats": {"by_role": {r["role"]: r["n"] for r in by_role},
                         "joined_last_30_days": recent_numbers["new_members"]},
        "upcoming_events": upcoming_events,
        "announcements": [topic_view(t, full=False) for t in announcements],
    }


_PUBLIC_KINDS = frozenset({ChannelKind.ORG, ChannelKind.FORUM, ChannelKind.TOPIC})


def _recent(member: OrgMember, recent: list[Activity], current: Current) -> list[dict[str, Any]]:
    """What of the org's recent activity this caller may see now: the rule realtime delivery follows."""
    viewer = Viewer.of(member.user_id, member.role, member.overrides)
    seen = []
    for activity in recent:
        if activity.channel.kind not in _PUBLIC_KINDS:
            continue  # personal and conversation events are not the org's activity
        judged = judge(activity, current)
        if judged is not None and judged.audience.admits(viewer):
            seen.append(activity_view(replace(activity, payload=judged.payload)))
        if len(seen) == RECENT:
            break
    return seen


def referenced_topic(item: dict[str, Any]) -> UUID | None:
    """The topic an activity item names a title of (a topic's own event, or a reply's)."""
    topic = item.get("topic")
    if isinstance(topic, dict) and topic.get("id"):
        return UUID(str(topic["id"]))
    post = item.get("post")
    if item.get("topic_title") is not None and isinstance(post, dict) and post.get("topic_id"):
        return UUID(str(post["topic_id"]))
    return None


def _titled(item: dict[str, Any], titles: dict[UUID, str]) -> dict[str, Any]:
    """The item with its topic's title as it is now (the log keeps the title of when it happened)."""
    title = titles.get(topic_id) if (topic_id := referenced_topic(item)) else None
    if title is None:
        return item
    if isinstance(item.get("topic"), dict):
        return {**item, "topic": {**item["topic"], "title": title}}
    return {**item, "topic_title": title}


def activity_view(activity: Activity) -> dict[str, Any]:
    return {"id": activity.seq, "type": activity.type, "channel": str(activity.channel), "actor_id": activity.actor_id,
            "created_at": activity.created_at, **activity.payload}
