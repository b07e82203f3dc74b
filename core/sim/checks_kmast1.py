"""s19 kmast1: master-side agent properties of the simulator's checker (the reconciliation of
a re-registering agent the leader holds, the deadline of the agents a new leader recovers, the
health check's deadline for a silent agent).

Called from one line of core/sim/checker.py tagged `# s19 kmast1` (Checker.on_master_step);
each judges one leader step against behaviour Mesos has (the property's docstring in
core/invariants.py cites the Mesos source) and reports through `chk.run` with the
(property, agent, what) rows of `ClusterSnapshot.s17_killa`. Only the steps that matter are
looked at: a ReregisterAgent, a RegistryResult (while recovered agents are due), an
election, and the agent_reregister_timeout, ping and removal permit timers.
"""

from __future__ import annotations

from typing import Any

from mesotron.core import invariants as inv
from mesotron.core.effects import Received, RegistryResult, Send, SetTimer, TimerFired
from mesotron.core.master.base import LeadershipGained
from mesotron.core.messages import AgentReregistered, KillTask, ReregisterAgent

_DEADLINE = ("agent_reregister_timeout",)


def _fail(chk: Any, world: Any, name: str, agent: str, what: str) -> None:
    chk.run(world, getattr(inv, name), inv.ClusterSnapshot(s17_killa=((name, agent, what),)))


def _recovered(chk: Any) -> dict[tuple[str, int], tuple[set[str], set[str]]]:
    """(master node, incarnation) -> (the agent ids its registry admitted when it was
    elected, the ids it has readmitted since)."""
    b = chk.__dict__.get("_kmast1_recovered")
    if b is None:
        b = chk.__dict__["_kmast1_recovered"] = {}
    return b


