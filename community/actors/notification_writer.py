"""notification_writer: notifications for the events that raise them, off the notifier's path.

The notifier hands each such event to this actor's mailbox (created once by the tree, kept
across restarts) and goes on fanning out; writing notifications never delays a delivery.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

import trio

from community.actors.mailbox import Mailbox
from community.actors.outage import ride_out
from community.domain.events import Activity

WriteNotifications = Callable[[Activity], Awaitable[None]]


class NotificationWriter:
    def __init__(self, mailbox: Mailbox[Activity], write: WriteNotifications) -> None:
        self.mailbox, self.write = mailbox, write

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        async for activity in self.mailbox.receive:
            await ride_out("notification_writer", partial(self.write, activity))
