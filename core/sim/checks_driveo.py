"""s18 driveo: the operator's agent calls the simulated operator did not make before, and the
property that judges their answers (OperatorAgentCallsHold).

With SimConfig.agent_calls (and `operator`), `start` schedules the operator's extra calls
(`tick`, its own random stream, so the rest of the world draws as before), one kind a turn:
- DEACTIVATE_AGENT of a running agent, the same call again once it is answered (Mesos answers a
  deactivation of a deactivated agent 200 and changes nothing), a restart of the agent's
  process meanwhile (it re-registers deactivated: NoOffersOfDeactivatedAgents judges it, as
  `world.op_out` holds it out), then REACTIVATE_AGENT, and a second REACTIVATE_AGENT of the
  now active agent (200, nothing to write);
- MARK_AGENT_GONE of a running agent (a machine the operator decommissions: its tasks are
  gone, it is told to shut down and comes back as a new agent), and the same call again;
- DRAIN_AGENT of a busy agent and the same call again a moment later (200, nothing
  changes), then REACTIVATE_AGENT; UPDATE_QUOTA of an unused role with a guarantee
  equal to its limit (valid: Mesos's `guarantee <= limit`), removed again a moment later;
- a DEACTIVATE_AGENT sent to a standby master (503: not the leader), a call the master
  does not serve (501), and a DRAIN_AGENT and a MARK_AGENT_GONE by a junior operator the
  ACLs (JUNIOR_ACLS, added to the run's --acls) do not allow them (403, nothing changes).
Each agent call names an agent the leader holds, not one the other operator calls hold
(`op_touched`), none held by maintenance; none from a quarter of the calm after the faults
on (the cluster settles for the liveness checks); a deactivated agent is reactivated then.

OperatorAgentCallsHold (judged at the master step that answers one of these calls, and at
the registry result that commits a MARK_AGENT_GONE): what a 200 answered holds in the
master's books at that step (Mesos Master::Http::deactivateAgent / reactivateAgent /
markAgentGone / drainAgent answer OK only after the registrar applied the operation and
the master acted on it: `deactivate(slave)`, `markGone` which sends the agent a
ShutdownMessage and removes it); a call about an agent the leader holds is not refused 400;
a valid quota config is not refused; a standby refuses 503; an unknown call 501; a call the
ACLs refuse the caller 403 (Master::Http::drainAgent / markAgentGone: Forbidden unless the
approver allows DRAIN_AGENT / MARK_AGENT_GONE).
Cost: every hook is gated on SimConfig.agent_calls (one run of the mutation judge).
"""

from __future__ import annotations

import random
from typing import Any

import attrs
from mesotron.core import invariants as inv
from mesotron.core.effects import RegistryResult, Respond, Send
from mesotron.core.invariants import ClusterSnapshot
from mesotron.core.messages import ShutdownAgent

PREFIX = "driveo-"
# a junior operator the ACLs let deactivate and reactivate agents, not drain them or mark
# them gone (Mesos --acls drain_agents / mark_agents_gone, agents NONE for that principal)
JUNIOR = "ops-junior"
JUNIOR_ACLS = {
    "drain_agents": [{"principals": {"values": [JUNIOR]}, "agents": {"type": "NONE"}}],
    "mark_agents_gone": [{"principals": {"values": [JUNIOR]}, "agents": {"type": "NONE"}}],
}


@attrs.frozen(kw_only=True, slots=True)
class GetMaintenanceStatus:
    """An operator call the master does not serve (Mesos answers calls it does not
    implement 501 Not Implemented)."""


class State:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"driveo-{seed}")
        self.turn = 0
        self.n = 0
        self.calls: dict[str, tuple[str, str]] = {}  # request -> (kind, agent id or role)
        self.kinds: dict[str, tuple[str, str]] = {}  # the same, for the world's bookkeeping
        self.out: set[str] = set()  # agents this operator deactivated, not reactivated yet
        # (a registry step) per agent a pending MARK_AGENT_GONE names, not gone yet: its pid
        # when connected, and the call's request (None: a drain's)
        self.pre_gone: dict[str, tuple[str | None, str | None]] = {}


def start(world: Any) -> None:
    from mesotron.core.sim.world import CALL

    world.driveo = State(world.config.seed)
    world.at(world.driveo.rng.uniform(15.0, 30.0), CALL, tick, (world,))


