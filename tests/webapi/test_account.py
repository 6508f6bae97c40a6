"""The account API over real HTTP and PostgreSQL: profile, password, reset and verification links, sign-out."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import structlog
import trio

from community.app import System, run_system
from community.logs import DELIVERED_LINK, _redact
from community.settings import Settings
from tests.factories import PASSWORD, Factory, Persona, Personas
from tests.realtime.conftest import ws_url
from tests.realtime.test_handshake import _rejected
from tests.smtp_sink import SmtpSink
from tests.tls import TLS

NEW_PASSWORD = "a completely new password"


def _links(logs: list[dict[str, Any]], purpose: str) -> list[str]:
    # A local install without SMTP: the log delivers the link whole (DELIVERED_LINK escapes redaction).
    return [e[DELIVERED_LINK] for e in logs if e["event"] == "account.mail_link" and e["purpose"] == purpose]


def _token(link: str) -> str:
    found = re.search(r"\?token=([\w-]+)$", link)
    assert found, link
    return found.group(1)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


async def test_profile_edit(client: httpx.AsyncClient, personas: Personas) -> None:
    me = personas.acme.member
    r = await client.patch("/api/me", json={"display_name": "  Ana Lima ", "avatar_url": "https://img.example/a.png"},
                           headers=me.auth)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["display_name"] == "Ana Lima"
    assert r.json()["user"]["avatar_url"] == "https://img.example/a.png"
    body = (await client.get("/api/me", headers=me.auth)).json()
    assert body["user"]["display_name"] == "Ana Lima"
    members = (await client.get(f"/api/orgs/{personas.acme.slug}/members", headers=me.auth)).json()["members"]
    assert {"display_name": "Ana Lima", "avatar_url": "https://img.example/a.png"}.items() <= next(
        m["user"] for m in members if m["user"]["id"] == str(me.user_id)).items()
    r = await client.patch("/api/me", json={"avatar_url": None}, headers=me.auth)
    assert r.json()["user"] == {**r.json()["user"], "avatar_url": None, "display_name": "Ana Lima"}


@pytest.mark.parametrize(("body", "field"), [
    ({"display_name": ""}, "display_name"), ({"display_name": "x" * 101}, "display_name"),
    ({"display_name": "Ana\u0000"}, "display_name"), ({"display_name": "Ana\ud800"}, "display_name"),
    ({"avatar_url": "javascript:alert(1)"}, "avatar_url"), ({"avatar_url": "ftp://x.example/a"}, "avatar_url"),
    ({"email": "x@example.com"}, "email"),
])
async def test_profile_edit_refuses_bad_fields(client: httpx.AsyncClient, personas: Personas,
                                               body: dict[str, Any], field: str) -> None:
    # json.dumps escapes a lone surrogate as `\ud800`, as a hostile client would send it.
    r = await client.patch("/api/me", content=json.dumps(body),
                           headers={**personas.acme.member.auth, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert [e["loc"] for e in r.json()["errors"]] == [["body", field]]


async def test_change_password_ends_other_sessions(client: httpx.AsyncClient, factory: Factory) -> None:
    person = await factory.user("Pat")
    other_device = (await _login(client, person.email)).json()["token"]
    r = await client.post("/api/me/password", json={"current_password": "wrong password", "new_password": NEW_PASSWORD},
                          headers=person.auth)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "current_password"]
    r = await client.post("/api/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                          headers=person.auth)
    assert r.status_code == 200, r.text
    fresh = r.json()["token"]
    assert (await client.get("/api/me", headers=_auth(fresh))).status_code == 200
    for old in (person.token, other_device):
        r = await client.get("/api/me", headers=_auth(old))
        assert r.status_code == 401
        assert "signed out" in r.json()["detail"]
    assert (await _login(client, person.email)).status_code == 401
    assert (await _login(client, person.email, NEW_PASSWORD)).status_code == 200


async def test_a_new_password_must_not_be_guessable(client: httpx.AsyncClient, factory: Factory) -> None:
    person = await factory.user("Guessable")
    for new in ("password1234", "qwertyuiop", person.email.split("@")[0] + "1"):
        r = await client.post("/api/me/password", json={"current_password": PASSWORD, "new_password": new},
                              headers=person.auth)
        assert r.status_code == 422, (new, r.text)
        assert [e["loc"] for e in r.json()["errors"]] == [["body", "new_password"]]
    r = await client.post("/api/auth/password-reset/confirm", json={"token": "x" * 43, "password": "password1234"})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["errors"]] == [["body", "password"]]
    assert (await _login(client, person.email)).status_code == 200  # nothing changed


async def test_password_guessing_is_rate_limited(client: httpx.AsyncClient, factory: Factory) -> None:
    person = await factory.user("Guess")
    statuses = [(await client.post("/api/me/password", json={"current_password": f"guess {i}",
                                                              "new_password": NEW_PASSWORD},
                                   headers=person.auth)).status_code for i in range(6)]
    assert statuses == [422] * 5 + [429]


async def test_password_reset_without_smtp_logs_the_link(client: httpx.AsyncClient, factory: Factory) -> None:
    person = await factory.user("Forgetful")
    with structlog.testing.capture_logs() as logs:
        r = await client.post("/api/auth/password-reset", json={"email": person.email.upper()})
        unknown = await client.post("/api/auth/password-reset", json={"email": "nobody@example.com"})
    assert r.status_code == unknown.status_code == 202
    assert r.json() == unknown.json()
    [link] = _links(logs, "password_reset")
    assert link.startswith("http://localhost:8080/reset-password?token=")
    token = _token(link)
    r = await client.post("/api/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["email_verified"] is True
    assert (await client.get("/api/me", headers=_auth(r.json()["token"]))).status_code == 200
    assert (await client.get("/api/me", headers=person.auth)).status_code == 401
    assert (await _login(client, person.email, NEW_PASSWORD)).status_code == 200
    again = await client.post("/api/auth/password-reset/confirm", json={"token": token, "password": PASSWORD})
    assert again.status_code == 410
    bogus = await client.post("/api/auth/password-reset/confirm", json={"token": "x" * 43, "password": PASSWORD})
    assert bogus.status_code == 404
    assert bogus.headers["content-type"] == "application/problem+json"


async def test_an_expired_reset_link_is_gone(client: httpx.AsyncClient, factory: Factory) -> None:
    person = await factory.user("Late")
    with structlog.testing.capture_logs() as logs:
        await client.post("/api/auth/password-reset", json={"email": person.email})
    await factory.conn.execute("UPDATE account_tokens SET expires_at = now() - interval '1 second'")
    r = await client.post("/api/auth/password-reset/confirm",
                          json={"token": _token(_links(logs, "password_reset")[0]), "password": NEW_PASSWORD})
    assert r.status_code == 410
    assert (await _login(client, person.email)).status_code == 200


async def test_reset_mails_are_rate_limited_per_account(client: httpx.AsyncClient, factory: Factory) -> None:
    person = await factory.user("Spammed")
    with structlog.testing.capture_logs() as logs:
        statuses = [(await client.post("/api/auth/password-reset", json={"email": person.email})).status_code
                    for _ in range(5)]
    assert statuses == [202] * 5
    assert len(_links(logs, "password_reset")) == 3
    stored = await factory.conn.fetchval("SELECT count(*) FROM account_tokens WHERE user_id = $1", person.user_id)
    assert stored == 3


async def test_reset_token_is_stored_hashed(client: httpx.AsyncClient, factory: Factory) -> None:
    person = await factory.user("Hashed")
    with structlog.testing.capture_logs() as logs:
        await client.post("/api/auth/password-reset", json={"email": person.email})
    token = _token(_links(logs, "password_reset")[0])
    stored = await factory.conn.fetchval("SELECT token_hash FROM account_tokens WHERE user_id = $1", person.user_id)
    assert len(stored) == 32
    assert token.encode() not in stored


async def test_a_deployment_without_smtp_logs_the_link_without_its_token(settings: Settings) -> None:
    """Not a local install (the app on a public address): its logs reach other people's machines, so the
    link is logged as `link`, whose token the log's redaction removes; only loopback apps get it whole."""
    configured = settings.model_copy(update={"next_public_app_url": "https://community.example"})
    with trio.fail_after(30), structlog.testing.capture_logs() as logs:
        async with trio.open_nursery() as nursery:
            system: System = await nursery.start(run_system, configured)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{system.http_port}") as client:
                r = await client.post("/api/auth/register", json={"email": "far@example.com", "password": PASSWORD,
                                                                  "display_name": "Far away"})
                assert r.status_code == 201
            nursery.cancel_scope.cancel()
    [event] = [e for e in logs if e["event"] == "account.mail_link"]
    assert DELIVERED_LINK not in event
    token = _token(event["link"])
    assert token not in repr(_redact(None, "warning", dict(event)))
    assert "token=[redacted]" in _redact(None, "warning", dict(event))["link"]
    local = {**event, DELIVERED_LINK: event.pop("link")}
    assert _redact(None, "warning", dict(local))[DELIVERED_LINK].endswith(token)


