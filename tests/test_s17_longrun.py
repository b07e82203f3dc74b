"""s17 longrun: failures of long simulator runs on main, each root-caused and fixed.

1. Agent (core): after a host reboot the agent compared its checkpointed AgentInfo with
   its current one for EQUALITY, while a restart without a reboot takes a grown AgentInfo
   in place (Mesos's --reconfiguration_policy=additive, which the simulator's operator uses).
   An agent the operator had restarted with one more cpu therefore started as a NEW agent at
   its next reboot and dropped its checkpointed status-update streams: an update the agent
   had accepted was lost (NoLostAckedWork at event 43,240 of `mesotron sim --seed 7 --events
   50000 --faults all --operator --fast-alloc`). Mesos `Slave::recover` applies the same
   `compatible()` check with and without a reboot; only an incompatible change after a
   reboot makes a new agent. Fixed in core/agent/recovery.py (`additive_incompatibility`,
   Mesos `slave::compatibility::additive`); the checker's RebootRecovery judges the same.
2. Checker: the reserver took OPERATION_GONE_BY_OPERATOR (a reconciliation's answer for an
   operation on an agent the operator marked gone) for a non-terminal state, so
   OperationsReported fired (seed 6 of {"faults": "all", "operator": True,
   "fault_interval": 10}); Mesos's `protobuf::isTerminalState(OperationState)` counts it
   terminal.
3. Checker: TerminalReachesFramework judged tasks whose agent the leader still waits for
   after its election (Mesos defers their explicit reconciliation until the agent is back or
   removed, and the removal waits for its --agent_removal_rate_limit permit), or marked
   unreachable too recently for the framework's reconciliation cadence.
4. Checker: RegistryCountersAgree counted the registry write of a drain that completed in
   the step (the master checks drains after every input, `_drain_progress`, and writes at
   once when nothing is queued) as a batched one (`master/registrar/batched_operations`
   counts the writes of operations that waited for the write in flight).
"""

from __future__ import annotations

from typing import Any

import pytest
from mesotron.core import invariants as inv
from mesotron.core.agent.machine import Agent
from mesotron.core.agent.model import AgentConfig, MasterDetected, Start
from mesotron.core.agent.recovery import additive_incompatibility
from mesotron.core.checkpoint import Recovered
from mesotron.core.effects import Persist, Received
from mesotron.core.ids import IdSource
from mesotron.core.messages import AgentRegistered, ExecutorUpdate, ReregisterAgent
from mesotron.core.resources import Resources
from mesotron.core.sim import bugs
from mesotron.core.sim.config import OPERATOR_KINDS, SimConfig
from mesotron.core.sim.run import simulate
from mesotron.core.values import AgentInfo, Attribute
from test_agent import AGENT_PID, CX, S, launched, sends, status


def info(res: str, host: str = "h1", attributes: tuple[Attribute, ...] = ()) -> AgentInfo:
    return AgentInfo(hostname=host, resources=Resources.parse(res), attributes=attributes)


# ============================================================== 1. reboot after a reconfiguration
def test_additive_incompatibility_is_mesos_additive_policy() -> None:
    base = info("cpus:4;mem:4096;ports:[31000-32000];zones:{east,west}",
                attributes=(Attribute(name="rack", value="r1"),))
    assert additive_incompatibility(base, base) is None
    grown = info("cpus:5;mem:5120;ports:[30000-32000];zones:{east,west,north};gpus:1",
                 attributes=(Attribute(name="rack", value="r1"), Attribute(name="new", value="x")))
    assert additive_incompatibility(base, grown) is None
    assert additive_incompatibility(grown, base) is not None  # shrunk
    for bad in (info("cpus:3;mem:4096;ports:[31000-32000];zones:{east,west}",
                     attributes=base.attributes),
                info("mem:4096;ports:[31000-32000];zones:{east,west}", attributes=base.attributes),
                info("cpus:4;mem:4096;ports:[31000-31500];zones:{east,west}",
                     attributes=base.attributes),
                info("cpus:4;mem:4096;ports:[31000-32000];zones:{east}", attributes=base.attributes),
                info("cpus:4;mem:4096;ports:[31000-32000];zones:{east,west}",
                     attributes=(Attribute(name="rack", value="r2"),)),
                info("cpus:4;mem:4096;ports:[31000-32000];zones:{east,west}"),
                info("cpus:4;mem:4096;ports:[31000-32000];zones:{east,west}", host="h2",
                     attributes=base.attributes)):
        assert additive_incompatibility(base, bad) is not None, bad


