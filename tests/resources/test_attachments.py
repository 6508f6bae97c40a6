"""Post and message attachments through the same upload flow, and logos' public URLs."""

from __future__ import annotations

import io
from typing import Any

import trio
from PIL import Image

from community.app import System
from community.services import files as file_service
from community.services.orgs import access_org
from tests.factories import Persona
from tests.resources.conftest import Files, minimal_pdf


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


async def _call(files: Files, who: Persona, method: str, path: str, **kwargs: Any) -> Any:
    r = await files.client.request(method, f"/api/orgs/{files.acme.slug}{path}", headers=who.auth, **kwargs)
    assert r.status_code in (200, 201), r.text
    return r.json()


async def test_a_post_carries_attachments_its_readers_download(files: Files) -> None:
    with trio.fail_after(60):
        member, admin = files.acme.member, files.acme.admin
        forum = (await _call(files, admin, "POST", "/forums", json={"name": "Files"}))["forum"]
        topic = (await _call(files, admin, "POST", f"/forums/{forum['id']}/topics",
                             json={"title": "Share", "content": "here"}))["topic"]
        picture = await files.upload(member, "chart.png", "image/png", _png(), purpose="attachment")
        paper = await files.upload(member, "paper.pdf", "application/pdf", minimal_pdf("x"), purpose="attachment")
        post = (await _call(files, member, "POST", f"/topics/{topic['id']}/posts",
                            json={"content": "see attached", "attachments": [picture["id"], paper["id"]]}))["post"]
        assert [(a["file_name"], a["is_image"]) for a in post["attachments"]] == [("chart.png", True),
                                                                                   ("paper.pdf", False)]
        page = await _call(files, files.acme.guest, "GET", f"/topics/{topic['id']}")
        assert [a["id"] for a in page["posts"][0]["attachments"]] == [picture["id"], paper["id"]]

        download = await files.get(files.acme.guest, f"/attachments/{paper['id']}")
        assert download.status_code == 302
        got = await files.fetch(download.headers["location"])
        assert got.content == minimal_pdf("x") and got.headers["content-disposition"].startswith("attachment;")
        other = await files.client.get(f"/api/orgs/{files.personas.globex.slug}/attachments/{paper['id']}",
                                       headers=files.personas.globex.owner.auth)
        assert other.status_code == 404

        reused = await files.client.post(f"/api/orgs/{files.acme.slug}/topics/{topic['id']}/posts",
                                         headers=member.auth, json={"content": "again", "attachments": [paper["id"]]})
        assert reused.status_code == 409
        foreign = await files.upload(files.acme.moderator, "m.txt", "text/plain", b"mod", purpose="attachment")
        stolen = await files.client.post(f"/api/orgs/{files.acme.slug}/topics/{topic['id']}/posts",
                                         headers=member.auth, json={"content": "x", "attachments": [foreign["id"]]})
        assert stolen.status_code == 404  # someone else's upload is not yours to attach

        async def thumbnailed() -> bool:  # the original until the files worker made the thumbnail
            r = await files.get(member, f"/attachments/{picture['id']}", thumbnail="true")
            assert r.status_code == 302, r.text
            return (await files.fetch(r.headers["location"])).headers["content-type"] == "image/webp"

        await files.until(thumbnailed)
        no_thumbnail = await files.get(member, f"/attachments/{paper['id']}", thumbnail="true")
        assert no_thumbnail.status_code == 404  # not an image
        deleted = await files.client.delete(f"/api/orgs/{files.acme.slug}/posts/{post['id']}", headers=member.auth)
        assert deleted.status_code == 204
        assert (await files.get(files.acme.guest, f"/attachments/{paper['id']}")).status_code == 404


async def test_a_message_carries_attachments_only_its_participants_download(files: Files) -> None:
    with trio.fail_after(60):
        member, mod = files.acme.member, files.acme.moderator
        conversation = (await _call(files, member, "POST", "/conversations",
                                    json={"participant_ids": [str(mod.user_id)]}))["conversation"]
        note = await files.upload(member, "note.txt", "text/plain", b"for your eyes", purpose="attachment")
        message = (await _call(files, member, "POST", f"/conversations/{conversation['id']}/messages",
                               json={"content": "attached", "attachments": [note["id"]]}))["message"]
        assert [a["file_name"] for a in message["attachments"]] == ["note.txt"]
        assert (await files.get(mod, f"/attachments/{note['id']}")).status_code == 302
        assert (await files.get(files.acme.admin, f"/attachments/{note['id']}")).status_code == 404


async def test_a_logo_has_a_stable_public_url(files: Files, runtime: System) -> None:
    with trio.fail_after(60):
        admin = files.acme.admin
        logo = await files.upload(admin, "logo.png", "image/png", _png(), purpose="logo")
        assert (await files.client.get(file_service.public_image_path(logo["id"]))).status_code == 404  # unclaimed
        member = await access_org(runtime.handles.db, await _principal(runtime, admin), files.acme.slug)
        await file_service.take_upload(runtime.handles.db, runtime.handles.files, member, logo["id"], "logo")
        r = await files.client.get(file_service.public_image_path(logo["id"]))  # anyone, no token
        assert r.status_code == 302
        image = await files.fetch(r.headers["location"])
        assert image.status_code == 200 and image.headers["content-type"].startswith("image/")


async def _principal(runtime: System, who: Persona) -> Any:
    from community.domain.principal import Principal

    return Principal(user_id=who.user_id, email=who.email, display_name=who.display_name)


async def test_resource_created_reaches_exactly_those_who_may_read_it(files: Files, runtime: System) -> None:
    from tests.realtime.conftest import nothing_arrives, open_socket, recv_type

    with trio.fail_after(60):
        acme = files.acme
        async with open_socket(runtime, acme.member, acme.slug) as member_ws, \
                open_socket(runtime, acme.guest, acme.slug) as guest_ws:
            made = await files.resource(acme.moderator, "m.txt", "text/plain", b"members", title="For members")
            frame = await recv_type(member_ws, "resource_created")
            assert frame["resource"]["id"] == made["id"] and frame["channel"] == f"user:{acme.member.user_id}"
            await nothing_arrives(guest_ws, ignore=("presence",))
            public = await files.resource(acme.moderator, "g.txt", "text/plain", b"guests", title="For all",
                                          required_role="guest")
            assert (await recv_type(guest_ws, "resource_created"))["resource"]["id"] == public["id"]
