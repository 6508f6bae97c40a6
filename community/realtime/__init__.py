"""Realtime: the websocket protocol, listener and session (actors: ws_manager, notifier, cluster_bus, presence).

* `protocol.py` — client frames (pydantic, validated at the edge), server frames, close codes.
* `listener.py` — the websocket listener (a child of the tree) and the handshake.
* `session.py` — one accepted socket, one task (the reader): answers, direct writes, resume.
* `timers.py` — every socket's pings, pong deadlines and token expiry: one task per node.
* `_wire.py` — the only importer of trio-websocket and wsproto; a socket driven on wsproto's
  frame layer, written from any task; pinned by a test.

Channels are `domain/events.Channel`; use cases (who may subscribe, replay) are `services/realtime.py`;
the registry of sockets and fan-out is the `ws_manager` actor.
"""
