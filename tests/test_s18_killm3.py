"""s18 killm3: the agent ignores an executor's update for a framework it is shutting down
(Mesos `Slave::statusUpdate`: "We don't send update when a framework is terminating because
it cannot send acknowledgements"), found by the smoke campaign's seed 1058 once the s17 killm
trajectories reached it: a RunTask delivered just before the framework's ShutdownFramework,
the executor's TASK_STARTING taken after it, checkpointed, acknowledged to the executor, then
dropped with the framework (NoLostAckedWork)."""

from __future__ import annotations

from typing import Any

import pytest
from mesotron.core.agent.executors import UPDATE_FRAMEWORK_TERMINATING
from mesotron.core.agent.machine import MasterDetected, Start
from mesotron.core.effects import Disconnected, Log, Persist, Received
from mesotron.core.ids import IdSource
from mesotron.core.messages import (
    ExecutorAcknowledged,
    ExecutorUpdate,
    RunTask,
    ShutdownFramework,
    StatusUpdateMessage,
)
from mesotron.core.sim import bugs
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate
from mesotron.core.values import TaskState
from test_agent import CX, FW, launched, make_agent, of, registered, sends, status, task

S = TaskState

# tests/test_sim_campaign.py's smoke shape, the seed whose clean-clone CI run failed
SMOKE_1058 = SimConfig(seed=1058, events=2000, agents=4, frameworks=4, faults="all",
                       quiesce=900.0)


def _update(ids: IdSource, state: TaskState) -> Received:
    return Received(sender="exec-t1", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX, status=status("t1", state, ids)))


def _taken(out: list) -> bool:
    return bool(sends(out, ExecutorAcknowledged) or sends(out, StatusUpdateMessage)
                or of(out, Persist))


def test_update_for_terminating_framework_is_ignored() -> None:
    ids = IdSource(seed="x")
    agent = make_agent()
    registered(agent)
    launched(agent)
    # control: while the framework runs, the same kind of update is taken
    out = agent.step(1.5, _update(ids, S.TASK_STARTING))
    assert _taken(out)
    before = agent.metrics()["slave/invalid_status_updates"]
    agent.step(2, Received(sender="master", message=ShutdownFramework(framework_id="fw1")))
    assert agent.frameworks["fw1"].state == "terminating"
    out = agent.step(2.1, _update(ids, S.TASK_RUNNING))
    assert not _taken(out), out
    assert [e.event for e in of(out, Log)] == [UPDATE_FRAMEWORK_TERMINATING]
    assert agent.metrics()["slave/invalid_status_updates"] == before + 1
    assert agent.sum.streams[("fw1", "t1")].pending[-1].status.state is S.TASK_STARTING


def test_planted_bug_takes_the_update() -> None:
    """The planted bug is the agent without the fix: the update is taken again."""
    ids = IdSource(seed="x")
    agent = make_agent()
    registered(agent)
    launched(agent)
    agent.step(2, Received(sender="master", message=ShutdownFramework(framework_id="fw1")))
    with bugs.BUGS["updates_accepted_for_terminating_framework"]():
        out = agent.step(2.1, _update(ids, S.TASK_STARTING))
    assert _taken(out)
    assert agent.frameworks["fw1"].state == "terminating"


def test_smoke_seed_1058_fires_no_lost_acked_work_only_with_the_bug() -> None:
    with bugs.BUGS["updates_accepted_for_terminating_framework"]():
        res = simulate(SMOKE_1058)
    assert res.failure_name == "NoLostAckedWork", res.failure
    assert "TASK_STARTING" in (res.failure or "")
    clean = simulate(SMOKE_1058)
    assert clean.failure is None, clean.failure


