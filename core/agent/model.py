"""The agent machine's vocabulary: config, inputs, effects and its in-memory model.

Re-exported by core/agent/machine.py (import them from there). The model classes are mutable and
private to the agent; tests and state endpoints read them through `Agent`'s views.

Books read: none.
Books written: none.
"""

from __future__ import annotations

import attrs
from mesotron.core.checkpoint import Recovered
from mesotron.core.resources import Resources
from mesotron.core.status_updates import StatusUpdateConfig
from mesotron.core.values import (
    CommandInfo,
    ExecutorInfo,
    FrameworkInfo,
    KillPolicy,
    Reason,
    TaskInfo,
    TaskState,
)


# ================================================================== config
@attrs.frozen(kw_only=True, slots=True)
class AgentConfig:
    """Agent flags (Mesos names in comments). Durations in seconds.

    `recover`: "reconnect" (re-attach to running executors) | "cleanup" (kill them and start
    as a new agent). `registration_backoff_factor` (--registration_backoff_factor): the first
    registration retry comes after `factor` seconds, doubling up to 60 s (Mesos draws a random
    delay in [0, factor]; we use deterministic doubling). `checkpoint`: master switch; a
    framework's tasks are checkpointed only if it also sets FrameworkInfo.checkpoint (Mesos).
    """

    recover: str = attrs.field(default="reconnect",
                               validator=attrs.validators.in_({"reconnect", "cleanup"}))
    registration_backoff_factor: float = 1.0
    registration_backoff_max: float = 60.0
    executor_registration_timeout: float = 60.0  # --executor_registration_timeout (1mins)
    executor_reregistration_timeout: float = 2.0  # --executor_reregistration_timeout
    executor_shutdown_grace_period: float = 5.0  # --executor_shutdown_grace_period
    # a framework's command executor with no task left is shut down after this long
    command_executor_idle_timeout: float = 5.0
    default_kill_grace: float = 3.0
    recovery_timeout: float = 900.0  # --recovery_timeout (15mins), given to executors
    # --gc_delay (Mesos 1weeks): a removed executor's run directory (sandbox) is deleted
    # this long after the executor was removed (also after an agent restart)
    gc_delay: float = 604800.0
    master_ping_timeout: float = 75.0  # 15 s x 5: no ping for this long -> re-register
    checkpoint: bool = True
    work_dir: str = ""  # only used to build MESOS_DIRECTORY / sandbox paths
    status_updates: StatusUpdateConfig = attrs.field(factory=StatusUpdateConfig)
    max_completed_executors: int = 150  # per framework (Mesos MAX_COMPLETED_EXECUTORS_PER_FRAMEWORK)
    max_completed_tasks: int = 200  # per executor (MAX_COMPLETED_TASKS_PER_EXECUTOR)
    max_completed_frameworks: int = 50
    # dialling the master (the shell's DialMaster attempts; Mesos's libprocess reconnects):
    # after a failed attempt wait `dial_backoff_min`, growing x1.5 to `dial_backoff_fast_max`
    # for the first `dial_fast_period` seconds of failing (a master that is still starting,
    # as in `mesotron local`), then to `dial_backoff_max`; redial `redial_delay` after the
    # link to the master broke
    dial_backoff_min: float = 0.05
    dial_backoff_fast_max: float = 0.25
    dial_fast_period: float = 10.0
    dial_backoff_max: float = 2.0
    redial_delay: float = 0.05

    def __attrs_post_init__(self) -> None:
        if self.registration_backoff_factor <= 0:
            raise ValueError("registration_backoff_factor must be > 0")
        for name in ("executor_registration_timeout", "executor_reregistration_timeout",
                     "executor_shutdown_grace_period", "master_ping_timeout",
                     "command_executor_idle_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0")


# ================================================================== inputs
@attrs.frozen(kw_only=True, slots=True)
class Start:
    """Begin: `recovered` is what this agent's Persist effects left on disk (None: first run).
    `boot_id`: the host's current boot id (Linux /proc/sys/kernel/random/boot_id; None: not
    known, no reboot detection)."""

    recovered: Recovered | None = None
    boot_id: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class MasterDetected:
    """The link to the master `pid` is up. `address`: the DialMaster address it answered
    (None: the simulator, which links agents itself)."""

    pid: str
    address: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class NoMasterDetected:
    pass


