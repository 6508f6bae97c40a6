"""Mailed links end to end in the browser: a forgotten password reset and an e-mail address verified, through
a real SMTP server (tests/smtp_sink.py) and, with no SMTP set, through the server's own log (a local install)."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from playwright.sync_api import Browser, Page, expect

from tests.smtp_sink import SmtpSink
from tests.web.browser import Watched, capture, watch
from tests.web.conftest import serve
from tests.web.test_e2e import PASSWORD, _sign_up
from tests.web.test_reading_e2e import signed_in

NEW_PASSWORD = "a freshly chosen passphrase"


class Sink:
    """The loopback SMTP server on a thread of its own (the browser tests are synchronous)."""

    def __init__(self) -> None:
        self.smtp = SmtpSink()
        self._ready = threading.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._scope: trio.CancelScope | None = None
        self._thread = threading.Thread(target=trio.run, args=(self._main,), daemon=True)

    async def _main(self) -> None:
        with trio.CancelScope() as self._scope:
            self._token = trio.lowlevel.current_trio_token()
            async with trio.open_nursery() as nursery:
                await nursery.start(self.smtp.run)
                self._ready.set()

    def __enter__(self) -> Sink:
        self._thread.start()
        assert self._ready.wait(10), "the SMTP sink did not start"
        return self

    def __exit__(self, *_: object) -> None:
        assert self._token is not None and self._scope is not None
        trio.from_thread.run_sync(self._scope.cancel, trio_token=self._token)
        self._thread.join(10)

    def mail_to(self, address: str, subject: str, *, after: int = 0, timeout: float = 15) -> Message:
        """The first message to `address` with `subject` among those after the first `after` of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in list(self.smtp.messages)[after:]:
                if message["To"] == address and message["Subject"] == subject:
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no mail {subject!r} to {address} in {timeout} s: {len(self.smtp.messages)} received")


def _link(message: Message, page: str) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(rf"(http://\S+/{page}\?token=[\w-]+)", body.decode())
    assert found, body
    return found.group(1)


@pytest.fixture(scope="module")
def mail_server(live_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Sink]]:
    """A second node on the live server's database, with SMTP set to the sink."""
    with Sink() as sink:
        env = {**live_env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.smtp.port), "SMTP_STARTTLS": "false",
               "SMTP_FROM": "community@example.com"}
        with serve(env, tmp_path_factory.mktemp("mail-log") / "server.log") as base:
            yield base, sink


def _choose_new_password(page: Page, link: str) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save and sign in").click()
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()


def _forgot(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("a link to reset its password is on its way")).to_be_visible()


def _old_password_refused(base: str, email: str) -> None:
    assert httpx.post(f"{base}/api/auth/login", json={"email": email, "password": PASSWORD}).status_code == 401
    assert httpx.post(f"{base}/api/auth/login", json={"email": email, "password": NEW_PASSWORD}).status_code == 200


def test_a_forgotten_password_and_a_verified_address_by_mail(browser: Browser, mail_server: tuple[str, Sink]) -> None:
    base, sink = mail_server
    problems: list[str] = []
    email = f"mia-{uuid.uuid4().hex[:6]}@example.com"

    # Signing up mails the first verification link; the account page asks for another one, which is mailed too.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    mia = watch(context.new_page())
    page = mia.page
    _sign_up(page, base, "Mia Costa", email)
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    first = sink.mail_to(email, "Verify your e-mail address")
    page.goto(f"{base}/me")
    expect(page.get_by_text(f"{email} is not verified yet")).to_be_visible()
    count = len(sink.smtp.messages)
    page.get_by_role("button", name="Send the verification e-mail").click()
    expect(page.get_by_text(f"Sent to {email}.")).to_be_visible()
    again = sink.mail_to(email, "Verify your e-mail address", after=count)
    assert _link(again, "verify-email") != _link(first, "verify-email")
    page.goto(_link(again, "verify-email"))
    expect(page.get_by_text(f"{email} is verified. Thank you!")).to_be_visible()
    capture(page, "verify-email", problems)
    page.goto(f"{base}/me")
    expect(page.get_by_text(f"{email} is verified.")).to_be_visible()
    page.goto(_link(again, "verify-email"))  # a link works once
    expect(page.get_by_text("This link was already used.")).to_be_visible()
    context.close()

    # Forgot the password: asked for on the sign-in screen, mailed, chosen, and it signs in.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    visitor = watch(context.new_page())
    count = len(sink.smtp.messages)
    _forgot(visitor.page, base, email)
    capture(visitor.page, "reset-requested", problems)
    link = _link(sink.mail_to(email, "Reset your Community password", after=count), "reset-password")
    assert link.startswith(f"{base}/reset-password?token=")
    _choose_new_password(visitor.page, link)
    capture(visitor.page, "reset-done", problems)
    context.close()
    _old_password_refused(base, email)
    again_context, again_page = signed_in(browser, base, email, NEW_PASSWORD)
    expect(again_page.page.get_by_role("heading", name="Welcome back")).to_be_visible()
    again_context.close()

    assert problems == []
    # The used verification link answered 410, which Chromium logs; nothing else may appear.
    assert [e for e in mia.errors if not re.search(r"Failed to load resource: .* status of 410", e)] == []
    assert visitor.errors == [] and again_page.errors == []


def _logged_links(log: Path, user_id: str) -> list[dict[str, Any]]:
    found = []
    for line in log.read_text().splitlines():
        if '"account.mail_link"' in line:
            event = json.loads(line)  # one JSON object a line, as make run prints it
            if event["user_id"] == user_id and event["purpose"] == "password_reset":
                found.append(event)
    return found


def test_without_smtp_the_link_is_in_the_log_and_works(browser: Browser, live_server: str, live_log: Path) -> None:
    """`make run` with no SMTP_HOST on this machine: the operator copies the link from the server's output."""
    base = live_server
    email = f"leo-{uuid.uuid4().hex[:6]}@example.com"
    r = httpx.post(f"{base}/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Leo"})
    assert r.status_code == 201, r.text
    user_id = r.json()["user"]["id"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    leo: Watched = watch(context.new_page())
    _forgot(leo.page, base, email)
    deadline = time.monotonic() + 10
    while not (events := _logged_links(live_log, user_id)) and time.monotonic() < deadline:
        time.sleep(0.1)
    [event] = events
    link = event["delivered_link"]
    assert link.startswith(f"{base}/reset-password?token=") and "[redacted]" not in link
    assert event["level"] == "warning" and "SMTP_HOST is not set" in event["note"]
    _choose_new_password(leo.page, link)
    context.close()
    _old_password_refused(base, email)
    assert leo.errors == []
