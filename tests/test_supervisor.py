from collections.abc import MutableMapping
from datetime import timedelta
from typing import Any

import pytest
import structlog
import trio
import trio.testing

from community.supervisor import ChildInfo, ChildSpec, Restart, RestartIntensityExceeded, Supervisor

# A supervisor that hangs fails its test instead of the run; autojump tests count virtual seconds.
TIMEOUT = 5
VIRTUAL_TIMEOUT = 60


class Worker:
    """A child the test drives: it journals its life, and crashes or returns when told to."""

    def __init__(self, name: str, journal: list[str], *, ready_after: float = 0.0,
                 crash_after: float | None = None, stop_takes: float = 0.0) -> None:
        self.name = name
        self.journal = journal
        self.ready_after = ready_after
        self.crash_after = crash_after
        self.stop_takes = stop_takes
        self.runs = 0
        self._order = trio.Event()
        self._action = "crash"

    def crash(self) -> None:
        self._action = "crash"
        self._order.set()

    def finish(self) -> None:
        self._action = "return"
        self._order.set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        self.runs += 1
        self._order = trio.Event()
        self.journal.append(f"start {self.name}")
        await trio.sleep(self.ready_after)
        self.journal.append(f"ready {self.name}")
        task_status.started()
        try:
            await self._wait_for_order()
        except trio.Cancelled:
            with trio.CancelScope(shield=True):
                await trio.sleep(self.stop_takes)
            self.journal.append(f"stop {self.name}")
            raise
        self.journal.append(f"{self._action} {self.name}")
        if self._action == "crash":
            raise RuntimeError(f"{self.name} crashed")

    async def _wait_for_order(self) -> None:
        if self.crash_after is None:
            await self._order.wait()
        else:
            await trio.sleep(self.crash_after)
            self._action = "crash"


@pytest.fixture
def journal() -> list[str]:
    return []


def specs(workers: list[Worker], restart: Restart = "permanent") -> list[ChildSpec]:
    return [ChildSpec(w.name, w.run, restart=restart) for w in workers]


def named(logs: list[MutableMapping[str, Any]], event: str) -> list[MutableMapping[str, Any]]:
    return [entry for entry in logs if entry["event"] == event]


settle = trio.testing.wait_all_tasks_blocked


