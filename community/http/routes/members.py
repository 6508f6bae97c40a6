"""Members and invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from quart import Blueprint
from quart_schema import validate_querystring, validate_request

from community.domain.permissions import Role
from community.http.auth import org_member, require_principal
from community.http.context import current_handles
from community.http.models import Answer, Cursor, Member, MembershipAnswer, OrgRef, PageQuery
from community.http.openapi import answers, problems, public
from community.services import invitations, members
from community.services.invitations import InviteBody
from community.services.members import UpdateMemberBody

blueprint = Blueprint("members", __name__)


class MembersQuery(PageQuery):
    role: Role | None = None
    status: Literal["active", "suspended"] | None = None


class MemberPage(Answer):
    members: list[Member]
    next_cursor: Cursor


class Invitation(Answer):
    id: UUID
    email: str
    role: Role
    expires_at: datetime
    created_at: datetime
    invited_by: UUID | None
    status: Literal["pending", "accepted", "revoked"]


class NewInvitation(Invitation):
    """The invitation as its creator sees it once: with the token to share."""

    token: str


class NewInvitationAnswer(Answer):
    invitation: NewInvitation


class InvitationPage(Answer):
    invitations: list[Invitation]
    next_cursor: Cursor


class InvitationPreview(Invitation):
    """What the holder of an invitation link sees before accepting it."""

    organization: OrgRef


class InvitationPreviewAnswer(Answer):
    invitation: InvitationPreview


@blueprint.get("/api/orgs/<org>/members")
@answers(MemberPage)
@validate_querystring(MembersQuery)
async def list_members(org: str, query_args: MembersQuery) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return await members.list_members(h.db, member, role=query_args.role, status=query_args.status,
                                      cursor=query_args.cursor, limit=query_args.limit)


@blueprint.patch("/api/orgs/<org>/members/<uuid:user_id>")
@answers(MembershipAnswer)
@problems(409)
@validate_request(UpdateMemberBody)
async def update_member(org: str, user_id: UUID, data: UpdateMemberBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    view = await members.check_update_member(h.db, h.publisher, member, user_id, data)
    return {"membership": view}


@blueprint.delete("/api/orgs/<org>/members/<uuid:user_id>")
@answers(None, 204)
@problems(409)
async def remove_member(org: str, user_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await members.check_remove_member(h.db, h.publisher, member, user_id)
    return "", 204


@blueprint.post("/api/orgs/<org>/invitations")
@answers(NewInvitationAnswer, 201)
@problems(402, 409, 429)
@validate_request(InviteBody)
async def invite(org: str, data: InviteBody) -> tuple[dict[str, Any], int]:
    h = current_handles()
    member = await org_member(org)
    view = await invitations.check_invite(h.db, h.publisher, h.mailer, member, data)
    return {"invitation": view}, 201


@blueprint.get("/api/orgs/<org>/invitations")
@answers(InvitationPage)
@validate_querystring(PageQuery)
async def list_invitations(org: str, query_args: PageQuery) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return await invitations.list_invitations(h.db, member, cursor=query_args.cursor,
                                              limit=query_args.limit)


@blueprint.delete("/api/orgs/<org>/invitations/<uuid:invitation_id>")
@answers(None, 204)
async def revoke_invitation(org: str, invitation_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await invitations.check_revoke(h.db, h.publisher, member, invitation_id)
    return "", 204


@blueprint.get("/api/invitations/<token>")
@answers(InvitationPreviewAnswer)
@problems(410)
@public
async def lookup_invitation(token: str) -> dict[str, Any]:
    h = current_handles()
    return {"invitation": await invitations.lookup_invitation(h.db, token)}


@blueprint.post("/api/invitations/<token>/accept")
@answers(MembershipAnswer)
@problems(402, 409, 410)
async def accept_invitation(token: str) -> dict[str, Any]:
    h = current_handles()
    principal = await require_principal()
    return {"membership": await invitations.check_accept(h.db, h.publisher, principal, token)}
