"""A supervisor in the manner of Erlang/OTP, for trio tasks.

Children start one at a time, each once the previous has reported ready; a
child that ends is restarted by the supervisor's strategy and restart type;
more than `intensity` restarts within `period` seconds make the supervisor stop
its children and fail, so that its parent decides. Generic: nothing of ours.
"""

from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import structlog
import trio

Restart = Literal["permanent", "transient", "temporary"]
Strategy = Literal["one_for_one", "one_for_all", "rest_for_one"]

_log = structlog.get_logger("community.supervisor")


@dataclass(frozen=True)
class ChildSpec:
    """`start(*, task_status)` must call `task_status.started()` once it is ready."""

    id: str
    start: Callable[..., Awaitable[object]]
    restart: Restart = "permanent"
    shutdown: float = 5.0


@dataclass(frozen=True)
class ChildInfo:
    id: str
    running: bool
    restarts: int
    started_at: datetime | None


class RestartIntensityExceeded(Exception):  # noqa: N818 - OTP's name for it, which operators search for
    def __init__(self, supervisor: str, child: str, intensity: int, period: float) -> None:
        super().__init__(f"supervisor {supervisor!r} gave up: more than {intensity} restarts "
                         f"in {period} s, the last for child {child!r}")
        self.supervisor = supervisor
        self.child = child


def _finished_event() -> trio.Event:
    event = trio.Event()
    event.set()
    return event


@dataclass(eq=False)
class _Child:
    spec: ChildSpec
    restarts: int = 0
    started_at: datetime | None = None
    running: bool = False
    # Bumped at every start, so a report from an earlier life is recognised as stale.
    generation: int = 0
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    # Set whenever no task is running the child: never started, or its task has ended.
    done: trio.Event = field(default_factory=_finished_event)
    stopping: bool = False
    killed: bool = False

    def begin(self) -> None:
        self.generation += 1
        self.scope = trio.CancelScope()
        self.done = trio.Event()
        self.stopping = self.killed = False


@dataclass(frozen=True)
class _Exit:
    child: _Child
    generation: int
    abnormal: bool


class _Readiness:
    """The `task_status` a child gets: remembers that it reported ready, then passes that on."""

    def __init__(self, status: trio.TaskStatus[None], on_ready: Callable[[], None]) -> None:
        self._status = status
        self._on_ready = on_ready
        self.ready = False

    def started(self, value: object = None) -> None:
        self.ready = True
        self._status.started()
        self._on_ready()


def _wants_restart(restart: Restart, *, abnormal: bool) -> bool:
    return restart == "permanent" or (restart == "transient" and abnormal)


