"""The websocket listener on its own port (trio-websocket, not through Quart: half the CPU).

Handshake: the token (header or `access_token`), the org and the origin are checked like a REST
request (`services/realtime.open_session`), the per-user slot is claimed in the database, then
the socket is accepted and handed to a `Session` (`realtime/session.py`). A refused handshake
answers `application/problem+json` with the status REST would give.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import structlog
import trio

from community.actors.outage import ride_out
from community.db.pool import DatabaseUnavailable
from community.domain.errors import CommunityError, ValidationFailedError
from community.domain.events import dumps
from community.domain.org_settings import OrgSettings
from community.domain.principal import OrgMember, SessionKey
from community.handles import Handles
from community.realtime._wire import ContainedServer, Upgrade, describe
from community.realtime.protocol import MAX_FRAME_BYTES
from community.realtime.session import Session, first_leaf
from community.realtime.timers import Timers
from community.services import realtime
from community.shared_port import bind_shared

log = structlog.get_logger("community.ws")
_HANDSHAKE_TIMEOUT = 10.0


class WsListener:
    def __init__(self, handles: Handles) -> None:
        self.handles = handles
        self.timers = Timers()  # every socket's pings and token expiry: one task for the node
        self.orgs = SharedOrgs()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        settings = self.handles.settings
        self.timers = Timers()
        async with trio.open_nursery() as nursery:
            listeners = ([trio.SocketListener(trio.socket.from_stdlib_socket(
                bind_shared(settings.host, settings.websocket_port)))] if settings.reuse_port
                else await trio.open_tcp_listeners(settings.websocket_port, host=settings.host))
            # The socket's own cap is a backstop (1009); frames over 64 KiB close with 1008 below.
            server = ContainedServer(self._handle, listeners, handler_nursery=nursery,
                                     max_message_size=4 * MAX_FRAME_BYTES, connect_timeout=_HANDSHAKE_TIMEOUT,
                                     backlog_limit=lambda: self.handles.realtime.settings.outbox_size)
            await nursery.start(self.timers.run)
            await nursery.start(server.run)
            nursery.start_soon(self._heartbeat)
            nursery.start_soon(self._signed_out)
            self.handles.endpoints.ws_port = server.port
            log.info("ws.listening", host=settings.host, port=server.port)
            task_status.started()

    async def _handle(self, request: Upgrade) -> None:
        """One client's whole connection. Whatever goes wrong in it ends this connection only."""
        admitted = await self._admit(request)  # its locals (headers, query, token) go when it returns
        if admitted is None:
            return
        member, expires_at, key, claim, after = admitted
        del admitted
        h, org_id = self.handles, member.org_id
        try:
            session = Session(self.handles, await request.accept(), self.orgs.share(member), expires_at, self.timers,
                              resuming=after is not None)
            session.conn.claim, session.conn.session = claim, key
            del member
            await session.run()
        finally:
            self.orgs.release(org_id)
            with trio.CancelScope(shield=True):
                await ride_out("ws", partial(realtime.release_connection, h.db, h.realtime, h.node_id, claim))

    async def _admit(self, request: Upgrade) -> tuple[OrgMember, datetime, SessionKey, UUID, int | None] | None:
        """Who is asking, checked like a REST request, and their slot; None once refused."""
        url = urlsplit(request.path)
        if url.path != "/ws":
            await _reject(request, 404, "not_found", "No websocket here.")
            return None
        query = parse_qs(url.query, max_num_fields=20)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers}
        refusal: tuple[int, str, str] | None = None
        h = self.handles
        try:
            member, expires_at, key = await realtime.open_session(
                h.db, h.identity, h.settings, _token(headers, query), next(iter(query.get("org", [])), None),
                headers.get("origin"))
            assert member.user_id is not None
            after = _after(query)
            claim = await realtime.claim_connection(h.db, h.realtime, h.node_id, member.user_id)
        except* CommunityError as group:
            exc = first_leaf(group, CommunityError)
            refusal = (exc.status, exc.code, exc.detail)
        except* DatabaseUnavailable:
            refusal = (503, "unavailable", "The service is briefly unavailable; try again.")
        except* Exception as group:
            log.error("ws.handshake_failed", error=describe(group), exc_info=group)
            refusal = (500, "internal_error", "The server failed to answer; it is logged.")
        if refusal is not None:
            await _reject(request, *refusal)
            return None
        return member, expires_at, key, claim, after

    async def _heartbeat(self) -> None:
        """This node stays alive (its sockets counted for the per-user limit, its presence online)."""
        h = self.handles
        while True:
            await trio.sleep(h.realtime.settings.presence_stale.total_seconds() / 3)
            await ride_out("ws", partial(realtime.node_heartbeat, h.db, h.realtime, h.node_id))
            # A sign-out notice lost with another node's LISTEN connection is caught here.
            await ride_out("ws", partial(realtime.close_signed_out, h.db, h.registry))

    async def _signed_out(self) -> None:
        """Someone signed out on some node: their sockets here whose session ended close now (4401)."""
        h = self.handles
        async for user_id in h.bus.signed_out.receive:
            await ride_out("ws", partial(realtime.close_signed_out, h.db, h.registry, user_id))


@dataclass(eq=False)
class _OrgRow:
    org: dict[str, Any]
    settings: OrgSettings
    sessions: int = 0


class SharedOrgs:
    """Sockets of one org share one copy of its row and settings (about 3 KB each otherwise).

    Only a copy equal to what this socket's own handshake read is shared, so sharing changes
    nothing a session sees; an org is held while some session of it is open.
    """

    def __init__(self) -> None:
        self._rows: dict[UUID, _OrgRow] = {}

    def share(self, member: OrgMember) -> OrgMember:
        row = self._rows.get(member.org_id)
        if row is None:
            row = self._rows[member.org_id] = _OrgRow(member.org, member.settings)
        elif row.org != member.org or row.settings != member.settings:
            row.org, row.settings = member.org, member.settings  # changed: newer sessions share this one
        row.sessions += 1
        return replace(member, org=row.org, settings=row.settings)

    def release(self, org_id: UUID) -> None:
        row = self._rows.get(org_id)
        if row is not None:
            row.sessions -= 1
            if row.sessions <= 0:
                del self._rows[org_id]


def _after(query: dict[str, list[str]]) -> int | None:
    """`after=<event id>` on the handshake: the client will resume; nothing live goes out before its replay."""
    values = query.get("after")
    if not values:
        return None
    value = values[0]
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        msg = "after: must be an event id (a non-negative integer)"
        raise ValidationFailedError(msg, [{"loc": ["query", "after"], "msg": msg}])
    return int(value)


def _token(headers: dict[str, str], query: dict[str, list[str]]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return next(iter(query.get("access_token", [])), None)


async def _reject(request: Upgrade, status: int, code: str, detail: str) -> None:
    body = dumps({"status": status, "code": code, "detail": detail}).encode()
    headers = [(b"content-type", b"application/problem+json")]
    if status in (429, 503):
        headers.append((b"retry-after", b"30" if status == 429 else b"1"))
    await request.reject(status, extra_headers=headers, body=body)
