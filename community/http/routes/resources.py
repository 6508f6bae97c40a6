"""Uploads and the resource library (the contract's "Resource library and files")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import urljoin
from uuid import UUID

from pydantic import Field, field_validator
from quart import Blueprint, Response, redirect, request
from quart_schema import validate_querystring, validate_request

from community.domain.tags import TAG_FORMAT, normalise_tag_filter
from community.http.auth import org_member
from community.http.context import current_handles
from community.http.models import Answer, Cursor, PageQuery, PersonRef
from community.http.openapi import answers, problems
from community.services import attachments, files, resources

blueprint = Blueprint("resources", __name__)
Purpose = files.Purpose
RoleName = resources.RoleName


class ResourcesQuery(PageQuery):
    category: str | None = Field(default=None, max_length=100)
    tag: str | None = Field(default=None, max_length=100, json_schema_extra=TAG_FORMAT)
    featured: bool | None = None
    sort: Literal["recent", "popular", "title"] = "recent"
    _tag = field_validator("tag")(normalise_tag_filter)  # as resources' tags are stored


class DownloadQuery(PageQuery):
    redirect: bool = True


class AttachmentQuery(DownloadQuery):
    thumbnail: bool = False


class UploadTarget(Answer):
    """Where the browser sends the file itself: a form POST with `fields` then the file (S3),
    or a PUT of the raw file with `headers` (the server's own signed URL)."""

    id: UUID
    method: Literal["POST", "PUT"]
    url: str
    fields: dict[str, str]
    headers: dict[str, str]
    expires_at: datetime
    file_name: str
    content_type: str
    size: int
    purpose: Purpose


class UploadAnswer(Answer):
    upload: UploadTarget


class Resource(Answer):
    id: UUID
    title: str
    description: str | None
    file_name: str
    file_size: int
    file_type: str
    category: str | None
    tags: list[str]
    is_featured: bool
    download_count: int
    required_role: RoleName
    uploaded_by: PersonRef | None
    is_image: bool
    thumbnail_url: str | None  # signed, valid five minutes
    text_status: Literal["pending", "done", "none", "too_large", "failed"]
    created_at: datetime
    updated_at: datetime


class ResourceAnswer(Answer):
    resource: Resource


class ResourcePage(Answer):
    resources: list[Resource]
    next_cursor: Cursor


class DownloadLink(Answer):
    url: str
    expires_at: datetime


def absolute(url: str) -> str:
    """Local file URLs are paths on this server; S3 URLs are absolute already."""
    return urljoin(request.host_url, url)


@blueprint.post("/api/orgs/<org>/uploads")
@answers(UploadAnswer, 201)
@problems(415)
@validate_request(files.CreateUploadBody)
async def create_upload(org: str, data: files.CreateUploadBody) -> tuple[dict[str, Any], int]:
    member = await org_member(org)
    h = current_handles()
    upload = await files.check_create_upload(h.db, h.files, member, data)
    upload["url"] = absolute(upload["url"])
    return {"upload": upload}, 201


@blueprint.post("/api/orgs/<org>/resources")
@answers(ResourceAnswer, 201)
@problems(409, 415)
@validate_request(resources.CreateResourceBody)
async def create_resource(org: str, data: resources.CreateResourceBody) -> tuple[dict[str, Any], int]:
    member = await org_member(org)
    h = current_handles()
    resource = await resources.check_create_resource(h.db, h.publisher, h.files, member, data)
    return {"resource": _absolute_view(resource)}, 201


@blueprint.get("/api/orgs/<org>/resources")
@answers(ResourcePage)
@validate_querystring(ResourcesQuery)
async def list_resources(org: str, query_args: ResourcesQuery) -> dict[str, Any]:
    member = await org_member(org)
    h = current_handles()
    found = await resources.list_resources(h.db, h.files, member, category=query_args.category,
                                           tag=query_args.tag, featured=query_args.featured, sort=query_args.sort,
                                           cursor=query_args.cursor, limit=query_args.limit)
    found["resources"] = [_absolute_view(r) for r in found["resources"]]
    return found


@blueprint.get("/api/orgs/<org>/resources/<uuid:resource_id>")
@answers(ResourceAnswer)
async def read_resource(org: str, resource_id: UUID) -> dict[str, Any]:
    member = await org_member(org)
    h = current_handles()
    return {"resource": _absolute_view(await resources.read_resource(h.db, h.files, member, resource_id))}


@blueprint.patch("/api/orgs/<org>/resources/<uuid:resource_id>")
@answers(ResourceAnswer)
@validate_request(resources.UpdateResourceBody)
async def update_resource(org: str, resource_id: UUID, data: resources.UpdateResourceBody) -> dict[str, Any]:
    member = await org_member(org)
    h = current_handles()
    updated = await resources.check_update_resource(h.db, h.publisher, h.files, member, resource_id, data)
    return {"resource": _absolute_view(updated)}


@blueprint.delete("/api/orgs/<org>/resources/<uuid:resource_id>")
@answers(None, 204)
async def delete_resource(org: str, resource_id: UUID) -> tuple[str, int]:
    member = await org_member(org)
    h = current_handles()
    await resources.check_delete_resource(h.db, h.publisher, h.files, member, resource_id)
    return "", 204


@blueprint.get("/api/orgs/<org>/resources/<uuid:resource_id>/download")
@answers(None, 302, media_type="text/html")
@answers(DownloadLink)
@validate_querystring(DownloadQuery)
async def download_resource(org: str, resource_id: UUID, query_args: DownloadQuery) -> Response | dict[str, Any]:
    """302 to a URL valid five minutes; `?redirect=false` answers it as JSON (for scripts and previews)."""
    member = await org_member(org)
    h = current_handles()
    url, expires_at = await resources.read_download(h.db, h.files, member, resource_id)
    return _redirect_or_json(url, expires_at, query_args.redirect)


@blueprint.get("/api/orgs/<org>/attachments/<uuid:upload_id>")
@answers(None, 302, media_type="text/html")
@answers(DownloadLink)
@validate_querystring(AttachmentQuery)
async def download_attachment(org: str, upload_id: UUID, query_args: AttachmentQuery) -> Response | dict[str, Any]:
    """A post's or message's attachment (`?thumbnail=true`: its image thumbnail), like a resource download."""
    member = await org_member(org)
    h = current_handles()
    url, expires_at = await attachments.read_download(h.db, h.files, member, upload_id,
                                                      thumbnail=query_args.thumbnail)
    return _redirect_or_json(url, expires_at, query_args.redirect)


def _redirect_or_json(url: str, expires_at: datetime, redirect_to: bool) -> Response | dict[str, Any]:
    if not redirect_to:
        return {"url": absolute(url), "expires_at": expires_at}
    response: Response = redirect(absolute(url), 302)  # type: ignore[assignment]
    response.headers["Cache-Control"] = "no-store"
    return response


def _absolute_view(view: dict[str, Any]) -> dict[str, Any]:
    if view.get("thumbnail_url"):
        view["thumbnail_url"] = absolute(view["thumbnail_url"])
    return view