# ---------------------------------------------------------------- seed 1009 (checker gap)
# After the fix the campaign's trajectories moved and seed 1009 reached a gap Mesos has: the
# AgentRegistered of a re-registering-from-scratch agent is lost on a lossy link, the
# master's RunTasks for the new id reach the agent before it knows that id and are ignored
# (Mesos `Slave::run`: "intended for old agent"), and the master books the tasks STAGING
# with no re-registration to reconcile them (checks_killm3.on_run books them lost in transit).
SMOKE_1009 = SimConfig(seed=1009, events=2000, agents=4, frameworks=4, faults="all",
                       quiesce=900.0)


def test_smoke_seed_1009_needs_the_exemption(monkeypatch) -> None:
    from mesotron.core.sim import checks_killm3

    assert simulate(SMOKE_1009).failure is None
    monkeypatch.setattr(checks_killm3, "on_run", lambda *a: None)
    res = simulate(SMOKE_1009)
    assert res.failure_name == "TaskBooksAgree", res.failure
    assert "master-only tasks ['batch1.t15', 'batch1.t16', 'batch1.t17']" in (res.failure or "")


class _Node:
    def __init__(self, agent: Any) -> None:
        self.machine = agent


class _Chk:
    def __init__(self) -> None:
        self.lost_in_transit: set[tuple[str, str]] = set()


def test_ignored_run_task_is_lost_only_for_an_agent_without_the_tasks_id() -> None:
    """Booked lost: a RunTask for S1 ignored by an agent that has no id yet. Not booked: the
    same RunTask ignored by a disconnected agent registered as S1 (its re-registration
    reconciles it), or a RunTask the agent takes."""
    from mesotron.core.sim import checks_killm3

    msg = RunTask(framework_info=FW, task=task("t1", "S1"))
    fresh = make_agent()
    fresh.step(0, Start())
    fresh.step(0, MasterDetected(pid="master"))
    out = fresh.step(1, Received(sender="master", message=msg))
    assert fresh.state == "disconnected" and fresh.agent_info.id is None
    chk = _Chk()
    checks_killm3.on_run(chk, _Node(fresh), msg, out)
    assert chk.lost_in_transit == {("fw1", "t1")}

    known = make_agent()
    registered(known)
    known.step(2, Disconnected(peer="master"))
    assert known.state == "disconnected" and known.agent_info.id == "S1"
    out = known.step(3, Received(sender="master", message=msg))
    assert [e.event for e in of(out, Log)] == [checks_killm3.RUN_TASK_NOT_REGISTERED]
    chk = _Chk()
    checks_killm3.on_run(chk, _Node(known), msg, out)
    assert chk.lost_in_transit == set()

    running = make_agent()
    registered(running)
    out = running.step(1, Received(sender="master", message=msg))
    checks_killm3.on_run(chk, _Node(running), msg, out)
    assert chk.lost_in_transit == set()


# ---------------------------------------------------------------- longrun reboot seed 0
def test_cut_short_cleanup_of_a_recovered_task_forgets_its_deleted_log() -> None:
    """test_s17_longrun's reboot seed 0: an operator's cleanup restart deleted batch1.t49's
    update log (its undelivered TASK_FINISHED in it) and a power loss cut the cleanup short
    before the task checkpoint went; the next start recovers the task without the update and
    ends it TASK_FAILED. The s17 condition (a recovered task keeps what it produced) fails
    UpdatesInOrder there; s18's (unless its log survived) is clean."""
    from mesotron.core.sim import checks_killm
    from test_s17_longrun import reboot_config

    real = checks_killm.forget_deleted_updates

    def s17(chk: Any, world: Any, n: Any, rec: Any) -> None:
        # the recovered tasks kept whole, as before s18
        known = {(k[1], k[-1]) for k in rec.checkpoints if k[0] == "task"}
        saved = {k: chk.produced.pop(k) for k in list(chk.produced) if k in known}
        try:
            real(chk, world, n, rec)
        finally:
            chk.produced.update(saved)

    mp = pytest.MonkeyPatch()
    mp.setattr(checks_killm, "forget_deleted_updates", s17)
    try:
        res = simulate(reboot_config(0))
    finally:
        mp.undo()
    assert res.failure_name == "UpdatesInOrder", res.failure
    assert "batch1.t49" in (res.failure or "")
    assert simulate(reboot_config(0)).failure is None


