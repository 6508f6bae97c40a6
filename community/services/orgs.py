"""Organizations: create, read, update, delete, and the caller's place in one."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar
from uuid import UUID

from pydantic import AnyHttpUrl, Field, field_validator

from community.billing import Billing
from community.db.pool import Database, UniqueViolation
from community.db.queries import members, orgs
from community.db.queries.orgs import OrgRow
from community.domain.branding import HEX_COLOUR, Font, check_readable_on_white
from community.domain.custom_domains import HOST_PATTERN
from community.domain.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    ValidationFailedError,
)
from community.domain.events import Channel, EventType
from community.domain.input import WHITE_TEXT_FORMAT, Body, null_refused
from community.domain.org_settings import OrgSettings, OrgSettingsBody
from community.domain.permissions import Perm, Role
from community.domain.principal import Caller, OrgMember, Principal, SessionKey
from community.domain.slugs import SLUG_PATTERN, is_reserved, slugify, with_suffix
from community.domain.tiers import Tier, tier
from community.handles import FileStore, Publisher
from community.services import domains
from community.services.billing import require_plan
from community.services.branding import check_logo, drop_old_logo, use_logo
from community.services.unit import Unit, unit_of_work
from community.services.views import org_view
from community.settings import Settings

_NOT_FOUND = "No such organization."
T = TypeVar("T")


class BrandingBody(Body):
    """Colours carry white text (header, buttons); no raw CSS, no other keys."""

    primary_color: str | None = Field(default=None, pattern=HEX_COLOUR, json_schema_extra=WHITE_TEXT_FORMAT)
    accent_color: str | None = Field(default=None, pattern=HEX_COLOUR, json_schema_extra=WHITE_TEXT_FORMAT)
    font: Font | None = None
    logo_upload_id: UUID | None = None

    @field_validator("primary_color", "accent_color")
    @classmethod
    def _white_text_readable(cls, value: str | None) -> str | None:
        return None if value is None else check_readable_on_white(value)


class CreateOrgBody(Body):
    name: str = Field(min_length=1, max_length=255)
    slug: str | None = Field(default=None, min_length=1, max_length=100, pattern=SLUG_PATTERN)
    description: str | None = Field(default=None, max_length=5000)


class UpdateOrgBody(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=5000)
    logo_url: AnyHttpUrl | None = None
    branding: BrandingBody | None = Field(default=None, json_schema_extra=null_refused)  # reset field by field
    settings: OrgSettingsBody | None = None
    custom_domain: Annotated[str, Field(max_length=253, json_schema_extra={"pattern": HOST_PATTERN})] | None = None
    is_public: bool | None = None


async def access_org(db: Database, principal: Principal | None, ref: str) -> OrgMember:
    """The caller in `{org}`. Missing and not-visible answer the same 404; suspended is 403."""
    _, member = await load_caller(db, user_id=principal.user_id if principal else None, subject=None, ref=ref)
    return member


SIGNED_OUT = "This session was signed out; sign in again."


async def load_caller(db: Database, *, user_id: UUID | None, subject: str | None, ref: str,
                      session: SessionKey | None = None) -> tuple[Principal | None, OrgMember]:
    """The user (by id or Auth0 subject), whether the session is still on, and their place in `{org}`:
    in one statement."""
    return caller_from_context(await orgs.request_context(db, user_id=user_id, subject=subject, ref=ref,
                                                          session=session))


async def read_as(db: Database, caller: Caller, ref: str,
                  read: Callable[[Database, OrgMember], Awaitable[T]]) -> tuple[Principal, T] | None:
    """`read(db, member)` for a signed-in caller in one handoff: who they are in `{org}` and the read
    itself run on the database's thread (`Database.read_as`), so `read` may use only the `db` it
    is given. None when the database does not know the caller (the slow path provisions or
    answers 401); 401/403/404 as `caller_from_context` says."""
    async def body(context: dict[str, Any] | None, on_loop: Database) -> tuple[Principal, T] | None:
        if context is None:
            return None
        principal, member = caller_from_context(context)
        if principal is None:
            return None
        return principal, await read(on_loop, member)

    return await db.read_as(orgs.request_context_query(user_id=caller.user_id, subject=caller.subject, ref=ref,
                                                       session=caller.session), body)


def caller_from_context(context: Mapping[str, Any]) -> tuple[Principal | None, OrgMember]:
    """What `request_context` answered, as the caller: signed out is 401, missing or not visible 404,
    suspended 403."""
    if context.get("session_revoked"):
        raise UnauthorizedError(SIGNED_OUT)
    principal = (Principal(user_id=context["user_id"], email=context["email"], display_name=context["display_name"])
                 if context["user_id"] else None)
    if context["org_id"] is None:
        raise NotFoundError(_NOT_FOUND)
    org = {k: context[k] for k in orgs.COLUMN_NAMES}
    settings = OrgSettings.parse(org.get("settings"))
    if context["role"] is None:
        return principal, OrgMember(principal=principal, org_id=org["id"], org=org, role=None, settings=settings)
    if context["status"] == "suspended":
        raise ForbiddenError("Your membership of this organization is suspended.")
    return principal, OrgMember(principal=principal, org_id=org["id"], org=org, role=Role(context["role"]),
                                status=context["status"], overrides=context["permissions"] or {}, settings=settings)


async def check_create_org(db: Database, publisher: Publisher, principal: Principal,
                           data: CreateOrgBody) -> dict[str, Any]:
    """Anyone signed in creates an org and owns it; the slug is theirs or made from the name."""
    org_id = uuid.uuid4()
    async with unit_of_work(db, publisher, org_id=org_id, user_id=principal.user_id) as unit:
        chosen = await _choose_slug(unit.conn, data.name, data.slug)
        org = await do_create_org(unit, principal, data, org_id=org_id, slug=chosen)
    return org_view(org)


async def do_create_org(unit: Unit, principal: Principal, data: CreateOrgBody, *, org_id: UUID,
                        slug: str) -> OrgRow:
    try:
        org = await orgs.insert_org(unit.conn, org_id=org_id, name=data.name, slug=slug, description=data.description)
    except UniqueViolation:
        raise ConflictError(f"The slug {slug!r} is taken.", field="slug") from None
    await members.join_org(unit.conn, org_id, principal.user_id, role=Role.OWNER, invited_by=None)
    return org


async def _choose_slug(conn: Any, name: str, requested: str | None) -> str:
    if requested is not None:
        if is_reserved(requested):
            raise _invalid_slug(requested, "is reserved")
        if await orgs.slug_taken(conn, requested):
            raise ConflictError(f"The slug {requested!r} is taken.", field="slug")
        return requested
    base = slugify(name) or "org"
    if is_reserved(base):
        base = with_suffix(base, 1)
    candidate, n = base, 1
    while await orgs.slug_taken(conn, candidate):
        n += 1
        candidate = with_suffix(base, n)
    return candidate


def _invalid_slug(slug: str, why: str) -> ValidationFailedError:
    return ValidationFailedError(f"slug {why}", [{"loc": ["body", "slug"], "msg": f"{slug!r} {why}"}])


async def check_update_org(db: Database, publisher: Publisher, billing: Billing, store: FileStore,
                           settings: Settings, member: OrgMember, data: UpdateOrgBody) -> dict[str, Any]:
    """Branding on plans that have it (a logo: an image upload of this org); `custom_domain` asks
    for the domain as PUT .../domain does (it is routed once verified); the rest as it comes."""
    changes = data.model_dump(exclude_unset=True, mode="json")
    logo = None
    if "branding" in changes:
        if changes["branding"] is None:  # branding is reset field by field (each null), never as a whole
            raise ValidationFailedError("branding may not be null",
                                        [{"loc": ["body", "branding"], "msg": "may not be null; send {} or fields"}])
        require_plan(billing, member, "branding")
        upload_id = changes["branding"].pop("logo_upload_id", None)
        if upload_id is not None:
            logo = await check_logo(db, store, member, UUID(upload_id))
    if "custom_domain" in changes:
        await _set_custom_domain(db, publisher, billing, settings, member, changes.pop("custom_domain"))
    member.require(Perm.UPDATE_ORG)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        old_logo = await orgs.lock_logo_url(unit.conn, member.org_id) if "logo_url" in changes or logo else None
        if logo is not None:
            changes = {**changes, "logo_url": await use_logo(unit.conn, member, logo)}
        org, dropped = await do_update_org(unit, member, changes, old_logo=old_logo)
    if dropped:
        store.worker.poke()
    return org_view(org)


async def _set_custom_domain(db: Database, publisher: Publisher, billing: Billing, settings: Settings,
                             member: OrgMember, name: str | None) -> None:
    if name is None:
        await domains.check_remove_domain(db, publisher, member)
        return
    await domains.check_set_domain(db, publisher, billing, settings, member, name)


async def do_update_org(unit: Unit, member: OrgMember, changes: dict[str, Any], *,
                        old_logo: str | None) -> tuple[OrgRow, bool]:
    """The org and whether a replaced logo's upload was queued for deletion (`old_logo`, locked by the caller)."""
    try:
        org = await orgs.update_org(unit.conn, member.org_id, changes)
    except UniqueViolation:
        raise ConflictError("That custom domain is used by another organization.", field="custom_domain") from None
    if org is None:
        raise NotFoundError(_NOT_FOUND)
    dropped = "logo_url" in changes and await drop_old_logo(unit.conn, member.org_id, old_logo, org.logo_url)
    await unit.record(Channel.org(member.org_id), EventType.ORGANIZATION_UPDATED, {"organization": org_view(org)})
    return org, dropped