def _calm(world: Any) -> bool:
    since = getattr(world, "quiescent_since", None)
    return bool(world.quiescent) and since is not None \
        and world.now >= since + world.config.quiesce / 4


def _send(world: Any, m: Any, kind: str, what: str, call: Any,
          principal: str | None = None) -> None:
    from mesotron.core.master.operator import OperatorCall

    st: State = world.driveo
    st.n += 1
    req = f"{PREFIX}{st.n}"
    st.calls[req] = st.kinds[req] = (kind, what)
    world.note(f"operator ({kind}) {type(call).__name__} {what}")
    world.deliver(m, OperatorCall(request=req, call=call, principal=principal))


def _later(world: Any, delay: float, fn: Any, *args: Any) -> None:
    from mesotron.core.sim.world import CALL

    world.at(delay, CALL, fn, (world, *args))


def _agent_call(world: Any, kind: str, aid: str, call: Any) -> None:
    m = world.live_leader()
    if m is not None and aid in m.machine._agents:
        _send(world, m, kind, aid, call)


def _reactivate(world: Any, aid: str, again: bool = False) -> None:
    """REACTIVATE_AGENT of an agent this operator took out (`again`: a second one, of an
    agent active by then); an agent the other operator calls hold is theirs to reactivate
    (their books expect it out)."""
    from mesotron.core.master import operator as op

    if aid in world.op_touched:
        world.driveo.out.discard(aid)
        return
    if not again:
        world.op_out.pop(aid, None)  # offers of it are fine from this call on
    m = world.live_leader()
    if again:
        if m is not None and aid in m.machine._agents:
            _send(world, m, "reactivate", aid, op.ReactivateAgent(agent_id=aid))
        return
    if m is None:
        _later(world, 5.0, _reactivate, aid)  # until a leader answers
        return
    _send(world, m, "reactivate", aid, op.ReactivateAgent(agent_id=aid))


def tick(world: Any) -> None:
    from mesotron.core.master import operator as op

    st: State = world.driveo
    if _calm(world):
        m = world.live_leader()
        for aid in sorted(st.out):
            if m is not None and not m.machine._known_agent(aid):
                st.out.discard(aid)  # removed since: nothing to undo
                continue
            _reactivate(world, aid)
        if st.out:
            _later(world, 10.0, tick)
        return
    _later(world, st.rng.uniform(20.0, 40.0), tick)
    m = world.live_leader()
    if m is None:
        return
    mc = m.machine
    st.turn += 1
    kind = st.turn % 4
    free = sorted(a for a, v in mc._agents.items() if v.connected and a not in world.op_touched
                  and a not in st.out and a not in world.op_grace)
    if kind == 1 and free:
        aid = st.rng.choice(free)
        st.out.add(aid)
        _send(world, m, "deactivate", aid, op.DeactivateAgent(agent_id=aid))
        _later(world, 3.0, _agent_call, "deactivate", aid, op.DeactivateAgent(agent_id=aid))
        _later(world, 4.0, _restart, aid)
        _later(world, 8.0, _reactivate, aid)
        _later(world, 9.0, _reactivate, aid, True)
    elif kind == 2 and free:
        aid = st.rng.choice(free)
        _send(world, m, "gone", aid, op.MarkAgentGone(agent_id=aid))
        _later(world, 3.0, _gone_again, aid)
    elif kind == 3:
        busy = [a for a in free if any(not t.state.is_terminal for t in mc._agents[a].tasks.values())]
        if busy:
            # a drain (no mark_gone), the same DRAIN_AGENT again a moment later, then the
            # agent back (booked in op_grace: the drain the views may show)
            aid = st.rng.choice(busy)
            grace = st.rng.choice((None, 0.0))
            world.op_grace[aid] = grace
            world.op_mark_gone[aid] = False
            st.out.add(aid)
            call = op.DrainAgent(agent_id=aid, max_grace_period=grace)
            _send(world, m, "drain", aid, call)
            _later(world, 1.0, _agent_call, "drain", aid, call)
            _later(world, 6.0, _reactivate, aid)
        _send(world, m, "quota", "ml", op.UpdateQuota(force=True, configs=(op.QuotaConfig(
            role="ml", guarantees=(("cpus", 0.5),), limits=(("cpus", 0.5),)),)))
        _later(world, 2.0, _quota_off)
    else:
        standby = [x for x in world.masters if x.alive and x.machine is not None
                   and not x.machine.leader]
        aid = min(mc._agents, default="no-agent")
        if standby:
            _send(world, standby[0], "standby", aid, op.DeactivateAgent(agent_id=aid))
        _send(world, m, "unserved", "", GetMaintenanceStatus())
        if free:
            # the junior operator tries to drain an agent and to mark one gone: 403
            aid = st.rng.choice(free)
            _send(world, m, "forbidden", aid, op.DrainAgent(agent_id=aid), JUNIOR)
            _send(world, m, "forbidden", aid, op.MarkAgentGone(agent_id=aid), JUNIOR)


