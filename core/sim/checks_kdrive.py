"""s16 kdrive: scheduler API paths the simulated frameworks now drive (the adversarial
framework, core/sim/frameworks.py, no new random draw), each judged step by step as Mesos
behaves by the simulator's Checker:

- ExecutorShutdownsHonoured (v1 SHUTDOWN, `Master::shutdown` -> ShutdownExecutorMessage ->
  `Slave::shutdownExecutor`): a SHUTDOWN call the master answers 202 is forwarded once, as
  ShutdownExecutorMsg(the caller's framework id, the executor id), to the pid of the agent it
  names when the master holds that agent registered, else dropped (Mesos sends to the
  agent's pid, connected or not). An agent that runs (registered) and gets one for an executor
  of a framework it runs shuts that executor down (it is terminating or terminated after the
  step) and signals no other executor; while recovering or disconnected, or for an executor it
  does not know, it signals none.
- KillsReachTheirAgent (`Master::kill`): a KILL the master answers 202 sends KillTask (the
  caller's framework id, the task id, the kill policy) once, to the task's agent's pid,
  exactly when the master knows the task, the call names no agent or the task's own agent,
  and that agent is connected; a KILL naming another agent is ignored (logged).
- CustomExecutorsRun (`Master::_accept` LAUNCH with TaskInfo.executor, `Slave::runTask`): the
  RunTask of a task launched with an ExecutorInfo carries that executor (same id, type and
  command, the framework's id filled in) and the master books the task under its id; a task
  launched with a command carries no executor. The agent books such a task under the
  executor the TaskInfo names (a command task under a command executor) and launches a
  custom executor with the ExecutorInfo's command.

Pure: reads the machines' books and the step's effects."""

from __future__ import annotations

from typing import Any

from mesotron.core import invariants as inv
from mesotron.core.agent.base import MASTER
from mesotron.core.agent.model import KillExecutor, LaunchExecutor
from mesotron.core.effects import Respond, Send
from mesotron.core.invariants import ClusterSnapshot
from mesotron.core.messages import (
    ExecutorShutdown,
    KillTask,
    OpLaunch,
    RunTask,
    ShutdownExecutorMsg,
)


def _status(inp: Any, effects: list[Any]) -> int | None:
    return next((e.status for e in effects if type(e) is Respond and e.request == inp.request),
                None)


def _sent(effects: list[Any], kind: type) -> list[tuple[str, Any]]:
    return [(e.to, e.message) for e in effects if type(e) is Send and type(e.message) is kind]


