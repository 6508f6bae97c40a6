"""mailer: sends outgoing mail (invitations) over SMTP, off the request path, in a worker."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import structlog
import trio

from community.actors.mailbox import Mailbox
from community.settings import Settings

log = structlog.get_logger("community.actors.mailer")


class Mailer:
    def __init__(self, settings: Settings, mailbox_size: int = 1000) -> None:
        self.settings = settings
        self.mailbox: Mailbox[EmailMessage] = Mailbox("mailer", mailbox_size)
        self.sent = 0

    @property
    def enabled(self) -> bool:
        return bool(self.settings.smtp_host)

    def send_nowait(self, to: str, subject: str, body: str) -> bool:
        if not self.enabled:
            return False
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.settings.smtp_from, to, subject
        message.set_content(body)
        return self.mailbox.send_nowait(message)

    async def deliver(self, to: str, subject: str, body: str) -> None:
        """Send now and wait for the server's answer (for callers that record delivery themselves)."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.settings.smtp_from, to, subject
        message.set_content(body)
        await trio.to_thread.run_sync(self._deliver, message, abandon_on_cancel=True)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        async for message in self.mailbox.receive:
            try:
                await trio.to_thread.run_sync(self._deliver, message, abandon_on_cancel=True)
            except (OSError, smtplib.SMTPException) as exc:
                # One undeliverable message must not take the worker down; the inviter still has the link.
                log.warning("mailer.send_failed", to=message["To"], reason=repr(exc))
            else:
                self.sent += 1
                log.info("mailer.sent", to=message["To"], subject=message["Subject"])

    def _deliver(self, message: EmailMessage) -> None:
        s = self.settings
        assert s.smtp_host is not None
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30) as smtp:
            if s.smtp_starttls and smtp.has_extn("starttls"):
                smtp.starttls()
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password)
            smtp.send_message(message)
