"""The local file backend's own URLs: signed, expiring, no bearer token (the signature is the grant)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin
from uuid import UUID

from quart import Blueprint, Response, redirect, request, send_file
from quart_trio.wrappers.request import TrioRequest

from community.domain.files import LARGEST_FILE, content_disposition
from community.http.context import current_handles
from community.http.openapi import answers, problems, public
from community.services import files

blueprint = Blueprint("files", __name__)
UPLOAD_PATH_PREFIX = "/api/files/"
UPLOAD_BODY_TIMEOUT = 3600


class FileAwareRequest(TrioRequest):
    """MAX_BODY_BYTES for every body but a PUT of a file, whose limit is the size its signed URL
    declares (the tier's file limit at most): the handler streams it and stops past that size."""

    def __init__(self, method: str, scheme: str, path: str, *args: Any, **kwargs: Any) -> None:
        if method == "PUT" and path.startswith(UPLOAD_PATH_PREFIX):
            kwargs["max_content_length"] = LARGEST_FILE
            kwargs["body_timeout"] = UPLOAD_BODY_TIMEOUT
        super().__init__(method, scheme, path, *args, **kwargs)


@blueprint.get("/api/images/<uuid:upload_id>")
@answers(None, 302, media_type="text/html")
@public
async def public_image(upload_id: UUID) -> Response:
    """A logo's stable, public URL: 302 to where its bytes are now (a signed URL, five minutes)."""
    h = current_handles()
    url = await files.public_image_url(h.db, h.files.storage, upload_id)
    response: Response = redirect(urljoin(request.host_url, url), 302)  # type: ignore[assignment]
    response.headers["Cache-Control"] = "public, max-age=240"
    return response


@blueprint.put("/api/files/<token>")
@answers(None, 204)
@problems(403, 413, 415, 422)
@public
async def put_file(token: str) -> tuple[str, int]:
    h = current_handles()
    await files.receive_local_upload(h.db, h.files.storage, token, content_type=request.headers.get("Content-Type"),
                                     content_length=request.content_length, chunks=aiter(request.body))
    return "", 204


@blueprint.get("/api/files/<token>")
@answers(None, 200, media_type="*/*")
@answers(None, 206, media_type="*/*")
@problems(403, 416)
@public
async def get_file(token: str) -> Response:
    path, content_type, file_name = await files.local_file(current_handles().files.storage, token)
    response = await send_file(path, mimetype=content_type, conditional=True)
    response.headers["Content-Disposition"] = content_disposition(file_name, content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=300"
    response.timeout = None  # a large file to a slow client may take longer than the default minute
    return response
