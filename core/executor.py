"""The built-in command executor as a pure machine (Mesos `src/launcher/executor.cpp`).

One executor runs ONE command task (executor id = task id). The shell (io/) runs this machine
in a real process (the v1 executor HTTP API to the agent, `/bin/sh -c` for the task); the
simulator runs it virtually. Same inputs -> same effects.

Inputs: `Start()`, `Received(sender, ExecutorSubscribed | ExecutorLaunch | ExecutorKill |
ExecutorAcknowledged | ExecutorShutdown | ExecutorFrameworkMessage | ExecutorError)`,
`Disconnected(agent_pid)`, `TimerFired(key)`, `TaskProcessExited(exit_status, signal)`.

Effects: `Send(agent_pid, ExecutorSubscribe | ExecutorUpdate)`, `StartTaskProcess(command,
env)`, `SignalTaskProcess(signal)`, `ExitExecutor(status)`, `SetTimer`, `CancelTimer`, `Log`.

Behaviour (Mesos command executor + v1 executor library):
- Start: SUBSCRIBE; retried with backoff (1 s doubling to `subscription_backoff_max`) until
  SUBSCRIBED arrives.
- LAUNCH: TASK_STARTING, start the process, TASK_RUNNING (each update: fresh uuid from `ids`,
  source SOURCE_EXECUTOR). A second LAUNCH is refused with TASK_ERROR for that task.
- Process exit: TASK_FINISHED (status 0), else TASK_FAILED ("Command exited with status N" /
  "Command terminated with signal S"); TASK_KILLED when a kill was in progress.
- KILL: TASK_KILLING (only if the framework has TASK_KILLING_STATE), SIGTERM, then SIGKILL
  after the grace period (the kill's kill_policy, else the task's, else 3 s).
- SHUTDOWN: kill the task with the shutdown grace period (no TASK_KILLING), then exit.
- Every update stays in `unacked` until ACKNOWLEDGED; on re-subscribe the executor sends its
  unacknowledged updates and (until its first ACKNOWLEDGED) its task.
- Exit (ExitExecutor(0)) once the terminal update is acknowledged by the agent, or
  `terminal_ack_timeout` after sending it while subscribed.
- Agent disconnect: with checkpointing, re-subscribe with backoff until `recovery_timeout`,
  then kill the task and exit(1); without checkpointing, kill the task and exit (Mesos).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import attrs
from mesotron.core.effects import (
    CancelTimer,
    Disconnected,
    Log,
    Received,
    Send,
    SetTimer,
    TimerFired,
)
from mesotron.core.errors import LocalError
from mesotron.core.ids import IdSource
from mesotron.core.messages import (
    ExecutorAcknowledged,
    ExecutorError,
    ExecutorFrameworkMessage,
    ExecutorKill,
    ExecutorLaunch,
    ExecutorLaunchGroup,
    ExecutorShutdown,
    ExecutorSubscribe,
    ExecutorSubscribed,
    ExecutorUpdate,
    StatusUpdate,
)
from mesotron.core.values import CommandInfo, FrameworkInfo, Source, TaskInfo, TaskState, TaskStatus

#: `ExecutorInfo.command.value` of the executor the agent synthesizes for command tasks; the
#: shell maps it to its real command-executor program.
COMMAND_EXECUTOR_PROGRAM = "mesotron-command-executor"
DEFAULT_KILL_GRACE = 3.0

SUBSCRIBE_TIMER = ("exec-subscribe",)
RECOVERY_TIMER = ("exec-recovery",)
ESCALATE_TIMER = ("exec-kill-escalate",)
EXIT_TIMER = ("exec-exit",)


# ------------------------------------------------------------------------------ config
def parse_duration(text: str) -> float:
    """Parse stout's duration form (`5secs`, `250ms`, `15mins`, or plain seconds)."""
    units = (
        ("weeks", 604800.0), ("days", 86400.0), ("hrs", 3600.0), ("mins", 60.0),
        ("secs", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9),
    )
    t = text.strip()
    for suffix, factor in units:
        if t.endswith(suffix):
            return float(t[: -len(suffix)]) * factor
    return float(t)


