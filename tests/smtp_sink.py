"""A loopback SMTP server speaking just enough of RFC 5321 for smtplib to deliver to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import trio


@dataclass
class SmtpSink:
    messages: list[Message] = field(default_factory=list)
    port: int = 0
    received: trio.Event = field(default_factory=trio.Event)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started()
        await trio.serve_listeners(self._session, listeners)

    async def _session(self, stream: trio.SocketStream) -> None:
        buffer = b""
        await stream.send_all(b"220 sink ready\r\n")
        while True:
            while b"\r\n" not in buffer:
                chunk = await stream.receive_some()
                if not chunk:
                    return
                buffer += chunk
            line, buffer = buffer.split(b"\r\n", 1)
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                await stream.send_all(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                await stream.send_all(b"354 go ahead\r\n")
                while b"\r\n.\r\n" not in buffer:
                    buffer += await stream.receive_some()
                data, buffer = buffer.split(b"\r\n.\r\n", 1)
                self.messages.append(message_from_bytes(data))
                self.received.set()
                await stream.send_all(b"250 queued\r\n")
            elif verb == b"QUIT":
                await stream.send_all(b"221 bye\r\n")
                return
            else:
                await stream.send_all(b"250 ok\r\n")
