"""Organizations: create, read, update, delete."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from quart import Blueprint
from quart_schema import validate_request

from community.domain.permissions import Perm
from community.domain.slugs import SLUG_PATTERN
from community.http.auth import org_member, require_principal
from community.http.context import current_handles
from community.http.models import Body, OrganizationAnswer, OrganizationDetailAnswer
from community.http.openapi import answers, optional_auth, problems
from community.services import files, orgs
from community.services.views import org_view

blueprint = Blueprint("orgs", __name__)


class CreateOrgBody(Body):
    name: str = Field(min_length=1, max_length=255)
    slug: str | None = Field(default=None, min_length=1, max_length=100, pattern=SLUG_PATTERN)
    description: str | None = Field(default=None, max_length=5000)


@blueprint.post("/api/orgs")
@answers(OrganizationAnswer, 201)
@problems(409)
@validate_request(CreateOrgBody)
async def create_org(data: CreateOrgBody) -> tuple[dict[str, Any], int]:
    h = current_handles()
    principal = await require_principal()
    org = await orgs.do_create_org(h.db, h.publisher, principal, name=data.name, slug=data.slug,
                                   description=data.description)
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
    await orgs.do_delete_org(h.db, member)
    return "", 204