def _restart(world: Any, aid: str) -> None:
    """The operator restarts the deactivated agent's process (maintenance: Mesos's agent
    recovers its executors and re-registers; the master keeps it deactivated)."""
    if aid not in world.driveo.out or aid in world.op_touched:
        return
    for n in world.agents:
        if n.alive and n.machine is not None and n.machine.agent_id == aid:
            world.note(f"operator restarts the deactivated agent {n.name} ({aid})")
            world.crash_agent(n, restart_after=0.5, lossy=False, mode="reconnect")
            return


def answered(world: Any, e: Any) -> None:
    """World.operator_answered: the leader's answer to one of these calls. A deactivation
    answered 200 holds the agent out (world.op_out: NoOffersOfDeactivatedAgents judges it)
    until this operator reactivates it."""
    st: State | None = getattr(world, "driveo", None)
    got = st.kinds.pop(e.request, None) if st is not None else None
    if got is None:
        return
    kind, aid = got
    if kind == "deactivate" and e.status == 200 and aid in st.out and aid not in world.op_touched:  # type: ignore[union-attr]
        world.op_out[aid] = ("deactivate", world.now)
    elif kind == "reactivate" and e.status in (200, 400):  # (400: the agent is removed)
        st.out.discard(aid)  # type: ignore[union-attr]


def _gone_again(world: Any, aid: str) -> None:
    from mesotron.core.master import operator as op

    m = world.live_leader()
    if m is not None and aid in m.machine._gone:
        _send(world, m, "gone", aid, op.MarkAgentGone(agent_id=aid))


def _quota_off(world: Any) -> None:
    from mesotron.core.master import operator as op

    m = world.live_leader()
    if m is not None:
        _send(world, m, "quota_off", "ml", op.UpdateQuota(force=True, configs=(
            op.QuotaConfig(role="ml"),)))


# ------------------------------------------------------------------ OperatorAgentCallsHold
def before_registry(node: Any, world: Any) -> None:
    """Before a registry result at a master: the agents a pending MARK_AGENT_GONE names that
    the master holds connected, with their pids."""
    st: State = world.driveo
    m = node.machine
    st.pre_gone = {}
    for p in m._pending_ops.values():
        if p[0] == "gone" and p[1] not in m._gone:
            a = m._agents.get(p[1])
            st.pre_gone[p[1]] = (a.pid if a is not None and a.connected else None, p[4])


