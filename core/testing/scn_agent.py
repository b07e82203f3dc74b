"""Scenario driver for the agent machine (`machine: agent`).

The driver plays the master, the executors, the shell (process exits) and the disk: the
disk is every `Persist` effect the agent returned so far, replayed into `Recovered` on
`restart`. Uuids print as u1, u2... and container ids as c1, c2... in order of appearance.
`Log` effects are not printed. Defaults: agent pid "agent@10.0.0.2:5051" hostname h1,
master "master", framework "fw1" (checkpoint=true), executors subscribe from "exec-<id>".

Commands:
  start [mode=reconnect|cleanup] [boot=B] [res=cpus:4;mem:4096] [gc=SECONDS]
                                            Start (recovering from the disk if not empty);
                                            boot: the host's boot id; res: the agent's flags
  restart [mode=..] [drop=N] [boot=B] [res=..]  crash (timers lost) + new agent +
                                            Start(recovered); drop=N forgets the last N
                                            Persist effects
  detect [master=master] | nomaster         master detection
  registered [id=S1] | reregistered [id=S1] [reconcile=fw1/t9,...]
  framework fw2 [checkpoint=false] [partition_aware=true] [killing=true]
  run task=t1 [fw=fw1] [cmd=..] [cpus=1] [executor=e1] [group=t2,t3]
  subscribe ex=t1 [fw=fw1] [pid=..] [tasks=t1,..] [updates=t1:TASK_RUNNING:u3,..]
  update task=t1 state=TASK_RUNNING [ex=..] [pid=..] [uuid=u7]  (an executor's update)
  ack task=t1 uuid=u2 [fw=fw1]              the master relays the scheduler's ack
  kill task=t1 [fw=fw1] [grace=2]           KillTask from the master
  exited ex=t1 [fw=fw1] [status=0]          the executor's process is gone
  disconnect [peer=master]                  a link broke (master or an executor pid)
  ping [connected=true] [from=master]
  shutdown-framework [fw=fw1] | shutdown-executor ex=.. | shutdown-agent | shutdown
  tick <seconds>                            advance virtual time, fire due timers
  describe
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.agent.machine import (
    Agent,
    AgentConfig,
    DestroyContainer,
    ExecutorExited,
    GarbageCollect,
    KillExecutor,
    LaunchExecutor,
    MasterDetected,
    NoMasterDetected,
    Shutdown,
    Start,
    StopAgent,
    UpdateContainer,
)
from mesotron.core.checkpoint import (
    AgentRecord,
    ExecutorRecord,
    FrameworkRecord,
    GcRecord,
    Recovered,
    TaskRecordCk,
)
from mesotron.core.effects import (
    CancelTimer,
    Close,
    Disconnected,
    Log,
    Persist,
    Received,
    Reject,
    Send,
    SetTimer,
    TimerFired,
)
from mesotron.core.ids import IdSource
from mesotron.core.messages import (
    AgentRegistered,
    AgentReregistered,
    ExecutorAcknowledged,
    ExecutorFrameworkMessage,
    ExecutorKill,
    ExecutorLaunch,
    ExecutorLaunchGroup,
    ExecutorShutdown,
    ExecutorSubscribe,
    ExecutorSubscribed,
    ExecutorToFramework,
    ExecutorUpdate,
    ExitedExecutor,
    KillTask,
    Ping,
    Pong,
    RegisterAgent,
    ReregisterAgent,
    RunTask,
    RunTaskGroup,
    ShutdownAgent,
    ShutdownExecutorMsg,
    ShutdownFramework,
    StatusUpdate,
    StatusUpdateAcknowledgement,
    StatusUpdateMessage,
    UnregisterAgent,
)
from mesotron.core.resources import Resources
from mesotron.core.status_updates import AckRecord, UpdateRecord
from mesotron.core.values import (
    AgentInfo,
    Capability,
    CommandInfo,
    ExecutorInfo,
    FrameworkInfo,
    KillPolicy,
    Source,
    TaskInfo,
    TaskState,
    TaskStatus,
)

AGENT_PID = "agent@10.0.0.2:5051"


def _bool(v: str) -> bool:
    return v.lower() in ("1", "true", "yes")


def _state(v: str) -> TaskState:
    return TaskState[v if v.startswith("TASK_") else "TASK_" + v]


class Driver:
    def __init__(self) -> None:
        self.now = 0.0
        self.seed = 0
        self.config = AgentConfig()
        self.agent: Agent | None = None
        self.persisted: list[Persist] = []
        self.timers: dict[tuple[str, ...], float] = {}
        self.uuids: dict[bytes, str] = {}
        self.uuid_by_alias: dict[str, bytes] = {}
        self.containers: dict[str, str] = {}
        self.executor_containers: dict[tuple[str, str], str] = {}
        self.exec_ids = IdSource(seed="scn-executors")
        self.frameworks: dict[str, FrameworkInfo] = {
            "fw1": FrameworkInfo(user="u", name="fw1", id="fw1", checkpoint=True)}
        self.task_infos: dict[str, TaskInfo] = {}
        self.agent_resources = "cpus:4;mem:4096"

    # ================================================================ plumbing
    def _new_agent(self) -> Agent:
        self.seed += 1
        info = AgentInfo(hostname="h1", resources=Resources.parse(self.agent_resources))
        return Agent(pid=AGENT_PID, agent_info=info, ids=IdSource(seed=f"agent-{self.seed}"),
                     config=self.config)

    def _step(self, input: Any) -> list[str]:
        assert self.agent is not None, "start the agent first"
        effects = self.agent.step(self.now, input)
        return self._absorb(effects)

    def _absorb(self, effects: list[Any]) -> list[str]:
        out = []
        for e in effects:
            if isinstance(e, Persist):
                self.persisted.append(e)
            elif isinstance(e, SetTimer):
                self.timers[e.key] = e.at
            elif isinstance(e, CancelTimer):
                self.timers.pop(e.key, None)
            elif isinstance(e, LaunchExecutor):
                self.executor_containers[(e.framework_id, e.executor_info.executor_id)] = \
                    e.container_id
            line = self.fmt(e)
            if line is not None:
                out.append(line)
        return out

    def _uuid(self, u: bytes | None) -> str:
        if u is None:
            return "-"
        if u not in self.uuids:
            n = len(self.uuids) + 1
            while f"u{n}" in self.uuid_by_alias:
                n += 1
            self._bind(u, f"u{n}")
        return self.uuids[u]

    def _bind(self, u: bytes, alias: str) -> None:
        self.uuids[u] = alias
        self.uuid_by_alias[alias] = u

    def _container(self, c: str) -> str:
        if c not in self.containers:
            self.containers[c] = f"c{len(self.containers) + 1}"
        return self.containers[c]

    def _key(self, key: tuple[str, ...]) -> str:
        parts = [self._container(p) if len(p) == 36 and p.count("-") == 4 else p for p in key]
        return "/".join(parts)

    # ================================================================ formatting
    def fmt_status(self, s: TaskStatus) -> str:
        out = f"{s.task_id} {s.state.name} {self._uuid(s.uuid)}"
        if s.source is not None and s.source is not Source.SOURCE_EXECUTOR:
            out += f" source={s.source.name.removeprefix('SOURCE_')}"
        if s.reason is not None:
            out += f" reason={s.reason.name.removeprefix('REASON_')}"
        if s.message and s.source is not Source.SOURCE_EXECUTOR:
            out += f" message={s.message!r}"
        return out

    def fmt_msg(self, m: Any) -> str:
        if isinstance(m, StatusUpdateMessage):
            u = m.update
            latest = u.latest_state.name if u.latest_state else "-"
            return f"StatusUpdate {self.fmt_status(u.status)} latest={latest}"
        if isinstance(m, RegisterAgent):
            return f"RegisterAgent {m.agent_info.hostname}"
        if isinstance(m, ReregisterAgent):
            tasks = []
            for t in m.tasks:
                s = f"{t.framework_id}/{t.task.task_id} {t.state.name}"
                if t.executor_id:
                    s += f" executor={t.executor_id}"
                if t.status_update_state is not None:
                    s += f" (unacked {t.status_update_state.name} {self._uuid(t.status_update_uuid)})"
                tasks.append(s)
            return (f"ReregisterAgent {m.agent_info.id} tasks=[{', '.join(tasks)}] "
                    f"executors=[{','.join(e.executor_id for e in m.executor_infos)}] "
                    f"frameworks=[{','.join(str(f.id) for f in m.frameworks)}]")
        if isinstance(m, ExecutorSubscribed):
            return f"Subscribed container={self._container(m.container_id)}"
        if isinstance(m, ExecutorLaunch):
            return f"Launch {m.task.task_id}"
        if isinstance(m, ExecutorLaunchGroup):
            return f"LaunchGroup {','.join(t.task_id for t in m.tasks)}"
        if isinstance(m, ExecutorKill):
            g = m.kill_policy.grace_period if m.kill_policy else None
            return f"Kill {m.task_id}" + (f" grace={g:g}" if g is not None else "")
        if isinstance(m, ExecutorAcknowledged):
            return f"Acknowledged {m.task_id} {self._uuid(m.uuid)}"
        if isinstance(m, ExecutorShutdown):
            return f"Shutdown grace={m.grace_period:g}" if m.grace_period is not None else "Shutdown"
        if isinstance(m, ExitedExecutor):
            return f"ExitedExecutor {m.framework_id}/{m.executor_id} status={m.status}"
        if isinstance(m, Pong):
            return "Pong"
        if isinstance(m, UnregisterAgent):
            return f"UnregisterAgent {m.agent_id}"
        if isinstance(m, ExecutorToFramework):
            return f"ExecutorToFramework {m.framework_id}/{m.executor_id} {m.data!r}"
        if isinstance(m, ExecutorFrameworkMessage):
            return f"FrameworkMessage {m.data!r}"
        return repr(m)

    def fmt_record(self, r: Any) -> str:
        if isinstance(r, AgentRecord):
            return f"AgentInfo id={r.info.id}"
        if isinstance(r, FrameworkRecord):
            return f"FrameworkInfo {r.info.id}"
        if isinstance(r, ExecutorRecord):
            s = f"ExecutorInfo {r.info.executor_id} container={self._container(r.container_id)}"
            if r.command_executor:
                s += " command"
            if r.exited:
                s += f" exited status={r.exit_status}"
            return s
        if isinstance(r, TaskRecordCk):
            return f"TaskInfo {r.task.task_id}"
        if isinstance(r, GcRecord):
            return "GC " + self._key(r.sandbox)
        if isinstance(r, UpdateRecord):
            st = r.update.status
            return f"UPDATE {st.task_id} {st.state.name} {self._uuid(r.update.uuid)}"
        if isinstance(r, AckRecord):
            return f"ACK {self._uuid(r.uuid)}"
        return repr(r)

    def fmt(self, e: Any) -> str | None:
        if isinstance(e, Log):
            return None
        if isinstance(e, Send):
            return f"send {e.to} {self.fmt_msg(e.message)}"
        if isinstance(e, Persist):
            if e.record is None:
                return f"delete {self._key(e.key)}"
            op = "+=" if e.append else "="
            return f"persist {self._key(e.key)} {op} {self.fmt_record(e.record)}"
        if isinstance(e, SetTimer):
            return f"timer {self._key(e.key)} at {e.at:g}"
        if isinstance(e, CancelTimer):
            return f"cancel timer {self._key(e.key)}"
        if isinstance(e, LaunchExecutor):
            kind = "command" if e.command.value == "mesotron-command-executor" else "custom"
            return (f"launch executor {e.executor_info.executor_id} ({kind}) "
                    f"container={self._container(e.container_id)} resources={e.resources}")
        if isinstance(e, KillExecutor):
            return f"kill container {self._container(e.container_id)} {e.signal}"
        if isinstance(e, DestroyContainer):
            return f"destroy container {self._container(e.container_id)}"
        if isinstance(e, GarbageCollect):
            return f"gc {self._key(e.sandbox)}"
        if isinstance(e, UpdateContainer):
            nested = "".join(f" +nested {t}" for t, _ in e.nested_add) + \
                "".join(f" -nested {t}" for t in e.nested_remove)
            return f"update container {self._container(e.container_id)} resources={e.resources}{nested}"
        if isinstance(e, Close):
            return f"close {e.peer}"
        if isinstance(e, Reject):
            return f"reject {e.sender} {e.status} {e.message}"
        if isinstance(e, StopAgent):
            return f"stop agent ({e.reason})"
        return repr(e)

    # ================================================================ commands
    def run(self, command: str, args: list[str], kw: dict[str, str]) -> list[str]:
        handler = getattr(self, "cmd_" + command.replace("-", "_"), None)
        if handler is None:
            raise ValueError(f"unknown command {command!r}")
        result: list[str] = handler(args, kw)
        return result

    def cmd_describe(self, args: list[str], kw: dict[str, str]) -> list[str]:
        assert self.agent is not None
        text = self.agent.describe()
        for c, alias in self.containers.items():
            text = text.replace(c[:8], alias)
        return text.splitlines()

    def cmd_config(self, args: list[str], kw: dict[str, str]) -> list[str]:
        fields = {a.name: a.type for a in attrs.fields(AgentConfig)}
        changes: dict[str, Any] = {}
        for k, v in kw.items():
            if k not in fields:
                raise ValueError(f"unknown config {k}")
            changes[k] = v if k == "recover" else (_bool(v) if k == "checkpoint" else float(v))
        self.config = attrs.evolve(self.config, **changes)
        return []

    def cmd_start(self, args: list[str], kw: dict[str, str]) -> list[str]:
        if "mode" in kw:
            self.config = attrs.evolve(self.config, recover=kw["mode"])
        if "res" in kw:
            self.agent_resources = kw["res"]
        if "gc" in kw:  # --gc_delay, seconds
            self.config = attrs.evolve(self.config, gc_delay=float(kw["gc"]))
        self.agent = self._new_agent()
        disk = Recovered.empty().apply(self.persisted)
        return self._step(Start(recovered=None if disk.is_empty() else disk,
                                boot_id=kw.get("boot")))

    def cmd_restart(self, args: list[str], kw: dict[str, str]) -> list[str]:
        drop = int(kw.get("drop", "0"))
        if drop:
            self.persisted = self.persisted[:-drop]
        self.timers.clear()
        return self.cmd_start(args, kw)

    def cmd_detect(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._step(MasterDetected(pid=kw.get("master", "master")))

    def cmd_nomaster(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._step(NoMasterDetected())

    def _from_master(self, msg: Any, sender: str = "master") -> list[str]:
        return self._step(Received(sender=sender, message=msg))

    def cmd_registered(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._from_master(AgentRegistered(agent_id=kw.get("id", "S1")))

    def cmd_reregistered(self, args: list[str], kw: dict[str, str]) -> list[str]:
        recs = []
        for item in filter(None, kw.get("reconcile", "").split(",")):
            fw, task = item.split("/")
            recs.append((fw, task, TaskState.TASK_RUNNING))
        return self._from_master(AgentReregistered(agent_id=kw.get("id", "S1"),
                                                   reconciliations=tuple(recs)))

    def cmd_framework(self, args: list[str], kw: dict[str, str]) -> list[str]:
        fw = args[0]
        caps = set()
        if _bool(kw.get("partition_aware", "false")):
            caps.add(Capability.PARTITION_AWARE)
        if _bool(kw.get("killing", "false")):
            caps.add(Capability.TASK_KILLING_STATE)
        self.frameworks[fw] = FrameworkInfo(user="u", name=fw, id=fw,
                                            checkpoint=_bool(kw.get("checkpoint", "true")),
                                            capabilities=frozenset(caps))
        return []

    def _task(self, task_id: str, kw: dict[str, str], executor: ExecutorInfo | None) -> TaskInfo:
        grace = kw.get("grace")
        return TaskInfo(
            name=task_id, task_id=task_id, agent_id=kw.get("agent", "S1"),
            resources=Resources.from_scalars({"cpus": float(kw.get("cpus", "1")), "mem": 32}),
            command=None if executor else CommandInfo(value=kw.get("cmd", "sleep 10")),
            executor=executor,
            kill_policy=KillPolicy(grace_period=float(grace)) if grace else None)

    def cmd_run(self, args: list[str], kw: dict[str, str]) -> list[str]:
        fw = self.frameworks[kw.get("fw", "fw1")]
        executor = None
        if "executor" in kw:
            executor = ExecutorInfo(executor_id=kw["executor"], framework_id=fw.id,
                                    command=CommandInfo(value="./my-executor"),
                                    resources=Resources.from_scalars({"cpus": 0.1}))
        ids = [kw["task"]] + [t for t in kw.get("group", "").split(",") if t]
        tasks = tuple(self._task(t, kw, executor) for t in ids)
        for t in tasks:
            self.task_infos[t.task_id] = t
        if len(tasks) > 1:
            assert executor is not None, "a group needs executor="
            return self._from_master(RunTaskGroup(framework_info=fw, executor=executor,
                                                  tasks=tasks))
        return self._from_master(RunTask(framework_info=fw, task=tasks[0]))

    def _status_update(self, spec: str, fw: str, ex: str) -> StatusUpdate:
        task, state, alias = spec.split(":")
        uuid = self.uuid_by_alias[alias]
        status = TaskStatus(task_id=task, state=_state(state), source=Source.SOURCE_EXECUTOR,
                            executor_id=ex, timestamp=self.now, uuid=uuid)
        return StatusUpdate(framework_id=fw, status=status, uuid=uuid)

    def cmd_subscribe(self, args: list[str], kw: dict[str, str]) -> list[str]:
        ex = kw["ex"]
        fw = kw.get("fw", "fw1")
        pid = kw.get("pid", f"exec-{ex}")
        tasks = tuple(self.task_infos[t] for t in kw.get("tasks", "").split(",") if t)
        updates = tuple(self._status_update(s, fw, ex)
                        for s in kw.get("updates", "").split(",") if s)
        msg = ExecutorSubscribe(framework_id=fw, executor_id=ex, unacknowledged_tasks=tasks,
                                unacknowledged_updates=updates)
        return self._step(Received(sender=pid, message=msg))

    def cmd_update(self, args: list[str], kw: dict[str, str]) -> list[str]:
        task = kw["task"]
        ex = kw.get("ex", task)
        fw = kw.get("fw", "fw1")
        pid = kw.get("pid", f"exec-{ex}")
        if "uuid" in kw and kw["uuid"] in self.uuid_by_alias:
            uuid = self.uuid_by_alias[kw["uuid"]]
        else:
            uuid = self.exec_ids.next_uuid()
            if "uuid" in kw:
                self._bind(uuid, kw["uuid"])
            else:
                self._uuid(uuid)
        status = TaskStatus(task_id=task, state=_state(kw["state"]), source=Source.SOURCE_EXECUTOR,
                            executor_id=ex, timestamp=self.now, uuid=uuid,
                            message=kw.get("message", ""))
        return self._step(Received(sender=pid, message=ExecutorUpdate(
            framework_id=fw, executor_id=ex, status=status)))

    def cmd_ack(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._from_master(StatusUpdateAcknowledgement(
            agent_id=kw.get("agent", "S1"), framework_id=kw.get("fw", "fw1"), task_id=kw["task"],
            uuid=self.uuid_by_alias[kw["uuid"]]), sender=kw.get("from", "master"))

    def cmd_kill(self, args: list[str], kw: dict[str, str]) -> list[str]:
        grace = kw.get("grace")
        return self._from_master(KillTask(
            framework_id=kw.get("fw", "fw1"), task_id=kw["task"],
            kill_policy=KillPolicy(grace_period=float(grace)) if grace else None))

    def cmd_exited(self, args: list[str], kw: dict[str, str]) -> list[str]:
        fw, ex = kw.get("fw", "fw1"), kw["ex"]
        container = self.executor_containers[(fw, ex)]
        return self._step(ExecutorExited(framework_id=fw, executor_id=ex,
                                         container_id=container,
                                         status=int(kw.get("status", "0"))))

    def cmd_disconnect(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._step(Disconnected(peer=kw.get("peer", "master")))

    def cmd_ping(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._from_master(Ping(connected=_bool(kw.get("connected", "true"))),
                                 sender=kw.get("from", "master"))

    def cmd_shutdown_framework(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._from_master(ShutdownFramework(framework_id=kw.get("fw", "fw1")))

    def cmd_shutdown_executor(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._from_master(ShutdownExecutorMsg(framework_id=kw.get("fw", "fw1"),
                                                     executor_id=kw["ex"]))

    def cmd_shutdown_agent(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._from_master(ShutdownAgent(message="removed"))

    def cmd_shutdown(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._step(Shutdown())

    def cmd_tick(self, args: list[str], kw: dict[str, str]) -> list[str]:
        target = self.now + float(args[0])
        out: list[str] = []
        while True:
            due = sorted((at, k) for k, at in self.timers.items() if at <= target)
            if not due:
                break
            at, key = due[0]
            del self.timers[key]
            self.now = max(self.now, at)
            out.append(f"@{self.now:g} {self._key(key)} fired")
            out += self._step(TimerFired(key=key))
        self.now = target
        return out
