"""s16 kobs: what operators observe, recounted by the checker (core/invariants.py's
MetricsAgree, LogsRecord, AnswersAsMesos), and the hostile inputs that make the simulator
run the answers it judges.

Cost: nothing here walks the cluster. Each hook is called by core/sim/checker.py from a
branch it already takes for that input, only in the steps whose input can change what it
reads (a counter where it can move, the books where a framework or agent can come or go),
and looks at the step's first effect or, for the rare inputs (a registry result, an
operator call, a subscription, a disconnection), at its effects; a property builds its
snapshot (and counts as checked) only when it has something to report. The two hostile
inputs below are delivered off the network with no random draw and change no machine's
state, so every run's trajectory is the one it was (only its count of checks grows: the
other properties judge the extra steps).

- MetricsAgree: the agent's `invalid_status_updates` is recounted from its answers to the
  executor API (a refused UPDATE, an update a SUBSCRIBE carried that was refused); the
  master's `master/operations/finished` from the ACCEPTs it took (each RESERVE / UNRESERVE
  not refused as `operation_invalid`), its `master/registry_gc/pruned` from the
  unreachable / gone entries a registry result made it forget (not readmitted, not moved to
  the gone list); (s23) its `master/valid_status_updates` + `master/invalid_status_updates`
  from the agents' status updates a leader took (one each, `valid` only for a task booked on
  the sender), its `master/slave_unreachable_canceled` from a permit step's
  `agent_removal_canceled` logs.
- LogsRecord: a framework or agent the master books (or forgets) in a step is logged in
  that step: `framework_added` (not for a framework recovered from its agents),
  `framework_resubscribed`, `framework_disconnected`, `framework_removed`,
  `agent_registered` / `agent_readmitted`, `agent_removed`, each naming it.
- AnswersAsMesos: the HTTP status of each answer is the one Mesos gives that input: a
  refused executor call 400 (403: a known executor's call from a connection that never
  subscribed as it), a refused RunTask 400, a refused message of the hostile agent peer at
  the master 400, a taken scheduler call 202 (SUBSCRIBE 200), a taken operator call 200 (RESERVE /
  UNRESERVE_RESOURCES: Mesos 202, this project 200), a refusal one of 400 403 409 501 503
  (never 401: the shell's HTTP authentication answers that before the core sees a call).
"""

from __future__ import annotations

from typing import Any

from mesotron.core import invariants as inv
from mesotron.core.agent.executors import UPDATE_FRAMEWORK_TERMINATING
from mesotron.core.effects import (
    Disconnected,
    Log,
    Received,
    RegistryResult,
    Reject,
    Respond,
    Send,
    TimerFired,
)
from mesotron.core.invariants import ClusterSnapshot
from mesotron.core.messages import (
    AgentRegistered,
    AgentReregistered,
    CallAccept,
    CallSubscribe,
    CallTeardown,
    ExecutorMessage,
    ExecutorSubscribe,
    ExecutorSubscribed,
    ExecutorUpdate,
    OpReserve,
    OpUnreserve,
    RunTask,
    RunTaskGroup,
    StatusUpdateMessage,
)
from mesotron.core.resources import Resources

INVALID_UPDATES = "invalid_status_updates"
OPS_FINISHED = "master/operations/finished"
GC_PRUNED = "master/registry_gc/pruned"
SU_VALID = "master/valid_status_updates"  # s23
SU_INVALID = "master/invalid_status_updates"  # s23
REMOVAL_CANCELED = "master/slave_unreachable_canceled"  # s23
# the refusals the core answers (Mesos: 400 Bad Request, 403 Forbidden, 409 Conflict,
# 501 Not Implemented, 503 Service Unavailable)
REFUSALS = frozenset({400, 403, 409, 501, 503})
_EXEC_CALLS = (ExecutorUpdate, ExecutorMessage)

# the messages whose agent steps the checker hands over (core/sim/checker.py gates on these
# types, so that the other steps pay one set lookup)
AGENT_INPUTS = frozenset({ExecutorUpdate, ExecutorSubscribe, ExecutorMessage, RunTask,
                          RunTaskGroup, AgentRegistered, AgentReregistered})
# LogsRecord compares the master's books only in the steps that can book or forget a
# framework or an agent (measured over the mutation judge's runs: registry results, operator
# calls, SUBSCRIBE and TEARDOWN; and a framework's failover timer)


