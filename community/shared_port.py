"""Listening sockets several processes bind at once: the kernel spreads connections (SO_REUSEPORT)."""

from __future__ import annotations

import socket

_BACKLOG = 1024


def bind_shared(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket on `host:port` that other processes may bind too."""
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(info[0], socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(info[4])
        sock.listen(_BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock
