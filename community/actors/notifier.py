"""notifier: committed activity in -> fan-out to this node's sockets (and, later, the cluster)."""

from __future__ import annotations

import structlog
import trio

from community.actors.mailbox import Mailbox
from community.actors.ws_manager import Deliver, WsManager
from community.domain.events import Activity

log = structlog.get_logger("community.actors.notifier")


class Notifier:
    def __init__(self, ws_manager: WsManager, mailbox_size: int = 10_000) -> None:
        self.ws_manager = ws_manager
        self.mailbox: Mailbox[Activity] = Mailbox("notifier", mailbox_size)
        self.published = 0

    def publish_nowait(self, activity: Activity) -> None:
        """Called after commit; the activity log stays the truth if this is dropped."""
        self.mailbox.send_nowait(activity)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        async for activity in self.mailbox.receive:
            self._fan_out(activity)

    def _fan_out(self, activity: Activity) -> None:
        self.ws_manager.mailbox.send_nowait(Deliver(activity.channel, activity.frame()))
        self.published += 1
