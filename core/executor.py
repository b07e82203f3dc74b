"""The built-in command executor as a pure machine (Mesos `src/launcher/executor.cpp`, with
the many-task shape of Mesos's default executor).

The agent runs every command task of a framework (TaskInfo with a CommandInfo and no
ExecutorInfo) in ONE long-lived command executor per (framework, agent) (core/agent/executors.py
`command_executor_info`: executor id `mesotron-command-<framework id>`); this machine runs
many tasks, each its own `/bin/sh -c` process (its own process group). The shell (io/) runs
this machine in a real process (the v1 executor HTTP API to the agent); the simulator runs
it virtually. Same inputs -> same effects.

Inputs: `Start()`, `Received(sender, ExecutorSubscribed | ExecutorLaunch | ExecutorLaunchGroup
| ExecutorKill | ExecutorAcknowledged | ExecutorShutdown | ExecutorFrameworkMessage |
ExecutorError)`, `Disconnected(agent_pid)`, `TimerFired(key)`, `TaskProcessExited(task_id,
exit_status, signal)`, `HealthCheckResult(task_id, seq, healthy, message)` (core/health.py).

Effects: `Send(agent_pid, ExecutorSubscribe | ExecutorUpdate)`, `StartTaskProcess(task_id,
command, env)`, `SignalTaskProcess(task_id, signal)` (task_id "" = every task process),
`ExitExecutor(status)`, `SetTimer`, `CancelTimer`, `Log`, `RunHealthCheck(task_id, check, seq)`
(health checks: core/health.py).

Behaviour (Mesos command executor + v1 executor library):
- Start: SUBSCRIBE; retried with backoff until SUBSCRIBED arrives.
- LAUNCH (or LAUNCH_GROUP): per task TASK_STARTING, start its process, TASK_RUNNING (each
  update: fresh uuid from `ids`, source SOURCE_EXECUTOR). A second LAUNCH of a task id this
  executor still knows is ignored (logged).
- A task's process exit: TASK_FINISHED (status 0), else TASK_FAILED ("Command exited with
  status N" / "Command terminated with signal S"); TASK_KILLED when a kill was in progress.
  The executor keeps running: the AGENT decides when it is idle and shuts it down.
- KILL (one task): TASK_KILLING (only if the framework has TASK_KILLING_STATE), SIGTERM to
  that task's process group, SIGKILL after the grace period (the kill's kill_policy, else
  the task's, else 3 s). Other tasks are untouched, except:
- Task groups (Mesos's default executor, `DefaultExecutor::waited`): when a task launched by
  a LAUNCH_GROUP ends TASK_FAILED or TASK_KILLED (a failure, or a scheduler's KILL), the
  executor kills every other live task of that group, once (`killing_groups`), each with
  its own kill policy, as a KILL would (TASK_KILLING, then TASK_KILLED). Not while shutting
  down (the shutdown kills them anyway). A task that FINISHED leaves its group running.
- SHUTDOWN: kill every running task with the shutdown grace period (no TASK_KILLING), then
  exit once every update is acknowledged (or `terminal_ack_timeout` after the last process
  exit).
- Every update stays in `unacked` until ACKNOWLEDGED; on re-subscribe the executor sends its
  unacknowledged updates and the tasks none of whose updates were acknowledged yet.
- Agent disconnect: with checkpointing, re-subscribe until `recovery_timeout` (then kill
  every task and exit(1)); without checkpointing, kill the tasks and exit.
- Subscription (Mesos's v1 executor library): at most ONE SUBSCRIBE is in flight (a retry
  that fires while one is in flight is dropped, so that a retry racing a slow answer does not
  make the agent think the executor lost its task); the shell answers `Disconnected(agent)`
  whenever a subscription connection ends, subscribed or not (refused, reset, closed), and
  the machine decides what it means: the end of an attempt (the retry timer tries again) or,
  once subscribed, the loss of the agent.
- Retry schedule (issue 11): each retry delay is drawn uniformly from [0, b) (b from the
  jitter in [0, 1) drawn from `ids`), b starting at `first_retry` after an agent loss (1 s
  at start-up) and doubling up to `subscription_backoff_max`; so two attempts are never more
  than `subscription_backoff_max` apart. The agent hands its executors
  `MESOS_SUBSCRIPTION_BACKOFF_MAX` = `subscription_backoff_max_for(its
  --executor-reregistration-timeout)` = half that window: a restarted agent always sees a
  re-SUBSCRIBE of every live checkpointing executor within its window (property:
  tests/test_executor.py::test_resubscribe_schedule_fits_the_agent_window).
- Updates produced while a SUBSCRIBE is in flight are not in it: they are sent as soon as
  SUBSCRIBED arrives (issue 11 §2).
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
from mesotron.core.health import HEALTH, HealthCheckResult, HealthMixin, HealthState
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
from mesotron.core.values import (
    CommandInfo,
    FrameworkInfo,
    Reason,
    Source,
    TaskInfo,
    TaskState,
    TaskStatus,
)

#: `ExecutorInfo.command.value` of the executor the agent synthesizes for command tasks; the
#: shell maps it to its real command-executor program.
COMMAND_EXECUTOR_PROGRAM = "mesotron-command-executor"
DEFAULT_KILL_GRACE = 3.0

SUBSCRIBE_TIMER = ("exec-subscribe",)
RECOVERY_TIMER = ("exec-recovery",)
ESCALATE = "exec-kill-escalate"  # timer key (ESCALATE, task_id)
EXIT_TIMER = ("exec-exit",)


def escalate_timer(task_id: str) -> tuple[str, str]:
    return (ESCALATE, task_id)


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


def subscription_backoff_max_for(executor_reregistration_timeout: float) -> float:
    """The `MESOS_SUBSCRIPTION_BACKOFF_MAX` an agent gives its executors: half its
    `--executor-reregistration-timeout` (at most 15 s), so that the longest gap between two
    re-SUBSCRIBE attempts (< this bound) leaves half the window for the agent to start
    listening and for the message to travel (docs/timers.md)."""
    return min(executor_reregistration_timeout / 2.0, 15.0)


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
    first_retry: float = 0.1  # first re-subscribe after losing the agent (before jitter)

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
    """Task `task_id`'s process exited: `exit_status` (0..255), or killed by `signal`."""

    task_id: str
    exit_status: int
    signal: int | None = None


