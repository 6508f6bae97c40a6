"""The only module that touches trio-websocket (and wsproto under it), internals included.

Written for trio-websocket 0.12.2 (`WRITTEN_FOR`; a test fails on any other version, and
pyproject pins `~=0.12.2`). trio-websocket's server runs the listeners (`WebSocketServer`:
`serve_listeners`, one task per accepted stream, the port); what it would do per connection
— a `WebSocketConnection` with its own reader task, a message queue, a ping table and a
stream lock — is replaced here by `Socket`, which drives wsproto's `Connection` (the frame
layer trio-websocket itself uses) from the one task trio already gives each stream:
* `ContainedServer._handle_connection` overrides the library's (which starts a reader task and
  a nursery per connection) and keeps each connection's failures to itself;
* the handshake is wsproto's `WSConnection` (h11 underneath), dropped once accepted so an open
  socket keeps only the frame parser: `WSConnection.handshake`, `.connection` and the h11
  connection's `trailing_data` (bytes a client sent right after its request) are used.
On an upgrade, read `WebSocketServer._handle_connection` and `WebSocketConnection._reader_task`
of the new version, then change `WRITTEN_FOR`.

One task per socket: `Socket.receive()` reads, answers pings, notes pongs and flushes what the
kernel did not take; `write_nowait` writes from whichever task delivers (as asyncio's
`transport.write` does) and queues the rest, which wakes the reader to flush it.
"""

from __future__ import annotations

import socket
from collections import deque
from collections.abc import Awaitable, Callable

import structlog
import trio
from trio_websocket import CloseReason, ConnectionClosed, WebSocketServer
from wsproto import ConnectionType, WSConnection
from wsproto.connection import Connection, ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.frame_protocol import FrameProtocol
from wsproto.utilities import RemoteProtocolError

__all__ = ["WRITTEN_FOR", "ConnectionClosed", "ContainedServer", "Socket", "Upgrade", "describe", "text_frame"]

WRITTEN_FOR = "0.12.2"
log = structlog.get_logger("community.ws")
_RECEIVE_BYTES = 4096
_COALESCE = 64  # queued frames joined into one write when a client lags
_ABNORMAL = 1006
_TOO_BIG = 1009


class ContainedServer(WebSocketServer):
    """trio-websocket's server, one task per connection, each connection's failures kept to it.

    The per-connection task runs in the listener's nursery, so anything raised there (our
    handler's bugs, or the library's own on hostile bytes: a `Host` header that is not ASCII
    makes wsproto raise UnicodeDecodeError) would otherwise take every socket on the node down.
    """

    def __init__(self, handler: Callable[[Upgrade], Awaitable[None]],
                 listeners: list[trio.SocketListener], *, handler_nursery: trio.Nursery,
                 max_message_size: int, backlog_limit: Callable[[], int], connect_timeout: float) -> None:
        super().__init__(self._unused, listeners, handler_nursery=handler_nursery,
                         max_message_size=max_message_size, connect_timeout=connect_timeout)
        self._upgrade_handler, self._backlog_limit = handler, backlog_limit

    @staticmethod
    async def _unused(_request: object) -> None:
        raise AssertionError("connections are handled by ContainedServer._handle_connection")

    async def _handle_connection(self, stream: trio.abc.Stream) -> None:
        assert isinstance(stream, trio.SocketStream)
        upgrade: Upgrade | None = None
        try:
            with trio.move_on_after(self._connect_timeout):
                upgrade = await Upgrade.read(stream, self._max_message_size, self._backlog_limit())
            if upgrade is not None:
                await self._upgrade_handler(upgrade)
        except* (trio.BrokenResourceError, trio.ClosedResourceError, ConnectionClosed):
            pass  # the peer went away mid-handshake
        except* Exception as group:
            log.error("ws.connection_failed", error=describe(group), exc_info=group)
        finally:
            await trio.aclose_forcefully(stream)