async def test_with_smtp_the_link_is_mailed_and_never_logged(settings: Settings, database_url: str) -> None:
    sink = SmtpSink()
    with trio.fail_after(30), structlog.testing.capture_logs() as logs:
        async with trio.open_nursery() as nursery:
            await nursery.start(sink.run)
            configured = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": sink.port,
                                                     "next_public_app_url": "https://community.example"})
            system: System = await nursery.start(run_system, configured)
            async with httpx.AsyncClient(verify=TLS, base_url=f"http://127.0.0.1:{system.http_port}") as client:
                r = await client.post("/api/auth/register", json={"email": "new@example.com", "password": PASSWORD,
                                                                  "display_name": "Newcomer"})
                assert r.status_code == 201
                await sink.received.wait()
                [verify] = sink.messages
                sink.received = trio.Event()
                await client.post("/api/auth/password-reset", json={"email": "new@example.com"})
                await sink.received.wait()
                reset = sink.messages[1]
                for message, page in ((verify, "verify-email"), (reset, "reset-password")):
                    assert message["To"] == "new@example.com"
                    body = message.get_payload(decode=True)
                    assert isinstance(body, bytes)
                    found = re.search(rf"https://community\.example/{page}\?token=([\w-]+)", body.decode())
                    assert found, body
                    assert found.group(1) not in repr(logs)
                token = re.search(r"token=([\w-]+)", reset.get_payload(decode=True).decode())  # type: ignore[union-attr]
                assert token
                r = await client.post("/api/auth/password-reset/confirm",
                                      json={"token": token.group(1), "password": NEW_PASSWORD})
                assert r.status_code == 200
            nursery.cancel_scope.cancel()
    assert not [e for e in logs if e["event"] == "account.mail_link"]


