"""s16 kproto: protocol-side properties of the simulator's checker (agent executors and
status updates, master reconciliation, acknowledgements and removed frameworks).

Each function is called from one line of core/sim/checker.py tagged `# s16 kproto`; each
judges one step of a real core machine against behaviour Mesos has (the property's
docstring in core/invariants.py cites the Mesos source or doc it follows), and reports
through `chk.run` so that fail-fast and the violation log work as for every property.
"""

from __future__ import annotations

from typing import Any

from mesotron.core import invariants as inv
from mesotron.core import lifecycle
from mesotron.core.agent.model import DestroyContainer, ExecutorExited, KillExecutor
from mesotron.core.allocator.machine import Allocator
from mesotron.core.effects import Disconnected, Log, Received, Respond, Send, TimerFired
from mesotron.core.messages import (
    CallAcknowledge,
    CallReconcile,
    CallSubscribe,
    CallTeardown,
    EventOffers,
    EventSubscribed,
    EventUpdate,
    ExecutorShutdown,
    ExitedExecutor,
    SchedulerCall,
    StatusUpdateAcknowledgement,
    StatusUpdateMessage,
)
from mesotron.core.status_updates import UpdateRecord, log_key
from mesotron.core.values import TaskState

_UNREACHABLE = TaskState.TASK_UNREACHABLE


def _books(chk: Any) -> dict[str, Any]:
    """This module's books on the checker (one dict, created on first use: the Checker's
    __init__ stays untouched)."""
    b = chk.__dict__.get("_kproto")
    if b is None:
        # (master, incarnation, framework, task) -> (uuid of the first terminal update that
        # master booked for the task, id of the task record); (master, incarnation) -> the
        # framework ids that master removed, in order
        b = chk.__dict__["_kproto"] = {"terminal": {}, "removed": {}}
    return b


# ================================================================== agent side
def check_acks_checkpointed(chk: Any, world: Any, n: Any, x: Any, msg: Any) -> None:
    """ExecutorAcksCheckpointed, as the world carries out an agent's acknowledgement of an
    executor's status update: when the task's stream checkpoints (its framework does), the
    update is on the agent's disk by then (its Persist came first), unless the agent never
    took it (superseded: it ended the task itself) or the scheduler already acknowledged
    it (a duplicate)."""
    uuid = msg.uuid
    key = (x.framework_id, msg.task_id)
    if uuid in chk.produced_set.get(key, ()) and (key, uuid) not in chk.volatile:
        return  # checkpointed (and synced) when it was accepted, at this step or before
    if uuid in chk.superseded:
        return
    a = n.machine
    stream = a.sum.streams.get(key)
    if stream is None or not stream.checkpoint or msg.uuid in stream.acknowledged:
        return
    log = n.disk.logs.get(log_key(*key), ())
    for r in log:
        if type(r) is UpdateRecord and r.update.uuid == msg.uuid:
            return
    chk.run(world, inv.ExecutorAcksCheckpointed, inv.ClusterSnapshot(executor_acks=((
        n.name, (f"acknowledged update {msg.uuid.hex()[:8]} of task {msg.task_id} to its "
                f"executor {x.container[:8]} without checkpointing it (framework "
                f"{x.framework_id} checkpoints)")),)))