def format_duration(seconds: float) -> str:
    """Seconds -> stout's form (`5secs`, `0.5secs`)."""
    return f"{seconds:g}secs"


@attrs.frozen(kw_only=True, slots=True)
class CommandExecutorConfig:
    checkpoint: bool = False
    recovery_timeout: float = 900.0
    subscription_backoff_max: float = 2.0
    shutdown_grace_period: float = 5.0
    default_kill_grace: float = DEFAULT_KILL_GRACE
    terminal_ack_timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CommandExecutorConfig:
        """Build from the MESOS_* environment the agent gives an executor (MESOS-V1-API §4)."""
        kw: dict[str, Any] = {"checkpoint": env.get("MESOS_CHECKPOINT", "") == "1"}
        for var, name in (
            ("MESOS_RECOVERY_TIMEOUT", "recovery_timeout"),
            ("MESOS_SUBSCRIPTION_BACKOFF_MAX", "subscription_backoff_max"),
            ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "shutdown_grace_period"),
        ):
            if env.get(var):
                kw[name] = parse_duration(env[var])
        return cls(**kw)


# ------------------------------------------------------------------------------ inputs
@attrs.frozen(kw_only=True, slots=True)
class Start:
    pass


@attrs.frozen(kw_only=True, slots=True)
class TaskProcessExited:
    """The task's process exited: `exit_status` (0..255), or killed by `signal` (a number)."""

    exit_status: int
    signal: int | None = None


# ------------------------------------------------------------------------------ effects
@attrs.frozen(kw_only=True, slots=True)
class StartTaskProcess:
    """Run the task's command (`/bin/sh -c value` when shell, else value + arguments) in the
    sandbox, with `env` added to the executor's environment."""

    command: CommandInfo
    env: tuple[tuple[str, str], ...] = ()


@attrs.frozen(kw_only=True, slots=True)
class SignalTaskProcess:
    """Send `signal` ("SIGTERM" | "SIGKILL") to the task's process group."""

    signal: str


@attrs.frozen(kw_only=True, slots=True)
class ExitExecutor:
    """The executor process exits with `status` (after the effects before it are done)."""

    status: int