def _agent(res: str) -> Agent:
    return Agent(pid=AGENT_PID, agent_info=info(res), ids=IdSource(seed="s17"),
                 config=AgentConfig())


def _disk(effects: list[Any]) -> Recovered:
    return Recovered.empty().apply([e for e in effects if isinstance(e, Persist)])


def _restarted(effects: list[Any], res: str, boot: str) -> tuple[Agent, list[Any]]:
    agent = _agent(res)
    out = agent.step(10.0, Start(recovered=_disk(effects), boot_id=boot))
    return agent, out


def _agent_with_pending_update() -> tuple[list[Any], bytes]:
    """An agent (cpus:4) registered as S1, running t1, holding its TASK_RUNNING unacked."""
    agent = _agent("cpus:4;mem:4096")
    out = agent.step(0.0, Start(boot_id="b1"))
    out += agent.step(0.0, MasterDetected(pid="master"))
    out += agent.step(0.0, Received(sender="master", message=AgentRegistered(agent_id="S1")))
    out += launched(agent)
    st = status("t1", S.TASK_RUNNING, IdSource(seed="x"))
    out += agent.step(2.0, Received(sender="exec-t1", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX, status=st)))
    assert [u.uuid for u in agent.sum.pending("fw1", "t1")] == [st.uuid]
    return out, st.uuid  # type: ignore[return-value]


def test_reboot_after_growing_in_place_keeps_id_and_update_streams() -> None:
    """The s17 seed-7 failure, directly: restarted in place with one more cpu (no reboot:
    reconnect, same id), then the host reboots. Mesos `Slave::recover` finds the grown
    AgentInfo compatible (additive) and recovers the agent under its id with its status
    update streams; the agent used to start as a new agent and drop the unacked update."""
    disk, uuid = _agent_with_pending_update()
    grown, out = _restarted(disk, "cpus:5;mem:4096", boot="b1")
    assert grown.agent_id == "S1"
    disk += out
    rebooted, out = _restarted(disk, "cpus:5;mem:4096", boot="b2")
    assert rebooted.agent_id == "S1"
    assert not any(isinstance(e, Persist) and e.key == ("updates", "fw1", "t1")
                   and e.record is None for e in out), "the update stream was deleted"
    pending = rebooted.sum.pending("fw1", "t1")
    assert pending and pending[0].uuid == uuid
    out = rebooted.step(11.0, MasterDetected(pid="master"))
    out += rebooted.step(80.0, Received(sender="master", message=AgentRegistered(agent_id="S1")))
    assert [m.agent_info.id for m in sends(out, ReregisterAgent)][:1] == ["S1"]


def test_reboot_after_shrinking_starts_a_new_agent() -> None:
    """An incompatible change after a reboot still makes a new agent (Mesos: "Falling back
    to recover as a new agent"): fewer cpus than the checkpointed AgentInfo."""
    disk, _uuid = _agent_with_pending_update()
    shrunk, out = _restarted(disk, "cpus:3;mem:4096", boot="b2")
    assert not shrunk.agent_id  # a new agent: no id until it registers
    assert any(isinstance(e, Persist) and e.key == ("agent",) and e.record is None for e in out)


# the simulated failure, short: the operator restarts an agent with one more cpu, then a
# power loss reboots its host (pinned: the first seed of 0.. on which the planted bug, the
# old equality check, fires and that is clean without it; s17 merge: 7 -> 0; s18 killm3:
# 0 -> 4, the agent's ignored updates of terminating frameworks moved the runs)
REBOOT_SEED = 4


def reboot_config(seed: int) -> SimConfig:
    return SimConfig(seed=seed, events=6000, agents=5, frameworks=4, quiesce=700.0,
                     faults="all", operator=True, fault_interval=10.0, kinds=OPERATOR_KINDS)