def kproto_agent_step(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """The agent-side step checks of this module (called for every agent step whose input
    is not a message)."""
    t = type(inp)
    if t is Disconnected:
        check_executor_disconnection(chk, world, node, inp, effects)
    elif t is ExecutorExited:
        check_exit_reported(chk, world, node, inp, effects)


def check_exit_reported(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """ExitedExecutorsReported, after an agent step on the exit of an executor's process:
    when the agent (registered, its framework not being shut down) handles the exit of a
    custom executor (not a command executor), it tells the master (ExitedExecutor),
    whatever state the executor was in: registering, running, terminating, connected or
    not."""
    if not any(type(e) is DestroyContainer and e.container_id == inp.container_id
               for e in effects):
        return  # not handled as this executor's termination (unknown, or already gone)
    a = node.machine
    if a.state != "running":
        return
    fw = a.frameworks.get(inp.framework_id)
    if fw is None:  # the executor was its last: the framework went with it, this step
        fw = next((f for f in reversed(a.completed_frameworks) if f.id == inp.framework_id),
                  None)
    if fw is None or fw.state == "terminating":
        return
    ex = fw.executors.get(inp.executor_id)
    if ex is None or ex.container_id != inp.container_id:
        ex = next((e for e in reversed(fw.completed_executors)
                   if e.container_id == inp.container_id), None)
    if ex is None or ex.command_executor:
        return
    if not any(type(e) is Send and type(e.message) is ExitedExecutor
               and e.message.executor_id == inp.executor_id for e in effects):
        chk.run(world, inv.ExitedExecutorsReported, inv.ClusterSnapshot(exits_unreported=((
            node.name, (f"did not tell the master that executor {inp.executor_id} (container "
                       f"{inp.container_id[:8]}) of framework {inp.framework_id} exited")),)))


def check_executor_disconnection(chk: Any, world: Any, node: Any, inp: Any,
                                 effects: list[Any]) -> None:
    """ExecutorDisconnectionsTolerated, after an agent step on the loss of an executor's
    current connection: the executor of a checkpointing framework is left running (it may
    subscribe again), the executor of a framework that does not checkpoint is shut down
    (killed: its connection is gone) unless it already terminated."""
    if not any(type(e) is Log and e.event == "agent.executor.disconnected" for e in effects):
        return  # not the executor's current connection: nothing to judge
    x = world.executor_by_name(inp.peer)
    if x is None:
        return
    a = node.machine
    where = a.by_container.get(x.container)
    fw = a.frameworks.get(where[0]) if where is not None else None
    ex = fw.executors.get(where[1]) if fw is not None and where is not None else None
    if ex is None or ex.container_id != x.container:
        return
    killed = any((type(e) is KillExecutor and e.container_id == x.container)
                 or (type(e) is Send and type(e.message) is ExecutorShutdown and e.to == x.name)
                 for e in effects)
    what = None
    if ex.checkpoint and killed:
        what = (f"shut down executor {x.container[:8]} of checkpointing framework "
                f"{x.framework_id} when its connection broke (it may subscribe again)")
    elif not ex.checkpoint and not killed and ex.state != "terminated":
        what = (f"left executor {x.container[:8]} of framework {x.framework_id}, which does "
                f"not checkpoint, {ex.state} after its connection broke")
    if what is not None:
        chk.run(world, inv.ExecutorDisconnectionsTolerated,
                inv.ClusterSnapshot(executor_disconnections=((node.name, what),)))


# ================================================================== master side
def kproto_master_step(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """The master-side checks of this module, dispatched on the step's input (called first
    in Checker.on_master_step: before check_drf consumes the cycle's decisions)."""
    tin = type(inp)
    # a framework is removed only by a TEARDOWN call, its failover timer or an operator
    # call (never by a message from an agent): only those steps are searched for removals
    removals = False
    if tin is Received:
        if type(inp.message) is StatusUpdateMessage:
            note_terminal_booked(chk, node, inp.message.update)
    elif tin is SchedulerCall:
        c = inp.call
        ct = type(c)
        removed = _books(chk)["removed"].get((node.name, node.inc))
        if removed:
            check_removed_refused(chk, world, node, inp, effects, removed)
        if ct is CallReconcile and not c.tasks:
            check_implicit_reconcile(chk, world, node, inp, effects)
        elif ct is CallAcknowledge and node.leader:
            check_acked_terminal(chk, world, node, inp, effects)
        removals = ct is CallTeardown
    elif tin is TimerFired:
        removals = inp.key[0] == "failover"
    else:
        removals = True
    if removals:
        for e in effects:
            if type(e) is Log and e.event == "framework_removed":
                fid = dict(e.fields).get("framework_id", "")
                _books(chk)["removed"].setdefault((node.name, node.inc), []).append(fid)
                check_completed_terminal(chk, world, node, fid)
    if node.leader and chk.drf and node.machine.allocator.cycle != chk.cycle_before:
        check_explained_offers(chk, world, node, effects)


def taken_from_subscribed(node: Any, inp: Any, effects: list[Any]) -> Any:
    """The framework of a scheduler call the master took (its step's first effect a 2xx
    answer) from a framework it holds subscribed (with a stream), else None: the common
    opening of the checks run after a master step on a call."""
    if not effects or type(effects[0]) is not Respond or effects[0].status >= 300:
        return None
    fw = node.machine._frameworks.get(inp.framework_id or "")
    return None if fw is None or fw.stream is None else fw


def check_implicit_reconcile(chk: Any, world: Any, node: Any, inp: Any,
                             effects: list[Any]) -> None:
    """ImplicitReconcileAnswered, after a master step on an implicit RECONCILE (no tasks)
    it accepted: the framework gets one update per task the master books for it, with the
    task's latest state (Mesos: status_update_state, else state, as the framework may see
    it), and TASK_UNREACHABLE for each of its unreachable tasks."""
    fw = taken_from_subscribed(node, inp, effects)
    if fw is None:
        return
    got: dict[str, list[TaskState]] = {}
    for e in effects:
        if type(e) is Send and e.to == fw.stream and type(e.message) is EventUpdate:
            st = e.message.status
            got.setdefault(st.task_id, []).append(st.state)
    bad: list[tuple[str, str]] = []
    want = [(tid, t.reported_state()) for tid, t in fw.tasks.items()]
    want += [(tid, _UNREACHABLE) for tid in fw.unreachable_tasks]
    for tid, state in want:
        visible = lifecycle.visible_state(state, fw.info)
        states = got.get(tid)
        if not states:
            bad.append((fw.id, f"got no answer for its task {tid} (booked {state.name})"))
        elif visible not in states:
            bad.append((fw.id, (f"got {'/'.join(s.name for s in states)} for its task {tid}, "
                               f"whose latest state is {visible.name}")))
    if bad:
        chk.run(world, inv.ImplicitReconcileAnswered,
                inv.ClusterSnapshot(implicit_reconciles=tuple(bad)))


def note_terminal_booked(chk: Any, node: Any, u: Any) -> None:
    """AckedTerminalTaskRemoved's books: after a master step on an update from an agent,
    the first terminal update the master booked as forwarded for a task it keeps."""
    st = u.status
    if not st.state.is_terminal:
        return
    fw = node.machine._frameworks.get(u.framework_id)
    task = fw.tasks.get(st.task_id) if fw is not None else None
    if task is None or task.status_update_state is None \
            or not task.status_update_state.is_terminal:
        return
    _books(chk)["terminal"].setdefault((node.name, node.inc, u.framework_id, st.task_id),
                                       (u.uuid, id(task)))


def check_acked_terminal(chk: Any, world: Any, node: Any, inp: Any,
                         effects: list[Any]) -> None:
    """AckedTerminalTaskRemoved (s16 kproto), after the leader relayed an acknowledgement:
    when it names the uuid of the terminal update this master booked as the task's
    forwarded update, the task is no longer in the master's live books (whatever uuid the
    master's record holds: the check does not read `status_update_uuid`)."""
    c = inp.call
    fid = inp.framework_id or ""
    seen = _books(chk)["terminal"].get((node.name, node.inc, fid, c.task_id))
    if seen is None or seen[0] != c.uuid:
        return
    if not any(type(e) is Send and type(e.message) is StatusUpdateAcknowledgement
               for e in effects):
        return
    fw = node.machine._frameworks.get(fid)
    task = fw.tasks.get(c.task_id) if fw is not None else None
    if task is not None and id(task) == seen[1] and task.status_update_state is not None \
            and task.status_update_state.is_terminal:
        chk.run(world, inv.AckedTerminalTaskRemoved,
                inv.ClusterSnapshot(acked_terminal_kept=((fid, c.task_id, c.agent_id),)))


def check_removed_refused(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any],
                          removed: list[str]) -> None:
    """RemovedFrameworksRefused, after a master step on a call naming a framework this
    master removed (one of the last max_completed_frameworks it removed, which Mesos keeps
    as completed): a SUBSCRIBE is refused (no SUBSCRIBED, the framework not back in the
    books), any other call answered 4xx."""
    c = inp.call
    sub = type(c) is CallSubscribe
    fid = c.framework_info.id if sub else inp.framework_id
    if not fid:
        return
    m = node.machine
    if fid not in removed[-m.config.max_completed_frameworks:]:
        return
    what = None
    if sub:
        if fid in m._frameworks or any(type(e) is Send and type(e.message) is EventSubscribed
                                       for e in effects):
            what = "re-subscribed"
    elif effects and type(effects[0]) is Respond and effects[0].status < 400:
        what = f"had a {type(c).__name__} answered {effects[0].status}"
    if what is not None:
        chk.run(world, inv.RemovedFrameworksRefused, inv.ClusterSnapshot(removed_calls=((
            fid, f"{what} on master {node.name}, which removed it"),)))


def check_explained_offers(chk: Any, world: Any, node: Any, effects: list[Any]) -> None:
    """DrfOrder (s16 kproto), in the allocator's explain mode: every agent offered in a
    master step was allocated by that step's cycle with a decision recorded (else DrfOrder
    has nothing to judge the allocation by)."""
    al = node.machine.allocator
    if type(al) is not Allocator or not al.config.explain or al.config.naive:
        return
    decided = None
    for e in effects:
        if type(e) is Send and type(e.message) is EventOffers:
            if decided is None:
                decided = {d.agent_id for d in al.last_cycle_decisions}
            for o in e.message.offers:
                if o.agent_id not in decided:
                    chk.run(world, inv.DrfOrder, inv.ClusterSnapshot(unexplained_offers=((
                        o.agent_id, o.framework_id),)))
                    return


def check_completed_terminal(chk: Any, world: Any, node: Any, fid: str) -> None:
    """CompletedTasksTerminal, after a master step that removed a framework: every task the
    master lists among the removed framework's completed tasks is terminal (Mesos
    Master::removeFramework books each live task TASK_KILLED, "Framework removed", before
    it moves it to the completed tasks)."""
    fw = node.machine._completed_frameworks.get(fid)
    if fw is None:
        return
    live = [t.task_id for t in fw.completed_tasks.values() if not t.state.is_terminal]
    if live:
        chk.run(world, inv.CompletedTasksTerminal, inv.ClusterSnapshot(completed_live=((
            fid, (f"removed with tasks {', '.join(sorted(live)[:3])} listed completed but "
                 f"not terminal")),)))
