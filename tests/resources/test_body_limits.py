"""The upload URL's body limit is the declared size (the tier's file limit at most), not MAX_BODY_BYTES."""

from __future__ import annotations

import httpx
import pytest
import trio

from tests.resources.conftest import Files
from tests.tls import TLS


async def test_a_file_larger_than_max_body_bytes_uploads_while_json_bodies_stay_limited(files: Files,
                                                                                          backend: str) -> None:
    if backend != "local":
        pytest.skip("S3 receives the bytes itself")
    with trio.fail_after(60):
        size = 3 * files.runtime.handles.settings.max_body_bytes
        data = b"a line of text\n" * (size // 15)
        resource = await files.resource(files.acme.moderator, "big.txt", "text/plain", data, title="Big")
        assert resource["file_size"] == len(data) > files.runtime.handles.settings.max_body_bytes
        just_over = files.runtime.handles.settings.max_body_bytes + 1
        async with httpx.AsyncClient(verify=TLS, base_url=str(files.client.base_url), timeout=10) as once:
            too_big = await once.post(f"/api/orgs/{files.acme.slug}/resources", headers={
                **files.acme.moderator.auth, "Content-Type": "application/json"}, content=b" " * just_over)
        assert too_big.status_code == 413
        async with httpx.AsyncClient(verify=TLS, timeout=10) as direct:
            got = await direct.get((await files.get(files.acme.member, f"/resources/{resource['id']}/download",
                                                    redirect="false")).json()["url"])
        assert got.content == data