def after_master_step(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """OperatorAgentCallsHold at a master step: each answer to one of these calls."""
    st: State = world.driveo
    bad: list[tuple[str, str]] = []
    m = node.machine
    if type(inp) is RegistryResult and st.pre_gone:
        bad += _gone_committed(node, effects, st)
    for e in effects:
        if type(e) is not Respond or e.request not in st.calls:
            continue
        kind, what = st.calls.pop(e.request)
        why = _judge(m, kind, what, e.status, effects, st)
        if why is not None:
            bad.append((node.name, f"{e.request} {kind} {what}: {why}"))
    if bad:
        chk.run(world, inv.OperatorAgentCallsHold, ClusterSnapshot(s18_driveo=tuple(bad)))


def _judge(m: Any, kind: str, aid: str, status: int, effects: list[Any], st: State) -> str | None:
    from mesotron.core.master.operator import DRAINING

    if kind == "standby":
        return None if status == 503 else f"a standby master answered {status}, not 503"
    if kind == "forbidden":
        return None if status == 403 else (f"answered {status} a principal the ACLs do not "
                                           "allow the call (403)")
    if kind == "unserved":
        return None if status == 501 else f"answered {status}, not 501 (not implemented)"
    if not m.leader:
        return None
    if kind in ("quota", "quota_off"):
        return None if status == 200 else (f"a valid quota config (guarantee <= limit) "
                                           f"answered {status}")
    recovered = getattr(m, "_recovered_agents", {})
    known = aid in m._agents or aid in recovered
    if status == 400 and known and kind in ("deactivate", "reactivate"):
        return "refused 400 an agent the master holds"
    if status != 200:
        return None
    if kind == "deactivate":
        if not m.agent_deactivated(aid):
            return "answered 200 but the master does not hold the agent deactivated"
        a = m._agents.get(aid)
        if a is not None and a.offers:
            return f"answered 200 with the agent's offers {sorted(a.offers)} still out"
        al = m.allocator._agents.get(aid)
        if al is not None and al.active:
            return "answered 200 but the allocator holds the agent active"
    elif kind == "reactivate":
        if m.agent_deactivated(aid):
            return "answered 200 but the master holds the agent deactivated or draining"
    elif kind == "drain":
        ds = m.drain_state(aid)
        if ds is None or ds[0] not in (DRAINING, "DRAINED"):
            return f"answered 200 but the agent's drain state is {ds}"
    elif kind == "gone":
        if aid not in m._gone:
            return "answered 200 but the master does not hold the agent gone"
        if aid in m._agents or aid in recovered:
            return "answered 200 but the master still holds the agent"
    return None


def _gone_committed(node: Any, effects: list[Any], st: State) -> list[tuple[str, str]]:
    """The registry result that made agents gone: each connected one is told to shut down
    in the step, and the operator's MARK_AGENT_GONE about it is answered."""
    m = node.machine
    bad: list[tuple[str, str]] = []
    for aid, (pid, req) in sorted(st.pre_gone.items()):
        if aid not in m._gone:
            continue
        if pid is not None and not any(type(e) is Send and e.to == pid
                                       and type(e.message) is ShutdownAgent for e in effects):
            bad.append((node.name, (f"gone {aid}: removed the connected agent without telling "
                                   f"it ({pid}) to shut down")))
        if req is not None and req in st.calls and not any(
                type(e) is Respond and e.request == req for e in effects):
            bad.append((node.name, (f"{req} gone {aid}: the agent is gone but the operator's "
                                   "MARK_AGENT_GONE is not answered")))
    st.pre_gone = {}
    return bad


# ------------------------------------------------------------------ WhyExplains (s18 driveo rows)
def why_json_rows(world: Any, node: Any) -> tuple[tuple[str, str, str], ...]:
    """WhyExplains rows (s18 driveo), with every sample of the leader's views: the JSON of
    each `why` answer (GET /master/why) about a framework the allocator books carries its
    dominant share (DRF: the largest fraction of any resource of the cluster it holds, the
    allocator's ledger) and `agents_total`, the number of (agent, role) pairs it explains
    (the sum of its reason_counts), of which it lists the first min(agents_total, 50). (Its
    DRF tables, filters and agent order: the WhyExplains rows of core/sim/checker.py and
    s17/s18 killm.)"""
    from mesotron.core.allocator.drf import dominant_share
    from mesotron.core.master.why import why

    m = node.machine
    al = m.allocator
    bad: list[tuple[str, str, str]] = []
    for fid in sorted(m._frameworks):
        afw = al._frameworks.get(fid)
        if afw is None:
            continue
        j = why(m, world.now, fid, hidden=False).to_json()
        verdict = str(j.get("verdict"))
        want = dominant_share(afw.total, al._total)
        got = j.get("share")
        if got is None or abs(got - want) > 1e-9:
            bad.append((fid, verdict, f"its share is {got}, the framework's dominant share {want}"))
        total = sum(j.get("reason_counts", {}).values())
        if j.get("agents_total") != total or len(j.get("agents", ())) != min(total, 50):
            bad.append((fid, verdict, (f"its agents_total is {j.get('agents_total')} and it lists "
                                       f"{len(j.get('agents', ()))}, its reason_counts sum to {total}")))
    return tuple(bad)


def check_why_json(chk: Any, world: Any, node: Any) -> None:
    rows = why_json_rows(world, node)
    if rows:
        chk.run(world, inv.WhyExplains, ClusterSnapshot(why_answers=rows))
