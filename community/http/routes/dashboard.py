"""The organization dashboard."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from quart import Blueprint

from community.http.auth import read_page
from community.http.models import Answer, Event, ForumNode, Organization, TopicSummary
from community.http.openapi import answers
from community.services import dashboard

blueprint = Blueprint("dashboard", __name__)


class Stats(Answer):
    member_count: int
    active_discussions: int
    total_posts: int
    active_members: int
    upcoming_events: int
    shared_resources: int


class MemberStats(Answer):
    by_role: dict[str, int]
    joined_last_30_days: int


class ActivityItem(BaseModel):
    """An event of the activity log the caller may see: its realtime payload plus these fields."""

    model_config = ConfigDict(extra="allow")
    id: int
    type: str
    channel: str
    actor_id: UUID | None
    created_at: datetime


class Dashboard(Answer):
    organization: Organization
    stats: Stats
    forums: list[ForumNode]
    recent_activity: list[ActivityItem]
    member_stats: MemberStats
    upcoming_events: list[Event]
    announcements: list[TopicSummary]


@blueprint.get("/api/orgs/<org>/dashboard")
@answers(Dashboard)
async def read_dashboard(org: str) -> dict[str, Any]:
    return await read_page(org, dashboard.read_dashboard)