# ------------------------------------------------------------------------------ effects
@attrs.frozen(kw_only=True, slots=True)
class StartTaskProcess:
    """Run task `task_id`'s command (`/bin/sh -c value` when shell, else value + arguments)
    in its own process group, with `env` added to the executor's environment. When the
    process is gone (or could not start: status 127) the shell answers `TaskProcessExited`."""

    task_id: str
    command: CommandInfo
    env: tuple[tuple[str, str], ...] = ()


@attrs.frozen(kw_only=True, slots=True)
class SignalTaskProcess:
    """Send `signal` ("SIGTERM" | "SIGKILL") to task `task_id`'s process group ("" = all)."""

    task_id: str
    signal: str


@attrs.frozen(kw_only=True, slots=True)
class ExitExecutor:
    """The executor process exits with `status` (after the effects before it are done)."""

    status: int


# ------------------------------------------------------------------------------ model
@attrs.define(slots=True)
class TaskRun:
    """One task of this executor. process: none | running | exited.

    Invariant: `terminal_sent` iff the last state in `states` is terminal.
    """

    info: TaskInfo
    states: list[TaskState] = attrs.field(factory=list)
    acked: bool = False  # an update of the task was ACKNOWLEDGED (stop replaying the task)
    process: str = "none"
    unacked: int = 0  # how many of its updates are in the executor's `unacked`
    killing: bool = False
    kill_deadline: float | None = None

    @property
    def terminal_sent(self) -> bool:
        return bool(self.states) and self.states[-1].is_terminal


