"""The agent machine's state and the plumbing every agent concept shares.

`AgentCore` holds the state (frameworks, executors, tasks, the embedded status-update
manager) and the shared steps: accepting a status update (lifecycle check, status-update
manager, executor acknowledgement AFTER the Persist), shutting an executor down, an executor
terminating, removing executors and frameworks with their checkpoints. The concepts build on
it: core/agent/executors.py (tasks and executors), core/agent/recovery.py (Start, recovery), agent.py
(master link, registration, views, the `step` entry).

Books read: `agent_info`, `awaiting`, `by_container`, `by_pid`, `completed_frameworks`,
  `config`, `counters`, `frameworks`, `gc_pending`, `ids`, `recovering`, `shrunk`,
  `shutdown_from_master`, `state`, `sum`.
Books written: `awaiting`, `by_container`, `by_pid`, `completed_frameworks`, `counters`,
  `frameworks`, `gc_pending`, `shrunk`, `state`.
"""

from __future__ import annotations

from typing import Any

from mesotron.core import lifecycle
from mesotron.core.agent.model import (
    AgentConfig,
    DestroyContainer,
    ExecutorEntry,
    FrameworkEntry,
    GarbageCollect,
    KillExecutor,
    StopAgent,
    TaskEntry,
)
from mesotron.core.checkpoint import ExecutorRecord, FrameworkRecord, GcRecord
from mesotron.core.effects import CancelTimer, Log, Persist, Reject, Send, SetTimer
from mesotron.core.ids import IdSource
from mesotron.core.messages import (
    ExecutorAcknowledged,
    ExecutorShutdown,
    ExitedExecutor,
    StatusUpdate,
)
from mesotron.core.resources import Resources
from mesotron.core.status_updates import (
    CleanupFramework,
    StreamClosed,
    TaskStatusUpdateManager,
    Update,
    log_key,
)
from mesotron.core.values import AgentInfo, Reason, Source, TaskState, TaskStatus, evolve

MASTER = "master"  # the shell/simulator resolves it to the leading master

REGISTER_TIMER = ("agent-register",)
PING_TIMER = ("agent-ping",)
DIAL_TIMER = ("agent-dial",)
REREGISTER_EXECUTORS_TIMER = ("agent-executor-reregistration",)
EXEC_REGISTRATION = "executor-registration"
EXEC_SHUTDOWN = "executor-shutdown"
GC_TIMER = "gc"  # ("gc", fw, ex, container): a run directory's garbage collection
EXEC_IDLE = "executor-idle"  # a command executor without tasks: shut it down when it fires


def task_key(fw: str, ex: str, task: str) -> tuple[str, ...]:
    return ("task", fw, ex, task)


def executor_key(fw: str, ex: str) -> tuple[str, ...]:
    return ("executor", fw, ex)


def framework_key(fw: str) -> tuple[str, ...]:
    return ("framework", fw)


