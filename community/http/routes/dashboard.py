"""The organization dashboard."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from community.http.auth import org_member
from community.http.context import current_handles
from community.services import dashboard

blueprint = Blueprint("dashboard", __name__)


@blueprint.get("/api/orgs/<org>/dashboard")
async def read_dashboard(org: str) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return await dashboard.read_dashboard(h.db, member)