async def test_children_start_in_order_each_once_the_previous_is_ready(
        journal: list[str], autojump_clock: trio.testing.MockClock) -> None:
    workers = [Worker(name, journal, ready_after=1.0) for name in "abc"]
    sup = Supervisor("sup", specs(workers))
    with trio.fail_after(VIRTUAL_TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            # Reported started only once the last child was ready.
            assert journal == ["start a", "ready a", "start b", "ready b", "start c", "ready c"]
            nursery.cancel_scope.cancel()


async def test_which_children_reports_running_restarts_and_start_time(journal: list[str]) -> None:
    a, b = Worker("a", journal), Worker("b", journal)
    sup = Supervisor("sup", specs([a, b]), strategy="one_for_one", intensity=3, period=10.0)
    assert sup.which_children() == [ChildInfo("a", False, 0, None), ChildInfo("b", False, 0, None)]
    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            b.crash()
            await settle()
            infos = sup.which_children()
            nursery.cancel_scope.cancel()
    assert [(i.id, i.running, i.restarts) for i in infos] == [("a", True, 0), ("b", True, 1)]
    assert all(i.started_at is not None and i.started_at.utcoffset() == timedelta(0) for i in infos)
    assert [i.running for i in sup.which_children()] == [False, False]


async def test_one_for_one_restarts_only_the_failed_child(journal: list[str]) -> None:
    a, b, c = (Worker(name, journal) for name in "abc")
    sup = Supervisor("sup", specs([a, b, c]), strategy="one_for_one", intensity=3, period=10.0)
    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            journal.clear()
            b.crash()
            await settle()
            assert journal == ["crash b", "start b", "ready b"]
            nursery.cancel_scope.cancel()


async def test_one_for_all_stops_the_others_in_reverse_then_restarts_all_in_order(journal: list[str]) -> None:
    a, b, c = (Worker(name, journal) for name in "abc")
    sup = Supervisor("sup", specs([a, b, c]), strategy="one_for_all", intensity=3, period=10.0)
    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            journal.clear()
            b.crash()
            await settle()
            assert journal == ["crash b", "stop c", "stop a",
                               "start a", "ready a", "start b", "ready b", "start c", "ready c"]
            assert [i.restarts for i in sup.which_children()] == [1, 1, 1]
            nursery.cancel_scope.cancel()


async def test_children_crashing_together_cause_one_restart_not_two(journal: list[str]) -> None:
    a, b, c = (Worker(name, journal) for name in "abc")
    sup = Supervisor("sup", specs([a, b, c]), strategy="one_for_all", intensity=3, period=10.0)
    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            a.crash()
            b.crash()
            await settle()
            assert [i.restarts for i in sup.which_children()] == [1, 1, 1]
            assert journal.count("start c") == 2
            nursery.cancel_scope.cancel()


async def test_rest_for_one_restarts_the_failed_child_and_those_started_after_it(journal: list[str]) -> None:
    a, b, c, d = (Worker(name, journal) for name in "abcd")
    sup = Supervisor("sup", specs([a, b, c, d]), strategy="rest_for_one", intensity=3, period=10.0)
    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            journal.clear()
            b.crash()
            await settle()
            assert journal == ["crash b", "stop d", "stop c",
                               "start b", "ready b", "start c", "ready c", "start d", "ready d"]
            assert [i.restarts for i in sup.which_children()] == [0, 1, 1, 1]
            nursery.cancel_scope.cancel()


async def test_permanent_child_is_restarted_even_after_returning_normally(journal: list[str]) -> None:
    a = Worker("a", journal)
    sup = Supervisor("sup", specs([a], restart="permanent"), intensity=3, period=10.0)
    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            journal.clear()
            a.finish()
            await settle()
            assert journal == ["return a", "start a", "ready a"]
            nursery.cancel_scope.cancel()


async def test_transient_child_is_restarted_after_a_crash_but_not_after_returning(journal: list[str]) -> None:
    a = Worker("a", journal)
    sup = Supervisor("sup", specs([a], restart="transient"), intensity=3, period=10.0)
    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            journal.clear()
            a.crash()
            await settle()
            a.finish()
            await settle()
            assert journal == ["crash a", "start a", "ready a", "return a"]
            assert sup.which_children()[0].running is False
            nursery.cancel_scope.cancel()


async def test_temporary_child_is_never_restarted_and_is_dropped(journal: list[str]) -> None:
    a, t, b = Worker("a", journal), Worker("t", journal), Worker("b", journal)
    children = [ChildSpec("a", a.run), ChildSpec("t", t.run, restart="temporary"),
                ChildSpec("b", b.run, restart="temporary")]
    sup = Supervisor("sup", children, strategy="one_for_all", intensity=3, period=10.0)
    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            journal.clear()
            t.crash()
            await settle()
            assert journal == ["crash t"]
            assert [i.id for i in sup.which_children()] == ["a", "b"]
            # A temporary sibling is stopped with the others, but not brought back.
            a.crash()
            await settle()
            assert journal == ["crash t", "crash a", "stop b", "start a", "ready a"]
            assert [i.id for i in sup.which_children()] == ["a"]
            nursery.cancel_scope.cancel()


async def test_too_many_restarts_stop_the_children_and_raise_a_plain_exception(
        journal: list[str], autojump_clock: trio.testing.MockClock) -> None:
    a = Worker("a", journal, crash_after=1.0)
    b, c = Worker("b", journal), Worker("c", journal)
    sup = Supervisor("sup", specs([a, b, c]), strategy="one_for_one", intensity=2, period=10.0)
    with structlog.testing.capture_logs() as logs, trio.fail_after(VIRTUAL_TIMEOUT), \
            pytest.raises(RestartIntensityExceeded) as caught:
        await sup.run()
    assert type(caught.value) is RestartIntensityExceeded
    assert (caught.value.supervisor, caught.value.child) == ("sup", "a")
    assert a.runs == 3
    assert journal[-3:] == ["crash a", "stop c", "stop b"]
    assert [i.running for i in sup.which_children()] == [False, False, False]
    [exceeded] = named(logs, "supervisor.intensity_exceeded")
    assert exceeded == {"event": "supervisor.intensity_exceeded", "log_level": "error", "supervisor": "sup",
                        "child": "a", "restarts": 2, "intensity": 2, "period": 10.0}


async def test_restarts_spread_wider_than_the_period_do_not_escalate(
        journal: list[str], autojump_clock: trio.testing.MockClock) -> None:
    a = Worker("a", journal, crash_after=6.0)
    sup = Supervisor("sup", specs([a]), intensity=2, period=10.0)
    with trio.move_on_after(60.0):
        await sup.run()
    # Nine restarts in a minute, but never more than two in any ten seconds.
    assert sup.which_children()[0].restarts == 9


async def test_a_failing_restart_counts_as_one_more_restart(journal: list[str]) -> None:
    runs = 0

    async def flaky(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        nonlocal runs
        runs += 1
        if runs == 2:
            raise OSError("not yet")
        task_status.started()
        if runs == 1:
            raise RuntimeError("boom")
        await trio.sleep_forever()

    sup = Supervisor("sup", [ChildSpec("flaky", flaky)], intensity=3, period=10.0)
    with structlog.testing.capture_logs() as logs, trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            await settle()
            assert sup.which_children()[0].restarts == 2
            assert sup.which_children()[0].running
            nursery.cancel_scope.cancel()
    assert [e["reason"] for e in named(logs, "supervisor.child_crashed")] == [
        "RuntimeError('boom')", "OSError('not yet')"]


async def test_a_crash_inside_a_childs_own_nursery_is_handled_not_leaked(journal: list[str]) -> None:
    runs = 0

    async def fail() -> None:
        raise KeyError("lost")

    async def child(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        nonlocal runs
        runs += 1
        async with trio.open_nursery() as nursery:
            task_status.started()
            if runs == 1:
                nursery.start_soon(fail)
            await trio.sleep_forever()

    sup = Supervisor("sup", [ChildSpec("child", child)], intensity=3, period=10.0)
    with structlog.testing.capture_logs() as logs, trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            await settle()
            assert runs == 2
            nursery.cancel_scope.cancel()
    [crashed] = named(logs, "supervisor.child_crashed")
    assert isinstance(crashed["exc_info"], ExceptionGroup)


async def test_nested_supervisor_escalates_to_its_parent_which_restarts_it(journal: list[str]) -> None:
    flaky, steady = Worker("flaky", journal), Worker("steady", journal)
    inner = Supervisor("inner", specs([flaky]), intensity=1, period=10.0)
    outer = Supervisor("outer", [ChildSpec("inner", inner.run), ChildSpec("steady", steady.run)],
                       strategy="one_for_one", intensity=3, period=10.0)
    with structlog.testing.capture_logs() as logs, trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(outer.run)
            journal.clear()
            for _ in range(2):
                flaky.crash()
                await settle()
            assert journal == ["crash flaky", "start flaky", "ready flaky"] * 2
            assert [(i.id, i.running, i.restarts) for i in outer.which_children()] == [
                ("inner", True, 1), ("steady", True, 0)]
            # A restarted supervisor starts afresh: its restart count and window are new.
            assert inner.which_children()[0].restarts == 0
            flaky.crash()
            await settle()
            assert inner.which_children()[0].restarts == 1
            nursery.cancel_scope.cancel()
    [escalated] = named(logs, "supervisor.intensity_exceeded")
    assert (escalated["supervisor"], escalated["child"]) == ("inner", "flaky")
    crashed = [e for e in named(logs, "supervisor.child_crashed") if e["supervisor"] == "outer"]
    assert [(e["child"], type(e["exc_info"])) for e in crashed] == [("inner", RestartIntensityExceeded)]
    restarted = [e for e in named(logs, "supervisor.child_restarted") if e["supervisor"] == "outer"]
    assert [(e["child"], e["restarts"]) for e in restarted] == [("inner", 1)]


async def test_cancelling_stops_children_one_at_a_time_in_reverse_start_order(
        journal: list[str], autojump_clock: trio.testing.MockClock) -> None:
    # Slowest to stop first: were they stopped all at once, "a" would finish first.
    workers = [Worker(name, journal, stop_takes=takes) for name, takes in [("a", 1.0), ("b", 2.0), ("c", 3.0)]]
    sup = Supervisor("sup", specs(workers))
    with structlog.testing.capture_logs() as logs, trio.fail_after(VIRTUAL_TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            journal.clear()
            nursery.cancel_scope.cancel()
    assert journal == ["stop c", "stop b", "stop a"]
    assert trio.current_time() == pytest.approx(6.0)
    assert [e["child"] for e in named(logs, "supervisor.child_stopped")] == ["c", "b", "a"]


async def test_cancelling_while_a_child_starts_stops_it_and_the_started_ones(
        journal: list[str], autojump_clock: trio.testing.MockClock) -> None:
    async def slow_to_start(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        journal.append("start b")
        # Setup that must not be interrupted, so the cancellation lands before it reports ready.
        with trio.CancelScope(shield=True):
            await trio.sleep(1.0)
        task_status.started()
        try:
            await trio.sleep_forever()
        finally:
            journal.append("stop b")

    a, c = Worker("a", journal), Worker("c", journal)
    sup = Supervisor("sup", [ChildSpec("a", a.run), ChildSpec("b", slow_to_start), ChildSpec("c", c.run)])
    with trio.fail_after(VIRTUAL_TIMEOUT), trio.move_on_after(0.5):
        await sup.run()
    assert journal == ["start a", "ready a", "start b", "stop b", "stop a"]
    assert [i.running for i in sup.which_children()] == [False, False, False]


async def test_a_child_overrunning_its_shutdown_is_logged_and_still_awaited(
        journal: list[str], autojump_clock: trio.testing.MockClock) -> None:
    a, slow = Worker("a", journal), Worker("slow", journal, stop_takes=3.0)
    sup = Supervisor("sup", [ChildSpec("a", a.run), ChildSpec("slow", slow.run, shutdown=1.0)])
    with structlog.testing.capture_logs() as logs, trio.fail_after(VIRTUAL_TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            journal.clear()
            nursery.cancel_scope.cancel()
    assert journal == ["stop slow", "stop a"]
    [overrun] = named(logs, "supervisor.shutdown_overrun")
    assert overrun == {"event": "supervisor.shutdown_overrun", "log_level": "warning", "supervisor": "sup",
                       "child": "slow", "restarts": 0, "shutdown": 1.0}


async def test_a_failed_initial_start_stops_the_started_children_and_propagates(journal: list[str]) -> None:
    async def broken(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        raise ConnectionRefusedError("no database")

    a, b, c = (Worker(name, journal) for name in "abc")
    children = [ChildSpec("a", a.run), ChildSpec("b", b.run), ChildSpec("broken", broken), ChildSpec("c", c.run)]
    sup = Supervisor("sup", children)
    with structlog.testing.capture_logs() as logs, trio.fail_after(TIMEOUT), \
            pytest.raises(ConnectionRefusedError, match="no database"):
        await sup.run()
    assert journal == ["start a", "ready a", "start b", "ready b", "stop b", "stop a"]
    [crashed] = named(logs, "supervisor.child_crashed")
    assert (crashed["child"], crashed["reason"]) == ("broken", "ConnectionRefusedError('no database')")


async def test_kill_child_is_a_crash_that_counts_towards_the_intensity(journal: list[str]) -> None:
    a, b = Worker("a", journal), Worker("b", journal)
    # Transient: restarted only after an abnormal end, which a kill is.
    sup = Supervisor("sup", specs([a, b], restart="transient"), strategy="one_for_one", intensity=1, period=10.0)

    async def kill_a_twice() -> None:
        await settle()
        journal.clear()
        sup.kill_child("a")
        await settle()
        assert journal == ["stop a", "start a", "ready a"]
        sup.kill_child("a")

    with structlog.testing.capture_logs() as logs, trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(kill_a_twice)
            with pytest.raises(RestartIntensityExceeded):
                await sup.run()
    crashed = named(logs, "supervisor.child_crashed")
    assert [(e["child"], e["reason"], e["restarts"]) for e in crashed] == [("a", "killed", 0), ("a", "killed", 1)]


async def test_terminate_child_stops_it_for_good_until_restart_child(journal: list[str]) -> None:
    a, b = Worker("a", journal), Worker("b", journal)
    sup = Supervisor("sup", specs([a, b]), intensity=0, period=10.0)
    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            journal.clear()
            await sup.terminate_child("b")
            await settle()
            assert journal == ["stop b"]
            assert [i.running for i in sup.which_children()] == [True, False]
            await sup.restart_child("b")
            assert journal == ["stop b", "start b", "ready b"]
            assert sup.which_children()[1].restarts == 1
            with pytest.raises(RuntimeError, match="running"):
                await sup.restart_child("b")
            with pytest.raises(LookupError):
                sup.kill_child("nobody")
            nursery.cancel_scope.cancel()


async def test_every_start_exit_crash_restart_and_stop_is_one_event(journal: list[str]) -> None:
    a = Worker("a", journal)
    sup = Supervisor("sup", specs([a]), intensity=3, period=10.0)
    with structlog.testing.capture_logs() as logs, trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            a.crash()
            await settle()
            a.finish()
            await settle()
            nursery.cancel_scope.cancel()
    crash = logs[1].pop("exc_info")
    assert isinstance(crash, RuntimeError)
    base = {"supervisor": "sup", "child": "a"}
    assert logs == [
        {"event": "supervisor.child_started", "log_level": "info", **base, "restarts": 0},
        {"event": "supervisor.child_crashed", "log_level": "error", **base, "restarts": 0,
         "reason": "RuntimeError('a crashed')"},
        {"event": "supervisor.child_restarted", "log_level": "info", **base, "restarts": 1},
        {"event": "supervisor.child_exited", "log_level": "info", **base, "restarts": 1, "reason": "normal"},
        {"event": "supervisor.child_restarted", "log_level": "info", **base, "restarts": 2},
        {"event": "supervisor.child_stopped", "log_level": "info", **base, "restarts": 2, "reason": "shutdown"},
    ]


async def test_a_message_queued_in_a_mailbox_survives_the_crash_of_its_actor() -> None:
    # The mailbox is made outside the child, as the tree's builder does, so restarts keep it.
    send, receive = trio.open_memory_channel[str](8)
    handled: list[str] = []

    async def actor(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        async for message in receive:
            if message == "poison":
                raise ValueError(message)
            handled.append(message)

    sup = Supervisor("sup", [ChildSpec("actor", actor)], intensity=1, period=10.0)
    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            send.send_nowait("poison")
            send.send_nowait("hello")
            await settle()
            assert handled == ["hello"]
            assert sup.which_children()[0].restarts == 1
            nursery.cancel_scope.cancel()


async def test_a_supervisor_without_children_starts_and_stops() -> None:
    sup = Supervisor("workers", [], strategy="one_for_one", intensity=5, period=60.0)
    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            assert sup.which_children() == []
            nursery.cancel_scope.cancel()


def test_child_ids_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        Supervisor("sup", [ChildSpec("a", trio.sleep_forever), ChildSpec("a", trio.sleep_forever)])