@attrs.frozen(kw_only=True, slots=True)
class MasterAddress:
    """Where the master is ("host:port": the --master flag, or the leader elected in
    ZooKeeper); None: no leader known. The agent answers with `DialMaster`; a successful
    dial is `MasterDetected(pid)`, a failed one `DialFailed`."""

    address: str | None


@attrs.frozen(kw_only=True, slots=True)
class DialFailed:
    """A `DialMaster(address)` attempt failed (unreachable, or not leading yet)."""

    address: str
    error: str = ""


@attrs.frozen(kw_only=True, slots=True)
class DialMaster:
    """Effect: try once to open the link to the master at `address` (the shell reports
    MasterDetected(pid) or DialFailed)."""

    address: str


@attrs.frozen(kw_only=True, slots=True)
class ExecutorExited:
    """The executor's process is gone (exit `status`, or -signal). Also sent by the shell at
    recovery for checkpointed executors whose process no longer exists."""

    framework_id: str
    executor_id: str
    container_id: str
    status: int


@attrs.frozen(kw_only=True, slots=True)
class ExecutorStarted:
    """Optional: the executor's process was forked with OS `pid`."""

    framework_id: str
    executor_id: str
    container_id: str
    pid: int


@attrs.frozen(kw_only=True, slots=True)
class ContainerLimitation:
    """An isolator saw a container hit a limit (Mesos `ContainerLimitation`): `task_id` names
    the command task whose nested container hit it (None: the executor's whole container);
    `resource` "mem" | "disk"; `requested`/`used` in bytes; `stats`: the counters to report
    (memory.stat), in order. The agent fails the task (or the executor's live tasks) with
    TASK_FAILED, SOURCE_AGENT, REASON_CONTAINER_LIMITATION_MEMORY/_DISK and Mesos's message,
    and destroys what hit the limit."""

    container_id: str
    task_id: str | None = None
    resource: str = "mem"
    requested: int = 0
    used: int = 0
    stats: tuple[tuple[str, int], ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.resource not in ("mem", "disk"):
            raise ValueError(f"ContainerLimitation: unknown resource {self.resource!r}")


@attrs.frozen(kw_only=True, slots=True)
class OrphanContainer:
    """At recovery the shell found a container (pid file or cgroup) that is not in the
    agent's checkpoints: the agent decides its fate (destroy, as Mesos's containerizer
    destroys unknown orphans)."""

    container_id: str


@attrs.frozen(kw_only=True, slots=True)
class Shutdown:
    """Operator asks the agent to shut down (SIGUSR1): unregister, kill executors, forget id."""


# ================================================================== effects
@attrs.frozen(kw_only=True, slots=True)
class LaunchExecutor:
    """Start the executor's process in a new container (own session/process group), in the
    sandbox `work_dir/` + "/".join(sandbox), with `env` (MESOS_* variables; the shell fills
    MESOS_AGENT_ENDPOINT with the agent's real host:port). `command.value ==
    executor.COMMAND_EXECUTOR_PROGRAM` means the built-in command executor. `resources`:
    executor + tasks (for isolation). When the process is gone the shell MUST answer with
    `ExecutorExited` for this container_id (also when it could not be started)."""

    framework_id: str
    executor_info: ExecutorInfo
    container_id: str
    sandbox: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    command: CommandInfo
    resources: Resources


@attrs.frozen(kw_only=True, slots=True)
class KillExecutor:
    """Signal the executor's process group ("SIGTERM" | "SIGKILL"). SIGKILL = destroy the
    container; the shell then reports `ExecutorExited`."""

    container_id: str
    signal: str = "SIGKILL"


@attrs.frozen(kw_only=True, slots=True)
class UpdateContainer:
    """The container's resources changed (tasks added/removed): update isolation limits.
    For a command executor, `nested_add` lists (task id, resources) of tasks that get a
    nested container now (created BEFORE the task reaches the executor: this effect precedes
    the Send of the launch), `nested_remove` the tasks whose nested container goes (every
    process in it is killed, then it is removed). `command_executor`: the container holds
    the built-in command executor (its limits are its tasks' plus its overhead, see
    core/agent/isolation.py)."""

    container_id: str
    resources: Resources
    nested_add: tuple[tuple[str, Resources], ...] = ()
    nested_remove: tuple[str, ...] = ()
    command_executor: bool = False


@attrs.frozen(kw_only=True, slots=True)
class DestroyContainer:
    """The container's process has exited and the agent is done with it: release isolation
    (cgroups etc.). The sandbox stays (garbage collection is the shell's business)."""

    container_id: str


@attrs.frozen(kw_only=True, slots=True)
class GarbageCollect:
    """Delete `work_dir/` + "/".join(sandbox) recursively: a removed executor's run directory,
    gc_delay after its removal (Mesos's GarbageCollector; its checkpoints are gone already).
    A directory that is no longer there is not an error."""

    sandbox: tuple[str, ...]


@attrs.frozen(kw_only=True, slots=True)
class StopAgent:
    """The agent has finished shutting down (all executors gone): the process exits."""

    reason: str = ""


# ================================================================== model (mutable, private)
@attrs.define(slots=True)
class TaskEntry:
    """A task on this agent. `state` is its latest known state (STAGING until an update).

    Invariant: `history` lists (state, producer) of every state change, legal per lifecycle.
    """

    framework_id: str
    executor_id: str
    info: TaskInfo
    state: TaskState = TaskState.TASK_STAGING
    queued: bool = True  # not yet sent to the executor
    # tasks launched together by RunTaskGroup share a group key (the group's first task id)
    # and are delivered as one LAUNCH_GROUP; None: launched alone, delivered as a LAUNCH
    group: str | None = None
    history: list[tuple[TaskState, str]] = attrs.field(factory=list)

    @property
    def terminal(self) -> bool:
        return self.state.is_terminal


@attrs.define(slots=True)
class ExecutorEntry:
    """One executor run. state: registering | running | terminating | terminated.

    Invariant: `pid` is set iff the executor subscribed (state running/terminating) and its
    stream is open. `tasks` holds queued, launched and terminal-but-unacknowledged tasks;
    tasks whose terminal update was acknowledged move to `completed`.
    """

    framework_id: str
    info: ExecutorInfo
    container_id: str
    command_executor: bool
    checkpoint: bool
    state: str = "registering"
    pid: str | None = None
    recovered: bool = False  # rebuilt from checkpoints, waiting to re-subscribe
    tasks: dict[str, TaskEntry] = attrs.field(factory=dict)
    completed: list[TaskEntry] = attrs.field(factory=list)
    pending_kills: dict[str, KillPolicy | None] = attrs.field(factory=dict)
    # (state, reason, message) to give its live tasks when it terminates (Mesos
    # `pendingTermination`)
    pending_termination: tuple[TaskState, Reason, str] | None = None
    exit_status: int | None = None
    os_pid: int | None = None
    shutdown_timer: bool = False  # a shutdown grace timer is armed
    idle_timer: bool = False  # a command executor's idle timer is armed (no task left)
    # cache of resources() (None: not computed yet); kept up to date incrementally as tasks
    # are added and become terminal (fixed-point arithmetic: exact), so that a command
    # executor with hundreds of tasks does not re-add them all on every launch
    allocated: Resources | None = None

    def incomplete(self) -> bool:
        return bool(self.tasks)

    def live_tasks(self) -> list[TaskEntry]:
        return [t for t in self.tasks.values() if not t.terminal]

    def resources(self) -> Resources:
        """The executor's own resources plus its live tasks'."""
        if self.allocated is None:
            total = self.info.resources
            for t in self.tasks.values():
                if not t.terminal:
                    total = total + t.info.resources
            self.allocated = total
        return self.allocated


@attrs.define(slots=True)
class FrameworkEntry:
    """state: running | terminating. `task_executor` indexes task id -> executor id."""

    info: FrameworkInfo
    pid: str = ""
    state: str = "running"
    executors: dict[str, ExecutorEntry] = attrs.field(factory=dict)
    completed_executors: list[ExecutorEntry] = attrs.field(factory=list)
    task_executor: dict[str, str] = attrs.field(factory=dict)

    @property
    def id(self) -> str:
        assert self.info.id is not None
        return self.info.id

    @property
    def checkpoint(self) -> bool:
        return self.info.checkpoint