def _logs(effects: list[Any], events: frozenset[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in effects:
        if type(e) is Log and e.event in events:
            out.setdefault(e.event, []).append(str(dict(e.fields).get(
                "framework_id" if e.event.startswith("framework") else "agent_id", "")))
    return out


# ------------------------------------------------------------------ master
# Each hook is called by core/sim/checker.py from a branch it already takes for that input
# (before_master_step / on_master_step), so that the other steps pay nothing.
def new_state() -> dict[str, Any]:
    """The checker's books for these checks (Checker.kobs)."""
    return {"agent": {}, "members": {}, "pre": None, "ops": {}}


def before_accept(chk: Any, node: Any, inp: Any) -> None:
    """An ACCEPT or DECLINE: the ACCEPT's operations counter before the step."""
    if type(inp.call) is CallAccept:
        c = node.machine.counters
        chk.kobs["pre"] = (CallAccept, c, c.get(OPS_FINISHED, 0))


def before_subscribe(chk: Any, node: Any, inp: Any) -> None:
    fid = inp.call.framework_info.id
    chk.kobs["pre"] = (CallSubscribe, fid is not None and fid in node.machine._frameworks)


def before_registry(chk: Any, node: Any) -> None:
    m = node.machine
    chk.kobs["pre"] = (RegistryResult, m.counters, m.counters.get(GC_PRUNED, 0),
                       set(m._unreachable), set(m._gone))


def before_status_update(chk: Any, node: Any, inp: Any) -> None:
    """(s23) An agent's status update at a master: its two update counters before the
    step, and whether the master booked the update's task on the sending agent."""
    m = node.machine
    c = m.counters
    agent = m._agents.get(m._pids.get(inp.sender, ""))
    upd = inp.message.update
    booked = agent is not None and (upd.framework_id, upd.status.task_id) in agent.tasks
    chk.kobs["pre"] = (StatusUpdateMessage, c, c.get(SU_VALID, 0), c.get(SU_INVALID, 0),
                       booked)


def after_status_update(chk: Any, world: Any, node: Any, effects: list[Any]) -> None:
    """(s23) Mesos's Master::statusUpdate counts every update it takes as valid or
    invalid (`valid_status_updates`, `invalid_status_updates`): one of the two grows by 1
    for each update a leader took (not refused 400 as malformed), neither otherwise, and
    `valid` only for a task the master had booked on that agent."""
    pre = _pre(chk, StatusUpdateMessage)
    m = node.machine
    if pre is None or pre[1] is not m.counters:
        return
    valid = m.counters.get(SU_VALID, 0) - pre[2]
    invalid = m.counters.get(SU_INVALID, 0) - pre[3]
    taken = 1 if m.leader and not (effects and type(effects[0]) is Reject) else 0
    if valid < 0 or invalid < 0 or valid + invalid != taken:
        _metric(chk, world, node.name, f"{SU_VALID} + {SU_INVALID}", valid + invalid, taken,
                "the status updates the leader took in this step")
    elif valid and not pre[4]:
        _metric(chk, world, node.name, SU_VALID, valid, 0,
                "the updates of tasks the master had booked on the sending agent")


def before_removal_permit(chk: Any, node: Any) -> None:
    """(s23) An agent removal's permit fired: the canceled removals counter before."""
    c = node.machine.counters
    chk.kobs["pre"] = (TimerFired, c, c.get(REMOVAL_CANCELED, 0))


def after_removal_permit(chk: Any, world: Any, node: Any, effects: list[Any]) -> None:
    """(s23) `master/slave_unreachable_canceled` grows by one for each removal the step
    canceled (logged agent_removal_canceled: the agent answered or came back in time)."""
    pre = _pre(chk, TimerFired)
    m = node.machine
    if pre is None or pre[1] is not m.counters:
        return
    want = sum(1 for e in effects if type(e) is Log and e.event == "agent_removal_canceled")
    got = m.counters.get(REMOVAL_CANCELED, 0) - pre[2]
    if got != want:
        _metric(chk, world, node.name, REMOVAL_CANCELED, got, want,
                "the removals the permit's step canceled (agent_removal_canceled)")


def before_disconnected(chk: Any, node: Any, inp: Any) -> None:
    chk.kobs["pre"] = (Disconnected, node.machine._streams.get(inp.peer))


def _pre(chk: Any, t: type) -> Any:
    st = chk.kobs
    pre = st["pre"]
    st["pre"] = None
    return pre if pre is not None and pre[0] is t else None


# the statuses of a taken call and the refusals (a frozenset lookup per call)
_CALL_OK = frozenset({202}) | REFUSALS
_SUBSCRIBE_OK = frozenset({200}) | REFUSALS


def after_call(chk: Any, world: Any, node: Any, inp: Any, ct: type, effects: list[Any]) -> None:
    """A scheduler call (not the hostile client's: HostileCallsRefused judges those)."""
    if effects:
        r = effects[0]
        if type(r) is Respond and r.status not in (_SUBSCRIBE_OK if ct is CallSubscribe
                                                   else _CALL_OK):
            want = 200 if ct is CallSubscribe else 202
            _answers(chk, world, node.name, ct.__name__, f"answered {r.status}, Mesos's is "
                     f"{want} (or a refusal 400/403/409/501/503)")
    if ct is CallAccept:
        pre = _pre(chk, CallAccept)
        if pre is not None:
            _ops_finished(chk, world, node, inp, effects, pre)
    elif ct is CallSubscribe:
        pre = _pre(chk, CallSubscribe)
        if pre is not None:
            _subscribed(chk, world, node, effects, pre[1])
        _members(chk, world, node, effects)
    elif ct is CallTeardown:
        _members(chk, world, node, effects)


def after_registry(chk: Any, world: Any, node: Any, effects: list[Any]) -> None:
    _operator_answers(chk, world, node, None, effects)
    pre = _pre(chk, RegistryResult)
    if pre is not None and pre[1] is node.machine.counters:
        _pruned(chk, world, node, pre)
    _members(chk, world, node, effects)


def after_disconnected(chk: Any, world: Any, node: Any, effects: list[Any]) -> None:
    pre = _pre(chk, Disconnected)
    fid = pre[1] if pre is not None else None
    fw = node.machine._frameworks.get(fid) if fid is not None else None
    if fw is not None and fw.stream is None:
        got = _logs(effects, frozenset({"framework_disconnected"})).get(
            "framework_disconnected", [])
        if got != [fid]:
            _record(chk, world, node.name, f"framework {fid} lost its stream, logged "
                    f"framework_disconnected for {got}")


def after_operator_call(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    _operator_answers(chk, world, node, inp, effects)
    _members(chk, world, node, effects)


def after_failover(chk: Any, world: Any, node: Any, effects: list[Any]) -> None:
    """A framework's failover timer fired (its removal)."""
    _members(chk, world, node, effects)


def after_agent_message(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """A message of the hostile agent peer (World.spoof_agent_message) at the master."""
    if effects and type(effects[0]) is Reject and effects[0].status != 400:
        _answers(chk, world, node.name, type(inp.message).__name__,
                 f"refused {effects[0].status}, Mesos's is 400 (a malformed or unexpected "
                 "agent message)")


def _operator_answers(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """A taken operator call 200 (RESERVE / UNRESERVE_RESOURCES: 200 or Mesos's 202); a
    refusal one of REFUSALS. The call's kind is booked at its step when it is answered
    later (after its registry write)."""
    ops: dict[str, str] = chk.kobs["ops"]
    if inp is not None:
        ops[inp.request] = type(inp.call).__name__
    for e in effects:
        if type(e) is not Respond:
            continue
        kind = ops.pop(e.request, None)
        if kind is None or e.status in REFUSALS:
            continue
        ok = (200, 202) if kind == "ReserveResources" else (200,)
        if e.status not in ok:
            _answers(chk, world, node.name, kind, f"answered {e.status}, Mesos's is "
                     f"{' or '.join(map(str, ok))} (or a refusal 400/403/409/501/503)")


def _ops_finished(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any],
                  pre: tuple[Any, ...]) -> None:
    """Each RESERVE / UNRESERVE of an ACCEPT the master took (202) of valid offers is
    finished unless the step refused it (`operation_invalid`, one per refused one)."""
    m = node.machine
    if pre[1] is not m.counters:
        return
    want = 0
    if effects and type(effects[0]) is Respond and effects[0].status == 202:
        refused = 0
        for e in effects:
            if type(e) is Log:
                if e.event == "accept_invalid_offers":
                    refused = -1
                    break
                if e.event == "operation_invalid":
                    refused += 1
        if refused >= 0:
            want = sum(1 for op in inp.call.operations
                       if type(op) is OpReserve or type(op) is OpUnreserve) - refused
    got = m.counters.get(OPS_FINISHED, 0) - pre[2]
    if got != want:
        _metric(chk, world, node.name, OPS_FINISHED, got, want,
                "the RESERVE / UNRESERVE operations an ACCEPT applied")


def _pruned(chk: Any, world: Any, node: Any, pre: tuple[Any, ...]) -> None:
    m = node.machine
    _t, _c, before, unreachable, gone = pre
    want = sum(1 for a in unreachable if a not in m._unreachable and a not in m._agents
               and a not in m._gone) + sum(1 for a in gone if a not in m._gone)
    got = m.counters.get(GC_PRUNED, 0) - before
    if got != want:
        _metric(chk, world, node.name, GC_PRUNED, got, want,
                "the unreachable / gone entries the registry result pruned")


def _subscribed(chk: Any, world: Any, node: Any, effects: list[Any], known: bool) -> None:
    """A SUBSCRIBE the master took (200 with a stream it now books) of a framework it
    already held is logged framework_resubscribed (a new one: _members)."""
    if known and effects and type(effects[0]) is Respond and effects[0].status == 200:
        fid = node.machine._streams.get(effects[0].stream_id or "")
        if fid is None:
            return
        got = _logs(effects, frozenset({"framework_resubscribed", "framework_added"}))
        if got != {"framework_resubscribed": [fid]}:
            _record(chk, world, node.name, f"framework {fid} re-subscribed, logged {got}")


_MEMBER_EVENTS = frozenset({"framework_added", "framework_removed", "agent_registered",
                            "agent_readmitted", "agent_removed"})


def _members(chk: Any, world: Any, node: Any, effects: list[Any]) -> None:
    """The frameworks and agents the master books, against those it booked after its last
    step that could change them: each one it took or forgot in this step is logged in it."""
    m = node.machine
    fws = m._frameworks
    ags = m._agents
    members: dict[str, Any] = chk.kobs["members"]
    last = members.get(node.name)
    if last is None or last[0] is not fws or last[2] is not ags:
        members[node.name] = (fws, set(fws), ags, set(ags))
        return
    fkeys, akeys = set(fws), set(ags)
    want: dict[str, list[str]] = {}
    for fid in sorted(fkeys - last[1]):
        if not fws[fid].recovered:  # one the master learned of from its agents: no log
            want.setdefault("framework_added", []).append(fid)
    for fid in sorted(last[1] - fkeys):
        want.setdefault("framework_removed", []).append(fid)
    added = sorted(akeys - last[3])
    for aid in sorted(last[3] - akeys):
        want.setdefault("agent_removed", []).append(aid)
    members[node.name] = (fws, fkeys, ags, akeys)
    if not want and not added:
        return
    got = {k: sorted(v) for k, v in _logs(effects, _MEMBER_EVENTS).items()}
    bad = [f"{what} logged for {got.get(what, [])}, the books changed for {want.get(what, [])}"
           for what in ("framework_added", "framework_removed", "agent_removed")
           if got.get(what, []) != want.get(what, [])]
    booked = sorted(got.get("agent_registered", []) + got.get("agent_readmitted", []))
    if booked != added:
        bad.append(f"agent_registered / agent_readmitted logged for {booked}, the books took "
                   f"{added}")
    for b in bad:
        _record(chk, world, node.name, b)


# ------------------------------------------------------------------ agent
def after_agent(chk: Any, world: Any, node: Any, inp: Any, t: type, effects: list[Any]) -> None:
    """An agent step on a received message (`t` its type)."""
    first = effects[0] if effects else None
    if t is ExecutorUpdate or t is ExecutorSubscribe:
        a = node.machine
        agents: dict[str, Any] = chk.kobs["agent"]
        last = agents.get(node.name)
        want = last[1] if last is not None and last[0] is a else 0
        if t is ExecutorUpdate:
            want += type(first) is Reject or (  # s18 killm3: ignored, framework terminating
                isinstance(first, Log) and first.event == UPDATE_FRAMEWORK_TERMINATING)
        elif any(type(e) is Send and type(e.message) is ExecutorSubscribed for e in effects):
            # a subscription taken (ExecutorSubscribed sent: a Reject may come first, that of
            # a replayed unacknowledged update) counts each replayed update it refused
            want += sum(1 for e in effects if type(e) is Reject)
        got = a.counters.get(INVALID_UPDATES, 0)
        agents[node.name] = (a, got)
        if got != want:
            agents[node.name] = (a, want)
            _metric(chk, world, node.name, INVALID_UPDATES, got, want,
                    f"the updates it refused (after a {t.__name__})")
    if first is None or type(first) is not Reject:
        return
    status = first.status
    if t in _EXEC_CALLS:
        msg = inp.message
        want_s = 400
        if node.machine.by_pid.get(inp.sender) is None:
            fw = node.machine.frameworks.get(msg.framework_id)
            if fw is not None and msg.executor_id in fw.executors:
                want_s = 403
        if status != want_s:
            _answers(chk, world, node.name, t.__name__, f"refused {status}, Mesos's is "
                     f"{want_s}" + (" (a known executor's call from a connection that never "
                                    "subscribed as it)" if want_s == 403 else ""))
    elif t is ExecutorSubscribe or t is RunTask or t is RunTaskGroup:
        if status != 400:
            _answers(chk, world, node.name, t.__name__, f"refused {status}, Mesos's is 400")
    elif t is AgentRegistered or t is AgentReregistered:
        if status not in (403, 409):
            _answers(chk, world, node.name, t.__name__,
                     f"refused {status}, Mesos's is 409 (another agent id) or 403 (not the "
                     "leading master)")
    elif status not in REFUSALS:
        _answers(chk, world, node.name, t.__name__, f"refused {status}, not a refusal Mesos "
                 "gives (400/403/409/501/503)")


# ------------------------------------------------------------------ reports
def _metric(chk: Any, world: Any, who: str, name: str, got: float, want: float,
            what: str) -> None:
    chk.run(world, inv.MetricsAgree, ClusterSnapshot(
        metrics_recounted=((who, name, float(got), float(want), what),)))


def _record(chk: Any, world: Any, who: str, what: str) -> None:
    chk.run(world, inv.LogsRecord, ClusterSnapshot(transition_logs=((who, what),)))


def _answers(chk: Any, world: Any, who: str, what: str, detail: str) -> None:
    chk.run(world, inv.AnswersAsMesos, ClusterSnapshot(answer_codes=((who, what, detail),)))


# ------------------------------------------------------------------ hostile inputs
def hostile_run_task(world: Any, a: Any, fw_id: str) -> None:
    """AnswersAsMesos: with the hostile executor's calls (World.hostile_executor), once per
    agent incarnation, the agent's master is made to hand it a RunTask for a task of another
    agent, off the network and with no random draw (a master bug): the agent refuses it 400
    and changes nothing."""
    from mesotron.core.values import FrameworkInfo, TaskInfo

    mc = a.machine
    if mc is None or mc.state != "running" or not mc.master or fw_id not in mc.frameworks:
        return
    sent: set[tuple[str, int]] = world.__dict__.setdefault("kobs_run_task_sent", set())
    if (a.name, a.inc) in sent:
        return  # once per agent incarnation: the refusal is the same every time
    sent.add((a.name, a.inc))
    task = TaskInfo(name="hostile", task_id="sim-hostile-run-task", agent_id="sim-other-agent",
                    resources=Resources.parse("cpus:0.1;mem:32"))
    info: FrameworkInfo = mc.frameworks[fw_id].info
    world.deliver(a, Received(sender=mc.master, message=RunTask(framework_info=info, task=task)))


def unexpected_agent_message(world: Any, m: Any, sender: str) -> None:
    """AnswersAsMesos: the hostile peer of World.spoof_agent_message also sends the leader a
    message no agent sends a master (a Ping): refused 400, nothing changes."""
    from mesotron.core.messages import Ping

    world.deliver(m, Received(sender=sender, message=Ping()))


def mark_gone_again(world: Any, m: Any) -> None:
    """AnswersAsMesos: with its invalid agent calls (World.invalid_agent_calls) the operator
    marks gone again an agent the leader already holds gone: Mesos answers 200 and changes
    nothing. Off the network, no random draw; its answer goes nowhere."""
    from mesotron.core.master.operator import MarkAgentGone, OperatorCall
    from mesotron.core.sim.world import OPERATOR

    gone = m.machine._gone if m.alive and m.machine is not None else None
    if gone:
        world.deliver(m, OperatorCall(request=f"operator-{world.operator_calls}-gone-again",
                                      call=MarkAgentGone(agent_id=min(gone)), principal=OPERATOR))