def test_reboot_of_a_grown_agent_in_the_simulator() -> None:
    with bugs.BUGS["reboot_refuses_grown_agents"]():
        res = simulate(reboot_config(REBOOT_SEED))
    assert res.failure_name == "RebootRecovery", res.failure
    assert "grown" in (res.failure or "")
    clean = simulate(reboot_config(REBOOT_SEED))
    assert clean.failure is None, clean.failure


# ============================================================== 2. OPERATION_GONE_BY_OPERATOR
def test_reserver_counts_gone_by_operator_terminal() -> None:
    """The reserver's record (what OperationsReported judges): OPERATION_GONE_BY_OPERATOR
    is terminal (Mesos `protobuf::isTerminalState(OperationState)`) and, like
    OPERATION_UNKNOWN, never replaces a terminal status it heard; UNREACHABLE and RECOVERING
    are not terminal."""
    from mesotron.core.messages import OperationStatus
    from mesotron.core.sim.frameworks import Reserver

    app = Reserver.__new__(Reserver)
    app.ops = {"r1": None, "r2": "OPERATION_FINISHED", "r3": None}
    app.op_agent = {"r1": "S1", "r2": "S1", "r3": "S1"}
    app.reserving = {"S1"}
    app.op_last = {}
    for op_id, state in (("r1", "OPERATION_GONE_BY_OPERATOR"), ("r2", "OPERATION_GONE_BY_OPERATOR"),
                         ("r3", "OPERATION_UNREACHABLE"), ("r3", "OPERATION_RECOVERING")):
        app.on_operation(0.0, OperationStatus(operation_id=op_id, state=state, agent_id="S1"))
    assert app.ops == {"r1": "OPERATION_GONE_BY_OPERATOR", "r2": "OPERATION_FINISHED", "r3": None}
    assert app.op_last["r3"] == "OPERATION_RECOVERING"
    assert inv.OperationsReported(inv.ClusterSnapshot(operations={
        ("f", k): v for k, v in app.ops.items() if k != "r3"})) == []


def operator_config(seed: int) -> SimConfig:
    """tests/test_sim_bugs.py `s11_config` with {"faults": "all", "operator": True,
    "fault_interval": 10} (mesotron sim --seed S --events 3000 --agents 5 --frameworks 4
    --quiesce 700 --faults all --operator --fault-interval 10)."""
    return SimConfig(seed=seed, events=3000, agents=5, frameworks=4, quiesce=700.0,
                     faults="all", operator=True, fault_interval=10.0, kinds=OPERATOR_KINDS)


def test_operator_seed_6_is_clean() -> None:
    """Seed 6 failed OperationsReported on main (reserver1.r2: its ACCEPT lost with a master
    crash, its agent drained and marked gone; every reconciliation answered
    OPERATION_GONE_BY_OPERATOR); with that answer counted terminal the trajectory moves and
    TerminalReachesFramework fired (batch1.t11, on an agent the new leader recovered and
    removed only after its reregistration timeout and a removal permit): both false alarms."""
    res = simulate(operator_config(6))
    assert res.failure is None, res.failure
    assert not res.liveness, res.liveness


# ============================================================== 3. TerminalReachesFramework window
# (test_operator_seed_6_is_clean above fails on it without the checker's window; the
# property still catches its planted bug: tests/test_sim_bugs.py terminal_update_swallowed)
def test_task_reconciled_without_its_agent_waits_for_transitions() -> None:
    """Seed 9 of the 6,000-event operator run failed TerminalReachesFramework
    (reserver1.t5, reconciled without an agent id): the leader deferred every such
    reconciliation while some agent was still recovering after its election (Mesos
    `_reconcileTasks` sends nothing for a task of unknown agent while agents are in
    transition), 459-939 s, and the last recovering agent was marked unreachable after the
    framework's last reconciliation of the run."""
    res = simulate(reboot_config(9))
    assert res.failure is None, res.failure



