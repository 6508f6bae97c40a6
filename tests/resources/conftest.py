"""Both storage backends under the same tests: files on disk, and S3 through boto3 against moto's
server mode on loopback (started once per session). `files` is the client side of the upload flow."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest
import trio

from community.app import System
from community.settings import Settings
from tests.factories import OrgPersonas, Persona, Personas
from tests.tls import TLS

MOTO_KEY = "testing"


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(settings: Settings, backend: str, request: pytest.FixtureRequest) -> Settings:
    if backend == "local":
        return settings
    url = request.getfixturevalue("moto_url")
    bucket = f"test-{uuid.uuid4().hex[:16]}"
    s3 = boto3.session.Session().client("s3", endpoint_url=url, region_name="us-east-1",
                                        aws_access_key_id=MOTO_KEY, aws_secret_access_key=MOTO_KEY)
    s3.create_bucket(Bucket=bucket)
    return settings.model_copy(update={"aws_s3_bucket": bucket, "aws_endpoint_url": url,
                                       "aws_access_key_id": MOTO_KEY, "aws_secret_access_key": MOTO_KEY})


@dataclass
class Files:
    client: httpx.AsyncClient
    runtime: System
    personas: Personas

    @property
    def acme(self) -> OrgPersonas:
        return self.personas.acme

    async def start(self, who: Persona, name: str, content_type: str, size: int, *, purpose: str = "resource",
                    org: OrgPersonas | None = None) -> httpx.Response:
        org = org or self.acme
        return await self.client.post(f"/api/orgs/{org.slug}/uploads", headers=who.auth, json={
            "filename": name, "content_type": content_type, "size": size, "purpose": purpose})

    async def send(self, upload: dict[str, Any], data: bytes, *, content_type: str | None = None) -> httpx.Response:
        """What the browser does with the answer: a form POST to S3, or a PUT to the local URL."""
        async with httpx.AsyncClient(verify=TLS, timeout=10) as direct:
            if upload["method"] == "POST":
                fields = dict(upload["fields"])
                if content_type is not None:
                    fields["Content-Type"] = content_type
                return await direct.post(upload["url"], data=fields,
                                         files={"file": ("upload", data, fields.get("Content-Type"))})
            headers = {**upload["headers"], **({"Content-Type": content_type} if content_type else {})}
            return await direct.put(upload["url"], content=data, headers=headers)

    async def upload(self, who: Persona, name: str, content_type: str, data: bytes, *,
                     purpose: str = "resource") -> dict[str, Any]:
        started = await self.start(who, name, content_type, len(data), purpose=purpose)
        assert started.status_code == 201, started.text
        upload: dict[str, Any] = started.json()["upload"]
        sent = await self.send(upload, data)
        assert sent.status_code in (200, 201, 204), sent.text
        return upload

    async def register(self, who: Persona, upload_id: str, **fields: Any) -> httpx.Response:
        body = {"upload_id": upload_id, "title": fields.pop("title", "A resource"), **fields}
        return await self.client.post(f"/api/orgs/{self.acme.slug}/resources", headers=who.auth, json=body)

    async def resource(self, who: Persona, name: str, content_type: str, data: bytes,
                       **fields: Any) -> dict[str, Any]:
        upload = await self.upload(who, name, content_type, data)
        registered = await self.register(who, upload["id"], **fields)
        assert registered.status_code == 201, registered.text
        resource: dict[str, Any] = registered.json()["resource"]
        return resource

    async def get(self, who: Persona | None, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(f"/api/orgs/{self.acme.slug}{path}", headers=who.auth if who else {},
                                     params=params)

    async def fetch(self, url: str) -> httpx.Response:
        async with httpx.AsyncClient(verify=TLS, timeout=10) as direct:
            return await direct.get(url)

    async def until(self, check: Any) -> None:
        """Wait for work done off the request path (the files worker, the indexer); callers bound the time."""
        while not await check():
            self.runtime.handles.files.worker.poke()
            await trio.sleep(0.05)


@pytest.fixture
async def files(client: httpx.AsyncClient, runtime: System, personas: Personas) -> Files:
    return Files(client, runtime, personas)


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing `text` (correct xref offsets, so any reader accepts it)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
