"""Agent concept: tasks and executors (Mesos `Slave::run`, `subscribe`, `statusUpdate`,
`killTask`, `shutdownFramework`, `shutdownExecutor`, `executorTerminated`).

- RunTask: checkpoint framework, executor and task (Persist BEFORE acting), start the
  executor when needed (a framework's command tasks share ONE synthesized command executor
  per agent, id `mesotron-command-<framework id>`, shut down after
  `command_executor_idle_timeout` without tasks; see command_executor_info), queue tasks until the executor subscribes; `executor_registration_timeout` ->
  the container is destroyed and its tasks get TASK_FAILED (REASON_EXECUTOR_REGISTRATION_TIMEOUT).
- ExecutorSubscribe: SUBSCRIBED, then its unacknowledged updates are re-processed (acked after
  they are persisted), launched tasks still STAGING that the executor does not know become
  TASK_LOST/DROPPED (REASON_AGENT_RESTARTED), queued tasks are launched, held kills delivered.
- ExecutorUpdate: lifecycle check, status-update manager (Persist), THEN ExecutorAcknowledged.
- KillTask: queued task -> TASK_KILLED from the agent (REASON_TASK_KILLED_DURING_LAUNCH);
  launched -> ExecutorKill; executor not (re)subscribed yet -> held until it subscribes.

Books read: `agent_info`, `by_container`, `by_pid`, `config`, `frameworks`, `ids`, `pid`,
  `state`.
Books written: `by_container`, `by_pid`, `frameworks`.
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.agent.base import (
    EXEC_IDLE,
    EXEC_REGISTRATION,
    EXEC_SHUTDOWN,
    MASTER,
    AgentCore,
    executor_key,
    task_key,
)
from mesotron.core.agent.model import (
    ExecutorEntry,
    ExecutorExited,
    ExecutorStarted,
    FrameworkEntry,
    KillExecutor,
    LaunchExecutor,
    TaskEntry,
    UpdateContainer,
)
from mesotron.core.checkpoint import ExecutorRecord, TaskRecordCk
from mesotron.core.effects import CancelTimer, Close, Log, Persist, Reject, Send, SetTimer
from mesotron.core.executor import (
    COMMAND_EXECUTOR_PROGRAM,
    format_duration,
    subscription_backoff_max_for,
)
from mesotron.core.messages import (
    ExecutorFrameworkMessage,
    ExecutorKill,
    ExecutorLaunch,
    ExecutorLaunchGroup,
    ExecutorMessage,
    ExecutorShutdown,
    ExecutorSubscribe,
    ExecutorSubscribed,
    ExecutorToFramework,
    ExecutorUpdate,
    FrameworkToExecutor,
    KillTask,
    RunTask,
    RunTaskGroup,
    ShutdownExecutorMsg,
    ShutdownFramework,
    UpdateFramework,
)
from mesotron.core.resources import Resources
from mesotron.core.values import (
    AgentInfo,
    CommandInfo,
    ExecutorInfo,
    FrameworkInfo,
    Reason,
    Source,
    TaskInfo,
    TaskState,
)

# the Log event of an executor's update ignored because its framework is terminating
# (Mesos `Slave::statusUpdate`); the checker counts it as an invalid update (MetricsAgree)
UPDATE_FRAMEWORK_TERMINATING = "agent.update.framework_terminating"


def command_executor_id(framework_id: str, generation: int = 1) -> str:
    """The id of the framework's shared command executor on this agent:
    `mesotron-command-<framework id>`; `-<n>` (n >= 2) when an earlier one is still being
    shut down while a new command task arrives."""
    base = f"mesotron-command-{framework_id}"
    return base if generation <= 1 else f"{base}-{generation}"


def command_executor_info(framework_id: str, executor_id: str | None = None) -> ExecutorInfo:
    """The ExecutorInfo the agent synthesizes for a framework's command tasks (Mesos
    `getExecutorInfo`, but ONE executor runs all of the framework's command tasks on this
    agent, as Mesos's default executor runs many tasks). Its own resources are none: the
    container's resources are its tasks'."""
    return ExecutorInfo(
        executor_id=executor_id or command_executor_id(framework_id),
        framework_id=framework_id,
        command=CommandInfo(value=COMMAND_EXECUTOR_PROGRAM, shell=False),
        resources=Resources(),
        type="DEFAULT",
        name=f"Command Executor (Framework: {framework_id})",
    )


def lost_state(info: FrameworkInfo | None) -> TaskState:
    """TASK_DROPPED for PARTITION_AWARE frameworks, TASK_LOST otherwise."""
    return TaskState.TASK_DROPPED if info is not None and info.partition_aware else TaskState.TASK_LOST


class ExecutorsMixin(AgentCore):
    # declared again for type checkers that see the base class as Any
    state: str
    recovering: bool
    agent_info: AgentInfo
    master: str | None
    reg_backoff: float

    # ================================================================ run task
    def _command_executor_id(self, fw: FrameworkEntry | None, fw_id: str) -> str:
        """The framework's shared command executor to use: the current one unless it is
        being shut down (then the next generation's id)."""
        gen = 1
        while True:
            ex_id = command_executor_id(fw_id, gen)
            ex = fw.executors.get(ex_id) if fw is not None else None
            if ex is None or ex.state in ("registering", "running"):
                return ex_id
            gen += 1

    def handleRunTask(self, now: float, sender: str, msg: RunTask) -> list[Any]:
        return self._run(now, sender, msg, msg.framework_info, None, (msg.task,), msg.framework_pid)

    def handleRunTaskGroup(self, now: float, sender: str, msg: RunTaskGroup) -> list[Any]:
        return self._run(now, sender, msg, msg.framework_info, msg.executor, msg.tasks, "")

    def _run(self, now: float, sender: str, msg: Any, info: FrameworkInfo,
             group_executor: ExecutorInfo | None, tasks: tuple[TaskInfo, ...],
             framework_pid: str) -> list[Any]:
        def reject(why: str) -> list[Any]:
            return [Reject(sender=sender, status=400, message=why, input=msg)]

        if self.state == "terminating":
            return [Log(level="warn", event="agent.run_task.terminating")]
        if self.state != "running":
            return [Log(level="warn", event="agent.run_task.not_registered",
                        fields=(("state", self.state),))]
        if info.id is None:
            return reject("framework_info has no id")
        if not tasks:
            return reject("no tasks")
        fw_prev = self.frameworks.get(info.id)
        ids = [t.task_id for t in tasks]
        if len(set(ids)) != len(ids):
            return reject("duplicate task ids in the group")
        for t in tasks:
            if t.agent_id != self.agent_id:
                return reject(f"task {t.task_id} is for agent {t.agent_id}, not {self.agent_id}")
            if fw_prev is not None and t.task_id in fw_prev.task_executor:
                return reject(f"task {t.task_id} already exists")
            if group_executor is None and t.command is None and t.executor is None:
                return reject(f"task {t.task_id} has neither command nor executor")
        if fw_prev is not None and fw_prev.state == "terminating":
            return [Log(level="warn", event="agent.run_task.framework_terminating",
                        fields=(("framework", info.id),))]
        first = tasks[0]
        if group_executor is not None:
            ex_info = group_executor
            command = False
        elif first.executor is not None:
            ex_info = first.executor
            command = False
        else:
            ex_info = command_executor_info(info.id, self._command_executor_id(fw_prev, info.id))
            command = True
        if ex_info.framework_id is None:
            ex_info = attrs.evolve(ex_info, framework_id=info.id)

        out: list[Any] = []
        fw = fw_prev
        if fw is None:
            fw = FrameworkEntry(info=info, pid=framework_pid)
            self.frameworks[info.id] = fw
            if self._checkpointing(fw):
                out.append(self._framework_record(fw))
        elif fw.info != info and info.checkpoint == fw.info.checkpoint:
            fw.info = info
            if self._checkpointing(fw):
                out.append(self._framework_record(fw))

        ex = fw.executors.get(ex_info.executor_id)
        if ex is not None and ex.state in ("terminating", "terminated"):
            for t in tasks:
                out += self._agent_update(now, fw.id, ex.info.executor_id, t.task_id,
                                          lost_state(fw.info), Reason.REASON_EXECUTOR_TERMINATED,
                                          "Executor terminating", checkpoint=False)
            return out
        new_executor = ex is None
        if ex is None:
            ex = ExecutorEntry(framework_id=fw.id, info=ex_info,
                               container_id=self.ids.next_uuid_str(), command_executor=command,
                               checkpoint=self._checkpointing(fw))
            fw.executors[ex_info.executor_id] = ex
            self.by_container[ex.container_id] = (fw.id, ex_info.executor_id)
            if ex.checkpoint:
                out.append(Persist(key=executor_key(fw.id, ex_info.executor_id),
                                   record=ExecutorRecord(info=ex_info,
                                                         container_id=ex.container_id,
                                                         command_executor=command)))
        group = len(tasks) > 1 or group_executor is not None
        entries = []
        for t in tasks:
            entry = TaskEntry(framework_id=fw.id, executor_id=ex_info.executor_id, info=t,
                              group=tasks[0].task_id if group else None,
                              history=[(TaskState.TASK_STAGING, "agent")])
            entries.append(entry)
            ex.tasks[t.task_id] = entry
            if ex.allocated is not None:
                ex.allocated = ex.allocated + t.resources
            fw.task_executor[t.task_id] = ex_info.executor_id
            if ex.checkpoint:
                out.append(Persist(key=task_key(fw.id, ex_info.executor_id, t.task_id),
                                   record=TaskRecordCk(framework_id=fw.id,
                                                       executor_id=ex_info.executor_id, task=t)))
        nested = tuple((t.task_id, t.resources) for t in tasks) if command else ()
        if new_executor:
            out.append(self._launch_effect(fw, ex))
            if nested:  # the tasks' nested containers, before the executor can get them
                out.append(UpdateContainer(container_id=ex.container_id, resources=ex.resources(),
                                           nested_add=nested, command_executor=True))
            out.append(SetTimer(key=(EXEC_REGISTRATION, fw.id, ex_info.executor_id,
                                     ex.container_id),
                                at=now + self.config.executor_registration_timeout))
            return out
        out += self._cancel_idle(fw, ex)
        out.append(UpdateContainer(container_id=ex.container_id, resources=ex.resources(),
                                   nested_add=nested, command_executor=command))
        if ex.state == "running" and ex.pid is not None:
            for e in entries:
                e.queued = False
            if group:
                out.append(Send(to=ex.pid, message=ExecutorLaunchGroup(tasks=tasks)))
            else:
                out.append(Send(to=ex.pid, message=ExecutorLaunch(task=first)))
        return out

    def _launch_effect(self, fw: FrameworkEntry, ex: ExecutorEntry) -> LaunchExecutor:
        ex_id = ex.info.executor_id
        sandbox = ("slaves", self.agent_id, "frameworks", fw.id, "executors", ex_id,
                   "runs", ex.container_id)
        directory = "/".join(sandbox)
        if self.config.work_dir:
            directory = self.config.work_dir.rstrip("/") + "/" + directory
        endpoint = self.pid.split("@", 1)[1] if "@" in self.pid else ""
        env: list[tuple[str, str]] = [
            ("MESOS_FRAMEWORK_ID", fw.id),
            ("MESOS_EXECUTOR_ID", ex_id),
            ("MESOS_AGENT_ENDPOINT", endpoint),
            ("MESOS_SLAVE_ID", self.agent_id),
            ("MESOS_SLAVE_PID", self.pid),
            ("MESOS_DIRECTORY", directory),
            ("MESOS_SANDBOX", directory),
            ("MESOS_HTTP_COMMAND_EXECUTOR", "1" if ex.command_executor else "0"),
            ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", format_duration(self._grace(ex))),
        ]
        if ex.checkpoint:
            # only when checkpointing: pymesos reads bool(MESOS_CHECKPOINT), so "0" would be true
            env += [
                ("MESOS_CHECKPOINT", "1"),
                ("MESOS_RECOVERY_TIMEOUT", format_duration(self.config.recovery_timeout)),
                ("MESOS_SUBSCRIPTION_BACKOFF_MAX",
                 format_duration(subscription_backoff_max_for(
                     self.config.executor_reregistration_timeout))),
            ]
        command = ex.info.command or CommandInfo(value=COMMAND_EXECUTOR_PROGRAM, shell=False)
        return LaunchExecutor(framework_id=fw.id, executor_info=ex.info,
                              container_id=ex.container_id, sandbox=sandbox, env=tuple(env),
                              command=command, resources=ex.resources())

    # ================================================================ subscribe
    def handleExecutorSubscribe(self, now: float, sender: str, msg: ExecutorSubscribe) -> list[Any]:
        fw = self.frameworks.get(msg.framework_id)
        ex = fw.executors.get(msg.executor_id) if fw is not None else None
        if fw is None or ex is None:
            return [Reject(sender=sender, status=400, input=msg,
                           message=f"unknown framework {msg.framework_id} or executor "
                                   f"{msg.executor_id}")]
        owner = self.by_pid.get(sender)
        if owner is not None and owner != (fw.id, ex.info.executor_id):
            return [Reject(sender=sender, status=400, input=msg,
                           message=f"{sender} is subscribed as executor {owner[1]}")]
        if owner is not None and ex.pid == sender and ex.state == "running":
            # a second SUBSCRIBE on a connection that is this executor's live subscription
            # (the driver wire's connection, the simulator's executor pid): refused, the
            # subscription stands (the master refuses a SUBSCRIBE on a subscribed stream)
            return [Reject(sender=sender, status=400, input=msg,
                           message="Already subscribed on this connection")]
        if self.state in ("terminating", "stopped") or fw.state == "terminating" \
                or ex.state in ("terminating", "terminated"):
            out_: list[Any] = [Send(to=sender, message=ExecutorShutdown(grace_period=self._grace(ex))),
                               Close(peer=sender)]
            if ex.recovered and ex.state == "terminating":
                # its shutdown was deferred until it re-subscribed after a restart
                self._unrecover(ex)
                ex.shutdown_timer = True
                out_.append(SetTimer(key=(EXEC_SHUTDOWN, fw.id, ex.info.executor_id,
                                          ex.container_id), at=now + self._grace(ex)))
            return out_
        for u in msg.unacknowledged_updates:
            if u.framework_id != fw.id or u.status.state is TaskState.TASK_STAGING \
                    or not u.uuid or (u.status.uuid is not None and u.status.uuid != u.uuid):
                return [Reject(sender=sender, status=400, input=msg,
                               message="invalid unacknowledged update")]
        out: list[Any] = []
        restarted = ex.recovered  # this agent restarted since the executor last subscribed
        live = ex.state == "running" and not restarted  # a new connection of a live executor
        if ex.pid is not None and ex.pid != sender:
            self.by_pid.pop(ex.pid, None)
            out.append(Close(peer=ex.pid))
        if ex.state == "registering" and not ex.recovered:
            out.append(CancelTimer(key=(EXEC_REGISTRATION, fw.id, ex.info.executor_id,
                                        ex.container_id)))
        ex.state = "running"
        ex.pid = sender
        self._unrecover(ex)
        self.by_pid[sender] = (fw.id, ex.info.executor_id)
        acks: list[Any] = []
        for u in msg.unacknowledged_updates:
            status = u.status if u.status.uuid is not None else attrs.evolve(u.status, uuid=u.uuid)
            effects, ack = self._executor_status(now, fw, ex, status, sender, request=msg)
            out += effects
            acks += ack
        out.append(Send(to=sender, message=ExecutorSubscribed(
            executor_info=ex.info, framework_info=fw.info, agent_info=self.agent_info,
            container_id=ex.container_id)))
        out += acks
        if restarted or live:
            known = {t.task_id for t in msg.unacknowledged_tasks}
            for task in list(ex.tasks.values()):
                if task.state is TaskState.TASK_STAGING and not task.queued \
                        and task.info.task_id not in known:
                    if live:
                        # sent on the executor's previous connection, which is gone (the
                        # agent did not restart): the executor never saw it, launch it
                        # again on this one (an executor ignores a LAUNCH it already has;
                        # Mesos's reregisterExecutor relaunched STAGING tasks the same way)
                        task.queued = True
                        continue
                    out += self._agent_update(now, fw.id, ex.info.executor_id, task.info.task_id,
                                              lost_state(fw.info), Reason.REASON_AGENT_RESTARTED,
                                              "Task launched during agent restart")
        queued = [t for t in ex.tasks.values() if t.queued and not t.terminal]
        # deliver queued tasks as they were launched: one LAUNCH per task, one LAUNCH_GROUP
        # per task group (as Mesos does: a plain executor never sees a group it did not get)
        sent_groups: set[str] = set()
        for t in queued:
            t.queued = False
            if t.group is None:
                out.append(Send(to=sender, message=ExecutorLaunch(task=t.info)))
            elif t.group not in sent_groups:
                sent_groups.add(t.group)
                out.append(Send(to=sender, message=ExecutorLaunchGroup(
                    tasks=tuple(q.info for q in queued if q.group == t.group))))
        for task_id, policy in sorted(ex.pending_kills.items()):
            t = ex.tasks.get(task_id)
            if t is not None and not t.terminal:
                out.append(Send(to=sender, message=ExecutorKill(task_id=task_id,
                                                                kill_policy=policy)))
        ex.pending_kills.clear()
        if ex.command_executor and not ex.tasks:
            # its task completed while the agent was down: nothing left to run
            out += self._shutdown_executor(now, fw, ex)
        out += self._maybe_finish_recovery(now)
        return out

    # ================================================================ updates, messages
    def _subscribed_executor(self, sender: str, fw_id: str, ex_id: str, msg: Any
                             ) -> tuple[FrameworkEntry, ExecutorEntry] | Reject:
        where = self.by_pid.get(sender)
        if where is None:
            fw = self.frameworks.get(fw_id)
            known = fw is not None and ex_id in fw.executors
            return Reject(sender=sender, status=403 if known else 400, input=msg,
                          message="executor is not subscribed" if known
                          else f"unknown framework {fw_id} or executor {ex_id}")
        if where != (fw_id, ex_id):
            return Reject(sender=sender, status=400, input=msg,
                          message="framework/executor id does not match the subscription")
        fw = self.frameworks[fw_id]
        return fw, fw.executors[ex_id]

    def handleExecutorUpdate(self, now: float, sender: str, msg: ExecutorUpdate) -> list[Any]:
        got = self._subscribed_executor(sender, msg.framework_id, msg.executor_id, msg)
        if isinstance(got, Reject):
            self._count("invalid_status_updates")
            return [got]
        fw, ex = got
        s = msg.status
        problem = None
        if s.uuid is None or len(s.uuid) != 16:
            problem = "update.status.uuid must be a 16-byte UUID"
        elif s.executor_id is not None and s.executor_id != msg.executor_id:
            problem = "status.executor_id differs from the call's executor_id"
        elif s.source is not None and s.source is not Source.SOURCE_EXECUTOR:
            problem = "status.source must be SOURCE_EXECUTOR"
        elif s.state is TaskState.TASK_STAGING:
            problem = "an executor may not send TASK_STAGING"
        if problem:
            self._count("invalid_status_updates")
            return [Reject(sender=sender, status=400, message=problem, input=msg)]
        if fw.state == "terminating":
            # Mesos `Slave::statusUpdate`: "We don't send update when a framework is
            # terminating because it cannot send acknowledgements": ignored (counted
            # invalid), neither checkpointed nor acknowledged; the executor is being shut down
            self._count("invalid_status_updates")
            return [Log(level="warn", event=UPDATE_FRAMEWORK_TERMINATING,
                        fields=(("framework", fw.id), ("task", s.task_id),
                                ("state", s.state.name)))]
        effects, acks = self._executor_status(now, fw, ex, s, sender, request=msg)
        return effects + acks

    def handleExecutorMessage(self, now: float, sender: str, msg: ExecutorMessage) -> list[Any]:
        got = self._subscribed_executor(sender, msg.framework_id, msg.executor_id, msg)
        if isinstance(got, Reject):
            return [got]
        if self.state != "running":
            # Mesos `Slave::executorMessage`: dropped (and counted) while the agent has no
            # master (recovering, disconnected, terminating)
            self._count("invalid_framework_messages")
            return [Log(level="warn", event="agent.executor_message.dropped", fields=(
                ("framework", msg.framework_id), ("executor", msg.executor_id),
                ("reason", f"the agent is {self.state}")))]
        self._count("valid_framework_messages")
        return [Send(to=MASTER, message=ExecutorToFramework(
            agent_id=self.agent_id, framework_id=msg.framework_id,
            executor_id=msg.executor_id, data=msg.data))]

    def handleFrameworkToExecutor(self, now: float, msg: FrameworkToExecutor) -> list[Any]:
        """A framework's message for one of its executors (Mesos `Slave::schedulerMessage`):
        delivered only to a running executor of a running framework while the agent runs
        (registered); otherwise dropped with a warning. Either way counted: the agent's
        valid_framework_messages / invalid_framework_messages."""
        fw = self.frameworks.get(msg.framework_id)
        ex = fw.executors.get(msg.executor_id) if fw is not None else None
        why = None
        if self.state != "running":
            why = f"the agent is {self.state}"
        elif fw is None:
            why = "the framework does not exist"
        elif fw.state == "terminating":
            why = "the framework is terminating"
        elif ex is None:
            why = "the executor does not exist"
        elif ex.pid is None or ex.state != "running":
            why = "the executor is not running"
        if why is not None:
            self._count("invalid_framework_messages")
            return [Log(level="warn", event="agent.framework_message.dropped", fields=(
                ("framework", msg.framework_id), ("executor", msg.executor_id),
                ("reason", why)))]
        self._count("valid_framework_messages")
        return [Send(to=ex.pid, message=ExecutorFrameworkMessage(data=msg.data))]  # type: ignore[union-attr]

    def handleUpdateFramework(self, now: float, msg: UpdateFramework) -> list[Any]:
        info = msg.framework_info
        fw = self.frameworks.get(info.id or "")
        if fw is None or info.checkpoint != fw.info.checkpoint:
            return [Log(level="info", event="agent.update_framework.ignored",
                        fields=(("framework", info.id),))]
        fw.info = info
        return [self._framework_record(fw)] if self._checkpointing(fw) else []

    # ================================================================ kill, shutdown
    def handleKillTask(self, now: float, msg: KillTask) -> list[Any]:
        fw = self.frameworks.get(msg.framework_id)
        if fw is None:
            return [Log(level="warn", event="agent.kill_task.unknown_framework",
                        fields=(("framework", msg.framework_id), ("task", msg.task_id)))]
        if fw.state == "terminating":
            return [Log(level="warn", event="agent.kill_task.framework_terminating")]
        found = self._find_task(fw.id, msg.task_id)
        if found is None:
            for ex in fw.executors.values():
                if any(t.info.task_id == msg.task_id for t in ex.completed):
                    return [Log(level="info", event="agent.kill_task.completed")]
            # Mesos: "Cannot find executor" -> TASK_LOST / TASK_DROPPED from the agent
            return self._agent_update(now, fw.id, None, msg.task_id, lost_state(fw.info),
                                      Reason.REASON_EXECUTOR_TERMINATED, "Cannot find executor",
                                      checkpoint=False)
        _fw, ex, task = found
        if task.terminal:
            return [Log(level="info", event="agent.kill_task.terminal",
                        fields=(("task", msg.task_id),))]
        if ex.state in ("terminating", "terminated"):
            return [Log(level="info", event="agent.kill_task.executor_terminating")]
        if task.queued:
            out = self._agent_update(now, fw.id, ex.info.executor_id, msg.task_id,
                                     TaskState.TASK_KILLED,
                                     Reason.REASON_TASK_KILLED_DURING_LAUNCH,
                                     "Killed before delivery to the executor")
            if not ex.live_tasks() and (ex.command_executor or ex.pid is None):
                out += self._shutdown_executor(now, fw, ex)
            return out
        if ex.pid is None:
            ex.pending_kills[msg.task_id] = msg.kill_policy
            return [Log(level="info", event="agent.kill_task.held_until_subscribed",
                        fields=(("task", msg.task_id),))]
        return [Send(to=ex.pid, message=ExecutorKill(task_id=msg.task_id,
                                                     kill_policy=msg.kill_policy))]

    def handleShutdownFramework(self, now: float, msg: ShutdownFramework) -> list[Any]:
        fw = self.frameworks.get(msg.framework_id)
        if fw is None:
            return [Log(level="info", event="agent.shutdown_framework.unknown",
                        fields=(("framework", msg.framework_id),))]
        return self._shutdown_framework(now, fw)

    def _shutdown_framework(self, now: float, fw: FrameworkEntry) -> list[Any]:
        if fw.state == "terminating":
            return []
        fw.state = "terminating"
        out: list[Any] = []
        for ex in list(fw.executors.values()):
            if ex.state == "terminated":
                out += self._maybe_remove_executor(now, fw, ex)
            else:
                out += self._shutdown_executor(now, fw, ex)
        if fw.id in self.frameworks and not fw.executors:
            out += self._remove_framework(now, fw)
        return out

    def handleShutdownExecutor(self, now: float, msg: ShutdownExecutorMsg) -> list[Any]:
        if self.state in ("recovering", "disconnected"):
            # Mesos `Slave::shutdownExecutor`: ignored until the agent has (re-)registered
            return [Log(level="warn", event="agent.shutdown_executor.not_registered",
                        fields=(("state", self.state), ("executor", msg.executor_id)))]
        fw = self.frameworks.get(msg.framework_id)
        ex = fw.executors.get(msg.executor_id) if fw is not None else None
        if fw is None or ex is None:
            return [Log(level="info", event="agent.shutdown_executor.unknown")]
        return self._shutdown_executor(now, fw, ex)

    # ================================================================ processes, timers
    def handleExecutorExited(self, now: float, msg: ExecutorExited) -> list[Any]:
        where = self.by_container.get(msg.container_id)
        if where is None or where != (msg.framework_id, msg.executor_id):
            return [Log(level="info", event="agent.executor_exited.unknown_container",
                        fields=(("container", msg.container_id),))]
        fw = self.frameworks[where[0]]
        ex = fw.executors[where[1]]
        if ex.state == "terminated":
            return []
        return self._executor_terminated(now, fw, ex, msg.status)

    def handleExecutorStarted(self, now: float, msg: ExecutorStarted) -> list[Any]:
        where = self.by_container.get(msg.container_id)
        if where is not None:
            self.frameworks[where[0]].executors[where[1]].os_pid = msg.pid
        return []

    def handleExecutorDisconnected(self, now: float, pid: str) -> list[Any]:
        where = self.by_pid.pop(pid, None)
        if where is None:
            return []
        fw = self.frameworks[where[0]]
        ex = fw.executors[where[1]]
        ex.pid = None
        out: list[Any] = [Log(level="info", event="agent.executor.disconnected",
                              fields=(("executor", ex.info.executor_id),))]
        if not ex.checkpoint and ex.state != "terminated":
            # Mesos: a non-checkpointing framework's executor is shut down when it goes away
            ex.state = "running"
            out += self._shutdown_executor(now, fw, ex)
        return out

    def handleExecutorTimer(self, now: float, key: tuple[str, ...]) -> list[Any]:
        if len(key) != 4:
            return [Log(level="warn", event="agent.timer.unknown", fields=(("key", key),))]
        _, fw_id, ex_id, container = key
        fw = self.frameworks.get(fw_id)
        ex = fw.executors.get(ex_id) if fw is not None else None
        if fw is None or ex is None or ex.container_id != container:
            return []
        if key[0] == EXEC_REGISTRATION:
            if ex.state != "registering":
                return []
            t = self.config.executor_registration_timeout
            ex.pending_termination = (TaskState.TASK_FAILED,
                                      Reason.REASON_EXECUTOR_REGISTRATION_TIMEOUT,
                                      f"Executor did not register within {format_duration(t)}")
            ex.state = "terminating"
            return [Log(level="warn", event="agent.executor.registration_timeout",
                        fields=(("executor", ex_id),)),
                    KillExecutor(container_id=container, signal="SIGKILL")]
        if key[0] == EXEC_SHUTDOWN:
            if ex.state == "terminated":
                return []
            return [KillExecutor(container_id=container, signal="SIGKILL")]
        if key[0] == EXEC_IDLE:
            if not ex.idle_timer:
                return []
            ex.idle_timer = False
            if ex.tasks or ex.state != "running":
                return []
            return [Log(level="info", event="agent.executor.idle",
                        fields=(("executor", ex_id),))] + self._shutdown_executor(now, fw, ex)
        return []
