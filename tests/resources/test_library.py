"""The upload flow and the library on both backends (local disk, S3 through boto3 against moto)."""

from __future__ import annotations

import trio

from community.app import System
from tests.factories import Factory
from tests.resources.conftest import Files, minimal_pdf

PDF = minimal_pdf("quarterly report")


async def test_upload_register_read_download(files: Files, backend: str) -> None:
    with trio.fail_after(30):
        mod = files.acme.moderator
        upload = await files.upload(mod, "Report Q3.pdf", "application/pdf", PDF)
        if backend == "s3":
            assert upload["method"] == "POST" and upload["fields"]["Content-Type"] == "application/pdf"
            assert upload["fields"]["key"].startswith(f"org/{files.acme.id}/")
        else:
            assert upload["method"] == "PUT" and upload["headers"] == {"Content-Type": "application/pdf"}
        registered = await files.register(mod, upload["id"], title="Q3 report", description="Numbers",
                                          category="reports", tags=["Finance"], required_role="member")
        assert registered.status_code == 201, registered.text
        resource = registered.json()["resource"]
        assert resource["file_name"] == "Report Q3.pdf" and resource["file_size"] == len(PDF)
        assert resource["file_type"] == "application/pdf" and resource["tags"] == ["finance"]
        assert resource["uploaded_by"]["id"] == str(mod.user_id) and resource["download_count"] == 0
        again = await files.register(mod, upload["id"])
        assert again.status_code == 409  # an upload is registered once

        read = await files.get(files.acme.member, f"/resources/{resource['id']}")
        assert read.status_code == 200 and read.json()["resource"]["title"] == "Q3 report"
        redirect = await files.get(files.acme.member, f"/resources/{resource['id']}/download")
        assert redirect.status_code == 302
        got = await files.fetch(redirect.headers["location"])
        assert got.status_code == 200 and got.content == PDF
        assert got.headers["content-disposition"].startswith("attachment;")
        assert got.headers["content-type"].startswith("application/pdf")
        if backend == "local":
            assert got.headers["x-content-type-options"] == "nosniff"
        as_json = await files.get(files.acme.member, f"/resources/{resource['id']}/download", redirect="false")
        assert as_json.status_code == 200 and as_json.json()["url"].startswith("http")
        counted = await files.get(files.acme.member, f"/resources/{resource['id']}")
        assert counted.json()["resource"]["download_count"] == 2


async def test_a_pdf_that_is_html_is_refused(files: Files) -> None:
    with trio.fail_after(30):
        upload = await files.upload(files.acme.moderator, "evil.pdf", "application/pdf",
                                    b"<!doctype html><script>alert(1)</script>")
        refused = await files.register(files.acme.moderator, upload["id"])
        assert refused.status_code == 415 and refused.json()["code"] == "unsupported_media_type"
        storage = (await files.client.get(f"/api/orgs/{files.acme.slug}", headers=files.acme.owner.auth)).json()
        assert storage["organization"]["storage"]["used_bytes"] == 0  # refused: deleted, bytes given back


async def test_types_outside_the_allowlist_and_mismatched_names_are_refused(files: Files) -> None:
    with trio.fail_after(30):
        mod = files.acme.moderator
        for name, content_type in [("x.svg", "image/svg+xml"), ("x.html", "text/html"), ("x.png", "application/pdf")]:
            r = await files.start(mod, name, content_type, 100)
            assert r.status_code == 415, (name, r.text)
        r = await files.start(mod, "x.txt", "text/plain", 0)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "size"]


async def test_a_600_mb_upload_is_refused_before_any_byte(files: Files, runtime: System, factory: Factory) -> None:
    with trio.fail_after(30):
        r = await files.start(files.acme.moderator, "video.mp4", "video/mp4", 600 * 1024 * 1024)
        assert r.status_code == 413 and r.json()["limit_bytes"] == 100 * 1024 * 1024
        assert await factory.conn.fetchval("SELECT count(*) FROM uploads") == 0
        org = (await files.client.get(f"/api/orgs/{files.acme.slug}", headers=files.acme.member.auth)).json()
        assert org["organization"]["storage"] == {"used_bytes": 0, "limit_bytes": 1024**3}


async def test_the_storage_quota_holds_under_concurrent_uploads(files: Files, factory: Factory) -> None:
    with trio.fail_after(30):
        await factory.conn.execute("INSERT INTO org_storage (org_id, limit_bytes) VALUES ($1, 1000)", files.acme.id)
        statuses: list[int] = []

        async def one() -> None:
            statuses.append((await files.start(files.acme.moderator, "a.txt", "text/plain", 300)).status_code)

        async with trio.open_nursery() as nursery:
            for _ in range(6):
                nursery.start_soon(one)
        assert sorted(statuses) == [201, 201, 201, 413, 413, 413]
        org = (await files.client.get(f"/api/orgs/{files.acme.slug}", headers=files.acme.member.auth)).json()
        assert org["organization"]["storage"] == {"used_bytes": 900, "limit_bytes": 1000}


