"""The only module that touches trio-websocket (and wsproto under it), internals included.

Written for trio-websocket 0.12.2 (`WRITTEN_FOR`; a test fails on any other version, and
pyproject pins `~=0.12.2`). What is used beyond the public API, exactly as the library's own
`_send` and `_handle_connection` use it:
* `WebSocketServer._handle_connection` — overridden to keep a connection's failure to itself;
* `WebSocketConnection._wsproto` (frame encoding), `._stream_lock`, `._stream` (the transport),
  `._abort_web_socket()` — for writing several frames in one syscall and for writing straight
  to an idle socket from the delivering task.
On an upgrade, read those two methods of the new version, then change `WRITTEN_FOR`.
"""

from __future__ import annotations

import socket

import structlog
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, WebSocketRequest, WebSocketServer
from wsproto.events import TextMessage
from wsproto.frame_protocol import FrameProtocol
from wsproto.utilities import LocalProtocolError

__all__ = ["WRITTEN_FOR", "ConnectionClosed", "ContainedServer", "WebSocketConnection", "WebSocketRequest",
           "describe", "encode_now", "send_frames", "text_frame"]

WRITTEN_FOR = "0.12.2"
log = structlog.get_logger("community.ws")


class ContainedServer(WebSocketServer):
    """trio-websocket's server, with each connection's failures kept to that connection.

    Its per-connection task runs in the listener's nursery, so anything raised there (our
    handler's bugs, or the library's own on hostile bytes: a `Host` header that is not ASCII
    makes wsproto raise UnicodeDecodeError) would otherwise take every socket on the node down.
    """

    async def _handle_connection(self, stream: trio.abc.Stream) -> None:
        failure: BaseException | None = None
        try:
            await super()._handle_connection(stream)
        except* (trio.BrokenResourceError, trio.ClosedResourceError, ConnectionClosed) as group:
            failure = group  # the peer went away mid-handshake
        except* Exception as group:
            failure = group
            log.error("ws.connection_failed", error=describe(group), exc_info=group)
        if failure is not None:
            await trio.aclose_forcefully(stream)


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


def encode_now(ws: WebSocketConnection, data: str | bytes) -> tuple[socket.socket, bytes] | None:
    """The plain TCP socket and the frame's bytes (`bytes`: already framed), to write from the
    caller's task now; None when that cannot be done safely (TLS, a write in progress, the socket
    closing, text wsproto refuses)."""
    sock = _raw_socket(ws)
    if sock is None or ws._stream_lock.locked() or ws.closed is not None:
        return None
    if isinstance(data, bytes):
        return sock, data
    try:
        return sock, ws._wsproto.send(TextMessage(data=data))
    except (LocalProtocolError, UnicodeEncodeError):
        return None


def _raw_socket(ws: WebSocketConnection) -> socket.socket | None:
    """The plain TCP socket under a trio-websocket connection (None under TLS)."""
    stream = ws._stream
    raw = getattr(getattr(stream, "socket", None), "_sock", None)
    return raw if isinstance(stream, trio.SocketStream) and isinstance(raw, socket.socket) else None


async def send_frames(ws: WebSocketConnection, frames: list[str | bytes]) -> None:
    """Several frames in one write: one syscall instead of one per frame when a client lags.

    `bytes` are already framed (the unsent rest of a direct write).
    """
    if ws.closed is not None:
        raise ConnectionClosed(ws.closed)
    data = b"".join(f if isinstance(f, bytes) else ws._wsproto.send(TextMessage(data=f)) for f in frames)
    async with ws._stream_lock:
        try:
            await ws._stream.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            await ws._abort_web_socket()
            raise ConnectionClosed(ws.closed) from None


def describe(exc: BaseException) -> str:
    """An exception for a log line: its type and message, safe to encode whatever it quotes."""
    return f"{type(exc).__name__}: {exc}".encode("utf-8", "replace").decode("utf-8")[:500]