# ------------------------------------------------------------------------------ machine
class CommandExecutor(HealthMixin):
    """The command executor. Phases: "new", "connecting" (not subscribed), "subscribed",
    "exited".

    Invariant: `unacked` holds exactly the updates sent and not yet ACKNOWLEDGED, in order.
    Invariant: `tasks` holds every task launched here that is not terminal-and-fully-
    acknowledged; `done` counts the others.
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
        self.tasks: dict[str, TaskRun] = {}
        # task id -> the task ids of its LAUNCH_GROUP; groups being killed (by first task id)
        self.groups: dict[str, tuple[str, ...]] = {}
        self.killing_groups: set[str] = set()
        self.done = 0  # tasks finished and fully acknowledged (forgotten)
        self.unacked: dict[bytes, StatusUpdate] = {}
        self.shutting_down = False
        self.backoff = self._initial_backoff()
        self.disconnected_at: float | None = None
        # a SUBSCRIBE is in flight (sent, its connection not ended, no SUBSCRIBED yet)
        self.subscribing = False
        # updates produced while not subscribed and carried by no SUBSCRIBE yet, in order
        self.held: list[bytes] = []
        self.health: dict[str, HealthState] = {}  # task id -> its health checks (core/health.py)

    # ----------------------------------------------------------------- public
    def running(self) -> list[str]:
        """Ids of the tasks whose process runs."""
        return [t for t, r in self.tasks.items() if r.process == "running"]

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
        if isinstance(input, HealthCheckResult):
            return self._health_result(now, input)
        raise LocalError(f"CommandExecutor: unknown input {input!r}")

    def describe(self) -> str:
        tasks = " ".join(
            f"{tid}:{','.join(s.name.removeprefix('TASK_') for s in r.states) or '-'}"
            f"/{r.process}{'/killing' if r.killing else ''}"
            for tid, r in self.tasks.items()) or "-"
        unacked = ",".join(u.status.state.name.removeprefix("TASK_") for u in self.unacked.values())
        return (
            f"executor {self.executor_id} phase={self.phase} tasks=[{tasks}] done={self.done} "
            f"shutdown={self.shutting_down} unacked=[{unacked}]"
        )

    def clone(self) -> CommandExecutor:
        return copy.deepcopy(self)

    # ----------------------------------------------------------------- subscription
    def _jitter(self) -> float:
        return self.ids.choice_index(1000) / 1000.0

    def _cap(self) -> float:
        return max(self.config.subscription_backoff_max, self.config.first_retry)

    def _initial_backoff(self) -> float:
        return min(1.0, self._cap())

    def retry_delay(self) -> float:
        """The next re-SUBSCRIBE delay: uniform in [0, backoff) (Mesos's executor library),
        then the backoff doubles up to its cap. Every delay is < `subscription_backoff_max`."""
        delay = self.backoff * self._jitter()
        self.backoff = min(self.backoff * 2, self._cap())
        return delay

    def _subscribe(self, now: float) -> list[Any]:
        timer = SetTimer(key=SUBSCRIBE_TIMER, at=now + self.retry_delay())
        if self.subscribing:
            # Mesos's executor library drops a SUBSCRIBE while another is in flight
            return [Log(level="debug", event="executor.subscribe.in_flight"), timer]
        tasks = tuple(r.info for r in self.tasks.values() if not r.acked)
        msg = ExecutorSubscribe(
            framework_id=self.framework_id,
            executor_id=self.executor_id,
            unacknowledged_tasks=tasks,
            unacknowledged_updates=tuple(self.unacked.values()),
        )
        self.subscribing = True
        self.held = []  # the SUBSCRIBE carries every unacknowledged update
        return [Send(to=self.agent_pid, message=msg), timer]

    def _handle_disconnected(self, now: float, d: Disconnected) -> list[Any]:
        if d.peer != self.agent_pid:
            return []
        in_flight, self.subscribing = self.subscribing, False
        if self.phase == "connecting" and self.disconnected_at is not None:
            # already recovering: that attempt is over, the armed retry timer tries again
            return [Log(level="debug", event="executor.subscribe.failed")] if in_flight else []
        if not self.config.checkpoint:
            # Mesos: without checkpointing an executor shuts down when its agent goes away.
            return [Log(level="info", event="executor.agent_lost.shutdown")] + self._shutdown(
                now, self.config.shutdown_grace_period, exit_now=True
            )
        # the agent is lost (or the first subscription failed): re-subscribe until
        # recovery_timeout, soon at first (the agent is often back quickly)
        self.phase = "connecting"
        self.disconnected_at = now
        self.backoff = min(self.config.first_retry, self._cap())
        return [
            Log(level="info", event="executor.agent_lost.reconnecting"),
            SetTimer(key=RECOVERY_TIMER, at=now + self.config.recovery_timeout),
            SetTimer(key=SUBSCRIBE_TIMER, at=now + self.retry_delay()),
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
            members = tuple(t.task_id for t in msg.tasks)
            for t in msg.tasks:
                if t.task_id not in self.tasks:
                    self.groups[t.task_id] = members
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
        self.subscribing = False
        self.backoff = self._initial_backoff()
        event = "executor.reregistered" if self.ever_subscribed else "executor.registered"
        self.ever_subscribed = True
        out: list[Any] = [
            CancelTimer(key=SUBSCRIBE_TIMER),
            CancelTimer(key=RECOVERY_TIMER),
            Log(level="info", event=event),
        ]
        out += self._send_updates_not_subscribed()
        return out + self._maybe_exit(now)

    def _send_updates_not_subscribed(self) -> list[Any]:
        """The unacknowledged updates the answered SUBSCRIBE did not carry (produced while it
        was in flight) go out now, in order; they would otherwise wait for a next SUBSCRIBE
        that may never come (issue 11 §2)."""
        held, self.held = self.held, []
        return [Send(to=self.agent_pid, message=ExecutorUpdate(
                    framework_id=self.framework_id, executor_id=self.executor_id,
                    status=self.unacked[uuid].status))
                for uuid in held if uuid in self.unacked]

    def _handle_launch(self, now: float, task: TaskInfo) -> list[Any]:
        if task.task_id in self.tasks:
            return [Log(level="warn", event="executor.duplicate_launch",
                        fields=(("task", task.task_id),))]
        run = TaskRun(info=task)
        self.tasks[task.task_id] = run
        if self.shutting_down:
            return self._update(now, run, TaskState.TASK_KILLED, "Executor is shutting down")
        if task.command is None or (task.command.value is None and not task.command.arguments):
            return self._update(now, run, TaskState.TASK_FAILED, "Task has no command")
        out = self._update(now, run, TaskState.TASK_STARTING, "")
        env = task.command.environment + (("MESOS_TASK_ID", task.task_id),)
        out.append(StartTaskProcess(task_id=task.task_id, command=task.command, env=env))
        run.process = "running"
        out += self._update(now, run, TaskState.TASK_RUNNING, "")
        out += self._health_start(now, run)
        return out

    def _kill_grace(self, run: TaskRun, msg: ExecutorKill) -> float:
        if msg.kill_policy is not None and msg.kill_policy.grace_period is not None:
            return msg.kill_policy.grace_period
        if run.info.kill_policy is not None and run.info.kill_policy.grace_period is not None:
            return run.info.kill_policy.grace_period
        return self.config.default_kill_grace

    def _handle_kill(self, now: float, msg: ExecutorKill) -> list[Any]:
        run = self.tasks.get(msg.task_id)
        if run is None:
            return [Log(level="warn", event="executor.kill_unknown_task", fields=(("task", msg.task_id),))]
        if run.terminal_sent or run.process != "running":
            return [Log(level="info", event="executor.kill_ignored_terminal")]
        return self._kill(now, run, self._kill_grace(run, msg), killing_update=True)

    def _kill(self, now: float, run: TaskRun, grace: float, *, killing_update: bool) -> list[Any]:
        deadline = now + max(grace, 0.0)
        tid = run.info.task_id
        if run.killing:
            # a second kill can only shorten the grace period (Mesos)
            if run.kill_deadline is not None and deadline < run.kill_deadline:
                run.kill_deadline = deadline
                if grace <= 0:
                    return [CancelTimer(key=escalate_timer(tid)),
                            SignalTaskProcess(task_id=tid, signal="SIGKILL")]
                return [SetTimer(key=escalate_timer(tid), at=deadline)]
            return []
        run.killing = True
        run.kill_deadline = deadline
        out: list[Any] = []
        if killing_update and self.framework_info is not None and self.framework_info.task_killing_state:
            out += self._update(now, run, TaskState.TASK_KILLING, "")
        if grace <= 0:
            out.append(SignalTaskProcess(task_id=tid, signal="SIGKILL"))
        else:
            out.append(SignalTaskProcess(task_id=tid, signal="SIGTERM"))
            out.append(SetTimer(key=escalate_timer(tid), at=deadline))
        return out

    def _shutdown(self, now: float, grace: float, *, exit_now: bool) -> list[Any]:
        self.shutting_down = True
        out: list[Any] = [CancelTimer(key=SUBSCRIBE_TIMER)]
        running = [self.tasks[t] for t in self.running()]
        if running and exit_now:
            # no agent to report to: the tasks die with us
            self.phase = "exited"
            return out + [SignalTaskProcess(task_id="", signal="SIGKILL"), ExitExecutor(status=0)]
        for run in running:
            out += self._kill(now, run, grace, killing_update=False)
        if exit_now:
            self.phase = "exited"
            return out + [ExitExecutor(status=0)]
        return out + self._maybe_exit(now)

    def _maybe_exit(self, now: float) -> list[Any]:
        """While shutting down: exit once no process runs and every update is acknowledged;
        with updates unacknowledged, exit anyway after `terminal_ack_timeout`."""
        if not self.shutting_down or self.running() or self.phase != "subscribed":
            return []
        if not self.unacked:
            self.phase = "exited"
            return [CancelTimer(key=EXIT_TIMER), ExitExecutor(status=0)]
        return [SetTimer(key=EXIT_TIMER, at=now + self.config.terminal_ack_timeout)]

    def _handle_acknowledged(self, now: float, msg: ExecutorAcknowledged) -> list[Any]:
        upd = self.unacked.get(msg.uuid)
        if upd is None or upd.status.task_id != msg.task_id:
            return [Log(level="debug", event="executor.unexpected_ack")]
        del self.unacked[msg.uuid]
        run = self.tasks.get(msg.task_id)
        if run is not None:
            run.acked = True
            run.unacked -= 1
            if run.terminal_sent and not run.unacked:
                del self.tasks[msg.task_id]
                members = self.groups.pop(msg.task_id, ())
                if members and not any(m in self.groups for m in members):
                    self.killing_groups.discard(members[0])
                self.done += 1
        if self.shutting_down and not self.unacked and not self.running():
            self.phase = "exited"
            return [CancelTimer(key=EXIT_TIMER), ExitExecutor(status=0)]
        return []

    # ----------------------------------------------------------------- process / timers
    def _handle_process_exited(self, now: float, e: TaskProcessExited) -> list[Any]:
        run = self.tasks.get(e.task_id)
        if run is None or run.process != "running":
            raise LocalError(f"CommandExecutor: TaskProcessExited for {e.task_id!r}, "
                             "which has no running process")
        run.process = "exited"
        out: list[Any] = [CancelTimer(key=escalate_timer(e.task_id))] if run.killing else []
        if e.signal is not None:
            message = f"Command terminated with signal {e.signal}"
        else:
            message = f"Command exited with status {e.exit_status}"
        if run.killing:
            state = TaskState.TASK_KILLED
        elif e.signal is None and e.exit_status == 0:
            state = TaskState.TASK_FINISHED
        else:
            state = TaskState.TASK_FAILED
        unhealthy = self._health_killed(e.task_id)
        out += self._health_stop(e.task_id)
        out += self._update(now, run, state, message, healthy=False if unhealthy else None)
        if state in (TaskState.TASK_FAILED, TaskState.TASK_KILLED):
            out += self._kill_group(now, e.task_id)
        return out + self._maybe_exit(now)

    def _kill_group(self, now: float, task_id: str) -> list[Any]:
        """Mesos's default executor: a failed or killed task takes its task group down."""
        members = self.groups.get(task_id)
        if not members or self.shutting_down or members[0] in self.killing_groups:
            return []
        self.killing_groups.add(members[0])
        out: list[Any] = [Log(level="info", event="executor.killing_task_group",
                              fields=(("tasks", ",".join(members)), ("cause", task_id)))]
        for tid in members:
            run = self.tasks.get(tid)
            if tid == task_id or run is None or run.process != "running" or run.killing:
                continue
            grace = (run.info.kill_policy.grace_period if run.info.kill_policy is not None
                     and run.info.kill_policy.grace_period is not None else self.config.default_kill_grace)
            out += self._kill(now, run, grace, killing_update=True)
        return out

    def _handle_timer(self, now: float, key: tuple[str, ...]) -> list[Any]:
        if len(key) == 2 and key[0] == HEALTH:
            return self._health_timer(now, key[1])
        if key == SUBSCRIBE_TIMER:
            if self.phase != "connecting":
                return []
            return self._subscribe(now)
        if key == RECOVERY_TIMER:
            if self.phase != "connecting":
                return []
            out: list[Any] = [Log(level="warn", event="executor.recovery_timeout")]
            if self.running():
                out.append(SignalTaskProcess(task_id="", signal="SIGKILL"))
            self.phase = "exited"
            return out + [CancelTimer(key=SUBSCRIBE_TIMER), ExitExecutor(status=1)]
        if len(key) == 2 and key[0] == ESCALATE:
            run = self.tasks.get(key[1])
            if run is not None and run.process == "running" and run.killing:
                return [SignalTaskProcess(task_id=key[1], signal="SIGKILL")]
            return []
        if key == EXIT_TIMER:
            if self.shutting_down and not self.running():
                self.phase = "exited"
                return [Log(level="warn", event="executor.exit_without_ack"),
                        ExitExecutor(status=0)]
            return []
        return [Log(level="warn", event="executor.unknown_timer", fields=(("key", repr(key)),))]

    # ----------------------------------------------------------------- updates
    def _update(self, now: float, run: TaskRun, state: TaskState, message: str, *,
                healthy: bool | None = None, reason: Reason | None = None) -> list[Any]:
        uuid = self.ids.next_uuid()
        task_id = run.info.task_id
        status = TaskStatus(
            task_id=task_id,
            state=state,
            source=Source.SOURCE_EXECUTOR,
            message=message,
            executor_id=self.executor_id,
            timestamp=now,
            uuid=uuid,
            healthy=healthy,
            reason=reason,
        )
        run.states.append(state)
        run.unacked += 1
        self.unacked[uuid] = StatusUpdate(framework_id=self.framework_id, status=status, uuid=uuid)
        if self.phase != "subscribed":
            self.held.append(uuid)
            return []  # sent on SUBSCRIBED, or carried by the next SUBSCRIBE
        return [Send(to=self.agent_pid, message=ExecutorUpdate(
            framework_id=self.framework_id, executor_id=self.executor_id, status=status))]