# ------------------------------------------------------------------ SHUTDOWN
def check_shutdown_call(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """A master step on a SHUTDOWN call."""
    call = inp.call
    got = _sent(effects, ShutdownExecutorMsg)
    if _status(inp, effects) != 202:
        want: list[tuple[str, Any]] = []
    else:
        agent = node.machine._agents.get(call.agent_id)
        want = [] if agent is None else [(agent.pid, ShutdownExecutorMsg(
            framework_id=inp.framework_id, executor_id=call.executor_id))]
    if got != want:
        what = (f"relayed a SHUTDOWN of executor {call.executor_id} on agent {call.agent_id} "
                f"as {got!r}, not {want!r}")
        chk.run(world, inv.ExecutorShutdownsHonoured, ClusterSnapshot(
            executor_shutdowns=((f"master {node.name}", what),)))


def check_shutdown_at_agent(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """An agent step on a ShutdownExecutorMsg from its master."""
    a = node.machine
    if inp.sender != MASTER and inp.sender != a.master:
        return  # not its master's: refused
    msg = inp.message
    fw = a.frameworks.get(msg.framework_id)
    ex = fw.executors.get(msg.executor_id) if fw is not None else None
    due = a.state in ("running", "terminating") and ex is not None
    # the executors this step signals (ExecutorShutdown to its pid, or a kill of its container)
    hit = set()
    for e in effects:
        t = type(e)
        if t is Send and type(e.message) is ExecutorShutdown:
            hit.add(a.by_pid.get(e.to, ("?", e.to)))
        elif t is KillExecutor:
            hit.add(a.by_container.get(e.container_id, ("?", e.container_id)))
    target = (msg.framework_id, msg.executor_id)
    bad = None
    if hit - {target} or (hit and not due):
        bad = f"signalled executors {sorted(hit)!r}"
    elif due and ex is not None and ex.state not in ("terminating", "terminated"):
        bad = f"left executor {msg.executor_id} {ex.state}"
    if bad is not None:
        what = (f"({a.state}) on a shutdown of executor {msg.executor_id} of framework "
                f"{msg.framework_id}: {bad}")
        chk.run(world, inv.ExecutorShutdownsHonoured, ClusterSnapshot(
            executor_shutdowns=((f"agent {node.name}", what),)))


# ------------------------------------------------------------------ KILL
def check_kill_call(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """A master step on a KILL call."""
    call = inp.call
    got = _sent(effects, KillTask)
    want: list[tuple[str, Any]] = []
    m = node.machine
    fw = m._frameworks.get(inp.framework_id)
    task = fw.tasks.get(call.task_id) if fw is not None else None
    if _status(inp, effects) == 202 and task is not None \
            and call.agent_id in (None, task.agent_id):
        agent = m._agents.get(task.agent_id)
        if agent is not None and agent.connected:
            want = [(agent.pid, KillTask(framework_id=inp.framework_id, task_id=call.task_id,
                                         kill_policy=call.kill_policy))]
    if got != want:
        where = "none" if task is None else task.agent_id
        what = (f"relayed a KILL of task {call.task_id} (on agent {where}) naming agent "
                f"{call.agent_id} as {got!r}, not {want!r}")
        chk.run(world, inv.KillsReachTheirAgent, ClusterSnapshot(
            named_kills=((f"master {node.name}", what),)))


# ------------------------------------------------------------------ custom executors
def check_launch_executors(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """A master step on an ACCEPT: the RunTasks keep the executors the tasks were given."""
    given: dict[Any, Any] | None = None
    for e in effects:
        if type(e) is not Send or type(e.message) is not RunTask:
            continue
        if given is None:
            given = {getattr(t, "task_id", None): t for op in inp.call.operations
                     if type(op) is OpLaunch for t in op.task_infos}
        sent = e.message.task.executor
        orig = given.get(e.message.task.task_id)
        if orig is None or (orig.executor is None and sent is None):
            continue
        bad = None
        if orig.executor is None:
            bad = f"carries executor {sent.executor_id} it was not given"
        elif sent is None:
            bad = f"dropped its executor {orig.executor.executor_id}"
        elif (sent.executor_id, sent.type, sent.command, sent.framework_id) != (
                orig.executor.executor_id, orig.executor.type, orig.executor.command,
                inp.framework_id):
            bad = f"carries executor {sent!r}, not the one it was given"
        else:
            fw = node.machine._frameworks.get(inp.framework_id)
            task = fw.tasks.get(orig.task_id) if fw is not None else None
            if task is not None and task.executor_id != sent.executor_id:
                bad = f"is booked under executor {task.executor_id!r}"
        if bad is not None:
            chk.run(world, inv.CustomExecutorsRun, ClusterSnapshot(custom_executors=((
                f"master {node.name}", f"task {orig.task_id}'s RunTask {bad}"),)))


def check_run_task_at_agent(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """An agent step on a RunTask: the task runs under the executor its TaskInfo names."""
    a = node.machine
    msg = inp.message
    task = msg.task
    fw = a.frameworks.get(msg.framework_info.id or "")
    eid = fw.task_executor.get(task.task_id) if fw is not None else None
    if eid is None:
        return  # refused or dropped
    ex = fw.executors.get(eid)  # type: ignore[union-attr]
    bad = None
    if task.executor is not None:
        if eid != task.executor.executor_id:
            bad = f"runs under executor {eid}, not its own {task.executor.executor_id}"
        elif ex is not None and ex.command_executor:
            bad = f"runs its custom executor {eid} as a command executor"
        else:
            for e in effects:
                if type(e) is LaunchExecutor and e.executor_info.executor_id == eid \
                        and e.command != task.executor.command:
                    bad = f"launches executor {eid} with {e.command!r}"
    elif ex is not None and not ex.command_executor:
        bad = f"runs a command task under custom executor {eid}"
    if bad is not None:
        chk.run(world, inv.CustomExecutorsRun, ClusterSnapshot(custom_executors=((
            f"agent {node.name}", f"task {task.task_id} {bad}"),)))
