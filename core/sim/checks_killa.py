"""s17 killa: agent-side properties of the simulator's checker (what an agent hands its
executors, what it tells the master about executors, the names it gives tasks on its host).

Each function is called from one line of core/sim/checker.py tagged `# s17 killa`; each
judges one step of a real agent against behaviour Mesos has (the property's docstring in
core/invariants.py cites the Mesos source it follows), and reports through `chk.run`.
"""

from __future__ import annotations

from typing import Any

from mesotron.core import invariants as inv
from mesotron.core.agent import isolation
from mesotron.core.agent.model import KillExecutor
from mesotron.core.effects import Send
from mesotron.core.messages import (
    ExecutorLaunch,
    ExecutorShutdown,
    ExitedExecutor,
    KillTask,
    ReregisterAgent,
    RunTask,
    StatusUpdateMessage,
    UpdateFramework,
)
from mesotron.core.values import Reason

_EXECUTOR_TERMINATED = Reason.REASON_EXECUTOR_TERMINATED

# the agent -> master messages CommandExecutorsUnreported reads
REPORTS = frozenset({ExitedExecutor, ReregisterAgent})
# the agent inputs on_agent_message reads
AGENT_MESSAGES = frozenset({KillTask, UpdateFramework})

_SAFE_NESTED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
# the documented limit of a task sandbox / nested cgroup name (core/agent/isolation.py),
# and the file-name limit of the hosts (NAME_MAX)
_MAX_NAME = 200
_NAME_MAX = 255


def _books(chk: Any) -> dict[str, Any]:
    """This module's books on the checker (created on first use)."""
    b = chk.__dict__.get("_killa")
    if b is None:
        # custom: (framework id, executor id) of every ExecutorInfo a RunTask/RunTaskGroup
        # carried; reported: (container id, task id) an executor sent an update about;
        # names: (agent, 'sandbox'|'cgroup', name) -> task id
        b = chk.__dict__["_killa"] = {"custom": set(), "reported": set(), "names": {}}
    return b


def _fail(chk: Any, world: Any, name: str, agent: str, what: str) -> None:
    chk.run(world, getattr(inv, name),
            inv.ClusterSnapshot(s17_killa=((name, agent, what),)))


# ================================================================== RunTask received
def on_run(chk: Any, world: Any, node: Any, msg: Any, effects: list[Any]) -> None:
    """An agent received a RunTask / RunTaskGroup: book its framework-given executor
    (CommandExecutorsUnreported), check the names of its command task (TaskSandboxNames)
    and that the agent did not give it up to a terminating executor (CommandTasksRun)."""
    b = _books(chk)
    fid = msg.framework_info.id
    if type(msg) is RunTask:
        if msg.task.executor is not None:
            b["custom"].add((fid, msg.task.executor.executor_id))
            return
        tid = msg.task.task_id
        _check_names(chk, world, node.name, fid, tid)
        for e in effects:
            if type(e) is Send and type(e.message) is StatusUpdateMessage:
                st = e.message.update.status
                if st.task_id == tid and st.reason is _EXECUTOR_TERMINATED:
                    _fail(chk, world, "CommandTasksRun", node.name,
                          f"answered command task {tid[:40]!r} {st.state.name} "
                          f"({st.message!r}) instead of running it")
    else:
        b["custom"].add((fid, msg.executor.executor_id))


def _legal_file_name(name: str) -> bool:
    return (name not in ("", ".", "..") and "/" not in name and "\0" not in name
            and len(name.encode()) <= _NAME_MAX)


def _check_names(chk: Any, world: Any, agent: str, fid: str, tid: str) -> None:
    names = _books(chk)["names"]
    bad: list[str] = []
    sandbox = isolation.task_sandbox_name(tid)
    if not _legal_file_name(sandbox) or len(sandbox.encode()) > _MAX_NAME:
        bad.append(f"gave task {tid[:40]!r} the sandbox name {sandbox[:40]!r} "
                   f"({len(sandbox.encode())} bytes), not a file name of at most {_MAX_NAME}")
    elif _legal_file_name(tid) and len(tid.encode()) <= _MAX_NAME and sandbox != tid:
        bad.append(f"gave task {tid[:40]!r} ({len(tid.encode())} bytes) the sandbox name "
                   f"{sandbox[:40]!r}, not its id (Mesos's tasks/<task id>)")
    cgroup = isolation.nested_name(tid)
    if not cgroup.startswith("task") or not set(cgroup) <= _SAFE_NESTED \
            or len(cgroup) > _MAX_NAME:
        bad.append(f"gave task {tid[:40]!r} the nested cgroup {cgroup[:40]!r}")
    elif set(tid) <= _PLAIN and len(tid) + 5 <= _MAX_NAME and cgroup != "task-" + tid:
        bad.append(f"gave task {tid[:40]!r} the nested cgroup {cgroup[:40]!r}, not task-<id>")
    elif cgroup.startswith("task-") and isolation.nested_task_id(cgroup) != tid:
        bad.append(f"gave task {tid[:40]!r} the nested cgroup {cgroup[:40]!r}, which reads "
                   f"back as another task")
    for kind, name in (("sandbox", sandbox), ("cgroup", cgroup)):
        prev = names.setdefault((agent, fid, kind, name), tid)
        if prev != tid:
            bad.append(f"gave tasks {prev[:40]!r} and {tid[:40]!r} the same {kind} name "
                       f"{name[:40]!r}")
    for what in bad:
        _fail(chk, world, "TaskSandboxNames", agent, what)


# ================================================================== executor updates
def on_executor_update(chk: Any, world: Any, sender: str, msg: Any) -> None:
    """An agent received an executor's UPDATE: that executor has the task."""
    x = world.executor_by_name(sender)
    if x is not None:
        _books(chk)["reported"].add((x.container, msg.status.task_id))


