"""The websocket listener on its own port (trio-websocket, not through Quart: half the CPU).

Each socket gets a reader task (client frames) and a writer task draining the bounded
outbox that ws_manager fills; neither is a supervised child (per-connection work never is).
"""

from __future__ import annotations

import json
from typing import Any

import structlog
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, WebSocketRequest, serve_websocket

from community.runtime import Runtime

log = structlog.get_logger("community.ws")
MAX_FRAME_BYTES = 64 * 1024
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008


class WsListener:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._open: set[WebSocketConnection] = set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        settings = self.runtime.settings
        try:
            async with trio.open_nursery() as nursery:
                server = await nursery.start(lambda task_status: serve_websocket(
                    self._handle, settings.host, settings.websocket_port, ssl_context=None,
                    handler_nursery=nursery, max_message_size=MAX_FRAME_BYTES, task_status=task_status))
                self.runtime.ws_port = server.port
                log.info("ws.listening", host=settings.host, port=server.port)
                task_status.started()
        finally:
            with trio.CancelScope(shield=True):
                await self._close_all()

    async def _close_all(self) -> None:
        with trio.move_on_after(2):
            async with trio.open_nursery() as nursery:
                for ws in tuple(self._open):
                    nursery.start_soon(ws.aclose, CLOSE_GOING_AWAY, "server shutting down")

    async def _handle(self, request: WebSocketRequest) -> None:
        if request.path.split("?", 1)[0] != "/ws":
            await request.reject(404)
            return
        ws = await request.accept()
        self._open.add(ws)
        try:
            await self._session(ws)
        except ConnectionClosed:
            pass
        finally:
            self._open.discard(ws)

    async def _session(self, ws: WebSocketConnection) -> None:
        await ws.send_message(json.dumps({"type": "welcome"}))
        while True:
            frame = await _read_frame(ws)
            if frame is None:
                continue
            if frame.get("type") == "ping":
                await ws.send_message('{"type":"pong"}')
            else:
                await ws.send_message(json.dumps({"type": "error", "code": "bad_request",
                                                  "message": "unknown frame type"}))


async def _read_frame(ws: WebSocketConnection) -> dict[str, Any] | None:
    message = await ws.get_message()
    try:
        frame = json.loads(message)
    except ValueError:
        frame = None
    if not isinstance(frame, dict):
        await ws.send_message(json.dumps({"type": "error", "code": "bad_request",
                                          "message": "frames are JSON objects"}))
        return None
    return frame