class Upgrade:
    """A client's upgrade request, read and parsed; `accept()` answers a `Socket`, or `reject()`."""

    def __init__(self, stream: trio.SocketStream, ws: WSConnection, request: Request, max_message_size: int,
                 backlog_limit: int) -> None:
        self._stream, self._ws, self._request = stream, ws, request
        self._max_message_size, self._backlog_limit = max_message_size, backlog_limit

    @classmethod
    async def read(cls, stream: trio.SocketStream, max_message_size: int, backlog_limit: int) -> Upgrade | None:
        """The request, or None when it was not a valid upgrade (answered 400 when one can be)."""
        ws = WSConnection(ConnectionType.SERVER)
        while True:
            data = await stream.receive_some(_RECEIVE_BYTES)
            if not data:
                return None
            try:
                ws.receive_data(data)
                request = next((e for e in ws.events() if isinstance(e, Request)), None)
            except RemoteProtocolError as exc:
                if isinstance(exc.event_hint, RejectConnection):
                    await stream.send_all(ws.send(exc.event_hint))
                return None
            if request is not None:
                return cls(stream, ws, request, max_message_size, backlog_limit)

    @property
    def path(self) -> str:
        return self._request.target

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        return list(self._request.extra_headers)

    async def accept(self) -> Socket:
        ws = self._ws
        del self._ws, self._request  # an open socket keeps no handshake state (h11 and its buffers)
        await self._stream.send_all(ws.send(AcceptConnection()))
        proto = ws.connection
        assert proto is not None
        trailing, _ = ws.handshake._h11_connection.trailing_data
        if trailing:
            proto.receive_data(bytes(trailing))
        return Socket(self._stream, proto, max_message_size=self._max_message_size, backlog_limit=self._backlog_limit)

    async def reject(self, status: int, *, extra_headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        headers = [*extra_headers, (b"content-length", str(len(body)).encode("ascii"))]
        data = self._ws.send(RejectConnection(status_code=status, headers=headers, has_body=bool(body)))
        if body:
            data += self._ws.send(RejectData(data=body))
        await self._stream.send_all(data)


def text_frame(data: str) -> bytes | None:
    """A whole text message framed for any of our sockets: the same bytes for every recipient.

    A server's frames are unmasked and we negotiate no extension (no permessage-deflate), so a
    frame does not depend on the connection: an event is framed once, not once per socket.
    None: text that is not UTF-8 encodable (a lone surrogate), which no socket could send.
    """
    try:
        return bytes(FrameProtocol(client=False, extensions=[]).send_data(data, fin=True))
    except UnicodeEncodeError:
        return None


class Socket:
    """One accepted websocket: read by one task (`receive`), written from any (`write_nowait`).

    What the kernel does not take at once waits in `_backlog` (whole frames, the first possibly
    begun), at most `backlog_limit` frames; the reader flushes it before it reads again, so a
    client that stops reading is not read from either. `closed` is set once it ended.
    """

    __slots__ = ("_backlog", "_begun", "_limit", "_max", "_parts", "_proto", "_raw", "_size", "_stream",
                 "_waiting", "closed", "on_pong")

    def __init__(self, stream: trio.SocketStream, proto: Connection, *, max_message_size: int,
                 backlog_limit: int) -> None:
        self._stream, self._proto = stream, proto
        raw = stream.socket._sock  # type: ignore[attr-defined]
        assert isinstance(raw, socket.socket)
        self._raw: socket.socket = raw
        self._backlog: deque[bytes | memoryview] | None = None  # allocated when first needed
        self._begun = False  # the backlog's first frame is partly written
        self._limit, self._max = backlog_limit, max_message_size
        self._parts: list[str | bytes] | None = None
        self._size = 0
        self._waiting: trio.CancelScope | None = None
        self.closed: CloseReason | None = None
        self.on_pong: Callable[[], None] | None = None

    # ------------------------------------------------------------------ writing

    @property
    def backlog(self) -> int:
        return len(self._backlog) if self._backlog else 0

    def write_nowait(self, frame: bytes) -> bool:
        """Write a framed message now; False when `backlog_limit` frames already wait (too slow)."""
        if self.closed is not None:
            return True  # the session's exit unregisters it
        backlog = self._backlog
        if backlog:
            if len(backlog) >= self._limit:
                return False
            backlog.append(frame)
            return True
        try:
            sent = self._raw.send(frame)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._lost()
            return True
        if sent < len(frame):
            self._queue(memoryview(frame)[sent:], begun=sent > 0)
        return True

    def send_text_nowait(self, text: str) -> bool:
        frame = text_frame(text)
        if frame is None:
            log.warning("ws.unencodable_frame", size=len(text))
            return True
        return self.write_nowait(frame)

    async def send(self, frame: bytes) -> None:
        """Write a framed message, waiting (flushing) while the backlog is full: the session's own
        answers and replays slow down with the client instead of closing it."""
        while self.backlog >= self._limit and self.closed is None:
            await self._flush_once()
        self.write_nowait(frame)

    def ping_nowait(self, payload: bytes) -> None:
        if self.closed is None and self._proto.state is ConnectionState.OPEN:
            self.write_nowait(self._proto.send(Ping(payload=payload)))

    def _queue(self, data: bytes | memoryview, *, begun: bool) -> None:
        if self._backlog is None:
            self._backlog = deque()
        if not self._backlog:
            self._begun = begun
        self._backlog.append(data)
        if self._waiting is not None:
            self._waiting.cancel()  # the reader flushes before it waits for the client again

    def _send_backlog(self) -> None:
        """As much of the backlog as the kernel takes now, without waiting."""
        backlog = self._backlog
        while backlog:
            if len(backlog) > 1:  # several queued frames go out in one syscall
                backlog.appendleft(b"".join(backlog.popleft() for _ in range(min(_COALESCE, len(backlog)))))
            head = backlog[0]
            try:
                sent = self._raw.send(head)
            except BlockingIOError:
                return
            except OSError:
                self._lost()
                return
            if sent < len(head):
                backlog[0] = memoryview(head)[sent:]
                self._begun = self._begun or sent > 0
                return
            backlog.popleft()
            self._begun = False

    async def _flush_once(self) -> None:
        self._send_backlog()
        if self.backlog and self.closed is None:
            await trio.lowlevel.wait_writable(self._raw)

    async def flush(self) -> None:
        while self.backlog and self.closed is None:
            await self._flush_once()

    # ------------------------------------------------------------------ reading

    async def receive(self) -> str | bytes:
        """The next whole message; pings are answered and pongs noted on the way. Raises
        ConnectionClosed when the client closed (its close is answered) or went away."""
        while True:
            if self.closed is not None:
                raise ConnectionClosed(self.closed)
            for event in self._proto.events():
                message = self._on_event(event)
                if message is not None:
                    return message
                if self.closed is not None:
                    raise ConnectionClosed(self.closed)
            if self.backlog:
                await self._flush_once()
                continue
            data: bytes | None = None
            with trio.CancelScope() as self._waiting:
                data = await self._receive_some()
            self._waiting = None
            if data is not None:  # None: woken to flush
                self._feed(data)

    def receive_nowait(self) -> str | bytes | None:
        """The next whole message if the client's bytes already hold one (a client pipelining its
        subscribes), handling pings and pongs on the way; None when none is buffered or once closed."""
        if self.closed is not None:
            return None
        for event in self._proto.events():
            message = self._on_event(event)
            if message is not None:
                return message
            if self.closed is not None:
                return None
        return None

    async def _receive_some(self) -> bytes:
        try:
            return await self._stream.receive_some(_RECEIVE_BYTES)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return b""

    def _feed(self, data: bytes) -> None:
        if not data:
            self._lost()  # TCP closed without a close frame
        elif self._proto.state in (ConnectionState.OPEN, ConnectionState.LOCAL_CLOSING):
            self._proto.receive_data(data)

    def _on_event(self, event: object) -> str | bytes | None:
        if isinstance(event, TextMessage | BytesMessage):
            return self._assemble(event.data, event.message_finished)
        if isinstance(event, Ping):
            if self._proto.state is ConnectionState.OPEN:
                self.write_nowait(self._proto.send(event.response()))
        elif isinstance(event, Pong):
            if self.on_pong is not None:
                self.on_pong()
        elif isinstance(event, CloseConnection):
            self._closed_by_peer(event)
        return None

    def _assemble(self, data: str | bytes | bytearray, finished: bool) -> str | bytes | None:
        if not isinstance(data, str):
            data = bytes(data)  # wsproto hands binary payloads over as bytearray
        self._size += len(data)
        if self._size > self._max:
            self._parts, self._size = None, 0
            self._close_now(_TOO_BIG, f"Exceeded maximum message size: {self._max} bytes")
            return None
        if finished and self._parts is None:
            self._size = 0
            return data
        if self._parts is None:
            self._parts = []
        self._parts.append(data)
        if not finished:
            return None
        parts, self._parts, self._size = self._parts, None, 0
        if isinstance(data, str):
            return "".join(p for p in parts if isinstance(p, str))
        return b"".join(p for p in parts if isinstance(p, bytes))

    def _closed_by_peer(self, event: CloseConnection) -> None:
        """The client's close (or wsproto's, for bytes that break the protocol): answered, then done."""
        if self._proto.state is ConnectionState.REMOTE_CLOSING:
            self._drop_queued()
            self.write_nowait(self._proto.send(event.response()))
        elif self._proto.state is ConnectionState.OPEN:  # a protocol error: 1002, 1007...
            self._drop_queued()
            self.write_nowait(self._proto.send(CloseConnection(code=event.code, reason=event.reason)))
        self._send_backlog()
        self.closed = CloseReason(event.code, event.reason or None)

    def _close_now(self, code: int, reason: str) -> None:
        if self._proto.state is ConnectionState.OPEN:
            self._drop_queued()
            self.write_nowait(self._proto.send(CloseConnection(code=code, reason=reason)))
            self._send_backlog()
        self.closed = CloseReason(code, reason)

    def _lost(self) -> None:
        if self.closed is None:
            self.closed = CloseReason(_ABNORMAL, None)
        if self._backlog:
            self._backlog.clear()
        if self._waiting is not None:
            self._waiting.cancel()

    # ------------------------------------------------------------------ closing

    def _drop_queued(self) -> None:
        """Frames not yet begun are dropped; a frame begun is finished, so a close frame can follow."""
        backlog = self._backlog
        if backlog:
            head = backlog[0] if self._begun else None
            backlog.clear()
            if head is not None:
                backlog.append(head)

    async def aclose(self, code: int, reason: str, *, grace: float, linger: float) -> None:
        """Close with `code`: finish a frame begun (within `grace`; else cut off), send the close
        frame, wait up to `linger` for the client's answer. The stream's owner closes the stream."""
        if self.closed is not None or self._proto.state is not ConnectionState.OPEN:
            return
        self._drop_queued()
        with trio.move_on_after(grace):
            await self.flush()
        if self.backlog or self.closed is not None:
            self._lost()
            return
        self.write_nowait(self._proto.send(CloseConnection(code=code, reason=reason)))
        with trio.move_on_after(linger):
            await self.flush()
            while self._closing() and self.closed is None:
                self._feed(await self._receive_some())
                for _ in self._proto.events():
                    pass  # messages after our close are dropped; its close ends LOCAL_CLOSING
        if self.closed is None:
            self.closed = CloseReason(code, reason)

    def _closing(self) -> bool:
        """Our close frame went, the client's has not come."""
        return self._proto.state is ConnectionState.LOCAL_CLOSING


def describe(exc: BaseException) -> str:
    """An exception for a log line: its type and message, safe to encode whatever it quotes."""
    return f"{type(exc).__name__}: {exc}".encode("utf-8", "replace").decode("utf-8")[:500]
