"""s19 leak42: a checker exemption for a gap Mesos has, reached by `mesotron sim --seed 42
--events 3000 --faults net --uncheckpointed` (NoResourceLeak at quiescence: two idle custom
executors of a framework torn down during a lossy-network fault).

Called from one line of core/sim/checker.py tagged `# s19 leak42` per hook.

- A ShutdownFramework lost in transit to an agent that stays registered (the lossy network
  dropped it while the connection stayed up: TCP never does, the simulator does) leaves the
  framework's executors and tasks running on that agent, while the master, which removed the
  framework (Mesos `Master::removeFramework`: its tasks and executors leave the master's
  books and their resources go back to the allocator), no longer books them. Mesos sends no
  second ShutdownFramework: status updates of the framework's tasks reaching the master are
  only logged ("Received status update ... for an unknown framework"; "Could not lookup task
  for status update": `Master::statusUpdate`), and only a re-registration of the agent makes
  the master tell it again (`Master::reconcileKnownSlave` / `__reregisterSlave`: "Send
  ShutdownFrameworkMessages for frameworks that are completed. This could happen if the
  message wasn't received by the slave"; ours: core/master/agents.py `_shutdown_completed`).
  So until that agent re-registers, the quiescence books (TaskBooksAgree, NoResourceLeak)
  and MasterExecutorsAgree skip that framework on that agent, on both sides (the way
  `chk.lost_in_transit` skips a RunTask lost in transit: Checker.on_dropped).
- The exemption ends at the agent's next (re-)registration with a master: the master step
  that logs agent_registered / agent_reregistered / agent_readmitted for it (the step that
  sends the ShutdownFramework of a completed framework the agent reports). A ShutdownFramework
  of that step dropped in its turn is recorded after it (the world sends a step's messages
  after the checker saw the step), so it opens a new exemption.

Cost: one type test per dropped message; one dict test per (re-)registration; at quiescence,
only agents with a lost ShutdownFramework are recomputed.
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.messages import ShutdownFramework
from mesotron.core.resources import sum_of


def _lost(chk: Any) -> dict[tuple[str, str], float]:
    """(agent id, framework id) -> when a ShutdownFramework to that agent was lost."""
    b = chk.__dict__.get("_leak42_lost")
    if b is None:
        b = chk.__dict__["_leak42_lost"] = {}
    return b


# ------------------------------------------------------------------ hooks
def on_dropped(chk: Any, world: Any, dst: Any, t: type, msg: Any) -> None:
    """Checker.on_dropped: the network dropped `msg` (of type `t`) to node `dst`."""
    if t is not ShutdownFramework or dst is None or dst.kind != "agent" or not dst.alive:
        return
    ag = dst.machine
    aid = ag.agent_id if ag is not None else None
    if aid:
        _lost(chk)[(aid, msg.framework_id)] = world.now


def on_contact(chk: Any, aid: str) -> None:
    """note_agent_contact: a master (re-)registered agent `aid` (before the step's messages
    leave): the agent's lost ShutdownFrameworks are no longer a gap."""
    lost = chk.__dict__.get("_leak42_lost")
    if lost:
        for k in [k for k in lost if k[0] == aid]:
            del lost[k]


# ------------------------------------------------------------------ at quiescence
def lost_frameworks(chk: Any, aid: str) -> frozenset[str]:
    """The frameworks whose ShutdownFramework to agent `aid` was lost since its last
    (re-)registration."""
    lost = chk.__dict__.get("_leak42_lost")
    if not lost:
        return frozenset()
    return frozenset(f for a, f in lost if a == aid)


def exempt_books(chk: Any, world: Any, books: list[Any]) -> list[Any]:
    """Checker.quiescence_books: each agent's TaskBooks without the frameworks whose
    ShutdownFramework to it was lost (tasks on both sides; resources on both sides unless the
    books compare none: tasks in flight)."""
    if not chk.__dict__.get("_leak42_lost"):
        return books
    lead = world.live_leader()
    if lead is None:
        return books
    from mesotron.core.sim.checker import agent_running  # checker.py imports this module

    nodes = {n.machine.agent_id: n for n in world.agents
             if n.alive and n.machine is not None and n.machine.agent_id}
    out = []
    for b in books:
        fids = lost_frameworks(chk, b.agent_id)
        a = lead.machine._agents.get(b.agent_id)
        n = nodes.get(b.agent_id)
        if not fids or a is None or n is None:
            out.append(b)
            continue
        changes: dict[str, Any] = {
            "master_tasks": frozenset(k for k in b.master_tasks if k[0] not in fids),
            "agent_tasks": frozenset(k for k in b.agent_tasks if k[0] not in fids)}
        if b.master_used or b.agent_running:
            changes["master_used"] = sum_of(
                [r for f, r in a.used_by_framework().items() if f not in fids])
            changes["agent_running"] = agent_running(n.machine, skip=fids)
        out.append(attrs.evolve(b, **changes))
    return out


def exempt_executor_rows(world: Any, rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """master_executor_rows (MasterExecutorsAgree): an executor the agent runs and the leader
    does not book, of a framework whose ShutdownFramework to that agent was lost, is the same
    gap."""
    chk = getattr(world, "obs", None)
    if not rows or chk is None or not chk.__dict__.get("_leak42_lost"):
        return rows
    return [r for r in rows if not (r[2] == "run by the agent, not booked by the leader"
                                    and r[1].split("/", 1)[0] in lost_frameworks(chk, r[0]))]