class Supervisor:
    """Runs `children` in order; `run` can itself be a child, so supervisors nest into a tree."""

    def __init__(self, id: str, children: Sequence[ChildSpec], strategy: Strategy = "one_for_one",
                 intensity: int = 1, period: float = 5.0) -> None:
        if len({spec.id for spec in children}) != len(children):
            raise ValueError(f"supervisor {id!r}: child ids must be unique")
        if intensity < 0 or period <= 0:
            raise ValueError(f"supervisor {id!r}: intensity must be >= 0 and period > 0")
        self.id = id
        self.strategy = strategy
        self.intensity = intensity
        self.period = period
        self._specs = tuple(children)
        self._children = [_Child(spec) for spec in self._specs]
        self._nursery: trio.Nursery | None = None
        self._restart_times: deque[float] = deque()
        self._exits_send, self._exits_receive = trio.open_memory_channel[_Exit](1)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Runs the children until cancelled; a failure arrives as a plain exception, never a group."""
        if self._nursery is not None:
            raise RuntimeError(f"supervisor {self.id!r} is already running")
        self._reset()
        try:
            failure = await self._run_tree(task_status)
        finally:
            self._nursery = None
        raise failure

    def child_specs(self) -> tuple[ChildSpec, ...]:
        return self._specs

    def which_children(self) -> list[ChildInfo]:
        return [ChildInfo(c.spec.id, c.running, c.restarts, c.started_at) for c in self._children]

    def kill_child(self, child_id: str) -> None:
        """OTP's `exit(Pid, kill)`: cancels the child and counts its end as a crash."""
        child = self._find(child_id)
        if not child.done.is_set():
            child.killed = True
            child.scope.cancel()

    async def terminate_child(self, child_id: str) -> None:
        """Stops the child, within its shutdown time, without restarting it."""
        await self._stop_child(self._find(child_id))

    async def restart_child(self, child_id: str) -> None:
        """Starts a terminated child again; like OTP, it does not count towards the intensity."""
        child = self._find(child_id)
        if not child.done.is_set():
            raise RuntimeError(f"supervisor {self.id!r}: child {child_id!r} is running")
        child.restarts += 1
        await self._start_child(child)

    def _find(self, child_id: str) -> _Child:
        for child in self._children:
            if child.spec.id == child_id:
                return child
        raise LookupError(f"supervisor {self.id!r} has no child {child_id!r}")

    def _reset(self) -> None:
        # A restarted supervisor starts afresh, as in OTP.
        self._children = [_Child(spec) for spec in self._specs]
        self._restart_times.clear()
        # Each life of a child reports at most once. Should reports still outrun the
        # buffer, the reporting task just waits: the control loop never waits on a report.
        self._exits_send, self._exits_receive = trio.open_memory_channel[_Exit](max(1, len(self._specs)))

    async def _run_tree(self, task_status: trio.TaskStatus[None]) -> Exception:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            try:
                return await self._start_then_supervise(task_status)
            finally:
                # Children are shielded, so the order of their shutdown is ours to decide.
                with trio.CancelScope(shield=True):
                    await self._stop_all()
                # Releases child tasks still waiting to report to a control loop that has ended.
                nursery.cancel_scope.cancel()

    @property
    def _tree(self) -> trio.Nursery:
        if self._nursery is None:
            raise RuntimeError(f"supervisor {self.id!r} is not running")
        return self._nursery

    async def _start_then_supervise(self, task_status: trio.TaskStatus[None]) -> Exception:
        try:
            for child in self._children:
                await self._start_child(child)
        except Exception as exc:
            # As OTP's start_link: the parent hears the failing child's own reason.
            return exc
        task_status.started()
        return await self._supervise()

    async def _supervise(self) -> RestartIntensityExceeded:
        while True:
            end = await self._exits_receive.receive()
            if end.generation == end.child.generation:
                exceeded = await self._handle_exit(end)
                if exceeded is not None:
                    return exceeded

    async def _handle_exit(self, end: _Exit) -> RestartIntensityExceeded | None:
        if not _wants_restart(end.child.spec.restart, abnormal=end.abnormal):
            self._forget_temporary([end.child])
            return None
        failed: _Child | None = end.child
        while failed is not None:
            if self._too_many_restarts():
                return self._escalate(failed)
            failed = await self._restart(failed)
        return None

    def _too_many_restarts(self) -> bool:
        now = trio.current_time()
        self._restart_times.append(now)
        while now - self._restart_times[0] >= self.period:
            self._restart_times.popleft()
        return len(self._restart_times) > self.intensity

    def _escalate(self, child: _Child) -> RestartIntensityExceeded:
        _log.error("supervisor.intensity_exceeded",
                   **self._fields(child, intensity=self.intensity, period=self.period))
        return RestartIntensityExceeded(self.id, child.spec.id, self.intensity, self.period)

    async def _restart(self, failed: _Child) -> _Child | None:
        """Applies the strategy; returns the child that failed to start again, if one did."""
        group = self._restart_group(failed)
        for child in reversed(group):
            await self._stop_child(child)
        self._forget_temporary(group)
        for child in group:
            if child.spec.restart != "temporary" and not await self._start_again(child):
                return child
        return None

    def _restart_group(self, failed: _Child) -> list[_Child]:
        if self.strategy == "one_for_all":
            return list(self._children)
        if self.strategy == "rest_for_one":
            return self._children[self._children.index(failed):]
        return [failed]

    def _forget_temporary(self, group: list[_Child]) -> None:
        # As in OTP, a temporary child that ended is gone from the supervisor.
        self._children = [c for c in self._children if c not in group or c.spec.restart != "temporary"]

    async def _start_again(self, child: _Child) -> bool:
        child.restarts += 1
        try:
            await self._start_child(child)
        except Exception:
            # Already logged as a crash; the caller counts it as one more restart.
            return False
        return True

    async def _start_child(self, child: _Child) -> None:
        child.begin()
        await self._tree.start(self._run_child, child)

    async def _run_child(self, child: _Child, *,
                         task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task = trio.lowlevel.current_task()
        generation = child.generation
        ready = _Readiness(task_status, lambda: self._on_ready(child, task))
        crash = await self._run_to_end(child, ready)
        self._log_end(child, crash)
        if not ready.ready:
            # Before ready, an error belongs to whoever is starting the child.
            if crash is not None:
                raise crash
            return
        if not child.stopping:
            await self._exits_send.send(_Exit(child, generation, abnormal=crash is not None or child.killed))

    async def _run_to_end(self, child: _Child, ready: _Readiness) -> Exception | None:
        try:
            with child.scope:
                await child.spec.start(task_status=ready)
        except Exception as exc:
            # Outside the scope, so a crash racing our own cancellation is still caught.
            return exc
        finally:
            child.running = False
            child.done.set()
        return None

    def _on_ready(self, child: _Child, task: trio.lowlevel.Task) -> None:
        if task.parent_nursery is not self._nursery:
            # The start was cancelled before the child got ready: it is about to be cancelled too.
            return
        # Shielded so only the supervisor stops it: in reverse order, each within its shutdown time.
        child.scope.shield = True
        child.running = True
        child.started_at = datetime.now(UTC)
        event = "supervisor.child_restarted" if child.restarts else "supervisor.child_started"
        _log.info(event, **self._fields(child))

    def _log_end(self, child: _Child, crash: Exception | None) -> None:
        if crash is not None:
            _log.error("supervisor.child_crashed", **self._fields(child, reason=repr(crash)), exc_info=crash)
        elif child.killed:
            _log.error("supervisor.child_crashed", **self._fields(child, reason="killed"))
        elif child.stopping:
            _log.info("supervisor.child_stopped", **self._fields(child, reason="shutdown"))
        else:
            _log.info("supervisor.child_exited", **self._fields(child, reason="normal"))

    def _fields(self, child: _Child, **extra: object) -> dict[str, object]:
        return {"supervisor": self.id, "child": child.spec.id, "restarts": child.restarts, **extra}

    async def _stop_all(self) -> None:
        for child in reversed(self._children):
            await self._stop_child(child)

    async def _stop_child(self, child: _Child) -> None:
        if child.done.is_set():
            return
        child.stopping = True
        child.scope.cancel()
        with trio.move_on_after(child.spec.shutdown) as grace:
            await child.done.wait()
        if grace.cancelled_caught:
            _log.warning("supervisor.shutdown_overrun", **self._fields(child, shutdown=child.spec.shutdown))
            # trio cannot kill a task: all that is left is to wait for it.
            await child.done.wait()