# ------------------------------------------------------------------------------ machine
class CommandExecutor:
    """The command executor. Phases: "connecting" (not subscribed), "subscribed", "exited".

    Invariant: `unacked` holds exactly the updates sent and not yet ACKNOWLEDGED, in order.
    Invariant: `terminal_sent` iff the last update in the task's history is terminal.
    """

    def __init__(
        self,
        *,
        pid: str,
        framework_id: str,
        executor_id: str,
        agent_pid: str,
        ids: IdSource,
        config: CommandExecutorConfig | None = None,
    ) -> None:
        self.pid = pid
        self.framework_id = framework_id
        self.executor_id = executor_id
        self.agent_pid = agent_pid
        self.ids = ids
        self.config = config or CommandExecutorConfig()
        self.phase = "new"
        self.ever_subscribed = False
        self.framework_info: FrameworkInfo | None = None
        self.container_id: str | None = None
        self.task: TaskInfo | None = None
        self.task_acked = False  # an update of the task was ACKNOWLEDGED (stop replaying it)
        self.states: list[TaskState] = []  # states this executor sent for its task
        self.unacked: dict[bytes, StatusUpdate] = {}
        self.process = "none"  # none | running | exited
        self.killing = False
        self.shutting_down = False
        self.kill_deadline: float | None = None
        self.backoff = 1.0
        self.disconnected_at: float | None = None

    # ----------------------------------------------------------------- public
    @property
    def terminal_sent(self) -> bool:
        return bool(self.states) and self.states[-1].is_terminal

    def step(self, now: float, input: Any) -> list[Any]:
        if self.phase == "exited":
            return [Log(level="debug", event="executor.exited.ignored", fields=(("input", repr(input)),))]
        if isinstance(input, Start):
            if self.phase != "new":
                raise LocalError("CommandExecutor: Start twice")
            self.phase = "connecting"
            return self._subscribe(now)
        if self.phase == "new":
            raise LocalError(f"CommandExecutor: {type(input).__name__} before Start")
        if isinstance(input, Received):
            return self._handle_received(now, input)
        if isinstance(input, Disconnected):
            return self._handle_disconnected(now, input)
        if isinstance(input, TimerFired):
            return self._handle_timer(now, input.key)
        if isinstance(input, TaskProcessExited):
            return self._handle_process_exited(now, input)
        raise LocalError(f"CommandExecutor: unknown input {input!r}")

    def describe(self) -> str:
        task = self.task.task_id if self.task else "-"
        states = ",".join(s.name.removeprefix("TASK_") for s in self.states) or "-"
        unacked = ",".join(u.status.state.name.removeprefix("TASK_") for u in self.unacked.values())
        return (
            f"executor {self.executor_id} phase={self.phase} task={task} states={states} "
            f"process={self.process} killing={self.killing} shutdown={self.shutting_down} "
            f"unacked=[{unacked}]"
        )

    def clone(self) -> CommandExecutor:
        return copy.deepcopy(self)

    # ----------------------------------------------------------------- subscription
    def _subscribe(self, now: float) -> list[Any]:
        tasks = (self.task,) if self.task is not None and not self.task_acked else ()
        msg = ExecutorSubscribe(
            framework_id=self.framework_id,
            executor_id=self.executor_id,
            unacknowledged_tasks=tasks,
            unacknowledged_updates=tuple(self.unacked.values()),
        )
        at = now + self.backoff
        self.backoff = min(self.backoff * 2, max(self.config.subscription_backoff_max, 1.0))
        return [Send(to=self.agent_pid, message=msg), SetTimer(key=SUBSCRIBE_TIMER, at=at)]

    def _handle_disconnected(self, now: float, d: Disconnected) -> list[Any]:
        if d.peer != self.agent_pid:
            return []
        if self.phase == "connecting" and self.disconnected_at is not None:
            return []  # already recovering
        self.phase = "connecting"
        if not self.config.checkpoint:
            # Mesos: without checkpointing an executor shuts down when its agent goes away.
            return [Log(level="info", event="executor.agent_lost.shutdown")] + self._shutdown(
                now, self.config.shutdown_grace_period, exit_now=True
            )
        self.disconnected_at = now
        self.backoff = min(1.0, self.config.subscription_backoff_max)
        return [
            Log(level="info", event="executor.agent_lost.reconnecting"),
            SetTimer(key=RECOVERY_TIMER, at=now + self.config.recovery_timeout),
            SetTimer(key=SUBSCRIBE_TIMER, at=now + self.backoff),
        ]

    # ----------------------------------------------------------------- messages
    def _handle_received(self, now: float, r: Received) -> list[Any]:
        msg = r.message
        if r.sender != self.agent_pid:
            return [Log(level="warn", event="executor.unknown_sender", fields=(("sender", r.sender),))]
        if isinstance(msg, ExecutorSubscribed):
            return self._handle_subscribed(now, msg)
        if self.phase != "subscribed":
            return [Log(level="warn", event="executor.not_subscribed.dropped",
                        fields=(("message", type(msg).__name__),))]
        if isinstance(msg, ExecutorLaunch):
            return self._handle_launch(now, msg.task)
        if isinstance(msg, ExecutorLaunchGroup):
            out: list[Any] = []
            for t in msg.tasks:
                out += self._handle_launch(now, t)
            return out
        if isinstance(msg, ExecutorKill):
            return self._handle_kill(now, msg)
        if isinstance(msg, ExecutorAcknowledged):
            return self._handle_acknowledged(now, msg)
        if isinstance(msg, ExecutorShutdown):
            grace = msg.grace_period if msg.grace_period is not None else self.config.shutdown_grace_period
            return self._shutdown(now, grace, exit_now=False)
        if isinstance(msg, (ExecutorFrameworkMessage, ExecutorError)):
            return [Log(level="info", event=f"executor.{type(msg).__name__}", fields=(("message", repr(msg)),))]
        return [Log(level="warn", event="executor.unknown_message", fields=(("message", repr(msg)),))]

    def _handle_subscribed(self, now: float, msg: ExecutorSubscribed) -> list[Any]:
        self.phase = "subscribed"
        self.framework_info = msg.framework_info
        self.container_id = msg.container_id
        self.disconnected_at = None
        self.backoff = 1.0
        event = "executor.reregistered" if self.ever_subscribed else "executor.registered"
        self.ever_subscribed = True
        out: list[Any] = [
            CancelTimer(key=SUBSCRIBE_TIMER),
            CancelTimer(key=RECOVERY_TIMER),
            Log(level="info", event=event),
        ]
        if self.terminal_sent and not self.unacked:
            out.append(ExitExecutor(status=0))
            self.phase = "exited"
        elif self.terminal_sent:
            out.append(SetTimer(key=EXIT_TIMER, at=now + self.config.terminal_ack_timeout))
        return out

    def _handle_launch(self, now: float, task: TaskInfo) -> list[Any]:
        if self.task is not None:
            if task.task_id == self.task.task_id:
                return [Log(level="warn", event="executor.duplicate_launch")]
            # Mesos's command executor runs exactly one task.
            return self._update(now, task.task_id, TaskState.TASK_ERROR,
                                "Attempted to run multiple tasks using a command executor",
                                record=False)
        self.task = task
        if self.shutting_down:
            return self._update(now, task.task_id, TaskState.TASK_KILLED,
                                "Executor is shutting down")
        if task.command is None or (task.command.value is None and not task.command.arguments):
            return self._update(now, task.task_id, TaskState.TASK_FAILED, "Task has no command")
        out = self._update(now, task.task_id, TaskState.TASK_STARTING, "")
        env = task.command.environment + (("MESOS_TASK_ID", task.task_id),)
        out.append(StartTaskProcess(command=task.command, env=env))
        self.process = "running"
        out += self._update(now, task.task_id, TaskState.TASK_RUNNING, "")
        return out

    def _kill_grace(self, msg: ExecutorKill) -> float:
        if msg.kill_policy is not None and msg.kill_policy.grace_period is not None:
            return msg.kill_policy.grace_period
        if self.task is not None and self.task.kill_policy is not None \
                and self.task.kill_policy.grace_period is not None:
            return self.task.kill_policy.grace_period
        return self.config.default_kill_grace

    def _handle_kill(self, now: float, msg: ExecutorKill) -> list[Any]:
        if self.task is None or msg.task_id != self.task.task_id:
            return [Log(level="warn", event="executor.kill_unknown_task", fields=(("task", msg.task_id),))]
        if self.terminal_sent or self.process != "running":
            return [Log(level="info", event="executor.kill_ignored_terminal")]
        return self._kill(now, self._kill_grace(msg), killing_update=True)

    def _kill(self, now: float, grace: float, *, killing_update: bool) -> list[Any]:
        assert self.task is not None
        deadline = now + max(grace, 0.0)
        if self.killing:
            # a second kill can only shorten the grace period (Mesos)
            if self.kill_deadline is not None and deadline < self.kill_deadline:
                self.kill_deadline = deadline
                return [SetTimer(key=ESCALATE_TIMER, at=deadline)]
            return []
        self.killing = True
        self.kill_deadline = deadline
        out: list[Any] = []
        if killing_update and self.framework_info is not None and self.framework_info.task_killing_state:
            out += self._update(now, self.task.task_id, TaskState.TASK_KILLING, "")
        if grace <= 0:
            out.append(SignalTaskProcess(signal="SIGKILL"))
        else:
            out.append(SignalTaskProcess(signal="SIGTERM"))
            out.append(SetTimer(key=ESCALATE_TIMER, at=deadline))
        return out

    def _shutdown(self, now: float, grace: float, *, exit_now: bool) -> list[Any]:
        self.shutting_down = True
        out: list[Any] = [CancelTimer(key=SUBSCRIBE_TIMER)]
        if self.process == "running" and exit_now:
            # no agent to report to: the task dies with us
            self.phase = "exited"
            return out + [SignalTaskProcess(signal="SIGKILL"), ExitExecutor(status=0)]
        if self.process == "running":
            return out + self._kill(now, grace, killing_update=False)
        if exit_now or not self.unacked:
            out.append(ExitExecutor(status=0))
            self.phase = "exited"
        else:
            out.append(SetTimer(key=EXIT_TIMER, at=now + self.config.terminal_ack_timeout))
        return out

    def _handle_acknowledged(self, now: float, msg: ExecutorAcknowledged) -> list[Any]:
        upd = self.unacked.get(msg.uuid)
        if upd is None or upd.status.task_id != msg.task_id:
            return [Log(level="debug", event="executor.unexpected_ack")]
        del self.unacked[msg.uuid]
        self.task_acked = True
        if self.terminal_sent and not self.unacked:
            self.phase = "exited"
            return [CancelTimer(key=EXIT_TIMER), ExitExecutor(status=0)]
        return []

    # ----------------------------------------------------------------- process / timers
    def _handle_process_exited(self, now: float, e: TaskProcessExited) -> list[Any]:
        if self.process != "running" or self.task is None:
            raise LocalError("CommandExecutor: TaskProcessExited without a running task process")
        self.process = "exited"
        out: list[Any] = [CancelTimer(key=ESCALATE_TIMER)]
        if e.signal is not None:
            message = f"Command terminated with signal {e.signal}"
        else:
            message = f"Command exited with status {e.exit_status}"
        if self.killing:
            state = TaskState.TASK_KILLED
        elif e.signal is None and e.exit_status == 0:
            state = TaskState.TASK_FINISHED
        else:
            state = TaskState.TASK_FAILED
        out += self._update(now, self.task.task_id, state, message)
        if self.phase == "subscribed":
            out.append(SetTimer(key=EXIT_TIMER, at=now + self.config.terminal_ack_timeout))
        return out

    def _handle_timer(self, now: float, key: tuple[str, ...]) -> list[Any]:
        if key == SUBSCRIBE_TIMER:
            if self.phase != "connecting":
                return []
            return self._subscribe(now)
        if key == RECOVERY_TIMER:
            if self.phase != "connecting":
                return []
            out: list[Any] = [Log(level="warn", event="executor.recovery_timeout")]
            if self.process == "running":
                out.append(SignalTaskProcess(signal="SIGKILL"))
            self.phase = "exited"
            return out + [CancelTimer(key=SUBSCRIBE_TIMER), ExitExecutor(status=1)]
        if key == ESCALATE_TIMER:
            if self.process == "running" and self.killing:
                return [SignalTaskProcess(signal="SIGKILL")]
            return []
        if key == EXIT_TIMER:
            if self.shutting_down or (self.terminal_sent and self.phase == "subscribed"):
                self.phase = "exited"
                return [Log(level="warn", event="executor.exit_without_ack"),
                        ExitExecutor(status=0)]
            return []
        return [Log(level="warn", event="executor.unknown_timer", fields=(("key", repr(key)),))]

    # ----------------------------------------------------------------- updates
    def _update(self, now: float, task_id: str, state: TaskState, message: str,
                *, record: bool = True) -> list[Any]:
        uuid = self.ids.next_uuid()
        status = TaskStatus(
            task_id=task_id,
            state=state,
            source=Source.SOURCE_EXECUTOR,
            message=message,
            executor_id=self.executor_id,
            timestamp=now,
            uuid=uuid,
        )
        if record:
            self.states.append(state)
        self.unacked[uuid] = StatusUpdate(framework_id=self.framework_id, status=status, uuid=uuid)
        if self.phase != "subscribed":
            return []  # replayed in the next SUBSCRIBE
        return [Send(to=self.agent_pid, message=ExecutorUpdate(
            framework_id=self.framework_id, executor_id=self.executor_id, status=status))]