def master_step(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """KnownAgentsReconciled, RecoveredAgentsDeadline, SilentAgentsMarked."""
    tin = type(inp)
    if tin is Received:
        if type(inp.message) is ReregisterAgent and node.leader:
            _check_reconciled(chk, world, node, inp, effects)
    elif tin is RegistryResult:
        if node.leader:
            _after_registry(chk, world, node, effects)
    elif tin is TimerFired:
        key = inp.key
        if not node.leader:
            return
        if key[0] == "ping":
            _check_ping(chk, world, node, key[1])
        elif key[0] == "agent_removal_permit":
            if any(getattr(e, "event", None) == "agent_removal_canceled" for e in effects):
                _restarts(chk)[(node.name, node.inc, key[1])] = world.now
        elif key == _DEADLINE:
            _check_deadline(chk, world, node)
    elif tin is LeadershipGained:
        _after_election(chk, world, node, inp, effects)


# ================================================================== KnownAgentsReconciled
def _check_reconciled(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """After the leader's step on a ReregisterAgent of an agent it holds (it answers at once
    with AgentReregistered; one it does not hold is readmitted through the registry)."""
    sender = inp.sender
    if not any(type(e) is Send and e.to == sender and type(e.message) is AgentReregistered
               for e in effects):
        return
    m = node.machine
    msg = inp.message
    aid = msg.agent_info.id or ""
    agent = m._agents.get(aid)
    if agent is None:
        return
    alive = {(e.framework_id, e.executor_id) for e in msg.executor_infos}
    for fid, eid in sorted(agent.executors):
        if (fid, eid) not in alive:
            _fail(chk, world, "KnownAgentsReconciled", aid,
                  f"still books executor {eid} of {fid} that the agent did not report")
    for fid, fw in m._frameworks.items():
        for a, eid in fw.executors:
            if a == aid and (fid, eid) not in alive:
                _fail(chk, world, "KnownAgentsReconciled", aid,
                      f"framework {fid} still books executor {eid} that the agent did not "
                      "report")
    if agent.killed_tasks:
        kills = {(e.message.framework_id, e.message.task_id) for e in effects
                 if type(e) is Send and e.to == sender and type(e.message) is KillTask}
        for r in msg.tasks:
            key = (r.framework_id, r.task.task_id)
            if not r.state.is_terminal and key in agent.killed_tasks and key not in kills:
                _fail(chk, world, "KnownAgentsReconciled", aid,
                      f"reports task {key[1]} of {key[0]} running, which was asked to be "
                      "killed, and is not sent a KillTask")
    if m.agent_deactivated(aid):
        a = getattr(m.allocator, "_agents", {}).get(aid)
        if a is not None and getattr(a, "activated", False):
            _fail(chk, world, "KnownAgentsReconciled", aid,
                  "is deactivated by the operator but active in the allocator after it "
                  "re-registered")


# ================================================================== RecoveredAgentsDeadline
def _after_election(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    m = node.machine
    if not m.leader:
        return
    admitted = {a.id for a in inp.registry.admitted if a.id}
    _recovered(chk)[(node.name, node.inc)] = (admitted, set())
    if not admitted:
        return
    want = world.now + m.config.agent_reregister_timeout
    if not any(type(e) is SetTimer and e.key == _DEADLINE and abs(e.at - want) < 1e-9
               for e in effects):
        _fail(chk, world, "RecoveredAgentsDeadline", ",".join(sorted(admitted)),
              f"recovered from the registry by a leader elected at t={world.now:g}, which "
              f"did not give them until t={want:g} to re-register")


def _check_deadline(chk: Any, world: Any, node: Any) -> None:
    rec = _recovered(chk).get((node.name, node.inc))
    if rec is None:
        return
    admitted, back = rec
    m = node.machine
    for aid in sorted(admitted - back):
        if aid in m._agents or aid in m._reregistering or aid in m._marking_unreachable \
                or aid in m._removal_waiting or aid in m._unreachable or aid in m._gone:
            continue
        _fail(chk, world, "RecoveredAgentsDeadline", aid,
              "did not re-register before the deadline and is not marked unreachable")
    admitted.clear()


# ================================================================== readmissions
def _after_registry(chk: Any, world: Any, node: Any, effects: list[Any]) -> None:
    """RecoveredAgentsDeadline's books: the agents a registry result readmitted are back."""
    rec = _recovered(chk).get((node.name, node.inc))
    if rec is None or not rec[0]:
        return
    rec[1].update(e.message.agent_id for e in effects
                  if type(e) is Send and type(e.message) is AgentReregistered)


# ================================================================== SilentAgentsMarked
def _restarts(chk: Any) -> dict[tuple[str, int, str], float]:
    """(master node, incarnation, agent id) -> when a canceled removal restarted the agent's
    health checks (its pings start over without a contact)."""
    b = chk.__dict__.get("_kmast1_restarts")
    if b is None:
        b = chk.__dict__["_kmast1_restarts"] = {}
    return b


def _check_ping(chk: Any, world: Any, node: Any, aid: str) -> None:
    """On every ping timer of the leader: the agent has been heard from (registered,
    re-registered, readmitted, a Pong) or had its pings restarted within
    (max_agent_ping_timeouts + 1) x agent_ping_timeout; one silent longer is marked
    unreachable (or waits for its permit) by this step at the latest, at the
    max_agent_ping_timeouts-th ping it left unanswered."""
    m = node.machine
    if aid not in m._agents:
        return
    who = (node.name, node.inc, aid)
    last = chk.agent_contact.get(who)
    if last is None:
        return
    restart = _restarts(chk).get(who)
    if restart is not None and restart > last:
        last = restart
    cfg = m.config
    limit = (cfg.max_agent_ping_timeouts + 1) * cfg.agent_ping_timeout
    if world.now - last > limit + 1e-6:
        _fail(chk, world, "SilentAgentsMarked", aid,
              f"silent for {world.now - last:g} s when a ping timer fires: the health check "
              f"should have given up at its {cfg.max_agent_ping_timeouts}th unanswered ping "
              f"({cfg.agent_ping_timeout:g} s apart)")
