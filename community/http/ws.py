"""The websocket listener on its own port (trio-websocket, not through Quart: half the CPU).

Each socket gets a reader task (client frames), one writer task draining the bounded outbox
that ws_manager fills, a pinger and a token-expiry timer; none is a supervised child
(per-connection work never is). Whatever ends the session, the socket closes with the code
the contract names: 1001 shutdown, 1008 bad frame, 1013 slow consumer, 4401, 4403.
"""

from __future__ import annotations

import contextlib
import socket
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import structlog
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, WebSocketRequest, WebSocketServer
from wsproto.events import TextMessage
from wsproto.utilities import LocalProtocolError

from community.actors.outage import ride_out
from community.actors.ws_manager import CLOSE_GOING_AWAY, Connection, Frame
from community.db.pool import DatabaseUnavailable
from community.domain.audience import Viewer
from community.domain.errors import CommunityError
from community.domain.events import Channel, dumps
from community.domain.principal import OrgMember
from community.handles import Handles
from community.http.frames import (
    MAX_FRAME_BYTES,
    ClientFrame,
    FrameError,
    PingFrame,
    ResumeFrame,
    SubscribeFrame,
    TypingFrame,
    UnsubscribeFrame,
    channel_of,
    parse_frame,
)
from community.services import realtime
from community.shared_port import bind_shared

log = structlog.get_logger("community.ws")
CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008
CLOSE_INTERNAL_ERROR = 1011
CLOSE_TOKEN_EXPIRED = 4401
_HANDSHAKE_TIMEOUT = 10.0
_PONG = (0, '{"type":"pong"}')
_WRITER_GRACE = 5.0
_BATCH = 64


class WsListener:
    def __init__(self, handles: Handles) -> None:
        self.handles = handles

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        settings = self.handles.settings
        async with trio.open_nursery() as nursery:
            listeners = ([trio.SocketListener(trio.socket.from_stdlib_socket(
                bind_shared(settings.host, settings.websocket_port)))] if settings.reuse_port
                else await trio.open_tcp_listeners(settings.websocket_port, host=settings.host))
            # The library's own cap is a backstop (1009); frames over 64 KiB close with 1008 below.
            server = _ContainedServer(self._handle, listeners, handler_nursery=nursery,
                                      max_message_size=4 * MAX_FRAME_BYTES, connect_timeout=_HANDSHAKE_TIMEOUT)
            await nursery.start(server.run)
            nursery.start_soon(self._heartbeat)
            self.handles.endpoints.ws_port = server.port
            log.info("ws.listening", host=settings.host, port=server.port)
            task_status.started()

    async def _handle(self, request: WebSocketRequest) -> None:
        """One client's whole connection. Whatever goes wrong in it ends this connection only."""
        url = urlsplit(request.path)
        if url.path != "/ws":
            await _reject(request, 404, "not_found", "No websocket here.")
            return
        query = parse_qs(url.query, max_num_fields=20)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers}
        refusal: tuple[int, str, str] | None = None
        h = self.handles
        try:
            member, expires_at = await realtime.open_session(
                h.db, h.identity, h.settings, _token(headers, query), next(iter(query.get("org", [])), None),
                headers.get("origin"))
            assert member.user_id is not None
            claim = await realtime.claim_connection(h.db, h.realtime, h.node_id, member.user_id)
        except* CommunityError as group:
            exc = _first(group, CommunityError)
            refusal = (exc.status, exc.code, exc.detail)
        except* DatabaseUnavailable:
            refusal = (503, "unavailable", "The service is briefly unavailable; try again.")
        except* Exception as group:
            log.error("ws.handshake_failed", error=_describe(group), exc_info=group)
            refusal = (500, "internal_error", "The server failed to answer; it is logged.")
        if refusal is not None:
            await _reject(request, *refusal)
            return
        try:
            ws = await request.accept()
            session = Session(self.handles, ws, member, expires_at)
            session.conn.claim = claim
            await session.run()
        finally:
            with trio.CancelScope(shield=True):
                await ride_out("ws", partial(realtime.release_connection, h.db, h.node_id, claim))

    async def _heartbeat(self) -> None:
        """This node's open sockets stay counted for the per-user limit (and only those)."""
        h = self.handles
        while True:
            await trio.sleep(h.realtime.settings.presence_stale.total_seconds() / 3)
            await ride_out("ws", partial(realtime.connections_heartbeat, h.db, h.realtime, h.node_id))