# ---------------------------------------------------------------- KillsTakeEffect
def test_kill_ended_by_a_framework_shutdown_needs_no_update() -> None:
    """s11 seed 0 with drain_kills_nothing (all faults, operator): adversarial1 KILLs t22,
    then tears itself down; the ShutdownFramework reaches the agent before the executor's
    TASK_KILLED, which the agent now ignores (Mesos `Slave::statusUpdate`). Without the
    exemption KillsTakeEffect fires on t22; with it the run is clean."""
    from mesotron.core.sim import checks_killm3
    from test_sim_bugs import s11_config

    cfg = s11_config(0, {"faults": "all", "operator": True})
    mp = pytest.MonkeyPatch()
    mp.setattr(checks_killm3, "kill_ended_by_shutdown", lambda chk, key: False)
    try:
        with bugs.BUGS["drain_kills_nothing"]():
            res = simulate(cfg)
    finally:
        mp.undo()
    assert res.failure_name == "KillsTakeEffect", res.failure
    assert "adversarial1.t22" in (res.failure or "")
    with bugs.BUGS["drain_kills_nothing"]():
        res = simulate(cfg)
    assert res.failure is None, res.failure


def test_kill_exemption_needs_a_shutdown_after_the_task_started() -> None:
    chk = _Chk()
    chk.key_agent = {("f", "t"): "a1", ("g", "u"): "a1"}  # type: ignore[attr-defined]
    chk.produced = {("f", "t"): [(b"1", S.TASK_RUNNING)],  # type: ignore[attr-defined]
                    ("g", "u"): [(b"2", S.TASK_RUNNING)]}
    chk.produced_at = {b"1": 10.0, b"2": 10.0}  # type: ignore[attr-defined]
    from mesotron.core.sim import checks_killm3

    assert not checks_killm3.kill_ended_by_shutdown(chk, ("f", "t"))
    node = _Node(None)
    node.name = "a1"  # type: ignore[attr-defined]
    checks_killm3.on_shutdown(chk, type("W", (), {"now": 5.0})(), node, None)  # before: no
    checks_killm3.on_shutdown(chk, type("W", (), {"now": 12.0})(), node, "g")  # another fw
    assert not checks_killm3.kill_ended_by_shutdown(chk, ("f", "t"))
    assert checks_killm3.kill_ended_by_shutdown(chk, ("g", "u"))
    checks_killm3.on_shutdown(chk, type("W", (), {"now": 13.0})(), node, None)  # the agent
    assert checks_killm3.kill_ended_by_shutdown(chk, ("f", "t"))


# ---------------------------------------------------------------- RecoveryKeepsTasks
def test_shutdown_while_recovering_is_no_recovery_kill() -> None:
    """s11 operator seed 12: the operator restarts an agent, then shuts it down (SIGUSR1)
    before it re-registered; its command executor kills its tasks and waits for
    acknowledgements of updates the agent ignores (the framework is terminating), so the
    shutdown's grace timer SIGKILLs it while the agent still counts as recovering. Without
    the world's exemption RecoveryKeepsTasks fires; with it the run is clean."""
    from mesotron.core.sim.world import World
    from test_sim_bugs import s11_config

    cfg = s11_config(12, {"faults": "all", "operator": True})
    real = World._kept_alive

    def s17(self: Any, n: Any, cid: str, effects: list) -> bool:
        state = n.machine.state
        n.machine.state = "running"
        try:
            return real(self, n, cid, effects)
        finally:
            n.machine.state = state

    mp = pytest.MonkeyPatch()
    mp.setattr(World, "_kept_alive", s17)
    try:
        res = simulate(cfg)
    finally:
        mp.undo()
    assert res.failure_name == "RecoveryKeepsTasks", res.failure
    assert simulate(cfg).failure is None
