"""An org's custom domain: set it, prove it by DNS, remove it (owner and admin; plan 'custom_domain')."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from quart import Blueprint
from quart_schema import validate_request

from community.domain.custom_domains import HOST_PATTERN, MAX_LENGTH
from community.http.auth import org_member
from community.http.context import current_handles
from community.http.models import Answer, Body
from community.http.openapi import answers, problems
from community.services import domains

blueprint = Blueprint("domains", __name__)


class DomainBody(Body):
    domain: str = Field(min_length=1, max_length=MAX_LENGTH, json_schema_extra={"pattern": HOST_PATTERN})


class Verification(Answer):
    """Publish this record, then verify."""

    type: Literal["TXT"]
    name: str
    value: str


class DomainCheck(Answer):
    """The last lookup: `verified`, `missing` (no TXT there), `mismatch` (other values), `unreachable` (DNS down)."""

    result: Literal["verified", "missing", "mismatch", "unreachable"]
    detail: str
    checked_at: datetime


class Domain(Answer):
    name: str
    status: Literal["pending", "verified"]
    verification: Verification
    verified_at: datetime | None
    created_at: datetime
    last_check: DomainCheck | None


class DomainAnswer(Answer):
    domain: Domain


class MaybeDomainAnswer(Answer):
    domain: Domain | None


@blueprint.get("/api/orgs/<org>/domain")
@answers(MaybeDomainAnswer)
async def get_domain(org: str) -> dict[str, Any]:
    """The domain asked for (null when none), with the TXT record that proves it and the last check."""
    h = current_handles()
    member = await org_member(org)
    return {"domain": await domains.get_domain(h.db, member)}


@blueprint.put("/api/orgs/<org>/domain")
@answers(DomainAnswer)
@problems(402, 409)
@validate_request(DomainBody)
async def set_domain(org: str, data: DomainBody) -> dict[str, Any]:
    """Ask for a domain; it is the org's once verified. A new name replaces (and unroutes) the old one."""
    h = current_handles()
    member = await org_member(org)
    return {"domain": await domains.check_set_domain(h.db, h.publisher, h.billing, h.settings, member, data.domain)}


@blueprint.post("/api/orgs/<org>/domain/verify")
@answers(DomainAnswer)
@problems(402, 409, 503)
async def verify_domain(org: str) -> dict[str, Any]:
    """Look the TXT record up now: `verified` once it holds the value; 503 when the resolver does not answer."""
    h = current_handles()
    member = await org_member(org)
    return {"domain": await domains.check_verify_domain(h.db, h.publisher, h.billing, h.settings, member)}


@blueprint.delete("/api/orgs/<org>/domain")
@answers(None, 204)
async def remove_domain(org: str) -> tuple[str, int]:
    """The domain is nobody's from now on (Host, websocket Origin and CORS stop accepting it)."""
    h = current_handles()
    member = await org_member(org)
    await domains.check_remove_domain(h.db, h.publisher, member)
    return "", 204
