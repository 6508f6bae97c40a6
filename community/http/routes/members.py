"""Members and invitations."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import EmailStr, Field
from quart import Blueprint
from quart_schema import validate_querystring, validate_request

from community.domain.permissions import Role
from community.http.auth import org_member, require_principal
from community.http.context import current_handles
from community.http.models import Body, PageQuery
from community.services import invitations, members

blueprint = Blueprint("members", __name__)
_TOKEN = Field(min_length=20, max_length=200)


class MembersQuery(PageQuery):
    role: Role | None = None
    status: Literal["active", "suspended"] | None = None


class UpdateMemberBody(Body):
    role: Role | None = None
    status: Literal["active", "suspended"] | None = None
    permissions: dict[str, bool] | None = None


class InviteBody(Body):
    email: EmailStr = Field(max_length=320)
    role: Role = Role.MEMBER


@blueprint.get("/api/orgs/<org>/members")
@validate_querystring(MembersQuery)
async def list_members(org: str, query_args: MembersQuery) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return await members.list_members(h.db, member, role=query_args.role, status=query_args.status,
                                      cursor=query_args.cursor, limit=query_args.limit)


@blueprint.patch("/api/orgs/<org>/members/<uuid:user_id>")
@validate_request(UpdateMemberBody)
async def update_member(org: str, user_id: UUID, data: UpdateMemberBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    view = await members.do_update_member(h.db, h.publisher, member, user_id, role=data.role, status=data.status,
                                          permissions=data.permissions)
    return {"membership": view}


@blueprint.delete("/api/orgs/<org>/members/<uuid:user_id>")
async def remove_member(org: str, user_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await members.do_remove_member(h.db, h.publisher, member, user_id)
    return "", 204


@blueprint.post("/api/orgs/<org>/invitations")
@validate_request(InviteBody)
async def invite(org: str, data: InviteBody) -> tuple[dict[str, Any], int]:
    h = current_handles()
    member = await org_member(org)
    view = await invitations.do_invite(h.db, h.publisher, h.mailer, member, email=str(data.email), role=data.role)
    return {"invitation": view}, 201


@blueprint.get("/api/orgs/<org>/invitations")
@validate_querystring(PageQuery)
async def list_invitations(org: str, query_args: PageQuery) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return await invitations.list_invitations(h.db, member, cursor=query_args.cursor,
                                              limit=query_args.limit)


@blueprint.delete("/api/orgs/<org>/invitations/<uuid:invitation_id>")
async def revoke_invitation(org: str, invitation_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await invitations.do_revoke(h.db, member, invitation_id)
    return "", 204


@blueprint.get("/api/invitations/<token>")
async def lookup_invitation(token: str) -> dict[str, Any]:
    h = current_handles()
    return {"invitation": await invitations.lookup_invitation(h.db, token)}


@blueprint.post("/api/invitations/<token>/accept")
async def accept_invitation(token: str) -> dict[str, Any]:
    h = current_handles()
    principal = await require_principal()
    return {"membership": await invitations.do_accept(h.db, h.publisher, principal, token)}
