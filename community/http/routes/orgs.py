"""Organizations: create, read, update, delete."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import AnyHttpUrl, Field, field_validator
from quart import Blueprint
from quart_schema import validate_request

from community.domain.branding import HEX_COLOUR, Font, check_readable_on_white
from community.domain.errors import ValidationFailedError
from community.domain.org_settings import OrgSettingsBody
from community.domain.permissions import Perm
from community.domain.principal import OrgMember
from community.domain.slugs import SLUG_PATTERN
from community.http.auth import org_member, require_principal
from community.http.context import current_handles
from community.http.models import Body, OrganizationAnswer, OrganizationDetailAnswer
from community.http.openapi import answers, optional_auth, problems
from community.services import branding, domains, files, orgs
from community.services.billing import require_plan
from community.services.views import org_view

blueprint = Blueprint("orgs", __name__)


class CreateOrgBody(Body):
    name: str = Field(min_length=1, max_length=255)
    slug: str | None = Field(default=None, min_length=1, max_length=100, pattern=SLUG_PATTERN)
    description: str | None = Field(default=None, max_length=5000)


class BrandingBody(Body):
    """Colours carry white text (header, buttons); no raw CSS, no other keys."""

    primary_color: str | None = Field(default=None, pattern=HEX_COLOUR)
    accent_color: str | None = Field(default=None, pattern=HEX_COLOUR)
    font: Font | None = None
    logo_upload_id: UUID | None = None

    @field_validator("primary_color", "accent_color")
    @classmethod
    def _white_text_readable(cls, value: str | None) -> str | None:
        return None if value is None else check_readable_on_white(value)


class UpdateOrgBody(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=5000)
    logo_url: AnyHttpUrl | None = None
    branding: BrandingBody | None = None
    settings: OrgSettingsBody | None = None
    custom_domain: str | None = Field(default=None, max_length=253)
    is_public: bool | None = None


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
@validate_request(UpdateOrgBody)
async def update_org(org: str, data: UpdateOrgBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    changes = data.model_dump(exclude_unset=True, mode="json")
    logo = None
    if "branding" in changes:
        if changes["branding"] is None:  # branding is reset field by field (each null), never as a whole
            raise ValidationFailedError("branding may not be null",
                                        [{"loc": ["body", "branding"], "msg": "may not be null; send {} or fields"}])
        require_plan(h.billing, member, "branding")
        upload_id = changes["branding"].pop("logo_upload_id", None)
        if upload_id is not None:
            logo = await branding.check_logo(h.db, h.files, member, UUID(upload_id))
    if "custom_domain" in changes:
        await _set_custom_domain(member, changes.pop("custom_domain"))
    return {"organization": await orgs.do_update_org(h.db, h.publisher, member, changes, logo=logo, store=h.files)}


async def _set_custom_domain(member: OrgMember, name: str | None) -> None:
    """`custom_domain` in a PATCH asks for the domain as PUT .../domain does (it is routed once verified)."""
    h = current_handles()
    member.require(Perm.UPDATE_ORG)
    if name is None:
        await domains.do_remove_domain(h.db, h.publisher, member)
        return
    require_plan(h.billing, member, "custom_domain")
    await domains.do_set_domain(h.db, h.publisher, h.settings, member, name)


@blueprint.delete("/api/orgs/<org>")
@answers(None, 204)
async def delete_org(org: str) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await orgs.do_delete_org(h.db, member)
    return "", 204