class _ContainedServer(WebSocketServer):
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
            log.error("ws.connection_failed", error=_describe(group), exc_info=group)
        if failure is not None:
            await trio.aclose_forcefully(stream)


def _token(headers: dict[str, str], query: dict[str, list[str]]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return next(iter(query.get("access_token", [])), None)


async def _reject(request: WebSocketRequest, status: int, code: str, detail: str) -> None:
    body = dumps({"status": status, "code": code, "detail": detail}).encode()
    headers = [(b"content-type", b"application/problem+json")]
    if status in (429, 503):
        headers.append((b"retry-after", b"30" if status == 429 else b"1"))
    await request.reject(status, extra_headers=headers, body=body)


class Session:
    """One accepted socket: registered, welcomed, served until something closes it."""

    def __init__(self, handles: Handles, ws: WebSocketConnection, member: OrgMember, expires_at: datetime) -> None:
        assert member.user_id is not None
        self.handles, self.ws, self.member, self.expires_at = handles, ws, member, expires_at
        self.outbox, self.inbox = trio.open_memory_channel[Frame](handles.realtime.settings.outbox_size)
        self.conn = Connection(user_id=member.user_id, org_id=member.org_id, outbox=self.outbox,
                               viewer=Viewer.of(member.user_id, member.role, member.overrides, since=datetime.now(UTC)))
        self._writer_done = trio.Event()
        self._budget = FrameBudget()
        self._last_sent = 0
        self.conn.direct = self._direct

    async def run(self) -> None:
        try:
            await self._serve()
        except* Exception as group:  # a bug costs this session (1011), never the listener
            log.error("ws.session_failed", connection=self.conn.id, error=_describe(group), exc_info=group)
        finally:
            with trio.CancelScope(shield=True):
                await self._close()

    async def _serve(self) -> None:
        manager, conn = self.handles.registry, self.conn
        channels = [Channel.org(conn.org_id), Channel.user(conn.user_id)]
        try:
            conn.held = []  # events that race the handshake wait until the welcome is queued
            manager.register(conn, channels)
            head = await self.handles.notifier.track(conn.org_id)
            welcome = {"type": "welcome", "user_id": conn.user_id, "org_id": conn.org_id, "channels": channels,
                       "last_id": head}
            self.outbox.send_nowait((0, dumps(welcome)))
            held, conn.held = conn.held, None
            for frame in held:
                if not conn.put_nowait(frame):
                    manager.drop_slow(conn)
            await self.handles.presence.joined(self.member)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._write)
                async with trio.open_nursery() as inner:
                    inner.start_soon(self._read)
                    inner.start_soon(self._ping)
                    inner.start_soon(self._expire)
                    await conn.closed.wait()
                    inner.cancel_scope.cancel()
                # The writer stops at a frame boundary, so the close frame that follows is clean;
                # a peer that stopped reading altogether gets cut off after a grace period.
                await self.outbox.aclose()
                with trio.move_on_after(_WRITER_GRACE):
                    await self._writer_done.wait()
                nursery.cancel_scope.cancel()
        except* Exception:
            conn.close_soon(CLOSE_INTERNAL_ERROR, "internal error")
            raise
        finally:
            manager.unregister(conn)
            with trio.CancelScope(shield=True):
                await self.handles.presence.left(self.member)

    async def _close(self) -> None:
        code = self.conn.close_code if self.conn.close_code is not None else CLOSE_GOING_AWAY
        if code != CLOSE_NORMAL and self.ws.closed is None:
            with trio.move_on_after(2):
                await self.ws.aclose(code, self.conn.close_reason or "server shutting down")

    def _direct(self, frame: Frame) -> bool:
        """Write now, like asyncio's transport.write, when nothing is queued or being written.

        Most deliveries find the socket idle: writing from the notifier's task saves waking this
        socket's writer. Whatever the kernel does not take goes to the writer, first in line.
        """
        seq, data = frame
        # Idle: the writer waits on an empty outbox (an item handed to it leaves the wait list).
        stats = self.outbox.statistics()
        if stats.tasks_waiting_receive != 1 or stats.current_buffer_used or not isinstance(data, str):
            return False
        if seq and seq <= self._last_sent:
            return True
        sock = _raw_socket(self.ws)
        if sock is None or self.ws._stream_lock.locked() or self.ws.closed is not None:
            return False
        try:
            wire = self.ws._wsproto.send(TextMessage(data=data))
        except (LocalProtocolError, UnicodeEncodeError):
            return False  # runs in the delivering actor's task: never raise into it
        if seq:
            self._last_sent = seq
        try:
            sent = sock.send(wire)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.conn.close_soon(CLOSE_NORMAL, "")
            return True
        if sent < len(wire):
            with contextlib.suppress(trio.ClosedResourceError, trio.BrokenResourceError):
                self.outbox.send_nowait((0, wire[sent:]))
        return True

    async def _write(self) -> None:
        try:
            async for first in self.inbox:
                batch = [first]
                while len(batch) < _BATCH:  # whatever queued meanwhile goes out in one write
                    try:
                        batch.append(self.inbox.receive_nowait())
                    except (trio.WouldBlock, trio.EndOfChannel):
                        break
                if self.conn.close_code is not None:
                    return
                await self._send_batch(batch)
        except ConnectionClosed:
            self.conn.close_soon(CLOSE_NORMAL, "")
        finally:
            self._writer_done.set()

    async def _send_batch(self, batch: list[Frame]) -> None:
        frames: list[str | bytes] = []
        for seq, data in batch:
            if seq:
                if seq <= self._last_sent:
                    continue  # already sent (a resume and the live path overlapped)
                self._last_sent = seq
            frames.append(data)
        if len(frames) == 1 and isinstance(frames[0], str):
            await self.ws.send_message(frames[0])
        elif frames:
            await _send_frames(self.ws, frames)

    async def _read(self) -> None:
        try:
            while True:
                message = await self.ws.get_message()
                if not self._budget.take(trio.current_time()):
                    if self._budget.should_warn(trio.current_time()):
                        await self._error("rate_limited", "too many frames; slow down")
                    continue
                try:
                    frame = parse_frame(message)
                except FrameError as exc:
                    if exc.fatal:
                        self.conn.close_soon(CLOSE_POLICY, exc.message)
                        return
                    await self._error("bad_request", exc.message)
                    continue
                await self._answer(frame)
        except ConnectionClosed:
            self.conn.close_soon(CLOSE_NORMAL, "")

    async def _answer(self, frame: ClientFrame) -> None:
        h = self.handles
        try:
            if isinstance(frame, PingFrame):
                await self.outbox.send(_PONG)
            elif isinstance(frame, SubscribeFrame):
                await self._subscribe(frame.channel)
            elif isinstance(frame, UnsubscribeFrame):
                await self._unsubscribe(frame.channel)
            elif isinstance(frame, TypingFrame):
                await realtime.do_typing(h.db, h.realtime, self.member, self.conn, frame.channel)
            elif isinstance(frame, ResumeFrame):
                await self._resume(frame.after)
        except* CommunityError as group:
            exc = _first(group, CommunityError)
            await self._error(exc.code, exc.detail, channel_of(frame))
        except* DatabaseUnavailable:
            await self._error("unavailable", "The service is briefly unavailable; try again.", channel_of(frame))

    async def _subscribe(self, channel: Channel) -> None:
        manager, conn = self.handles.registry, self.conn
        if len(conn.channels) >= self.handles.realtime.settings.max_channels and channel not in conn.channels:
            await self._error("bad_request", "too many channels on this connection", channel)
            return
        channel = await realtime.check_subscribe(self.handles.db, self.member, channel)
        if conn.close_code is None:
            manager.subscribe(conn, channel)
        await self.outbox.send((0, dumps({"type": "subscribed", "channel": channel})))

    async def _unsubscribe(self, channel: Channel) -> None:
        self.handles.registry.unsubscribe(self.conn, channel)
        await self.outbox.send((0, dumps({"type": "unsubscribed", "channel": channel})))

    async def _resume(self, after: int) -> None:
        """Replay what the client missed after `after`, then what arrived meanwhile, each event once.

        Live events may already have gone out between the welcome and this frame (ids from
        `live_first` to `live_last`): those are skipped, and only those. The older ones the client
        missed still go, though they follow newer ones (before, the writer's order check dropped
        them: a client resuming after a restart lost what was committed while it reconnected).
        """
        conn = self.conn
        conn.held = []
        try:
            found = await realtime.replay(self.handles.db, self.handles.realtime, conn, after)
            if found is None:
                await self.outbox.send((0, '{"type":"resync"}'))
            first, last, top = conn.live_first, conn.live_last, after
            for seq, data in found or ():
                top = max(top, seq)
                if not (first and first <= seq <= last):
                    await self.outbox.send((0, data))  # 0: the writer does not order-check a replay
            while conn.held:
                seq, data = conn.held.pop(0)
                if not seq or seq > top:
                    await self.outbox.send((seq, data))
                    conn.sent_live(seq)
            conn.live_first = min(first or after + 1, after + 1)
            conn.live_last = max(conn.live_last, top)
        finally:
            conn.held = None

    async def _error(self, code: str, message: str, channel: Channel | None = None) -> None:
        body: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if channel is not None:
            body["channel"] = channel
        await self.outbox.send((0, dumps(body)))

    async def _ping(self) -> None:
        settings = self.handles.realtime.settings
        while True:
            await trio.sleep(settings.ping_interval)
            with trio.move_on_after(settings.ping_timeout) as scope:
                try:
                    await self.ws.ping()
                except ConnectionClosed:
                    self.conn.close_soon(CLOSE_NORMAL, "")
                    return
            if scope.cancelled_caught:
                log.info("ws.dead_peer", connection=self.conn.id)
                self.conn.close_soon(CLOSE_GOING_AWAY, "no answer to ping")
                return

    async def _expire(self) -> None:
        remaining = (self.expires_at - datetime.now(UTC)).total_seconds()
        await trio.sleep(max(0.0, remaining))
        self.conn.close_soon(CLOSE_TOKEN_EXPIRED, "token expired")


