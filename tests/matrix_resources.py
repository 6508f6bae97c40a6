"""Matrix cases for uploads, the resource library and the local file URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.matrix_support import MatrixContext, everyone, expect
from tests.tls import TLS

_READERS = expect(200, 200, 200, 200, 200, 401, 404)
_JSON_BODY = {"matrix": True}


def _acme(ctx: MatrixContext) -> str:
    return ctx.personas.acme.slug


async def _upload(ctx: MatrixContext, name: str, content_type: str, data: bytes) -> dict[str, Any]:
    purpose = "logo" if content_type.startswith("image/") else "resource"
    r = await ctx.client.post(f"/api/orgs/{_acme(ctx)}/uploads", headers=ctx.personas.acme.moderator.auth,
                              json={"filename": name, "content_type": content_type, "size": len(data),
                                    "purpose": purpose})
    upload: dict[str, Any] = r.json()["upload"]
    return upload


async def _stored_upload(ctx: MatrixContext) -> dict[str, Any]:
    upload = await _upload(ctx, "notes.txt", "text/plain", b"matrix notes")
    async with httpx.AsyncClient(verify=TLS) as direct:
        await direct.put(upload["url"], content=b"matrix notes", headers=upload["headers"])
    return {"upload_id": upload["id"]}


async def _resource(ctx: MatrixContext) -> dict[str, Any]:
    stored = await _stored_upload(ctx)
    r = await ctx.client.post(f"/api/orgs/{_acme(ctx)}/resources", headers=ctx.personas.acme.moderator.auth,
                              json={"upload_id": stored["upload_id"], "title": "Matrix", "required_role": "member"})
    return {"id": r.json()["resource"]["id"]}


async def _put_target(ctx: MatrixContext) -> dict[str, Any]:
    data = httpx.Request("PUT", "http://x", json=_JSON_BODY).content  # the body the matrix sends, byte for byte
    upload = await _upload(ctx, "data.json", "application/json", data)
    return {"path": urlsplit(upload["url"]).path}


async def _download_target(ctx: MatrixContext) -> dict[str, Any]:
    made = await _resource(ctx)
    r = await ctx.client.get(f"/api/orgs/{_acme(ctx)}/resources/{made['id']}/download",
                             headers=ctx.personas.acme.moderator.auth)
    return {"path": urlsplit(r.headers["location"]).path}


async def _attachment(ctx: MatrixContext) -> dict[str, Any]:
    acme = ctx.personas.acme
    forum = (await ctx.client.post(f"/api/orgs/{acme.slug}/forums", headers=acme.admin.auth,
                                   json={"name": "Matrix files"})).json()["forum"]
    topic = (await ctx.client.post(f"/api/orgs/{acme.slug}/forums/{forum['id']}/topics", headers=acme.admin.auth,
                                   json={"title": "Files", "content": "attached"})).json()["topic"]
    r = await ctx.client.post(f"/api/orgs/{acme.slug}/uploads", headers=acme.member.auth, json={
        "filename": "a.txt", "content_type": "text/plain", "size": 5, "purpose": "attachment"})
    upload = r.json()["upload"]
    async with httpx.AsyncClient(verify=TLS) as direct:
        await direct.put(upload["url"], content=b"hello", headers=upload["headers"])
    await ctx.client.post(f"/api/orgs/{acme.slug}/topics/{topic['id']}/posts", headers=acme.member.auth,
                          json={"content": "see", "attachments": [upload["id"]]})
    return {"id": upload["id"]}


async def _logo(ctx: MatrixContext) -> dict[str, Any]:
    from community.domain.principal import Principal
    from community.services.files import take_upload
    from community.services.orgs import access_org

    acme, h = ctx.personas.acme, ctx.runtime.handles
    upload = await _upload(ctx, "logo.gif", "image/gif", b"GIF89a" + b"\x00" * 10)
    async with httpx.AsyncClient(verify=TLS) as direct:
        await direct.put(upload["url"], content=b"GIF89a" + b"\x00" * 10, headers=upload["headers"])
    who = acme.moderator
    member = await access_org(h.db, Principal(who.user_id, who.email, who.display_name), acme.slug)
    logo = await take_upload(h.db, h.files, member, upload["id"], "logo")
    return {"id": logo.id}


def _resource_path(suffix: str = "") -> Any:
    return lambda c, p: f"/api/orgs/{_acme(c)}/resources/{p['id']}{suffix}"


CASES: list[dict[str, Any]] = [
    {"method": "POST", "rule": "/api/orgs/<org>/uploads", "path": lambda c, p: f"/api/orgs/{_acme(c)}/uploads",
     "body": {"filename": "a.pdf", "content_type": "application/pdf", "size": 10, "purpose": "resource"},
     "expect": expect(201, 201, 201, 403, 403, 401, 404)},
    {"method": "POST", "rule": "/api/orgs/<org>/resources", "setup": _stored_upload,
     "path": lambda c, p: f"/api/orgs/{_acme(c)}/resources",
     "body": lambda c, p: {"upload_id": p["upload_id"], "title": "Matrix"},
     # only the uploader (the moderator) registers their own upload; others' uploads are not theirs to see
     "expect": expect(404, 404, 201, 403, 403, 401, 404)},
    {"method": "GET", "rule": "/api/orgs/<org>/resources", "path": lambda c, p: f"/api/orgs/{_acme(c)}/resources",
     "expect": _READERS},
    {"method": "GET", "rule": "/api/orgs/<org>/resources/<uuid:resource_id>", "setup": _resource,
     "path": _resource_path(), "expect": expect(200, 200, 200, 200, 404, 401, 404)},
    {"method": "PATCH", "rule": "/api/orgs/<org>/resources/<uuid:resource_id>", "setup": _resource,
     "path": _resource_path(), "body": {"description": "Edited"},
     "expect": expect(200, 200, 200, 403, 404, 401, 404)},
    {"method": "DELETE", "rule": "/api/orgs/<org>/resources/<uuid:resource_id>", "setup": _resource,
     "path": _resource_path(), "expect": expect(204, 204, 204, 403, 404, 401, 404)},
    {"method": "GET", "rule": "/api/orgs/<org>/resources/<uuid:resource_id>/download", "setup": _resource,
     "path": _resource_path("/download"), "expect": expect(302, 302, 302, 302, 404, 401, 404)},
    {"method": "GET", "rule": "/api/orgs/<org>/attachments/<uuid:upload_id>", "setup": _attachment,
     "path": lambda c, p: f"/api/orgs/{_acme(c)}/attachments/{p['id']}",
     "expect": expect(302, 302, 302, 302, 302, 401, 404)},
    {"method": "GET", "rule": "/api/images/<uuid:upload_id>", "setup": _logo,
     "path": lambda c, p: f"/api/images/{p['id']}", "expect": everyone(302)},
    # The signed URL is the grant: whoever holds it (no bearer token needed) may use it, until it expires.
    {"method": "PUT", "rule": "/api/files/<token>", "setup": _put_target, "path": lambda c, p: p["path"],
     "body": _JSON_BODY, "expect": everyone(204)},
    {"method": "GET", "rule": "/api/files/<token>", "setup": _download_target, "path": lambda c, p: p["path"],
     "expect": everyone(200)},
]