async def test_who_may_upload(files: Files) -> None:
    with trio.fail_after(30):
        assert (await files.start(files.acme.member, "a.pdf", "application/pdf", 10)).status_code == 403
        assert (await files.start(files.acme.member, "a.pdf", "application/pdf", 10,
                                  purpose="attachment")).status_code == 201
        assert (await files.start(files.acme.guest, "a.png", "image/png", 10, purpose="attachment")).status_code == 403
        assert (await files.start(files.acme.member, "a.pdf", "application/pdf", 10,
                                  purpose="logo")).status_code == 415
        other = await files.start(files.personas.globex.owner, "a.pdf", "application/pdf", 10)
        assert other.status_code == 404


async def test_the_stored_object_must_match_the_declaration(files: Files, backend: str) -> None:
    with trio.fail_after(30):
        mod = files.acme.moderator
        started = (await files.start(mod, "notes.txt", "text/plain", 10)).json()["upload"]
        assert (await files.register(mod, started["id"])).status_code == 409  # nothing stored yet
        short = await files.send(started, b"short")
        if backend == "local":
            assert short.status_code == 422  # the local endpoint keeps nothing incomplete
        else:
            assert short.status_code in (200, 204, 400)
        assert (await files.register(mod, started["id"])).status_code in (409, 422)


async def test_list_filters_sort_and_visibility(files: Files, factory: Factory) -> None:
    with trio.fail_after(60):
        mod, admin = files.acme.moderator, files.acme.admin
        a = await files.resource(mod, "a.txt", "text/plain", b"alpha", title="Beta", category="guides",
                                 tags=["onboarding"], required_role="guest")
        b = await files.resource(mod, "b.txt", "text/plain", b"bravo", title="alpha", category="guides",
                                 is_featured=True)
        c = await files.resource(admin, "c.txt", "text/plain", b"charlie", title="Gamma", required_role="admin")
        await factory.conn.execute("UPDATE resources SET download_count = 7 WHERE id = $1", c["id"])
        await factory.conn.execute("UPDATE resources SET download_count = 3 WHERE id = $1", b["id"])

        async def ids(who: object, **params: object) -> list[str]:
            r = await files.get(who, "/resources", **params)  # type: ignore[arg-type]
            assert r.status_code == 200, r.text
            return [x["id"] for x in r.json()["resources"]]

        assert await ids(files.acme.owner) == [c["id"], b["id"], a["id"]]
        assert await ids(files.acme.member) == [b["id"], a["id"]]
        assert await ids(files.acme.guest) == [a["id"]]
        assert await ids(files.acme.owner, sort="title") == [b["id"], a["id"], c["id"]]
        assert await ids(files.acme.owner, sort="popular") == [c["id"], b["id"], a["id"]]
        assert await ids(files.acme.owner, category="guides") == [b["id"], a["id"]]
        assert await ids(files.acme.owner, tag="onboarding") == [a["id"]]
        assert await ids(files.acme.owner, tag=" Onboarding ") == [a["id"]]  # as tags are stored
        assert await ids(files.acme.owner, featured="true") == [b["id"]]
        seen, cursor = [], None
        while True:
            page = (await files.get(files.acme.owner, "/resources", sort="title", limit=1,
                                    **({"cursor": cursor} if cursor else {}))).json()
            seen += [x["id"] for x in page["resources"]]
            if not (cursor := page["next_cursor"]):
                break
        assert seen == [b["id"], a["id"], c["id"]]
        assert (await files.get(files.acme.member, f"/resources/{c['id']}")).status_code == 404
        assert (await files.get(files.acme.member, f"/resources/{c['id']}/download")).status_code == 404
        globex = await files.client.get(f"/api/orgs/{files.personas.globex.slug}/resources/{a['id']}",
                                        headers=files.personas.globex.owner.auth)
        assert globex.status_code == 404
        dashboard = await files.get(files.acme.member, "/dashboard")
        assert dashboard.json()["stats"]["shared_resources"] == 2


async def test_edit_and_delete(files: Files, runtime: System) -> None:
    with trio.fail_after(30):
        mod = files.acme.moderator
        resource = await files.resource(mod, "a.txt", "text/plain", b"alpha", title="Old")
        path = f"/api/orgs/{files.acme.slug}/resources/{resource['id']}"
        r = await files.client.patch(path, headers=files.acme.member.auth, json={"title": "Mine"})
        assert r.status_code == 403
        r = await files.client.patch(path, headers=mod.auth, json={"title": "New", "is_featured": True})
        assert r.status_code == 200 and r.json()["resource"]["title"] == "New" and r.json()["resource"]["is_featured"]
        r = await files.client.patch(path, headers=mod.auth, json={"required_role": "owner"})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "required_role"]
        async with runtime.handles.db.transaction(org_id=files.acme.id) as conn:
            stored_key = await conn.fetchval("SELECT up.storage_key FROM resources r JOIN uploads up "
                                             "ON up.org_id = r.org_id AND up.id = r.upload_id WHERE r.id = $1",
                                             resource["id"])
        assert await runtime.handles.files.storage.stat(stored_key) is not None
        assert (await files.client.delete(path, headers=files.acme.member.auth)).status_code == 403
        assert (await files.client.delete(path, headers=mod.auth)).status_code == 204
        assert (await files.client.get(path, headers=mod.auth)).status_code == 404

        async def gone() -> bool:
            return await runtime.handles.files.storage.stat(stored_key) is None

        await files.until(gone)
        org = (await files.client.get(f"/api/orgs/{files.acme.slug}", headers=mod.auth)).json()
        assert org["organization"]["storage"]["used_bytes"] == 0
