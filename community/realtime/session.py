"""One accepted socket: registered, welcomed, served until something closes it.

One task per socket, the reader (the task trio-websocket's server gives the connection): it
reads client frames, answers them, and flushes what the kernel did not take at once. Frames
are written straight to the socket by whichever task delivers them (`Connection.send`);
pings, pong deadlines and token expiry are entries on the node's shared timers
(`realtime/timers.py`). None of it is a supervised child (per-connection work never is).
Whatever ends the session, the socket closes with the code the contract names
(`realtime/protocol.py`): 1001 shutdown or a dead peer, 1008 bad frame, 1013 slow consumer,
4401, 4403.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

import structlog
import trio

from community.actors.ws_manager import Connection, Frame
from community.db.pool import DatabaseUnavailable
from community.domain.audience import Viewer
from community.domain.errors import CommunityError
from community.domain.events import Channel, ChannelKind
from community.domain.principal import OrgMember
from community.handles import Handles
from community.realtime._wire import ConnectionClosed, Socket, describe, text_frame
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
from community.realtime.timers import Timer, Timers
from community.services import realtime

log = structlog.get_logger("community.ws")
_WRITER_GRACE = 5.0  # a frame begun before a close is finished within this, or the peer is cut off
_SHUTDOWN_GRACE = 1.0
_LINGER = 2.0  # how long a close waits for the client's close frame


class Session:
    """One accepted socket: registered, welcomed, served until something closes it."""

    __slots__ = ("_budget", "_expiry", "_last_sent", "_peeked", "_ping", "_pong_due", "_scope", "conn", "expires_at",
                 "handles", "member", "resuming", "sock", "timers")

    def __init__(self, handles: Handles, sock: Socket, member: OrgMember, expires_at: datetime,
                 timers: Timers, *, resuming: bool = False) -> None:
        assert member.user_id is not None
        # `after` on the handshake: live events wait (held) from registration until the client's
        # resume frame has replayed, so every event goes out once, in id order.
        self.resuming = resuming
        self.handles, self.sock, self.member, self.expires_at, self.timers = handles, sock, member, expires_at, timers
        self.conn = Connection(user_id=member.user_id, org_id=member.org_id,
                               viewer=Viewer.of(member.user_id, member.role, member.overrides, since=datetime.now(UTC)))
        self.conn.send, self.conn.on_close, sock.on_pong = self._deliver, self._wake, self._ponged
        self._scope: trio.CancelScope | None = None
        self._budget = FrameBudget()
        self._last_sent = 0
        self._ping: Timer | None = None
        self._expiry: Timer | None = None
        self._pong_due = False
        self._peeked: str | bytes | None = None  # a message read ahead while gathering pipelined subscribes

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
            conn.held = []  # events that race the handshake wait until the welcome is written
            manager.register(conn, channels)
            head = await self.handles.notifier.track(conn.org_id)
            welcome = WelcomeFrame(user_id=conn.user_id, org_id=conn.org_id, channels=channels, last_id=head)
            await self._send_text(welcome.wire())
            if not self.resuming:
                held, conn.held = conn.held, None
                for frame in held:
                    if not conn.put_nowait(frame):
                        manager.drop_slow(conn)
            await self.handles.presence.joined(self.member, conn)
            self._arm()
            with trio.CancelScope() as self._scope:  # close_soon cancels it (`_wake`)
                if conn.close_code is None:
                    await self._read()
        except* Exception:
            conn.close_soon(CLOSE_INTERNAL_ERROR, "internal error")
            raise
        finally:
            self._disarm()
            manager.unregister(conn)
            with trio.CancelScope(shield=True):
                await self.handles.presence.left(self.member, conn)

    def _wake(self) -> None:
        if self._scope is not None:
            self._scope.cancel()

    async def _close(self) -> None:
        code = self.conn.close_code if self.conn.close_code is not None else CLOSE_GOING_AWAY
        if code != CLOSE_NORMAL:
            grace = _WRITER_GRACE if self.conn.close_code is not None else _SHUTDOWN_GRACE
            await self.sock.aclose(code, self.conn.close_reason or "server shutting down", grace=grace,
                                   linger=_LINGER)

    def _deliver(self, frame: Frame) -> bool:
        """Write a frame now, from the delivering task (no task switch); False: the client fell
        too far behind (the registry closes it 1013)."""
        seq, data = frame
        if self.conn.close_code is not None:
            return True  # closing: nothing more goes out
        if seq:
            if seq <= self._last_sent:
                return True  # already sent (a resume and the live path overlapped)
            self._last_sent = seq
        return self.sock.write_nowait(data) if isinstance(data, bytes) else self.sock.send_text_nowait(data)

    async def _send_frame(self, frame: Frame) -> None:
        """A frame of the session's own (answers, replays): waits while the client lags."""
        seq, data = frame
        if seq:
            if seq <= self._last_sent:
                return
            self._last_sent = seq
        wire = data if isinstance(data, bytes) else text_frame(data)
        if wire is not None:
            await self.sock.send(wire)

    async def _send_text(self, text: str) -> None:
        await self._send_frame((0, text))

    async def _read(self) -> None:
        try:
            while True:
                message, self._peeked = self._peeked, None
                if message is None:
                    message = await self.sock.receive()
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
                if isinstance(frame, SubscribeFrame) and self._room_for([frame.channel]):
                    await self._subscribe_all(self._pipelined([frame.channel]))
                    continue
                await self._answer(frame)
        except ConnectionClosed:
            self.conn.close_soon(CLOSE_NORMAL, "")

    async def _answer(self, frame: ClientFrame) -> None:
        h = self.handles
        try:
            if isinstance(frame, PingFrame):
                await self._send_text(PONG)
            elif isinstance(frame, SubscribeFrame):
                await self._subscribe(frame.channel)
            elif isinstance(frame, UnsubscribeFrame):
                await self._unsubscribe(frame.channel)
            elif isinstance(frame, TypingFrame):
                await realtime.check_typing(h.db, h.realtime, self.member, self.conn, frame.channel)
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
        await self._send_text(SubscribedFrame(channel=channel).wire())
        await self._subscribed(channel)

    def _room_for(self, channels: list[Channel]) -> bool:
        """Whether every one of these could be subscribed without passing `max_channels`."""
        return len(self.conn.channels.union(channels)) <= self.handles.realtime.settings.max_channels

    def _pipelined(self, channels: list[Channel]) -> list[Channel]:
        """`channels` and the subscribes the client already sent behind them (a client subscribing
        to its org, forum and topics at once), so one statement checks them all. Stops at the first
        other frame, a frame over the budget or one over `max_channels` (kept for `_read` as it is)."""
        while (message := self.sock.receive_nowait()) is not None:
            try:
                frame = parse_frame(message)
            except FrameError:
                frame = None
            if not (isinstance(frame, SubscribeFrame) and self._room_for([*channels, frame.channel])
                    and self._budget.take(trio.current_time())):
                self._peeked = message  # `_read` answers it, the budget and the limit checked as always
                break
            channels.append(frame.channel)
        return channels

    async def _subscribe_all(self, channels: list[Channel]) -> None:
        """Subscribe answers in the order asked; every one checked in one statement."""
        manager, conn = self.handles.registry, self.conn
        answers: list[Channel | CommunityError] = []
        try:
            answers += await realtime.check_subscribes(self.handles.db, self.member, channels)
        except* DatabaseUnavailable:
            pass
        if not answers:
            for channel in channels:
                await self._error("unavailable", "The service is briefly unavailable; try again.", channel)
        for channel, answer in zip(channels, answers, strict=False):
            if isinstance(answer, CommunityError):
                await self._error(answer.code, answer.detail, channel)
                continue
            if conn.close_code is None:
                manager.subscribe(conn, answer)
            await self._send_text(SubscribedFrame(channel=answer).wire())
            await self._subscribed(answer)

    async def _subscribed(self, channel: Channel) -> None:
        """A `presence:<org>` subscriber starts from who is online now (then hears every change)."""
        if channel.kind is ChannelKind.PRESENCE:
            try:
                await self._send_text(await self.handles.presence.snapshot(channel.id))
            except* DatabaseUnavailable:
                await self._error("unavailable", "The service is briefly unavailable; try again.", channel)

    async def _unsubscribe(self, channel: Channel) -> None:
        self.handles.registry.unsubscribe(self.conn, channel)
        await self._send_text(UnsubscribedFrame(channel=channel).wire())

    async def _resume(self, after: int) -> None:
        """Replay what the client missed after `after`, then what arrived meanwhile, each event once.

        A client that gave `after` on the handshake got nothing live yet (held since it registered):
        the replay, then the held events above it, go out strictly in id order. Without it, live
        events may already have gone out between the welcome and this frame (ids from
        `live_first` to `live_last`): those are skipped, and only those. The older ones the client
        missed still go, though they follow newer ones (before, the writer's order check dropped
        them: a client resuming after a restart lost what was committed while it reconnected).
        """
        conn = self.conn
        if conn.held is None:
            conn.held = []
        self.resuming = False  # a handshake's `after` holds live events until this first resume
        try:
            found = await realtime.replay(self.handles.db, self.handles.realtime, conn, after)
            if found is None:
                await self._send_text(RESYNC)
            first, last, top = conn.live_first, conn.live_last, after
            for seq, data in found or ():
                top = max(top, seq)
                if not (first and first <= seq <= last):
                    await self._send_frame((0, data))  # 0: a replay is not order-checked
            # Everything up to `top` went (replayed or live): a late live copy of one of those (the
            # notifier catching up after a restart) is a duplicate, and the order check drops it.
            self._last_sent = max(self._last_sent, top)
            while conn.held:
                seq, data = conn.held.pop(0)
                if not seq or seq > top:
                    await self._send_frame((seq, data))
                    conn.sent_live(seq)
            conn.live_first = min(first or after + 1, after + 1)
            conn.live_last = max(conn.live_last, top)
        finally:
            conn.held = None

    async def _error(self, code: str, message: str, channel: Channel | None = None) -> None:
        await self._send_text(ErrorFrame(code=code, message=message, channel=channel).wire())

    # Timers (the node's, shared): a ping every `ping_interval` after the last pong, an answer
    # within `ping_timeout` or the peer is taken for dead (1001); the token's expiry (4401).

    def _arm(self) -> None:
        settings = self.handles.realtime.settings
        self._ping = self.timers.call_later(settings.ping_interval, self._ping_due)
        remaining = (self.expires_at - datetime.now(UTC)).total_seconds()
        self._expiry = self.timers.call_later(remaining, self._expired)

    def _disarm(self) -> None:
        for timer in (self._ping, self._expiry):
            if timer is not None:
                timer.cancel()
        self._ping = self._expiry = None

    def _ping_due(self) -> None:
        self.sock.ping_nowait(b"")
        self._pong_due = True
        self._ping = self.timers.call_later(self.handles.realtime.settings.ping_timeout, self._no_pong)

    def _ponged(self) -> None:
        if self._pong_due and self._ping is not None:
            self._pong_due = False
            self._ping.cancel()
            self._ping = self.timers.call_later(self.handles.realtime.settings.ping_interval, self._ping_due)

    def _no_pong(self) -> None:
        log.info("ws.dead_peer", connection=self.conn.id)
        self.conn.close_soon(CLOSE_GOING_AWAY, "no answer to ping")

    def _expired(self) -> None:
        self.conn.close_soon(CLOSE_TOKEN_EXPIRED, "token expired")


class FrameBudget:
    """A token bucket per socket: bursts of `burst` frames, `rate` a second sustained.

    Every subscribe and typing frame costs the database a query; a flood from one socket is
    answered `rate_limited` (at most once a second) and its excess frames are dropped.
    """

    __slots__ = ("at", "burst", "rate", "tokens", "warned")

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