class AgentCore:
    """State of the agent. Agent states: new -> recovering? -> disconnected <-> running ->
    terminating -> stopped.

    Invariant: `by_pid` maps exactly the pids of subscribed executors; `by_container` maps
    the container of every executor in `frameworks`; every task in an executor's `tasks` is
    indexed in its framework's `task_executor`.
    """

    pid: str
    agent_info: AgentInfo
    ids: IdSource
    config: AgentConfig
    state: str
    recovering: bool
    master: str | None
    reg_backoff: float
    master_address: str | None
    dial_backoff: float
    dial_failing_since: float | None
    master_link: str
    shrunk: dict[str, list[str]]

    def __init__(self, *, pid: str, agent_info: AgentInfo, ids: IdSource,
                 config: AgentConfig | None = None) -> None:
        self.pid = pid
        self.agent_info = agent_info
        self.ids = ids
        self.config = config or AgentConfig()
        self.state = "new"
        self.recovering = False  # waiting for recovered executors to re-subscribe
        self.master = None
        # the master's total ping timeout, as it told us when we (re-)registered (Mesos
        # MasterSlaveConnection); None: config.master_ping_timeout
        self.master_ping_timeout: float | None = None
        self.reg_backoff = self.config.registration_backoff_factor
        # the master link: where the master is (MasterAddress), the next dial backoff and
        # since when dialling fails (None: the last dial succeeded)
        self.master_address: str | None = None
        self.dial_backoff = self.config.dial_backoff_min
        self.dial_failing_since: float | None = None
        self.master_link = "down"  # "down" | "dialing" (a DialMaster is out) | "up"
        self.sum = TaskStatusUpdateManager(config=self.config.status_updates)
        self.frameworks: dict[str, FrameworkEntry] = {}
        self.completed_frameworks: list[FrameworkEntry] = []
        # dynamic reservations the master told us to checkpoint (CheckpointResources)
        self.checkpointed_resources = Resources()
        self.by_pid: dict[str, tuple[str, str]] = {}
        self.by_container: dict[str, tuple[str, str]] = {}
        self.counters: dict[str, int] = {}
        self.awaiting = 0  # recovered executors that have not re-subscribed nor terminated
        self.shutdown_from_master: bool = False
        # container id -> tasks that became terminal during the current step (flushed as
        # UpdateContainer effects at its end; see core/agent/containers.py)
        self.shrunk: dict[str, list[str]] = {}
        # run directories waiting for their garbage collection (key: the GC timer's key)
        self.gc_pending: dict[tuple[str, ...], GcRecord] = {}

    # ------------------------------------------------------------------ hooks
    def _begin_registration(self, now: float) -> list[Any]:
        raise NotImplementedError  # agent.py

    def _maybe_finish_recovery(self, now: float) -> list[Any]:
        return []  # core/agent/recovery.py

    # ------------------------------------------------------------------ lookups
    @property
    def agent_id(self) -> str:
        return self.agent_info.id or ""

    def _checkpointing(self, fw: FrameworkEntry) -> bool:
        return self.config.checkpoint and fw.info.checkpoint

    def _find_task(self, fw_id: str, task_id: str
                   ) -> tuple[FrameworkEntry, ExecutorEntry, TaskEntry] | None:
        fw = self.frameworks.get(fw_id)
        if fw is None:
            return None
        ex_id = fw.task_executor.get(task_id)
        if ex_id is None:
            return None
        ex = fw.executors[ex_id]
        return fw, ex, ex.tasks[task_id]

    def _unrecover(self, ex: ExecutorEntry) -> None:
        """The recovered executor re-subscribed, terminated or timed out."""
        if ex.recovered:
            ex.recovered = False
            self.awaiting -= 1

    def _count(self, name: str, n: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + n

    # ------------------------------------------------------------------ status updates
    def _sum(self, now: float, input: Any) -> list[Any]:
        """Step the status-update manager; consume its StreamClosed effects."""
        out: list[Any] = []
        closed: list[StreamClosed] = []
        for e in self.sum.step(now, input):
            if isinstance(e, StreamClosed):
                closed.append(e)
            else:
                out.append(e)
        for c in closed:
            out += self._task_completed(now, c)
        return out

    def _agent_update(self, now: float, fw_id: str, ex_id: str | None, task_id: str,
                      state: TaskState, reason: Reason | None, message: str,
                      *, checkpoint: bool | None = None) -> list[Any]:
        """An update the agent itself produces (SOURCE_AGENT), for a known or unknown task."""
        uuid = self.ids.next_uuid()
        status = TaskStatus(task_id=task_id, state=state, source=Source.SOURCE_AGENT,
                            reason=reason, message=message, agent_id=self.agent_id or None,
                            executor_id=ex_id, timestamp=now, uuid=uuid)
        su = StatusUpdate(framework_id=fw_id, status=status, uuid=uuid)
        found = self._find_task(fw_id, task_id)
        if found is not None:
            fw, _ex, task = found
            if not task.terminal:
                if not lifecycle.is_legal(task.state, state, "agent"):
                    raise AssertionError(f"agent produced illegal {task.state}->{state}")
                self._set_state(task, state, "agent")
            if checkpoint is None:
                checkpoint = self._checkpointing(fw)
        if checkpoint is None:
            fw = self.frameworks.get(fw_id)
            checkpoint = fw is not None and self._checkpointing(fw)
        stream = self.sum.streams.get((fw_id, task_id))
        if stream is not None:
            checkpoint = stream.checkpoint
        return self._sum(now, Update(update=su, checkpoint=checkpoint))

    def _set_state(self, task: TaskEntry, state: TaskState, producer: str) -> None:
        if state.is_terminal and not task.state.is_terminal:
            fw = self.frameworks.get(task.framework_id)
            ex = fw.executors.get(task.executor_id) if fw is not None else None
            if ex is not None and ex.allocated is not None:
                ex.allocated = ex.allocated - task.info.resources
            if ex is not None:
                # its container shrinks (and a command task's nested container goes) at the
                # end of this step: core/agent/containers.py
                self.shrunk.setdefault(ex.container_id, []).append(task.info.task_id)
        task.state = state
        task.queued = False if state is not TaskState.TASK_STAGING else task.queued
        task.history.append((state, producer))
        if state.is_terminal:
            self._count(f"tasks_{state.name.removeprefix('TASK_').lower()}")

    def _executor_status(self, now: float, fw: FrameworkEntry, ex: ExecutorEntry,
                         status: TaskStatus, sender: str, *, ack: bool = True,
                         request: Any = None) -> tuple[list[Any], list[Any]]:
        """An update from an executor: returns (effects, acknowledgement effects). The
        acknowledgement must be carried out after the effects (it follows their Persist)."""
        status = evolve(status, agent_id=self.agent_id or None,
                        executor_id=ex.info.executor_id, source=Source.SOURCE_EXECUTOR)
        assert status.uuid is not None
        su = StatusUpdate(framework_id=fw.id, status=status, uuid=status.uuid)
        acks = [Send(to=sender, message=ExecutorAcknowledged(task_id=status.task_id,
                                                             uuid=status.uuid))] if ack else []
        task = ex.tasks.get(status.task_id)
        stream = self.sum.streams.get((fw.id, status.task_id))
        checkpoint = stream.checkpoint if stream is not None else self._checkpointing(fw)
        up = Update(update=su, checkpoint=checkpoint)
        if stream is not None and (su.uuid in stream.received or su.uuid in stream.acknowledged):
            return self._sum(now, up), acks  # duplicate: the manager logs it; ack again
        done = task if task is not None else next(
            (t for t in ex.completed if t.info.task_id == status.task_id), None)
        if done is not None and done.terminal and done.history and done.history[-1][1] == "agent":
            # the agent ended this task itself (a container limitation destroyed it): what the
            # executor says about it afterwards (it saw the process die) is acknowledged, not
            # forwarded: the scheduler keeps the agent's reason
            # (not accepted: it never reaches the scheduler, see NoLostAckedWork in
            # core/invariants.py; the acknowledgement only stops the executor resending it)
            return [Log(level="info", event="agent.update.superseded",
                        fields=(("task", status.task_id), ("state", status.state.name),
                                ("uuid", status.uuid)))], acks
        if task is None:
            if any(t.info.task_id == status.task_id for t in ex.completed):
                # an update for a completed task is still forwarded (DuplicateTerminalUpdateAfterAck)
                self._count("valid_status_updates")
                return self._sum(now, up), acks
            self._count("invalid_status_updates")
            return [Reject(sender=sender, status=400, input=request,
                           message=f"task {status.task_id} is unknown to executor "
                                   f"{ex.info.executor_id}")], []
        if not task.terminal:
            if not lifecycle.is_legal(task.state, status.state, "executor"):
                self._count("invalid_status_updates")
                return [Reject(sender=sender, status=400, input=request,
                               message=f"illegal transition {task.state.name} -> "
                                       f"{status.state.name} for task {status.task_id}")], []
            self._set_state(task, status.state, "executor")
        self._count("valid_status_updates")
        return self._sum(now, up), acks

    # ------------------------------------------------------------------ task completion
    def _task_completed(self, now: float, closed: StreamClosed) -> list[Any]:
        """The terminal update of a task was acknowledged by the scheduler."""
        found = self._find_task(closed.framework_id, closed.task_id)
        if found is None:
            return []
        fw, ex, task = found
        out: list[Any] = []
        del ex.tasks[task.info.task_id]
        del fw.task_executor[task.info.task_id]
        ex.completed.append(task)
        del ex.completed[: -self.config.max_completed_tasks]
        if self._checkpointing(fw):
            # task record first: a crash in between leaves a closed log, which is harmless
            out.append(Persist(key=task_key(fw.id, ex.info.executor_id, task.info.task_id),
                               record=None))
            out.append(Persist(key=log_key(fw.id, task.info.task_id), record=None))
        if ex.state == "terminated":
            out += self._maybe_remove_executor(now, fw, ex)
        elif ex.command_executor and not ex.tasks and ex.state == "running":
            # the framework's command executor stays for its next task for a while
            ex.idle_timer = True
            out.append(SetTimer(key=(EXEC_IDLE, fw.id, ex.info.executor_id, ex.container_id),
                                at=now + self.config.command_executor_idle_timeout))
        elif ex.command_executor and not ex.tasks and ex.state == "registering":
            out.append(Log(level="info", event="agent.executor.no_more_tasks",
                           fields=(("executor", ex.info.executor_id),)))
            out += self._shutdown_executor(now, fw, ex)
        return out

    def _cancel_idle(self, fw: FrameworkEntry, ex: ExecutorEntry) -> list[Any]:
        if not ex.idle_timer:
            return []
        ex.idle_timer = False
        return [CancelTimer(key=(EXEC_IDLE, fw.id, ex.info.executor_id, ex.container_id))]

    # ------------------------------------------------------------------ executors
    def _grace(self, ex: ExecutorEntry) -> float:
        g = ex.info.shutdown_grace_period
        return g if g is not None else self.config.executor_shutdown_grace_period

    def _shutdown_executor(self, now: float, fw: FrameworkEntry, ex: ExecutorEntry) -> list[Any]:
        if ex.state in ("terminating", "terminated"):
            return []
        out: list[Any] = self._cancel_idle(fw, ex)
        if ex.state == "registering" and not ex.recovered:
            out.append(CancelTimer(key=(EXEC_REGISTRATION, fw.id, ex.info.executor_id,
                                        ex.container_id)))
        ex.state = "terminating"
        if ex.pid is None and ex.recovered and self.recovering:
            # not re-subscribed yet after a restart: it gets Shutdown when it re-subscribes,
            # and is killed if it does not re-subscribe in time (reregistration timeout)
            return out
        if ex.pid is not None:
            grace = self._grace(ex)
            out.append(Send(to=ex.pid, message=ExecutorShutdown(grace_period=grace)))
            out.append(SetTimer(key=(EXEC_SHUTDOWN, fw.id, ex.info.executor_id, ex.container_id),
                                at=now + grace))
            ex.shutdown_timer = True
        else:
            out.append(KillExecutor(container_id=ex.container_id, signal="SIGKILL"))
        return out

    def _executor_terminated(self, now: float, fw: FrameworkEntry, ex: ExecutorEntry,
                             status: int) -> list[Any]:
        """The executor's process is gone (Mesos `executorTerminated`)."""
        prev = ex.state
        ex.state = "terminated"
        ex.exit_status = status
        if ex.pid is not None:
            self.by_pid.pop(ex.pid, None)
            ex.pid = None
        ex_id = ex.info.executor_id
        out: list[Any] = self._cancel_idle(fw, ex)
        if prev == "registering" and not ex.recovered:
            out.append(CancelTimer(key=(EXEC_REGISTRATION, fw.id, ex_id, ex.container_id)))
        if ex.shutdown_timer:
            ex.shutdown_timer = False
            out.append(CancelTimer(key=(EXEC_SHUTDOWN, fw.id, ex_id, ex.container_id)))
        self._unrecover(ex)
        self._count("executors_terminated")
        if self._checkpointing(fw) and ex.tasks:
            # before the updates it implies: recovery then knows the process is gone
            out.append(Persist(key=executor_key(fw.id, ex_id), record=ExecutorRecord(
                info=ex.info, container_id=ex.container_id, command_executor=ex.command_executor,
                exited=True, exit_status=status)))
        if fw.state != "terminating":
            if ex.pending_termination is not None:
                state, reason, message = ex.pending_termination
            else:
                state, reason = TaskState.TASK_FAILED, Reason.REASON_EXECUTOR_TERMINATED
                message = ("Executor terminated" if status == 0
                           else f"Abnormal executor termination: exited with status {status}")
            for task in list(ex.tasks.values()):
                if not task.terminal:
                    out += self._agent_update(now, fw.id, ex_id, task.info.task_id, state,
                                              reason, message)
            # Mesos `executorTerminated` reports every custom executor's exit, also one that
            # never subscribed (it crashed on start): the master removes it and takes its
            # resources back (s16 kproto: the agent told it only of a subscribed one or one
            # it was terminating, so the master kept booking the others' resources)
            if not ex.command_executor and self.state == "running":
                out.append(Send(to=MASTER, message=ExitedExecutor(
                    agent_id=self.agent_id, framework_id=fw.id, executor_id=ex_id,
                    status=status)))
        out.append(DestroyContainer(container_id=ex.container_id))
        out += self._maybe_remove_executor(now, fw, ex)
        return out

    def _maybe_remove_executor(self, now: float, fw: FrameworkEntry,
                               ex: ExecutorEntry) -> list[Any]:
        if ex.state != "terminated":
            return []
        ex_id = ex.info.executor_id
        out: list[Any] = []
        if fw.state == "terminating":
            # nobody will acknowledge these: drop them with the framework
            for task in list(ex.tasks.values()):
                del fw.task_executor[task.info.task_id]
                if self._checkpointing(fw):
                    out.append(Persist(key=task_key(fw.id, ex_id, task.info.task_id), record=None))
                    out.append(Persist(key=log_key(fw.id, task.info.task_id), record=None))
                ex.completed.append(task)
            ex.tasks.clear()
        if ex.tasks:
            return out  # wait for the terminal updates to be acknowledged
        # the pending collection is on disk before the executor's record goes: a crash in
        # between leaves the exited executor, whose removal (and collection) recovery redoes
        out += self._schedule_gc(now, fw.id, ex_id, ex.container_id)
        if self._checkpointing(fw):
            out.append(Persist(key=executor_key(fw.id, ex_id), record=None))
        del fw.executors[ex_id]
        self.by_container.pop(ex.container_id, None)
        fw.completed_executors.append(ex)
        del fw.completed_executors[: -self.config.max_completed_executors]
        out.append(Log(level="info", event="agent.executor.removed",
                       fields=(("framework", fw.id), ("executor", ex_id))))
        if not fw.executors:
            out += self._remove_framework(now, fw)
        return out

    def _schedule_gc(self, now: float, fw_id: str, ex_id: str, container_id: str) -> list[Any]:
        """The executor's run directory goes gc_delay from now (Mesos's GarbageCollector);
        the pending collection is checkpointed so a restart reschedules it."""
        key = (GC_TIMER, fw_id, ex_id, container_id)
        sandbox = ("slaves", self.agent_id or "", "frameworks", fw_id, "executors", ex_id,
                   "runs", container_id)
        rec = self.gc_pending[key] = GcRecord(sandbox=sandbox)
        return [Persist(key=key, record=rec), SetTimer(key=key, at=now + self.config.gc_delay)]

    def handleGcTimer(self, now: float, key: tuple[str, ...]) -> list[Any]:
        rec = self.gc_pending.pop(key, None)
        if rec is None:
            return []
        return [GarbageCollect(sandbox=rec.sandbox), Persist(key=key, record=None)]

    def _remove_framework(self, now: float, fw: FrameworkEntry) -> list[Any]:
        out: list[Any] = []
        if fw.state == "terminating":
            out += self.sum.step(now, CleanupFramework(framework_id=fw.id))
        if self._checkpointing(fw):
            out.append(Persist(key=framework_key(fw.id), record=None))
        del self.frameworks[fw.id]
        self.completed_frameworks.append(fw)
        del self.completed_frameworks[: -self.config.max_completed_frameworks]
        out.append(Log(level="info", event="agent.framework.removed",
                       fields=(("framework", fw.id),)))
        out += self._maybe_stop()
        return out

    def _maybe_stop(self) -> list[Any]:
        if self.state == "terminating" and not self.frameworks:
            self.state = "stopped"
            return [StopAgent(reason="master asked the agent to shut down"
                              if self.shutdown_from_master else "agent shut down")]
        return []

    def _framework_record(self, fw: FrameworkEntry) -> Persist:
        return Persist(key=framework_key(fw.id), record=FrameworkRecord(info=fw.info, pid=fw.pid))
