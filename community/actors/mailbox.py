"""An actor's mailbox: a bounded channel created once by the tree and kept across restarts.

An actor holds its mailboxes as attributes; that is their registration: `/metrics` finds every
mailbox of every actor the tree runs (`held_by`), so there is no list of mailboxes to keep.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import structlog
import trio

log = structlog.get_logger("community.actors")
T = TypeVar("T")


class Mailbox(Generic[T]):
    """Callers hold the mailbox; the actor's current incarnation reads `receive`."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self._send, self.receive = trio.open_memory_channel[T](size)
        self.dropped = 0

    def send_nowait(self, message: T, *, coalesce: bool = False) -> bool:
        """Fire and forget. A full mailbox is an overload decision: drop, count and log it.

        With `coalesce`, the message only says "something changed" and one queued is enough.
        """
        try:
            self._send.send_nowait(message)
        except trio.WouldBlock:
            if coalesce:
                return False
            self.dropped += 1
            log.warning("actor.mailbox_full", actor=self.name, dropped=self.dropped)
            return False
        return True

    async def send(self, message: T) -> None:
        await self._send.send(message)

    def pending(self) -> int:
        return self._send.statistics().current_buffer_used


def held_by(actor: object) -> list[Mailbox[Any]]:
    """The mailboxes an actor holds (its attributes)."""
    return [value for value in getattr(actor, "__dict__", {}).values() if isinstance(value, Mailbox)]