class FrameBudget:
    """A token bucket per socket: bursts of `burst` frames, `rate` a second sustained.

    Every subscribe and typing frame costs the database a query; a flood from one socket is
    answered `rate_limited` (at most once a second) and its excess frames are dropped.
    """

    def __init__(self, rate: float = 20.0, burst: float = 60.0) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at, self.warned = burst, 0.0, -1.0

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def should_warn(self, now: float) -> bool:
        if now - self.warned < 1.0:
            return False
        self.warned = now
        return True


def _raw_socket(ws: WebSocketConnection) -> socket.socket | None:
    """The plain TCP socket under a trio-websocket connection (None under TLS)."""
    stream = ws._stream
    raw = getattr(getattr(stream, "socket", None), "_sock", None)
    return raw if isinstance(stream, trio.SocketStream) and isinstance(raw, socket.socket) else None


async def _send_frames(ws: WebSocketConnection, frames: list[str | bytes]) -> None:
    """Several frames in one write: one syscall instead of one per frame when a client lags.

    `bytes` are already framed (the unsent rest of a direct write). Uses trio-websocket's
    internals (`_wsproto`, `_stream_lock`, `_stream`) exactly as its own `_send` does
    (trio-websocket 0.12; pin it).
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


E = TypeVar("E", bound=BaseException)


def _first(group: BaseExceptionGroup[E], kind: type[E]) -> E:
    """The first leaf of a group caught by `except*` (the error to answer with)."""
    leaf: BaseException = group
    while isinstance(leaf, BaseExceptionGroup):
        leaf = leaf.exceptions[0]
    assert isinstance(leaf, kind)
    return leaf


def _describe(exc: BaseException) -> str:
    """An exception for a log line: its type and message, safe to encode whatever it quotes."""
    return f"{type(exc).__name__}: {exc}".encode("utf-8", "replace").decode("utf-8")[:500]