# ============================================================== 4. RegistryCountersAgree
def test_drain_completion_write_is_not_a_batched_write() -> None:
    """`mesotron sim --seed 1 --events 6000 --faults all --operator` failed
    RegistryCountersAgree at event 5,314 on main: the new leader readmitted a draining agent
    (its registry result), and the drain completing in that step wrote DRAINED at once (no
    write queued: not counted in master/registrar/batched_operations)."""
    cfg = SimConfig(seed=1, events=6000, agents=5, frameworks=4, faults="all", operator=True,
                    kinds=OPERATOR_KINDS)
    res = simulate(cfg, stop_at_event=5400)
    assert res.events >= 5400 and res.failure is None, res.failure


@pytest.mark.parametrize("bug,seed,expected", [
    ("registrations_not_counted", 0, "RegistryCountersAgree"),
])
def test_registry_counters_still_catch_their_bug(bug: str, seed: int, expected: str) -> None:
    from test_s13_mmaster import _cfg

    with bugs.BUGS[bug]():
        res = simulate(_cfg(seed, False))
    assert res.failure_name == expected, res.failure


# ============================================================== 5. WhyExplains after a failover
def test_torn_down_framework_relearnt_from_an_agent_is_inactive() -> None:
    """Seed 4 of the operator run above (6,000 events) failed WhyExplains at quiescence: the
    operator tore adversarial1's first framework down at 108 s; leaders elected later do not
    know it (Mesos keeps completed frameworks in memory only) and re-learnt it from an agent
    re-registering with its tasks (a recovered framework, Mesos `_reregisterSlave`): `why`
    answers inactive, truthfully. The property still catches a master that keeps a torn-down
    framework (tests/test_s14_kalloc.py, planted bug teardown_keeps_framework)."""
    res = simulate(reboot_config(4))
    assert res.failure is None, res.failure


# ============================================================== 6. a cleanup cut short
def test_cleanup_deletes_checkpoints_leaves_first() -> None:
    """`--recover=cleanup` deletes every checkpoint; the deletes are unsynced writes until the
    agent's next effect, so a power loss may keep any prefix of them. Leaves first (update
    logs and tasks, then executors, then frameworks, the agent record last), as a recursive
    delete of Mesos's checkpoint directory tree goes: a prefix never leaves a task without
    its executor and framework records (a restart in reconnect mode could neither rebuild
    nor delete it: CheckpointAgrees, seed 31 of `--events 20000 --faults all --operator
    --fault-interval 10`, event 3,198)."""
    disk, _uuid = _agent_with_pending_update()
    agent = Agent(pid=AGENT_PID, agent_info=info("cpus:4;mem:4096"), ids=IdSource(seed="c"),
                  config=AgentConfig(recover="cleanup"))
    out = agent.step(10.0, Start(recovered=_disk(disk), boot_id="b1"))
    deletes = [e.key for e in out if isinstance(e, Persist) and e.record is None]
    kinds = [k[0] for k in deletes]
    assert {"task", "updates", "executor", "framework", "agent"} <= set(kinds)
    # the host's boot id stays (Mesos's meta/boot_id is outside the agent's tree): a prefix
    # that deleted it but kept the agent record made the next start miss a reboot
    assert ("boot_id",) not in deletes
    for i in range(len(deletes) + 1):  # every prefix a crash may keep
        gone = set(deletes[:i])
        left = [k for k in (("task", "fw1", CX, "t1"), ("updates", "fw1", "t1"))
                if k not in gone]
        if ("executor", "fw1", CX) in gone or ("framework", "fw1") in gone:
            assert not left, (i, deletes)


def test_cleanup_cut_short_then_reconnect_in_the_simulator() -> None:
    cfg = SimConfig(seed=31, events=20000, agents=5, frameworks=4, faults="all", operator=True,
                    fault_interval=10.0, kinds=OPERATOR_KINDS)
    res = simulate(cfg, stop_at_event=3300)
    assert res.events >= 3300 and res.failure is None, res.failure


