"""One accepted socket: registered, welcomed, served until something closes it.

Each socket gets a reader task (client frames), one writer task draining the bounded outbox
that ws_manager fills, a pinger and a token-expiry timer; none is a supervised child
(per-connection work never is). Whatever ends the session, the socket closes with the code
the contract names (`realtime/protocol.py`): 1001 shutdown, 1008 bad frame, 1013 slow consumer,
4401, 4403.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TypeVar

import structlog
import trio

from community.actors.ws_manager import Connection, Frame
from community.db.pool import DatabaseUnavailable
from community.domain.audience import Viewer
from community.domain.errors import CommunityError
from community.domain.events import Channel
from community.domain.principal import OrgMember
from community.handles import Handles
from community.realtime._wire import ConnectionClosed, WebSocketConnection, describe, encode_now, send_frames
from community.realtime.protocol import (
    CLOSE_GOING_AWAY,
    CLOSE_INTERNAL_ERROR,
    CLOSE_NORMAL,
    CLOSE_POLICY,
    CLOSE_TOKEN_EXPIRED,
    PONG,
    RESYNC,
    ClientFrame,
    ErrorFrame,
    FrameError,
    PingFrame,
    ResumeFrame,
    SubscribedFrame,
    SubscribeFrame,
    TypingFrame,
    UnsubscribedFrame,
    UnsubscribeFrame,
    WelcomeFrame,
    channel_of,
    parse_frame,
)
from community.services import realtime

log = structlog.get_logger("community.ws")
_PONG = (0, PONG)
_WRITER_GRACE = 5.0
_BATCH = 64


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
            log.error("ws.session_failed", connection=self.conn.id, error=describe(group), exc_info=group)
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
            welcome = WelcomeFrame(user_id=conn.user_id, org_id=conn.org_id, channels=channels, last_id=head)
            self.outbox.send_nowait((0, welcome.wire()))
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
        if stats.tasks_waiting_receive != 1 or stats.current_buffer_used:
            return False
        if seq and seq <= self._last_sent:
            return True
        encoded = encode_now(self.ws, data)  # runs in the delivering actor's task: never raises
        if encoded is None:
            return False
        sock, wire = encoded
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
            await send_frames(self.ws, frames)

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
            exc = first_leaf(group, CommunityError)
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
        await self.outbox.send((0, SubscribedFrame(channel=channel).wire()))

    async def _unsubscribe(self, channel: Channel) -> None:
        self.handles.registry.unsubscribe(self.conn, channel)
        await self.outbox.send((0, UnsubscribedFrame(channel=channel).wire()))

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
                await self.outbox.send((0, RESYNC))
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
        await self.outbox.send((0, ErrorFrame(code=code, message=message, channel=channel).wire()))

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


E = TypeVar("E", bound=BaseException)


def first_leaf(group: BaseExceptionGroup[E], kind: type[E]) -> E:
    """The first leaf of a group caught by `except*` (the error to answer with)."""
    leaf: BaseException = group
    while isinstance(leaf, BaseExceptionGroup):
        leaf = leaf.exceptions[0]
    assert isinstance(leaf, kind)
    return leaf
