"""Every answer leaves its keep-alive connection usable: ASGI middleware around the app.

An answer sent before the request body has arrived (404 for an unknown path, 401, 413, a
400 from a guard) races two things in hypercorn 0.18 + quart-trio: hypercorn closes a
connection whose request is unfinished, but that close runs inside the app's last `send`,
which quart-trio cancels as soon as the disconnect it queues arrives. The close is cut off
at its first checkpoint, the connection stays open with h11 paused, and the next request on
it is never read. So before the response starts, the unread body is drained (bounded in
bytes and time); when it cannot be, the answer says `Connection: close`, and the last send
is shielded so the close itself always completes.
"""

from __future__ import annotations

from typing import Any, cast

import trio
from hypercorn.typing import ASGIReceiveCallable, ASGIReceiveEvent, ASGISendCallable, ASGISendEvent, Scope

_CLOSE = (b"connection", b"close")
_SEND_GRACE_SECONDS = 10.0


class _RequestBody:
    """Watches the request's messages, whoever reads them (the app or the drain)."""

    def __init__(self, receive: ASGIReceiveCallable, scope: Scope) -> None:
        self._receive = receive
        self.complete = not _has_body(scope)
        self.disconnected = False
        self.received = 0
        self.settled = trio.Event()
        if self.complete:
            self.settled.set()

    async def receive(self) -> ASGIReceiveEvent:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if not message.get("more_body", False):
                self.complete = True
        elif message["type"] == "http.disconnect":
            self.disconnected = True
        if self.complete or self.disconnected:
            self.settled.set()
        return message

    async def drain(self, max_bytes: int, seconds: float) -> bool:
        """Discard the rest of the body, up to `max_bytes` more within `seconds`: True when it all came."""
        limit = self.received + max_bytes

        async def discard(scope: trio.CancelScope) -> None:
            while self.received <= limit and not self.settled.is_set():
                await self.receive()
            scope.cancel()

        with trio.move_on_after(seconds):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(discard, nursery.cancel_scope)
                await self.settled.wait()
                nursery.cancel_scope.cancel()
        return self.complete


def _has_body(scope: Scope) -> bool:
    headers: list[tuple[bytes, bytes]] = list(cast(dict[str, Any], scope).get("headers", ()))
    for name, value in headers:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"", b"0")):
            return True
    return False


class CompleteRequests:
    """ASGI middleware: drain unread bodies before answering, else close, and never cut the close short."""

    def __init__(self, app: Any, *, max_drain_bytes: int, drain_seconds: float = 2.0) -> None:
        self.app = app
        self.max_drain_bytes = max_drain_bytes
        self.drain_seconds = drain_seconds

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = _RequestBody(receive, scope)

        async def send_completely(message: ASGISendEvent) -> None:
            if message["type"] == "http.response.start":
                message = await self._before_start(body, message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                with trio.CancelScope(shield=True), trio.move_on_after(_SEND_GRACE_SECONDS):
                    await send(message)
                return
            await send(message)

        await self.app(scope, body.receive, send_completely)

    async def _before_start(self, body: _RequestBody, message: ASGISendEvent) -> ASGISendEvent:
        status = int(cast(dict[str, Any], message)["status"])
        complete = body.complete or await body.drain(self.max_drain_bytes, self.drain_seconds)
        if complete and status != 413:
            return message
        # A 413 closes even when drained: the client is sending what this server will not take.
        start = dict(cast(dict[str, Any], message))
        start["headers"] = [*(h for h in start.get("headers", ()) if h[0].lower() != b"connection"), _CLOSE]
        return cast(ASGISendEvent, start)