def test_cleanup_cut_short_then_reboot_in_the_simulator() -> None:
    """Seed 28 of `--events 20000 --faults all --operator` failed RebootRecovery at event
    12,537 on main: the operator restarted a grown agent back to its original resources in
    cleanup mode, a power loss kept the delete of the boot id but not of the agent record,
    and after the host rebooted the agent could not tell: it kept its id with fewer
    resources."""
    cfg = SimConfig(seed=28, events=20000, agents=5, frameworks=4, faults="all", operator=True,
                    kinds=OPERATOR_KINDS)
    res = simulate(cfg, stop_at_event=12600)
    assert res.events >= 12600 and res.failure is None, res.failure


# ============================================================== 7. OPERATION_UNREACHABLE for good
def test_operation_on_an_abandoned_unreachable_agent_is_answered() -> None:
    """Seeds 32 and 37 of `--events 20000 --faults all --operator --fault-interval 10`
    failed OperationsReported: the ACCEPT carrying an UNRESERVE reached a master that no
    longer knew the framework (400), and every reconciliation of the operation answered
    OPERATION_UNREACHABLE, its agent unreachable for good (it came back under a new id):
    Mesos's `reconcileOperations` answer until the agent returns or the registry forgets it.
    The checker takes that answer as final only while the leader books the agent unreachable
    and no live agent carries its id."""
    from types import SimpleNamespace as NS

    from mesotron.core.sim.checker import operations_heard

    app = NS(framework_id="f", ops={"r1": None, "r2": None, "r3": None, "r4": "OPERATION_FINISHED"},
             op_agent={"r1": "S9", "r2": "S1", "r3": "S8", "r4": "S9"},
             op_last={"r1": "OPERATION_UNREACHABLE", "r2": "OPERATION_UNREACHABLE",
                      "r3": "OPERATION_RECOVERING", "r4": "OPERATION_FINISHED"})
    leader = NS(machine=NS(_unreachable={"S9": 10.0, "S1": 10.0, "S8": 10.0}))
    live = NS(alive=True, machine=NS(agent_id="S1"))
    world = NS(live_leader=lambda: leader, agents=[live], schedulers=[NS(app=app)])
    assert operations_heard(world) == {
        ("f", "r1"): "OPERATION_UNREACHABLE",  # S9: unreachable, no live agent carries it
        ("f", "r2"): None,  # S1 is back: an answer other than UNREACHABLE is due
        ("f", "r3"): None,  # not heard UNREACHABLE
        ("f", "r4"): "OPERATION_FINISHED"}


# ============================================================== 8. a volatile update lost in a crash
def test_lost_volatile_update_leaves_the_produced_stream() -> None:
    """`sim --seed 7 --events 50000 --faults all --operator --fast-alloc` failed
    UpdatesInOrder at event 20,994 on dc89c18 (service1.t37 saw ['4a33df29'] of produced
    ['5dd7c793', '4a33df29']): the master's RunTask was dropped, the agent answered the
    master's reconciliation with TASK_LOST (Mesos `Slave::reregistered`:
    `TaskStatusUpdateManager::update(update, slaveId)`, never checkpointed), the master could
    not forward it (framework disconnected), the agent crashed and lost it, and answered the
    next reconciliation with a new TASK_LOST. The checker now drops such an update from the
    stream the agent produced when it dies unseen (it already stopped requiring its
    acknowledgement); one a scheduler saw stays."""
    from types import SimpleNamespace as NS

    from mesotron.core.sim.checker import Checker

    chk = Checker()
    key = ("f", "t37")
    lost, seen, again = b"\x01" * 16, b"\x02" * 16, b"\x03" * 16
    chk.produced[key] = [(lost, S.TASK_LOST), (seen, S.TASK_LOST), (again, S.TASK_LOST)]
    chk.unacked[key] = {lost, seen}
    chk.volatile |= {(key, lost), (key, seen)}
    chk.delivered.add(("f", "t37", seen))
    chk.agent_keys["a1"] = {key}
    chk.on_agent_crash(NS(), NS(name="a1", disk=NS(logs={})), stopped=False)
    assert key in chk.abandoned
    assert [u for u, _st in chk.produced[key]] == [seen, again]
    assert inv.UpdatesInOrder(inv.ClusterSnapshot(
        seen={key: ((seen, S.TASK_LOST), (again, S.TASK_LOST))},
        produced={key: tuple(chk.produced[key])})) == []
