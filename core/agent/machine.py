"""The agent machine (Mesos `src/slave/slave.cpp`) as a pure state machine.

`Agent(*, pid, agent_info, ids, config)`; `effects = agent.step(now, input)`.

Concepts live in their own files: core/agent/model.py (config, inputs, effects, model; all
re-exported here), core/agent/base.py (shared state and status-update plumbing),
core/agent/executors.py (tasks and executors), core/agent/recovery.py (Start and recovery). This file
holds the entry point, the master link (detection, registration with backoff, pings,
re-registration with the agent's tasks) and the read-only views.

INPUTS: `Start(recovered)`, `MasterDetected(pid)`, `NoMasterDetected()`,
`Received(sender, msg)` (from the master: AgentRegistered, AgentReregistered, RunTask,
RunTaskGroup, KillTask, StatusUpdateAcknowledgement, Ping, ShutdownFramework,
ShutdownExecutorMsg, FrameworkToExecutor, UpdateFramework, ShutdownAgent; from executors,
addressed by the pid they subscribed from: ExecutorSubscribe, ExecutorUpdate,
ExecutorMessage), `Disconnected(peer)` (the master link or an executor's stream),
`TimerFired(key)`, `ExecutorExited(...)`, `ExecutorStarted(...)`, `Shutdown()`,
`ContainerLimitation(...)` and `OrphanContainer(...)` (isolation: core/agent/containers.py).

EFFECTS: `Send` (to "master" or an executor pid), `Close`, `Persist` (checkpoints, see
checkpoint.py; status-update logs), `SetTimer`/`CancelTimer`, `Log`, `Reject`, and
`LaunchExecutor`, `KillExecutor`, `UpdateContainer`, `DestroyContainer`, `StopAgent`.
Ordering (effects.py rule 2): every Persist precedes the action that depends on it
(checkpoint before launching; an executor's update is persisted before ExecutorAcknowledged).

Agent states: new -> [recovering] -> disconnected <-> running -> terminating -> stopped.

Mesos semantics, and where we chose:
- Registration: the first RegisterAgent/ReregisterAgent goes out at once on MasterDetected,
  retries after `registration_backoff_factor` seconds doubling to 60 s (Mesos draws random
  delays). A recovering agent registers only once recovery finished.
- Checkpointing is per framework (FrameworkInfo.checkpoint, and AgentConfig.checkpoint as a
  master switch). Non-checkpointing frameworks are not recovered after a restart; their
  executors get no MESOS_CHECKPOINT and exit when the agent goes away.
- Executor exit: live tasks get TASK_FAILED (SOURCE_AGENT, REASON_EXECUTOR_TERMINATED) unless
  a pending termination says otherwise (registration timeout: TASK_FAILED
  REASON_EXECUTOR_REGISTRATION_TIMEOUT; re-registration timeout after a restart: TASK_LOST
  REASON_EXECUTOR_REREGISTRATION_TIMEOUT). ExitedExecutor goes to the master only for custom
  executors (Mesos: the master does not track command executors).
- Command tasks (CommandInfo, no ExecutorInfo): ONE built-in command executor per framework
  on this agent runs them all (id `mesotron-command-<framework id>`, see
  agent_executors.command_executor_info; Mesos starts one command executor per task, but a
  Python executor process per task costs ~11 ms of CPU). Its container's resources are its
  live tasks'. With no task left it is shut down after `command_executor_idle_timeout`
  (timer `executor-idle`); a command task arriving while it shuts down starts the next one
  (`mesotron-command-<framework id>-2`, ...). Its crash fails only its own live tasks.
- KillTask: queued task -> TASK_KILLED from the agent; launched task of an executor that is
  not (re)subscribed right now -> the kill is held and delivered when it subscribes (the
  task may still run, so the agent does not claim it is killed).
- recover="cleanup": executors are killed and every checkpoint is deleted; the agent then
  registers as a new agent and sends no updates for the old tasks (the master reports the
  old agent's tasks lost when it removes it).
- The views `frameworks` (internal dict: read, never mutate), `executors`, `tasks`,
  `state_json()`, `metrics()` serve tests and the shell's endpoints.
Messages to the master go to "master" (the shell resolves the leader); messages from a
sender other than "master" or the detected master pid are rejected (a stale master).

Books read: `agent_info`, `checkpointed_resources`, `completed_frameworks`, `config`,
  `counters`, `dial_backoff`, `dial_failing_since`, `frameworks`, `master`, `master_address`,
  `master_link`, `master_ping_timeout`, `pid`, `recovering`, `reg_backoff`, `shrunk`,
  `shutdown_from_master`, `state`, `sum`.
Books written: `agent_info`, `checkpointed_resources`, `dial_backoff`, `dial_failing_since`,
  `master`, `master_address`, `master_link`, `master_ping_timeout`, `recovering`, `reg_backoff`,
  `shutdown_from_master`, `state`.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

import attrs
from mesotron.core.agent.base import (
    DIAL_TIMER,
    EXEC_IDLE,
    EXEC_REGISTRATION,
    EXEC_SHUTDOWN,
    GC_TIMER,
    MASTER,
    PING_TIMER,
    REGISTER_TIMER,
    REREGISTER_EXECUTORS_TIMER,
)
from mesotron.core.agent.containers import ContainersMixin
from mesotron.core.agent.executors import (
    ExecutorsMixin,
    command_executor_id,
    command_executor_info,
    lost_state,
)
from mesotron.core.agent.model import (
    AgentConfig,
    ContainerLimitation,
    DestroyContainer,
    DialFailed,
    DialMaster,
    ExecutorEntry,
    ExecutorExited,
    ExecutorStarted,
    FrameworkEntry,
    GarbageCollect,
    KillExecutor,
    LaunchExecutor,
    MasterAddress,
    MasterDetected,
    NoMasterDetected,
    OrphanContainer,
    Shutdown,
    Start,
    StopAgent,
    TaskEntry,
    UpdateContainer,
)
from mesotron.core.agent.recovery import RecoveryMixin
from mesotron.core.checkpoint import AgentRecord, Recovered, ResourcesRecord
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
from mesotron.core.errors import LocalError
from mesotron.core.ids import IdSource
from mesotron.core.messages import (
    AgentRegistered,
    AgentReregistered,
    CheckpointResources,
    ExecutorMessage,
    ExecutorSubscribe,
    ExecutorUpdate,
    FrameworkToExecutor,
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
    StatusUpdateAcknowledgement,
    TaskRecord,
    UnregisterAgent,
    UpdateFramework,
)
from mesotron.core.resources import Resources
from mesotron.core.status_updates import RETRY_TIMER, Acknowledge, Pause, Resume
from mesotron.core.values import AgentInfo, Reason, TaskState

__all__ = [
    "Agent",
    "AgentConfig",
    "ContainerLimitation",
    "DestroyContainer",
    "DialFailed",
    "DialMaster",
    "ExecutorExited",
    "ExecutorStarted",
    "ExecutorView",
    "GarbageCollect",
    "KillExecutor",
    "LaunchExecutor",
    "MasterAddress",
    "MasterDetected",
    "NoMasterDetected",
    "OrphanContainer",
    "Recovered",
    "Shutdown",
    "Start",
    "StopAgent",
    "TaskView",
    "UpdateContainer",
    "command_executor_id",
    "command_executor_info",
]


@attrs.frozen(kw_only=True, slots=True)
class ExecutorView:
    framework_id: str
    executor_id: str
    container_id: str
    state: str
    pid: str | None
    command_executor: bool
    task_ids: tuple[str, ...]


@attrs.frozen(kw_only=True, slots=True)
class TaskView:
    framework_id: str
    executor_id: str
    task_id: str
    state: TaskState
    queued: bool


_MASTER_MESSAGES = (AgentRegistered, AgentReregistered, RunTask, RunTaskGroup, KillTask,
                    StatusUpdateAcknowledgement, Ping, ShutdownFramework, ShutdownExecutorMsg,
                    FrameworkToExecutor, UpdateFramework, ShutdownAgent, CheckpointResources)


class Agent(RecoveryMixin, ExecutorsMixin, ContainersMixin):
    """The agent. See the module docstring; state lives in AgentCore (core/agent/base.py)."""

    # declared again for type checkers that see the base class as Any
    state: str
    recovering: bool
    agent_info: AgentInfo
    master: str | None
    reg_backoff: float
    master_address: str | None
    dial_backoff: float
    dial_failing_since: float | None
    master_link: str

    def __init__(self, *, pid: str, agent_info: AgentInfo, ids: IdSource,
                 config: AgentConfig | None = None) -> None:
        super().__init__(pid=pid, agent_info=agent_info, ids=ids, config=config)

    # ================================================================ the one entry
    def step(self, now: float, input: Any) -> list[Any]:
        if self.state == "new" and not isinstance(input, Start):
            raise LocalError(f"Agent: {type(input).__name__} before Start")
        if self.state == "stopped":
            return [Log(level="debug", event="agent.stopped.ignored",
                        fields=(("input", type(input).__name__),))]
        if isinstance(input, Start):
            out = self.handleStart(now, input)
        elif isinstance(input, Received):
            out = self._handle_received(now, input)
        elif isinstance(input, TimerFired):
            out = self._handle_timer(now, input)
        elif isinstance(input, Disconnected):
            if input.peer == MASTER or input.peer == self.master:
                out = self.handleMasterDisconnected(now) + self._redial(now)
            else:
                out = self.handleExecutorDisconnected(now, input.peer)
        elif isinstance(input, ExecutorExited):
            out = self.handleExecutorExited(now, input)
        elif isinstance(input, ExecutorStarted):
            out = self.handleExecutorStarted(now, input)
        elif isinstance(input, MasterDetected):
            if input.address is not None and (input.address != self.master_address
                                              or self.master_link != "dialing"):
                # a dial of an address we no longer follow succeeded late: drop that link
                out = [Close(peer=input.pid)] if input.pid != self.master else []
            else:
                out = self.handleMasterDetected(now, input.pid)
        elif isinstance(input, NoMasterDetected):
            out = self.handleNoMasterDetected(now)
        elif isinstance(input, MasterAddress):
            out = self.handleMasterAddress(now, input.address)
        elif isinstance(input, DialFailed):
            out = self.handleDialFailed(now, input)
        elif isinstance(input, ContainerLimitation):
            out = self.handleContainerLimitation(now, input)
        elif isinstance(input, OrphanContainer):
            out = self.handleOrphanContainer(now, input)
        elif isinstance(input, Shutdown):
            out = self._shutdown_agent(now, from_master=False)
        else:
            raise LocalError(f"Agent: unknown input {input!r}")
        if self.recovering:
            out += self._maybe_finish_recovery(now)
        if self.shrunk:
            out += self._flush_container_updates()
        return out

    def _handle_received(self, now: float, r: Received) -> list[Any]:
        msg = r.message
        if isinstance(msg, _MASTER_MESSAGES):
            if isinstance(msg, Ping):  # answered in every state, even while recovering
                return self.handlePing(now, r.sender, msg)
            if r.sender != MASTER and r.sender != self.master:
                return [Reject(sender=r.sender, status=403, input=msg,
                               message=f"{r.sender} is not the leading master")]
            return self._handle_master_message(now, r.sender, msg)
        if isinstance(msg, ExecutorSubscribe):
            return self.handleExecutorSubscribe(now, r.sender, msg)
        if isinstance(msg, ExecutorUpdate):
            return self.handleExecutorUpdate(now, r.sender, msg)
        if isinstance(msg, ExecutorMessage):
            return self.handleExecutorMessage(now, r.sender, msg)
        return [Reject(sender=r.sender, status=400, input=msg,
                       message=f"unexpected message {type(msg).__name__}")]

    def _handle_master_message(self, now: float, sender: str, msg: Any) -> list[Any]:
        if isinstance(msg, AgentRegistered):
            return self.handleRegistered(now, sender, msg)
        if isinstance(msg, AgentReregistered):
            return self.handleReregistered(now, sender, msg)
        if isinstance(msg, RunTask):
            return self.handleRunTask(now, sender, msg)
        if isinstance(msg, RunTaskGroup):
            return self.handleRunTaskGroup(now, sender, msg)
        if isinstance(msg, KillTask):
            return self.handleKillTask(now, msg)
        if isinstance(msg, StatusUpdateAcknowledgement):
            return self.handleAcknowledgement(now, sender, msg)
        if isinstance(msg, ShutdownFramework):
            return self.handleShutdownFramework(now, msg)
        if isinstance(msg, ShutdownExecutorMsg):
            return self.handleShutdownExecutor(now, msg)
        if isinstance(msg, FrameworkToExecutor):
            return self.handleFrameworkToExecutor(now, msg)
        if isinstance(msg, UpdateFramework):
            return self.handleUpdateFramework(now, msg)
        if isinstance(msg, ShutdownAgent):
            return self._shutdown_agent(now, from_master=True)
        if isinstance(msg, CheckpointResources):
            return self.handleCheckpointResources(now, msg)
        raise AssertionError(msg)

    def handleCheckpointResources(self, now: float, msg: CheckpointResources) -> list[Any]:
        """Mesos `Slave::checkpointResources`: persist the agent's dynamic reservations (all
        of them, replacing the previous set); the agent's total includes them from now on
        and after a restart in reconnect mode."""
        self.checkpointed_resources = msg.resources
        return [Persist(key=("resources",), record=ResourcesRecord(resources=msg.resources)),
                Log(level="info", event="agent.checkpointed_resources",
                    fields=(("resources", str(msg.resources)),))]

    def total_resources(self) -> Resources:
        """The agent's flags' resources with the checkpointed dynamic reservations applied."""
        ck = self.checkpointed_resources
        base = self.agent_info.resources
        if not ck:
            return base
        popped = ck.pop_reservation()
        return base - popped + ck if base.contains(popped) else base

    def _handle_timer(self, now: float, t: TimerFired) -> list[Any]:
        key = t.key
        if key and key[0] == RETRY_TIMER:
            return self._sum(now, t)
        if key == REGISTER_TIMER:
            if self.state == "disconnected" and self.master is not None and not self.recovering:
                return self._send_registration(now)
            return []
        if key == DIAL_TIMER:
            if self.master_address is None or self.master_link != "down":
                return []
            self.master_link = "dialing"
            return [DialMaster(address=self.master_address)]
        if key == PING_TIMER:
            if self.state != "running":
                return []
            return [Log(level="warn", event="agent.master_ping_timeout")] + \
                self._become_disconnected(now)
        if key == REREGISTER_EXECUTORS_TIMER:
            return self.handleReregisterExecutorsTimeout(now)
        if key and key[0] in (EXEC_REGISTRATION, EXEC_SHUTDOWN, EXEC_IDLE):
            return self.handleExecutorTimer(now, key)
        if key and key[0] == GC_TIMER:
            return self.handleGcTimer(now, key)
        return [Log(level="warn", event="agent.timer.unknown", fields=(("key", key),))]

    # ================================================================ master link
    def handleMasterAddress(self, now: float, address: str | None) -> list[Any]:
        """Dial the master at `address` at once (a new address resets the backoff)."""
        self.master_address = address
        self.dial_backoff = self.config.dial_backoff_min
        self.dial_failing_since = None
        self.master_link = "dialing" if address else "down"
        out: list[Any] = [CancelTimer(key=DIAL_TIMER)]
        return out + ([DialMaster(address=address)] if address else [])

    def handleDialFailed(self, now: float, f: DialFailed) -> list[Any]:
        if f.address != self.master_address or self.master_link != "dialing":
            return []  # an attempt at an address we no longer follow
        self.master_link = "down"
        c = self.config
        if self.dial_failing_since is None:
            self.dial_failing_since = now
        at = now + self.dial_backoff
        cap = c.dial_backoff_fast_max if now - self.dial_failing_since < c.dial_fast_period \
            else c.dial_backoff_max
        self.dial_backoff = min(self.dial_backoff * 1.5, cap)
        return [Log(level="debug", event="agent.master_unreachable",
                    fields=(("master", f.address), ("error", f.error))),
                SetTimer(key=DIAL_TIMER, at=at)]

    def _redial(self, now: float) -> list[Any]:
        """The link to the master broke: dial again soon (if we dial at all: the simulator
        feeds MasterDetected itself)."""
        if self.master_address is None or self.master_link != "up":
            return []  # not ours to dial, or already dialling (a new address)
        self.master_link = "down"
        return [SetTimer(key=DIAL_TIMER, at=now + self.config.redial_delay)]

    def handleMasterDetected(self, now: float, pid: str) -> list[Any]:
        self.dial_backoff = self.config.dial_backoff_min  # the dial (if ours) succeeded
        self.dial_failing_since = None
        self.master_link = "up"
        self.master = pid
        if self.state in ("terminating", "recovering"):
            return []  # registration starts once recovery finishes
        return [Log(level="info", event="agent.master_detected", fields=(("master", pid),))] + \
            self._become_disconnected(now)

    def handleNoMasterDetected(self, now: float) -> list[Any]:
        self.master = None
        out: list[Any] = [Log(level="info", event="agent.no_master")]
        if self.state == "running":
            self.state = "disconnected"
            out += self.sum.step(now, Pause())
        return out + [CancelTimer(key=REGISTER_TIMER), CancelTimer(key=PING_TIMER)]

    def handleMasterDisconnected(self, now: float) -> list[Any]:
        if self.state != "running":
            return []
        return [Log(level="info", event="agent.master_disconnected")] + \
            self._become_disconnected(now)

    def _become_disconnected(self, now: float) -> list[Any]:
        out: list[Any] = []
        if self.state == "running":
            self.state = "disconnected"
            out += self.sum.step(now, Pause())
            out.append(CancelTimer(key=PING_TIMER))
        return out + self._begin_registration(now)

    def _begin_registration(self, now: float) -> list[Any]:
        if self.master is None or self.recovering or self.state != "disconnected":
            return []
        self.reg_backoff = self.config.registration_backoff_factor
        return self._send_registration(now)

    def _send_registration(self, now: float) -> list[Any]:
        msg: Any
        if self.agent_info.id is None:
            msg = RegisterAgent(agent_info=self.agent_info)
        else:
            msg = self.reregistration_message()
        at = now + self.reg_backoff
        self.reg_backoff = min(self.reg_backoff * 2, self.config.registration_backoff_max)
        return [Send(to=MASTER, message=msg), SetTimer(key=REGISTER_TIMER, at=at)]

    def reregistration_message(self) -> ReregisterAgent:
        """What the agent reports when re-registering: every framework, its custom executors,
        and every task it has (queued as STAGING, launched, terminal but unacknowledged)."""
        tasks: list[TaskRecord] = []
        executors = []
        for fw_id in sorted(self.frameworks):
            fw = self.frameworks[fw_id]
            for ex_id in sorted(fw.executors):
                ex = fw.executors[ex_id]
                # Mesos `Slave::reregister`: not a command executor (the master never booked
                # it), not a terminated one (it uses no resources: the master would keep
                # booking them, as the ExitedExecutor of an executor that died while the
                # agent had no master was never sent)
                if not ex.command_executor and ex.state != "terminated":
                    executors.append(ex.info)
                for task in ex.tasks.values():
                    pending = self.sum.pending(fw_id, task.info.task_id)
                    # a command executor's id is the agent's business: Mesos leaves it out
                    # (MasterSlaveReconciliationTest.SlaveReregisterTaskExecutorIds, MESOS-8135)
                    tasks.append(TaskRecord(
                        framework_id=fw_id, task=task.info, state=task.state,
                        executor_id="" if ex.command_executor else ex_id,
                        status_update_state=pending[0].status.state if pending else None,
                        status_update_uuid=pending[0].uuid if pending else None))
        return ReregisterAgent(agent_info=self.agent_info, tasks=tuple(tasks),
                               executor_infos=tuple(executors),
                               frameworks=tuple(self.frameworks[f].info
                                                for f in sorted(self.frameworks)))

    def handleRegistered(self, now: float, sender: str, msg: AgentRegistered) -> list[Any]:
        if self.state != "disconnected" or self.recovering:
            return [Log(level="info", event="agent.registered.ignored",
                        fields=(("state", self.state),))]
        if self.agent_info.id is not None and self.agent_info.id != msg.agent_id:
            return [Reject(sender=sender, status=409, input=msg,
                           message=f"registered as {msg.agent_id} but the agent is "
                                   f"{self.agent_info.id}")]
        self.agent_info = attrs.evolve(self.agent_info, id=msg.agent_id)
        self.state = "running"
        self.master_ping_timeout = msg.ping_timeout
        out: list[Any] = [
            Persist(key=("agent",), record=AgentRecord(info=self.agent_info)),
            CancelTimer(key=REGISTER_TIMER),
            SetTimer(key=PING_TIMER, at=now + self._ping_timeout()),
            Log(level="info", event="agent.registered", fields=(("agent_id", msg.agent_id),)),
        ]
        return out + self._sum(now, Resume())

    def handleReregistered(self, now: float, sender: str, msg: AgentReregistered) -> list[Any]:
        if self.state != "disconnected" or self.recovering or self.agent_info.id is None:
            return [Log(level="info", event="agent.reregistered.ignored",
                        fields=(("state", self.state),))]
        if msg.agent_id != self.agent_info.id:
            return [Reject(sender=sender, status=409, input=msg,
                           message=f"reregistered as {msg.agent_id} but the agent is "
                                   f"{self.agent_info.id}")]
        self.state = "running"
        self.master_ping_timeout = msg.ping_timeout
        out: list[Any] = [
            CancelTimer(key=REGISTER_TIMER),
            SetTimer(key=PING_TIMER, at=now + self._ping_timeout()),
            Log(level="info", event="agent.reregistered", fields=(("agent_id", msg.agent_id),)),
        ]
        for fw_id, task_id, _state in msg.reconciliations:
            if self._find_task(fw_id, task_id) is not None:
                continue
            fw = self.frameworks.get(fw_id)
            out += self._agent_update(now, fw_id, None, task_id,
                                      lost_state(fw.info if fw is not None else None),
                                      Reason.REASON_RECONCILIATION,
                                      "Reconciliation: task unknown to the agent",
                                      checkpoint=False)
        return out + self._sum(now, Resume())

    def _ping_timeout(self) -> float:
        """No ping for this long -> the master is lost: the master's total ping timeout when
        it told us one (Mesos), else our own --master-ping-timeout."""
        return self.master_ping_timeout or self.config.master_ping_timeout

    def handlePing(self, now: float, sender: str, msg: Ping) -> list[Any]:
        out: list[Any] = [Send(to=sender, message=Pong())]
        if self.state != "running" or (sender != MASTER and sender != self.master):
            return out
        if not msg.connected:
            return out + [Log(level="warn", event="agent.master_says_disconnected")] + \
                self._become_disconnected(now)
        return out + [SetTimer(key=PING_TIMER, at=now + self._ping_timeout())]

    def handleAcknowledgement(self, now: float, sender: str,
                              msg: StatusUpdateAcknowledgement) -> list[Any]:
        if msg.agent_id != self.agent_id:
            return [Reject(sender=sender, status=400, input=msg,
                           message=f"acknowledgement for agent {msg.agent_id}")]
        return self._sum(now, Acknowledge(framework_id=msg.framework_id, task_id=msg.task_id,
                                          uuid=msg.uuid))

    def _shutdown_agent(self, now: float, *, from_master: bool) -> list[Any]:
        if self.state == "terminating":
            return []
        out: list[Any] = []
        if not from_master and self.state == "running":
            out.append(Send(to=MASTER, message=UnregisterAgent(agent_id=self.agent_id)))
        self.state = "terminating"
        self.recovering = False
        self.shutdown_from_master = from_master
        out += self.sum.step(now, Pause())
        out += [CancelTimer(key=REGISTER_TIMER), CancelTimer(key=PING_TIMER),
                CancelTimer(key=REREGISTER_EXECUTORS_TIMER),
                Log(level="info", event="agent.shutting_down",
                    fields=(("from_master", from_master),)),
                # Mesos removes meta/slaves/latest: the next start is a new agent
                Persist(key=("agent",), record=None)]
        for fw in list(self.frameworks.values()):
            out += self._shutdown_framework(now, fw)
        return out + self._maybe_stop()

    # ================================================================ views (read-only)
    @property
    def executors(self) -> Mapping[tuple[str, str], ExecutorView]:
        out = {}
        for fw_id, fw in self.frameworks.items():
            for ex_id, ex in fw.executors.items():
                out[(fw_id, ex_id)] = ExecutorView(
                    framework_id=fw_id, executor_id=ex_id, container_id=ex.container_id,
                    state=ex.state, pid=ex.pid, command_executor=ex.command_executor,
                    task_ids=tuple(ex.tasks))
        return types.MappingProxyType(out)

    @property
    def tasks(self) -> Mapping[tuple[str, str], TaskView]:
        out = {}
        for fw_id, fw in self.frameworks.items():
            for ex_id, ex in fw.executors.items():
                for task_id, t in ex.tasks.items():
                    out[(fw_id, task_id)] = TaskView(framework_id=fw_id, executor_id=ex_id,
                                                     task_id=task_id, state=t.state,
                                                     queued=t.queued)
        return types.MappingProxyType(out)

    def describe(self) -> str:
        lines = [(f"agent {self.pid} id={self.agent_id or '-'} state={self.state} "
                 f"master={self.master or '-'}")]
        for fw_id in sorted(self.frameworks):
            fw = self.frameworks[fw_id]
            lines.append(f"  framework {fw_id} {fw.state} checkpoint={self._checkpointing(fw)}")
            for ex_id in sorted(fw.executors):
                ex = fw.executors[ex_id]
                kind = "command" if ex.command_executor else "custom"
                lines.append(f"    executor {ex_id} {ex.state} {kind} "
                             f"container={ex.container_id[:8]} pid={ex.pid or '-'}")
                for task_id, t in ex.tasks.items():
                    q = " queued" if t.queued else ""
                    lines.append(f"      task {task_id} {t.state.name}{q}")
                if ex.completed:
                    lines.append("      completed: " + ", ".join(
                        f"{t.info.task_id} {t.state.name}" for t in ex.completed))
        lines.append(self.sum.describe())
        return "\n".join(lines)

    def metrics(self) -> dict[str, float]:
        """Mesos agent metric names (`/metrics/snapshot`)."""
        states = {s: 0 for s in ("staging", "starting", "running", "killing")}
        ex_states = {"registering": 0, "running": 0, "terminating": 0}
        for fw in self.frameworks.values():
            for ex in fw.executors.values():
                if ex.state in ex_states:
                    ex_states[ex.state] += 1
                for t in ex.tasks.values():
                    name = t.state.name.removeprefix("TASK_").lower()
                    if name in states:
                        states[name] += 1
        m: dict[str, float] = {
            "slave/registered": 1.0 if self.state == "running" else 0.0,
            "slave/recovery_errors": 0.0,
            "slave/frameworks_active": float(sum(1 for f in self.frameworks.values()
                                                 if f.state == "running")),
        }
        for k, v in ex_states.items():
            m[f"slave/executors_{k}"] = float(v)
        m["slave/executors_terminated"] = float(self.counters.get("executors_terminated", 0))
        for k, v in states.items():
            m[f"slave/tasks_{k}"] = float(v)
        for k in ("finished", "failed", "killed", "lost", "error", "dropped", "gone"):
            m[f"slave/tasks_{k}"] = float(self.counters.get(f"tasks_{k}", 0))
        for k in ("valid_status_updates", "invalid_status_updates", "valid_framework_messages",
                  "invalid_framework_messages"):
            m[f"slave/{k}"] = float(self.counters.get(k, 0))
        return m

    def state_json(self) -> dict[str, Any]:
        """The Mesos agent `/state` document (flattened legacy JSON)."""
        info = self.agent_info

        def res(r: Any) -> dict[str, Any]:
            out: dict[str, Any] = dict(r.scalars())
            for name in sorted(r.names()):
                if r.ranges(name):
                    out[name] = "[" + ", ".join(f"{a}-{b}" for a, b in r.ranges(name)) + "]"
            return out

        def task_json(t: TaskEntry) -> dict[str, Any]:
            return {"id": t.info.task_id, "name": t.info.name, "framework_id": t.framework_id,
                    "executor_id": t.executor_id if not self._is_cmd(t) else "",
                    "slave_id": self.agent_id, "state": t.state.name,
                    "resources": res(t.info.resources)}

        def executor_json(fw: FrameworkEntry, ex: ExecutorEntry) -> dict[str, Any]:
            directory = f"slaves/{self.agent_id}/frameworks/{fw.id}/executors/{ex.info.executor_id}/runs/{ex.container_id}"
            if self.config.work_dir:
                directory = self.config.work_dir.rstrip("/") + "/" + directory
            return {
                "id": ex.info.executor_id, "name": ex.info.name, "source": ex.info.executor_id,
                "container": ex.container_id, "directory": directory,
                "resources": res(ex.resources()), "type": ex.info.type,
                "tasks": [task_json(t) for t in ex.tasks.values() if not t.queued],
                "queued_tasks": [task_json(t) for t in ex.tasks.values() if t.queued],
                "completed_tasks": [task_json(t) for t in ex.completed],
            }

        def framework_json(fw: FrameworkEntry) -> dict[str, Any]:
            return {
                "id": fw.id, "name": fw.info.name, "user": fw.info.user,
                "failover_timeout": fw.info.failover_timeout, "checkpoint": fw.info.checkpoint,
                "hostname": fw.info.hostname, "role": fw.info.roles[0] if fw.info.roles else "*",
                "roles": list(fw.info.roles),
                "executors": [executor_json(fw, e) for e in fw.executors.values()],
                "completed_executors": [executor_json(fw, e) for e in fw.completed_executors],
            }

        return {
            "version": "1.11.0", "id": self.agent_id, "pid": self.pid,
            "hostname": info.hostname, "port": info.port,
            "resources": res(self.total_resources()),
            "reserved_resources": {role: res(self.total_resources().reserved(role))
                                   for role in sorted(self.total_resources().reservation_roles())},
            "unreserved_resources": res(self.total_resources().unreserved()),
            "checkpointed_resources": self.checkpointed_resources.to_json(refinement=True),
            "attributes": {a.name: a.value for a in info.attributes},
            "master_hostname": self.master or "",
            "flags": {"recover": self.config.recover,
                      "executor_registration_timeout": f"{self.config.executor_registration_timeout:g}secs",
                      "executor_shutdown_grace_period": f"{self.config.executor_shutdown_grace_period:g}secs"},
            "frameworks": [framework_json(f) for f in self.frameworks.values()],
            "completed_frameworks": [framework_json(f) for f in self.completed_frameworks],
        }

    def _is_cmd(self, t: TaskEntry) -> bool:
        fw = self.frameworks.get(t.framework_id)
        ex = fw.executors.get(t.executor_id) if fw is not None else None
        return ex is not None and ex.command_executor
