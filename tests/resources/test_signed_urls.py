"""What the signed URLs allow, on both backends: uploads within 10 minutes, of exactly the declared size and
type, under the org's own key prefix; downloads within 5 minutes, non-images as attachments of their exact type."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import trio

from tests.resources.conftest import Files, minimal_pdf


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_an_upload_url_is_bounded_in_time_size_type_and_place(files: Files, backend: str) -> None:
    with trio.fail_after(30):
        started = await files.start(files.acme.moderator, "Plan.pdf", "application/pdf", 1234)
        assert started.status_code == 201, started.text
        upload = started.json()["upload"]
        now = datetime.now(UTC)
        assert now < _when(upload["expires_at"]) <= now + timedelta(minutes=10, seconds=5)
        if backend == "local":
            assert upload["method"] == "PUT" and upload["headers"] == {"Content-Type": "application/pdf"}
            return  # the local endpoint's own limits: test_files.test_the_local_upload_url_keeps_the_declared_limits
        fields = upload["fields"]
        assert fields["key"].startswith(f"org/{files.acme.id}/")
        policy = json.loads(base64.b64decode(fields["policy"]))
        assert now < _when(policy["expiration"]) <= now + timedelta(minutes=10, seconds=5)
        conditions = policy["conditions"]
        assert {"Content-Type": "application/pdf"} in conditions
        assert ["content-length-range", 1234, 1234] in conditions
        assert ["starts-with", "$key", f"org/{files.acme.id}/"] in conditions


async def test_a_download_url_lasts_five_minutes_and_downloads_as_an_attachment(files: Files, backend: str) -> None:
    with trio.fail_after(30):
        pdf = minimal_pdf("terms")
        resource = await files.resource(files.acme.moderator, "Tërms v2.pdf", "application/pdf", pdf, title="T")
        answer = await files.get(files.acme.member, f"/resources/{resource['id']}/download", redirect="false")
        assert answer.status_code == 200, answer.text
        url, expires_at = answer.json()["url"], _when(answer.json()["expires_at"])
        now = datetime.now(UTC)
        assert now < expires_at <= now + timedelta(minutes=5, seconds=5)
        if backend == "s3":
            query = parse_qs(urlsplit(url).query)
            assert int(query["X-Amz-Expires"][0]) <= 300
            assert query["response-content-type"] == ["application/pdf"]
            assert query["response-content-disposition"][0].startswith("attachment;")
        # S3 (moto here) honours the overrides the URL carries: a download of the declared type, never rendered.
        got = await files.fetch(url)
        assert got.status_code == 200 and got.content == pdf
        assert got.headers["content-type"] == "application/pdf"
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("attachment;") and "filename*=UTF-8''T%C3%ABrms%20v2.pdf" in disposition
        assert disposition.isascii()  # the plain filename= fallback too
        if backend == "local":
            assert got.headers["x-content-type-options"] == "nosniff"
