"""s18 drivem: scheduler API misuse the simulated world drives with `SimConfig.sched_misuse`
(a varied run of the mutation judge), each judged as Mesos behaves:

- MisaddressedCallsRefused (Master::Http::scheduler): as the adversarial framework hears
  SUBSCRIBED, a client sends the leader, at once and off the network (no random draw, no
  request booked: the answers go nowhere), well-formed calls it cannot take from its
  sender: a REVIVE of a framework id the master does not know, one authenticated as another
  principal than the framework's, one with a stream id that is not the framework's, and a
  SUBSCRIBE with a Mesos-Stream-Id header. Each must be answered with Mesos's status alone.
- UnauthorizedLaunchesRefused (Master::_accept): the operator run's ACLs let nobody run
  tasks as DENIED_USER; the adversarial framework launches some command tasks, and the
  reserver every third pod, as that user. No such task reaches an agent; each is answered
  TASK_ERROR with REASON_TASK_UNAUTHORIZED (REASON_TASK_GROUP_UNAUTHORIZED for all tasks of
  the pod).
- IncompatibleExecutorsRefused (master validation `task::internal::validateExecutor`): the
  adversarial framework launches some custom-executor tasks under the executor id of one of
  its live tasks on that agent, with the same ExecutorInfo (it runs there too) or with
  another command (refused TASK_ERROR, REASON_TASK_INVALID, never sent).
- FailedOverStreamsClosed (Master::failoverFramework): the adversarial schedulers now and
  then die with their connection half-open and subscribe again before the master notices;
  the master sends ERROR "Framework failed over" on the old connection, closes it (nothing
  is sent there after), forgets it, and withdraws the offers made on it (Mesos's
  removeOffer: no rescind on the closed connection).
- FailoverTimeoutsRemove (Master::frameworkFailoverTimeout): the adversarial schedulers
  subscribe with a short failover timeout and now and then stay away longer than it; when a
  failover timer fires, a framework disconnected that long is removed, a connected one kept.

Cost: the calls are a handful per adversarial subscription; the checks run on those calls,
on ACCEPTs of a run with the flag, and on failover timers (rare).
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core import invariants as inv
from mesotron.core.effects import Respond, Send
from mesotron.core.invariants import ClusterSnapshot
from mesotron.core.messages import (
    CallRevive,
    CallSubscribe,
    EventUpdate,
    OpLaunch,
    OpLaunchGroup,
    RunTask,
    RunTaskGroup,
    SchedulerCall,
)
from mesotron.core.values import Reason, TaskState

#: the request-id infix of the misaddressed calls (the checker recognises them by it)
MISADDRESSED = "/misaddressed-call-"
WRONG_STREAM = "sim-wrong-stream"
OTHER_PRINCIPAL = "sim-other-principal"
#: the reasons of a TASK_ERROR for a launch the ACLs deny (not a refusal of a task's
#: description: WellFormedCallsAccepted leaves them to UnauthorizedLaunchesRefused)
UNAUTHORIZED = frozenset({Reason.REASON_TASK_UNAUTHORIZED, Reason.REASON_TASK_GROUP_UNAUTHORIZED})


def _fail(chk: Any, world: Any, name: str, master: str, what: str) -> None:
    chk.run(world, getattr(inv, name), ClusterSnapshot(s18_drivem=((name, master, what),)))


# ------------------------------------------------------------------ MisaddressedCallsRefused
def misaddressed_calls(world: Any, s: Any, m: Any, info: Any, fid: str) -> None:
    """World.hostile_scheduler_calls with `sched_misuse`: deliver the misaddressed calls of
    scheduler `s` (framework `fid`, subscribed with FrameworkInfo `info`) to leader `m`."""
    world.misaddressed = getattr(world, "misaddressed", 0) + 1
    mf = m.machine._frameworks.get(fid)
    own = mf.info.principal if mf is not None else s.name
    sub = CallSubscribe(framework_info=attrs.evolve(info, id=fid))
    calls = (
        ("unknown framework", fid + "-unknown", s.name, None, CallRevive()),
        ("another principal", fid, OTHER_PRINCIPAL, None, CallRevive()),
        ("a wrong stream id", fid, own, WRONG_STREAM, CallRevive()),
        ("SUBSCRIBE with a stream id", fid, s.name, WRONG_STREAM, sub),
    )
    for i, (what, f, principal, stream, call) in enumerate(calls):
        world.deliver(m, SchedulerCall(
            request=f"{s.name}-{world.misaddressed}{MISADDRESSED}{i}:{what}",
            stream_id=stream, framework_id=f, call=call, principal=principal))


def expected_answer(m: Any, inp: SchedulerCall) -> tuple[int, str | None]:
    """(Mesos's status for a well-formed call `inp` at master `m`, a text its message must
    hold or None), in Master::Http::scheduler's order (the master's books are the same
    before and after a refused call)."""
    if not m.leader or not m.recovered:
        return 503, None
    call = inp.call
    if type(call) is CallSubscribe:
        claimed = call.framework_info.principal
        if inp.principal is not None and claimed is not None and claimed != inp.principal:
            return 400, None
        if inp.stream_id is not None:
            return 400, "Mesos-Stream-Id"
        return 200, None
    fw = m._frameworks.get(inp.framework_id or "")
    if fw is None:
        return 400, "Framework cannot be found"
    if inp.principal is not None and inp.principal != fw.info.principal:
        return 400, f"principal '{fw.info.principal or ''}'"
    if fw.stream is None:
        return 403, None
    if inp.stream_id is None or inp.stream_id != fw.stream:
        return 400, "Mesos-Stream-Id" if inp.stream_id is None else inp.stream_id
    return 202, None


def check_misaddressed(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """After a master step on one misaddressed call."""
    want, text = expected_answer(node.machine, inp)
    what = None
    if len(effects) != 1 or type(effects[0]) is not Respond:
        what = "answered with " + ", ".join(type(e).__name__ for e in effects)
    elif effects[0].status != want and not (effects[0].status == 503 and want != 503):
        what = f"answered {effects[0].status}, Mesos's is {want}"
    elif text is not None and effects[0].status == want and text not in (effects[0].message or ""):
        what = f"answered {want} {effects[0].message!r}, which does not name {text!r}"
    if what is not None:
        req = inp.request.split(MISADDRESSED, 1)[1]
        _fail(chk, world, "MisaddressedCallsRefused", node.name, f"call {req}: {what}")


# ------------------------------------------------------------------ UnauthorizedLaunchesRefused
def _denied(task: Any) -> bool:
    from mesotron.core.sim.frameworks import DENIED_USER

    cmd = task.command
    if cmd is not None and cmd.user:
        return bool(cmd.user == DENIED_USER)
    ex = task.executor
    return ex is not None and ex.command is not None and ex.command.user == DENIED_USER


def check_denied_launches(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """After a master step on an ACCEPT (a run with `sched_misuse` and ACLs)."""
    if not world.config.sched_misuse or node.machine.config.acls is None:
        return
    if not effects or type(effects[0]) is not Respond or effects[0].status != 202:
        return
    due: dict[str, Reason] = {}
    for op in inp.call.operations:
        if type(op) is OpLaunch:
            for t in op.task_infos:
                if _denied(t):
                    due[t.task_id] = Reason.REASON_TASK_UNAUTHORIZED
        elif type(op) is OpLaunchGroup and any(_denied(t) for t in op.tasks):
            for t in op.tasks:
                due[t.task_id] = Reason.REASON_TASK_GROUP_UNAUTHORIZED
    if not due:
        return
    heard: dict[str, list[Any]] = {}
    bad: list[str] = []
    for e in effects:
        if type(e) is not Send:
            continue
        msg = e.message
        t = type(msg)
        if t is EventUpdate and msg.status.task_id in due:
            heard.setdefault(msg.status.task_id, []).append(msg.status)
        elif t is RunTask and msg.task.task_id in due:
            bad.append(f"sent task {msg.task.task_id} to agent {msg.task.agent_id}")
        elif t is RunTaskGroup:
            bad += [f"sent task {x.task_id} (of a group) to agent {x.agent_id}"
                    for x in msg.tasks if x.task_id in due]
    for tid, reason in sorted(due.items()):
        got = heard.get(tid, [])
        if len(got) != 1:
            bad.append(f"answered task {tid} of user denied {len(got)} updates, not 1")
            continue
        st = got[0]
        if st.reason is Reason.REASON_INVALID_OFFERS:
            continue
        if st.state is not TaskState.TASK_ERROR or st.reason is not reason:
            bad.append(f"answered task {tid} of user denied {st.state.name} "
                       f"({st.reason.name if st.reason else None}), not TASK_ERROR ({reason.name})")
    for what in bad:
        _fail(chk, world, "UnauthorizedLaunchesRefused", node.name,
              f"framework {inp.framework_id}: {what}")


# ------------------------------------------------------------------ IncompatibleExecutorsRefused
def before_accept(chk: Any, world: Any, node: Any, inp: Any) -> None:
    """Before a master step on an ACCEPT (a run with `sched_misuse`): the executors the
    master books on the agents of its offers."""
    if not world.config.sched_misuse:
        return
    m = node.machine
    books: dict[tuple[str, str], Any] = {}
    for oid in inp.call.offer_ids:
        offer = m._offers.get(oid)
        agent = m._agents.get(offer.agent_id) if offer is not None else None
        if agent is not None:
            books.update(agent.executors)
    chk.drivem_executors = books


def _compatible(a: Any, b: Any) -> bool:
    """Mesos compares the ExecutorInfos (the framework id and the resources' allocation
    aside, which the master fills in)."""
    return (a.executor_id == b.executor_id and a.type == b.type and a.command == b.command
            and a.resources.unallocate() == b.resources.unallocate())


def check_incompatible_executors(chk: Any, world: Any, node: Any, inp: Any,
                                 effects: list[Any]) -> None:
    """After a master step on an ACCEPT (with `sched_misuse`): a LAUNCH task whose executor
    id names an executor the master booked on the agent with another ExecutorInfo."""
    books = getattr(chk, "drivem_executors", None)
    chk.drivem_executors = None
    if not books or not effects or type(effects[0]) is not Respond or effects[0].status != 202:
        return
    fid = inp.framework_id or ""
    due = set()
    for op in inp.call.operations:
        if type(op) is OpLaunch:
            for t in op.task_infos:
                ex = t.executor
                have = books.get((fid, ex.executor_id)) if ex is not None else None
                if have is not None and not _compatible(have, ex):
                    due.add(t.task_id)
    if not due:
        return
    bad: list[str] = []
    heard: dict[str, list[Any]] = {}
    for e in effects:
        if type(e) is not Send:
            continue
        msg = e.message
        if type(msg) is EventUpdate and msg.status.task_id in due:
            heard.setdefault(msg.status.task_id, []).append(msg.status)
        elif type(msg) is RunTask and msg.task.task_id in due:
            bad.append(f"sent task {msg.task.task_id} to agent {msg.task.agent_id} under "
                       f"executor {msg.task.executor.executor_id if msg.task.executor else None}")
    for tid in sorted(due):
        got = heard.get(tid, [])
        ok = len(got) == 1 and (got[0].reason is Reason.REASON_INVALID_OFFERS or (
            got[0].state is TaskState.TASK_ERROR and got[0].reason is Reason.REASON_TASK_INVALID))
        if not ok:
            bad.append(f"answered task {tid} (an ExecutorInfo not compatible with its running "
                       f"executor's) with {[(x.state.name, x.reason) for x in got]}, not one "
                       "TASK_ERROR (REASON_TASK_INVALID)")
    for what in bad:
        _fail(chk, world, "IncompatibleExecutorsRefused", node.name, f"framework {fid}: {what}")


# ------------------------------------------------------------------ FailedOverStreamsClosed
def before_subscribe(chk: Any, node: Any, inp: Any) -> None:
    """Before a master step on a SUBSCRIBE (with `sched_misuse`): the framework's connection
    and offers as booked."""
    fw = node.machine._frameworks.get(inp.call.framework_info.id or "")
    chk.drivem_subscribe = None if fw is None or fw.stream is None else (
        inp.request, fw.id, fw.stream, set(fw.offers))


def after_subscribe(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    pre = getattr(chk, "drivem_subscribe", None)
    chk.drivem_subscribe = None
    if pre is None or pre[0] != inp.request or not effects or type(effects[0]) is not Respond \
            or effects[0].status != 200:
        return
    _req, fid, old, offers = pre
    m = node.machine
    fw = m._frameworks.get(fid)
    if fw is None or fw.stream == old:
        return  # refused (an ERROR on the new stream), the old connection kept
    from mesotron.core.effects import Close
    from mesotron.core.messages import EventError

    bad = []
    sent = [i for i, e in enumerate(effects) if type(e) is Send and e.to == old
            and type(e.message) is EventError and e.message.message == "Framework failed over"]
    closed = [i for i, e in enumerate(effects) if type(e) is Close and e.peer == old]
    if not sent or not closed or closed[0] < sent[0]:
        bad.append(f"did not send ERROR 'Framework failed over' then close the old "
                   f"connection {old} (error at {sent}, close at {closed})")
    late = [type(e.message).__name__ for i, e in enumerate(effects)
            if closed and i > closed[0] and type(e) is Send and e.to == old]
    if late:
        bad.append(f"sent {late} on the old connection {old} after closing it")
    if old in m._streams:
        bad.append(f"still books the old connection {old}")
    kept = sorted(o for o in offers if o in m._offers)
    if kept:
        bad.append(f"kept the offers {kept} made on the old connection")
    for what in bad:
        _fail(chk, world, "FailedOverStreamsClosed", node.name,
              f"framework {fid} failed over onto {fw.stream}: {what}")


# ------------------------------------------------------------------ FailoverTimeoutsRemove
def before_failover(chk: Any, node: Any, inp: Any) -> None:
    """Before a master step on a ("failover", framework id) timer: the framework as booked."""
    fw = node.machine._frameworks.get(inp.key[1])
    chk.drivem_failover = None if fw is None else (
        fw.connected, fw.unregistered_time, fw.info.failover_timeout)


def after_failover(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    pre = getattr(chk, "drivem_failover", None)
    chk.drivem_failover = None
    if pre is None:
        return
    connected, since, timeout = pre
    fid = inp.key[1]
    m = node.machine
    gone = fid not in m._frameworks
    due = not connected and since is not None and world.now - since >= timeout - 1e-6
    what = None
    if due and (not gone or fid not in m._completed_frameworks):
        what = (f"kept framework {fid}, disconnected for {world.now - since:.3f} s "
                f"(failover timeout {timeout:g} s)")
    elif not due and gone:
        state = "connected" if connected else f"disconnected at {since}"
        what = f"removed framework {fid} ({state}, failover timeout {timeout:g} s)"
    if what is not None:
        _fail(chk, world, "FailoverTimeoutsRemove", node.name, what)
