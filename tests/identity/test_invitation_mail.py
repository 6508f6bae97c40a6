"""With SMTP settings, an invitation is mailed to the address it names."""

from __future__ import annotations

import httpx
import trio

from community.app import System, run_system
from community.settings import Settings
from tests.factories import build_personas, close, open_factory
from tests.smtp_sink import SmtpSink
from tests.tls import TLS


async def test_invitation_is_mailed(settings: Settings, database_url: str) -> None:
    sink = SmtpSink()
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            await nursery.start(sink.run)
            configured = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": sink.port,
                                                     "next_public_app_url": "https://community.example"})
            runtime: System = await nursery.start(run_system, configured)
            factory, conn = await open_factory(runtime, database_url)
            personas = await build_personas(factory)
            await close(conn)
            async with httpx.AsyncClient(verify=TLS, base_url=f"http://127.0.0.1:{runtime.http_port}") as client:
                r = await client.post(f"/api/orgs/{personas.acme.slug}/invitations",
                                      json={"email": "friend@example.com", "role": "member"},
                                      headers=personas.acme.admin.auth)
            await sink.received.wait()
            nursery.cancel_scope.cancel()
    token = r.json()["invitation"]["token"]
    [message] = sink.messages
    assert message["To"] == "friend@example.com"
    assert "Acme" in message["Subject"]
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert f"https://community.example/invite/{token}" in body.decode()
