"""Organizations: create, read, update, delete."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import validate_request

from community.domain.permissions import Perm
from community.http.auth import org_member, require_principal
from community.http.context import current_handles
from community.http.models import OrganizationAnswer, OrganizationDetailAnswer
from community.http.openapi import answers, optional_auth, problems
from community.services import files, orgs
from community.services.views import org_view

blueprint = Blueprint("orgs", __name__)


@blueprint.post("/api/orgs")
@answers(OrganizationAnswer, 201)
@problems(409)
@validate_request(orgs.CreateOrgBody)
async def create_org(data: orgs.CreateOrgBody) -> tuple[dict[str, Any], int]:
    h = current_handles()
    principal = await require_principal()
    org = await orgs.check_create_org(h.db, h.publisher, principal, data)
    return {"organization": org}, 201


@blueprint.get("/api/orgs/<org>")
@answers(OrganizationDetailAnswer)
@optional_auth
async def get_org(org: str) -> dict[str, Any]:
    member = await org_member(org, allow_anonymous=True)
    member.require(Perm.READ_ORG)
    view = org_view(member.org)
    view["storage"] = await files.storage_view(current_handles().db, member) if member.is_member else None
    return {"organization": view}


@blueprint.patch("/api/orgs/<org>")
@answers(OrganizationAnswer)
@problems(409)
@validate_request(orgs.UpdateOrgBody)
async def update_org(org: str, data: orgs.UpdateOrgBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"organization": await orgs.check_update_org(h.db, h.publisher, h.billing, h.files, h.settings, member,
                                                        data)}


@blueprint.delete("/api/orgs/<org>")
@answers(None, 204)
async def delete_org(org: str) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await orgs.check_delete_org(h.db, h.publisher, member)
    return "", 204
