"""s18 drivea: agent-side properties of the simulator's checker (an agent's executor books,
its master-link timers, its describe() text).

Each function is called from one line of core/sim/checker.py tagged `# s18 drivea`; each
judges one step (or the quiescent state) of a real agent against behaviour Mesos has (the
property's docstring in core/invariants.py cites the Mesos source), and reports through
`chk.run` with the (property, agent, what) rows of `ClusterSnapshot.s17_killa`.
"""

from __future__ import annotations

from typing import Any

from mesotron.core import invariants as inv
from mesotron.core.agent.base import MASTER, PING_TIMER, REGISTER_TIMER
from mesotron.core.agent.model import ExecutorExited
from mesotron.core.agent.model import Start as AgentStart
from mesotron.core.effects import Received, SetTimer, TimerFired
from mesotron.core.messages import (
    AgentRegistered,
    AgentReregistered,
    Ping,
    StatusUpdateAcknowledgement,
)


def _fail(chk: Any, world: Any, name: str, agent: str, what: str) -> None:
    chk.run(world, getattr(inv, name), inv.ClusterSnapshot(s17_killa=((name, agent, what),)))


def _heard(chk: Any) -> dict[str, tuple[float, float]]:
    """agent node -> (when its master last armed its ping timer: a (re-)registration or a
    ping it took, the master's ping timeout then)."""
    b = chk.__dict__.get("_drivea_heard")
    if b is None:
        b = chk.__dict__["_drivea_heard"] = {}
    return b


# ================================================================== every agent step
def after_agent_step(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """TerminatedExecutorsRemoved, MasterPingTimeoutHonoured, RegistrationBackoffResets."""
    ag = node.machine
    if ag is None:
        return
    tin = type(inp)
    if tin is Received:
        tm = type(inp.message)
        if tm is StatusUpdateAcknowledgement:
            fw = ag.frameworks.get(inp.message.framework_id)
            if fw is not None:
                _check_removed(chk, world, node, (fw,))
        elif tm is Ping:
            # a connected ping of its master to a running agent re-arms the ping timer
            # (Agent.handlePing: one of another master, or while disconnected, arms nothing)
            if ag.state == "running" and inp.message.connected \
                    and inp.sender in (MASTER, ag.master):
                heard = _heard(chk)
                last = heard.get(node.name)
                if last is not None:
                    heard[node.name] = (world.now, last[1])
        elif (tm is AgentRegistered or tm is AgentReregistered) and ag.state == "running" \
                and any(type(e) is SetTimer and e.key == PING_TIMER for e in effects):
            # the agent took it (one it ignores arms nothing): its ping timer starts over
            t = inp.message.ping_timeout
            _heard(chk)[node.name] = (world.now, t if t else ag.config.master_ping_timeout)
    elif tin is TimerFired:
        if inp.key == PING_TIMER:
            _check_ping_timeout(chk, world, node, effects)
        elif inp.key == REGISTER_TIMER:
            return  # a retry: its backoff grows
    elif tin is ExecutorExited:
        fw = ag.frameworks.get(inp.framework_id)
        if fw is not None:
            _check_removed(chk, world, node, (fw,))
    elif tin is AgentStart:
        _check_removed(chk, world, node, ag.frameworks.values())
    if ag.state != "disconnected":
        return  # an agent registers only while disconnected
    factor = ag.config.registration_backoff_factor
    for e in effects:
        if type(e) is SetTimer and e.key == REGISTER_TIMER and e.at > world.now + 2 * factor:
            _fail(chk, world, "RegistrationBackoffResets", node.name,
                  f"starts registering with its first retry {e.at - world.now:g} s away "
                  f"(--registration_backoff_factor {factor:g})")


def _check_removed(chk: Any, world: Any, node: Any, frameworks: Any) -> None:
    """TerminatedExecutorsRemoved, after the only steps where an executor becomes terminated
    (its exit, recovery) or loses a task (an acknowledged terminal update closes its
    stream): the frameworks of that executor or task (every one at a start)."""
    for fw in frameworks:
        for ex in fw.executors.values():
            if ex.state == "terminated" and not ex.tasks:
                _fail(chk, world, "TerminatedExecutorsRemoved", node.name,
                      f"keeps executor {ex.info.executor_id} of {fw.id}: terminated, no task "
                      f"left")


def _check_ping_timeout(chk: Any, world: Any, node: Any, effects: list[Any]) -> None:
    gave_up = any(getattr(e, "event", None) == "agent.master_ping_timeout" for e in effects)
    if not gave_up:
        return
    last = _heard(chk).get(node.name)
    if last is not None and world.now - last[0] < last[1] - 1e-9:
        _fail(chk, world, "MasterPingTimeoutHonoured", node.name,
              f"gives its master up {world.now - last[0]:g} s after it last heard from it "
              f"(the master's ping timeout: {last[1]:g} s)")


# ================================================================== DescribeAgrees rows
def agent_describe_row(node: Any) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    """DescribeAgrees: an agent's describe() (what the explorer deduplicates agent states
    by) beside the lines its books say it must hold: its id, state and master, each
    framework (checkpointing or not), each executor (state, kind, container, connection),
    each task (state, queued) and each executor's completed tasks."""
    ag = node.machine
    must = [(f"agent {ag.pid} id={ag.agent_id or '-'} state={ag.state} "
             f"master={ag.master or '-'}")]
    never: list[str] = []
    for fw_id in sorted(ag.frameworks):
        fw = ag.frameworks[fw_id]
        must.append(f"  framework {fw_id} {fw.state} checkpoint={ag.config.checkpoint and fw.info.checkpoint}")
        for ex_id in sorted(fw.executors):
            ex = fw.executors[ex_id]
            kind = "command" if ex.command_executor else "custom"
            head = f"    executor {ex_id} {ex.state} {kind} "
            must.append(head + f"container={ex.container_id[:8]} pid={ex.pid or '-'}")
            for task_id, t in ex.tasks.items():
                line = f"      task {task_id} {t.state.name}"
                must.append(line + (" queued" if t.queued else ""))
                if not t.queued:
                    never.append(line + " queued")
            if ex.completed:
                must.append("      completed: " + ", ".join(
                    f"{t.info.task_id} {t.state.name}" for t in ex.completed))
    must += [x for x in ag.sum.describe().split("\n") if x][:1]
    return (f"agent {node.name}", ag.describe(), tuple(must), tuple(never))