async def check_delete_org(db: Database, publisher: Publisher, member: OrgMember) -> None:
    member.require(Perm.DELETE_ORG)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await do_delete_org(unit, member)


async def do_delete_org(unit: Unit, member: OrgMember) -> None:
    await orgs.delete_org(unit.conn, member.org_id)


async def check_set_tier(db: Database, publisher: Publisher, settings: Settings, org_ref: str,
                         tier_name: str) -> dict[str, Any]:
    """Operator command (billing off): change an org's tier and seat limit."""
    if settings.stripe_secret_key:
        raise ConflictError("Billing is on: the tier follows the Stripe subscription.")
    chosen = tier(tier_name)
    async with unit_of_work(db, publisher, org_id=None, user_id=None) as unit:
        org_id: UUID | None = await orgs.resolve_org(unit.conn, org_ref)
        if org_id is None:
            raise NotFoundError(_NOT_FOUND)
        await unit.conn.set_context(org_id=org_id, user_id=None)
        unit.org_id = org_id
        org = await do_set_tier(unit, chosen)
    return org_view(org)


async def do_set_tier(unit: Unit, chosen: Tier) -> OrgRow:
    assert unit.org_id is not None
    org = await orgs.set_tier(unit.conn, unit.org_id, tier=chosen.name, member_limit=chosen.member_limit)
    assert org is not None
    return org