def on_launch(chk: Any, world: Any, node: Any, e: Any) -> None:
    """TasksLaunchedOnce, for one LAUNCH / LAUNCH_GROUP Send of an agent step."""
    if e.to is None:
        # the agent queues a task for an executor whose connection is gone (it re-sends it
        # on the next SUBSCRIBE: core/agent/executors.py _run); a LAUNCH to no connection
        # is lost (Mesos's Executor::send drops it: "unknown connection type")
        _fail(chk, world, "TasksLaunchedOnce", node.name,
              "sent a LAUNCH to an executor with no connection")
        return
    x = world.executor_by_name(e.to)
    if x is None:
        return
    reported = _books(chk)["reported"]
    m = e.message
    infos = (m.task,) if type(m) is ExecutorLaunch else m.tasks
    for info in infos:
        tid = info.task_id
        if (x.container, tid) in reported:
            _fail(chk, world, "TasksLaunchedOnce", node.name,
                  f"sent task {tid} to executor {x.container[:8]} again, which already "
                  f"reported on it")
            continue
        tr = chk.transitions.get((x.framework_id, tid))
        if tr and tr[-1][0].is_terminal:
            _fail(chk, world, "TasksLaunchedOnce", node.name,
                  f"sent task {tid} to executor {x.container[:8]} after it produced "
                  f"{tr[-1][0].name} for it")


# ================================================================== reports to the master
def on_report(chk: Any, world: Any, node: Any, msg: Any) -> None:
    """CommandExecutorsUnreported, for one ExitedExecutor / ReregisterAgent an agent sends."""
    custom = _books(chk)["custom"]
    named: tuple[tuple[Any, Any], ...]
    if type(msg) is ExitedExecutor:
        named = ((msg.framework_id, msg.executor_id),)
    else:
        named = tuple((i.framework_id, i.executor_id) for i in msg.executor_infos)
    for fid, eid in named:
        if (fid, eid) not in custom and not (fid is None and any(e == eid for _f, e in custom)):
            _fail(chk, world, "CommandExecutorsUnreported", node.name,
                  f"named executor {eid} of framework {fid}, which no RunTask carried, to "
                  f"the master ({type(msg).__name__})")


# ================================================================== kills, framework updates
def on_agent_message(chk: Any, world: Any, node: Any, msg: Any, effects: list[Any]) -> None:
    """After an agent step on a KillTask (KillSparesOtherTasks) or an UpdateFramework
    (AgentFrameworksUpdated)."""
    a = node.machine
    if a is None:
        return
    if type(msg) is KillTask:
        if not any(type(e) is KillExecutor or (type(e) is Send and type(e.message)
                                                is ExecutorShutdown) for e in effects):
            return
        found = a._find_task(msg.framework_id, msg.task_id)
        if found is None:
            return
        ex = found[1]
        others = sorted(t.info.task_id for t in ex.tasks.values()
                        if not t.terminal and t.info.task_id != msg.task_id)
        if others:
            _fail(chk, world, "KillSparesOtherTasks", node.name,
                  f"shut down executor {ex.info.executor_id} on a KILL of task {msg.task_id} "
                  f"while it runs {others[:3]}")
        return
    info = msg.framework_info
    fw = a.frameworks.get(info.id) if info.id is not None else None
    if fw is None or info.checkpoint != fw.info.checkpoint:
        return  # unknown here, or a checkpointing change the agent ignores
    if fw.info != info:
        _fail(chk, world, "AgentFrameworksUpdated", node.name,
              f"kept framework {info.id}'s old FrameworkInfo after an UpdateFramework")


# ================================================================== operator views
def pending_line(stream: Any) -> str:
    """DescribeAgrees (s17 killa): the line a status-update manager's describe() holds for
    a stream's pending updates: each one's state and uuid prefix, in order, '-' if none."""
    pend = ", ".join(f"{u.status.state.name} {u.uuid.hex()[:8]}" for u in stream.pending)
    return f"    pending: {pend or '-'}; acked {len(stream.acknowledged)}"


def task_executor_rows(chk: Any, state: dict[str, Any], row: Any) -> None:
    """AgentViewsAgree (s17 killa): an agent's /state gives each task the executor id its
    framework gave it (a custom executor's: a RunTask / RunTaskGroup carried it) and ""
    for a command task (Mesos's task JSON: a command task's TaskInfo has no executor)."""
    if chk is None:
        return
    custom = _books(chk)["custom"]
    want, got = [], []
    for fw in state["frameworks"]:
        for ex in fw["executors"]:
            mine = ex["id"] if (fw["id"], ex["id"]) in custom else ""
            for t in (*ex["tasks"], *ex["queued_tasks"]):
                want.append((t["id"], mine))
                got.append((t["id"], t.get("executor_id")))
    row("/state tasks' executor_id", want, got)


def filter_listing_row(name: str, al: Any, now: float) -> tuple[str, str, tuple[str, ...],
                                                                tuple[str, ...]]:
    """DescribeAgrees (s17 killa): the allocator's filter listing (`Allocator.filters`, the
    operator UI's table) beside its books: every filter of an agent not yet expired is
    listed with its expiry, no expired one is."""
    text = "\n".join(f"{fid} {role} {aid} {res} until {exp!r}"
                      for fid, role, aid, res, exp in al.filters(now))
    must: list[str] = []
    never: list[str] = []
    for aid in al.agent_ids():
        for (fid, role), (res, exp) in sorted(al._agents[aid].filters.items()):
            line = f"{fid} {role} {aid} {res} until {exp!r}"
            (must if now < exp else never).append(line)
    return (f"allocator filters of {name}", text, tuple(must), tuple(never))