async def test_email_verification(client: httpx.AsyncClient) -> None:
    with structlog.testing.capture_logs() as logs:
        r = await client.post("/api/auth/register", json={"email": "v@example.com", "password": PASSWORD,
                                                          "display_name": "Vera"})
    assert r.status_code == 201
    assert r.json()["user"]["email_verified"] is False
    auth = _auth(r.json()["token"])
    [first] = _links(logs, "email_verification")
    with structlog.testing.capture_logs() as logs:
        r = await client.post("/api/me/verification", headers=auth)
    assert r.status_code == 202
    assert r.json()["email"] == "v@example.com"
    [second] = _links(logs, "email_verification")
    assert first != second
    r = await client.post("/api/auth/verify-email", json={"token": _token(first)})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["email_verified"] is True
    assert (await client.get("/api/me", headers=auth)).json()["user"]["email_verified"] is True
    assert (await client.post("/api/auth/verify-email", json={"token": _token(second)})).status_code == 410
    r = await client.post("/api/me/verification", headers=auth)
    assert r.status_code == 409


async def test_verification_mails_are_rate_limited(client: httpx.AsyncClient, factory: Factory) -> None:
    person = await factory.user("Eager")
    statuses = [(await client.post("/api/me/verification", headers=person.auth)).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    r = await client.post("/api/me/verification", headers=person.auth)
    assert int(r.headers["Retry-After"]) > 0


async def _everywhere_refused(client: httpx.AsyncClient, runtime: System, personas: Personas, token: str) -> None:
    """Refused on the user routes, on an org route (the one-statement caller path) and the websocket."""
    acme = personas.acme
    for path in ("/api/me", f"/api/orgs/{acme.slug}/forums"):
        r = await client.get(path, headers=_auth(token))
        assert r.status_code == 401, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert await _rejected(ws_url(runtime, acme.slug, access_token=token)) == 401


async def test_sign_out_revokes_this_token_only(client: httpx.AsyncClient, runtime: System,
                                                personas: Personas) -> None:
    member = personas.acme.member
    laptop = (await _login(client, member.email)).json()["token"]
    assert (await client.post("/api/auth/logout", headers=_auth(laptop))).status_code == 204
    await _everywhere_refused(client, runtime, personas, laptop)
    assert (await client.post("/api/auth/logout", headers=_auth(laptop))).status_code == 401
    assert (await client.get(f"/api/orgs/{personas.acme.slug}/forums", headers=member.auth)).status_code == 200


async def test_sign_out_everywhere(client: httpx.AsyncClient, runtime: System, personas: Personas) -> None:
    member = personas.acme.member
    laptop = (await _login(client, member.email)).json()["token"]
    assert (await client.post("/api/auth/logout-all", headers=_auth(laptop))).status_code == 204
    for token in (laptop, member.token):
        await _everywhere_refused(client, runtime, personas, token)
    again = (await _login(client, member.email)).json()["token"]
    assert (await client.get(f"/api/orgs/{personas.acme.slug}/forums", headers=_auth(again))).status_code == 200


@pytest.fixture
async def node_b(settings: Settings, runtime: System) -> AsyncIterator[System]:
    async with trio.open_nursery() as nursery:
        other: System = await nursery.start(run_system, settings)
        yield other
        nursery.cancel_scope.cancel()


async def test_signing_out_on_one_node_holds_on_the_other(client: httpx.AsyncClient, node_b: System,
                                                          personas: Personas, factory: Factory) -> None:
    person: Persona = await factory.user("Roaming")
    phone = (await _login(client, person.email)).json()["token"]
    async with httpx.AsyncClient(verify=TLS, base_url=f"http://127.0.0.1:{node_b.http_port}") as other:
        assert (await other.get("/api/me", headers=_auth(phone))).status_code == 200
        assert (await client.post("/api/auth/logout", headers=_auth(phone))).status_code == 204
        assert (await other.get("/api/me", headers=_auth(phone))).status_code == 401
        assert (await other.get("/api/me", headers=person.auth)).status_code == 200
        assert (await client.post("/api/auth/logout-all", headers=person.auth)).status_code == 204
        assert (await other.get("/api/me", headers=person.auth)).status_code == 401


async def test_two_sign_ins_in_one_second_are_two_sessions(client: httpx.AsyncClient, factory: Factory) -> None:
    person = await factory.user("Twice")
    first, second = [(await _login(client, person.email)).json()["token"] for _ in range(2)]
    assert first != second
    assert (await client.post("/api/auth/logout", headers=_auth(first))).status_code == 204
    assert (await client.get("/api/me", headers=_auth(second))).status_code == 200


async def _uploaded(client: httpx.AsyncClient, org: str, who: Persona, data: bytes, content_type: str,
                    purpose: str = "logo") -> str:
    r = await client.post(f"/api/orgs/{org}/uploads", headers=who.auth,
                          json={"filename": "me.png", "content_type": content_type, "size": len(data),
                                "purpose": purpose})
    assert r.status_code == 201, r.text
    upload = r.json()["upload"]
    async with httpx.AsyncClient(verify=TLS) as direct:
        assert (await direct.put(upload["url"], content=data, headers=upload["headers"])).status_code == 204
    return str(upload["id"])


async def test_avatar_from_an_uploaded_image(client: httpx.AsyncClient, personas: Personas) -> None:
    from tests.matrix_account import png

    acme, member = personas.acme, personas.acme.member
    upload_id = await _uploaded(client, acme.slug, member, png(), "image/png")
    r = await client.put("/api/me/avatar", json={"org": acme.slug, "upload_id": upload_id}, headers=member.auth)
    assert r.status_code == 200, r.text
    avatar = r.json()["user"]["avatar_url"]
    assert avatar == f"/api/images/{upload_id}"
    assert (await client.get("/api/me", headers=member.auth)).json()["user"]["avatar_url"] == avatar
    # Anyone may load it (it shows wherever the person appears): a redirect to the stored bytes.
    assert (await client.get(avatar)).status_code == 302
    # Used once; another person's upload is not there for them; a non-image is refused.
    again = await client.put("/api/me/avatar", json={"org": acme.slug, "upload_id": upload_id}, headers=member.auth)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    theirs = await _uploaded(client, acme.slug, acme.moderator, png(), "image/png")
    r = await client.put("/api/me/avatar", json={"org": acme.slug, "upload_id": theirs}, headers=member.auth)
    assert r.status_code == 404
    fake = await _uploaded(client, acme.slug, member, b"not a png at all", "image/png")
    r = await client.put("/api/me/avatar", json={"org": acme.slug, "upload_id": fake}, headers=member.auth)
    assert r.status_code == 415
    r = await client.put("/api/me/avatar", json={"org": acme.slug, "upload_id": "x"}, headers=member.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "upload_id"]
    # Removing it is the profile's `avatar_url: null`.
    r = await client.patch("/api/me", json={"avatar_url": None}, headers=member.auth)
    assert r.json()["user"]["avatar_url"] is None


async def test_signing_out_closes_open_websockets_on_every_node(client: httpx.AsyncClient, runtime: System,
                                                                node_b: System, personas: Personas) -> None:
    from tests.realtime.conftest import close_code, open_socket

    acme, member = personas.acme, personas.acme.member

    async def session() -> Persona:
        token = (await _login(client, member.email)).json()["token"]
        return Persona(member.user_id, member.email, member.display_name, token)

    laptop, phone = await session(), await session()
    async with open_socket(runtime, laptop, acme.slug) as on_a, open_socket(node_b, phone, acme.slug) as on_b, \
            open_socket(node_b, member, acme.slug) as kept, open_socket(node_b, acme.admin, acme.slug) as other:
        # Signing one session out closes its sockets only (here on the other node).
        assert (await client.post("/api/auth/logout", headers=phone.auth)).status_code == 204
        assert await close_code(on_b, wait=10) == 4401
        # Everywhere: every socket of this person, on both nodes; nobody else's.
        assert (await client.post("/api/auth/logout-all", headers=laptop.auth)).status_code == 204
        assert await close_code(on_a, wait=10) == 4401
        assert await close_code(kept, wait=10) == 4401
        await other.send_message('{"type": "ping"}')
        with trio.fail_after(5):
            assert json.loads(await other.get_message())["type"] in ("pong", "presence")


async def test_a_lost_sign_out_notice_is_caught_by_the_periodic_check(client: httpx.AsyncClient, runtime: System,
                                                                       factory: Factory, personas: Personas) -> None:
    from community.domain.principal import Principal
    from community.services import account, realtime
    from tests.realtime.conftest import close_code, open_socket

    acme = personas.acme
    person = await factory.user("Quiet")
    await factory.join(acme, person, "member")
    async with open_socket(runtime, person, acme.slug) as ws:
        # Signed out without the notice (as if it were lost): the socket is still open...
        await account.check_sign_out_everywhere(runtime.handles.db, Principal(person.user_id, person.email, "Quiet"))
        assert runtime.handles.registry.user_connections(person.user_id)
        # ...until the check every heartbeat runs closes it.
        assert await realtime.close_signed_out(runtime.handles.db, runtime.handles.registry) == 1
        assert await close_code(ws) == 4401
