"""Messages between processes, as core values.

Four conversations (names follow Mesos; the codecs in spec/ map each to protobuf/JSON):
- scheduler -> master: `SchedulerCall(request, stream_id, call)` whose `call` is one of the
  `Call*` classes below (v1 scheduler API); master -> scheduler: `Event*` classes, sent on the
  framework's stream (`Send(to=<stream name>, Event...)`).
- master <-> agent (internal protocol, libprocess-like): `RegisterAgent`, `AgentRegistered`, ...
- agent <-> executor (v1 executor API): `ExecutorSubscribe`, `ExecutorLaunch`, ...
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.resources import Resources
from mesotron.core.values import (
    AgentID,
    AgentInfo,
    AttributeConstraint,
    ExecutorID,
    ExecutorInfo,
    Filters,
    FrameworkID,
    FrameworkInfo,
    KillPolicy,
    MasterInfo,
    Offer,
    OfferID,
    TaskID,
    TaskInfo,
    TaskState,
    TaskStatus,
    fast_inits,
)

frozen = attrs.frozen(kw_only=True, slots=True)


# ======================================================== scheduler -> master (v1 Call)
@attrs.frozen(kw_only=True, slots=True)
class CallSubscribe:
    framework_info: FrameworkInfo
    suppressed_roles: tuple[str, ...] = ()
    # role -> constraints that must all hold for an agent's offers to reach this framework
    offer_constraints: tuple[tuple[str, tuple[AttributeConstraint, ...]], ...] = ()


@attrs.frozen(kw_only=True, slots=True)
class CallTeardown:
    pass


@attrs.frozen(kw_only=True, slots=True)
class OpLaunch:
    task_infos: tuple[TaskInfo, ...]


@attrs.frozen(kw_only=True, slots=True)
class OpLaunchGroup:
    executor: ExecutorInfo
    tasks: tuple[TaskInfo, ...]


@attrs.frozen(kw_only=True, slots=True)
class OpReserve:
    resources: Resources
    id: str | None = None  # Offer.Operation.id: the framework wants operation feedback


@attrs.frozen(kw_only=True, slots=True)
class OpUnreserve:
    resources: Resources
    id: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class CheckpointResources:
    """master -> agent (Mesos `CheckpointResourcesMessage`): the agent's checkpointed
    resources, i.e. ALL its dynamic reservations (replaces what it had). The agent persists
    them and reports its total with them."""

    resources: Resources


@attrs.frozen(kw_only=True, slots=True)
class OperationStatus:
    """Mesos `OperationStatus`: `state` an OperationState name ("OPERATION_FINISHED", ...);
    `uuid` set on the updates a framework must acknowledge (None on reconciliation answers)."""

    operation_id: str | None
    state: str
    message: str = ""
    agent_id: str | None = None
    uuid: bytes | None = None
    converted_resources: Resources = attrs.field(factory=Resources)


@attrs.frozen(kw_only=True, slots=True)
class EventUpdateOperationStatus:
    status: OperationStatus


@attrs.frozen(kw_only=True, slots=True)
class CallAcknowledgeOperationStatus:
    operation_id: str
    uuid: bytes
    agent_id: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class CallReconcileOperations:
    operations: tuple[tuple[str, str | None], ...] = ()  # (operation id, agent id or None)


Operation = OpLaunch | OpLaunchGroup | OpReserve | OpUnreserve


@attrs.frozen(kw_only=True, slots=True)
class CallAccept:
    offer_ids: tuple[OfferID, ...]
    operations: tuple[Any, ...] = ()
    filters: Filters = attrs.field(factory=Filters)


@attrs.frozen(kw_only=True, slots=True)
class CallDecline:
    offer_ids: tuple[OfferID, ...]
    filters: Filters = attrs.field(factory=Filters)


@attrs.frozen(kw_only=True, slots=True)
class CallRevive:
    roles: tuple[str, ...] = ()  # empty: all the framework's roles


@attrs.frozen(kw_only=True, slots=True)
class CallSuppress:
    roles: tuple[str, ...] = ()  # empty: all the framework's roles


@attrs.frozen(kw_only=True, slots=True)
class CallKill:
    task_id: TaskID
    agent_id: AgentID | None = None
    kill_policy: KillPolicy | None = None


@attrs.frozen(kw_only=True, slots=True)
class CallShutdown:
    executor_id: ExecutorID
    agent_id: AgentID


@attrs.frozen(kw_only=True, slots=True)
class CallAcknowledge:
    agent_id: AgentID
    task_id: TaskID
    uuid: bytes


@attrs.frozen(kw_only=True, slots=True)
class CallReconcile:
    tasks: tuple[tuple[TaskID, AgentID | None], ...] = ()  # empty: implicit reconciliation


@attrs.frozen(kw_only=True, slots=True)
class CallMessage:
    agent_id: AgentID
    executor_id: ExecutorID
    data: bytes


@attrs.frozen(kw_only=True, slots=True)
class SchedulerCall:
    """Input to the master: one HTTP request of the v1 scheduler API (or the simulator's).

    `request` identifies the request (the master answers it with exactly one `Respond`);
    `stream_id` is the Mesos-Stream-Id header (None when absent); `framework_id` the
    top-level framework_id field; `call` one of the Call* classes. `principal`: who the
    shell authenticated the caller as (HTTP Basic, or CRAM-MD5 on the driver wire), None when
    the caller did not authenticate (core/master/frameworks.py checks it against
    FrameworkInfo.principal; core/authorizer.py decides with it).
    """

    request: str
    stream_id: str | None
    framework_id: FrameworkID | None
    call: Any
    principal: str | None = None


# ======================================================== master -> scheduler (v1 Event)
@attrs.frozen(kw_only=True, slots=True)
class EventSubscribed:
    framework_id: FrameworkID
    heartbeat_interval_seconds: float
    master_info: MasterInfo | None = None


@attrs.frozen(kw_only=True, slots=True)
class EventOffers:
    offers: tuple[Offer, ...]


@attrs.frozen(kw_only=True, slots=True)
class EventRescind:
    offer_id: OfferID


@attrs.frozen(kw_only=True, slots=True)
class EventUpdate:
    status: TaskStatus


@attrs.frozen(kw_only=True, slots=True)
class EventMessage:
    agent_id: AgentID
    executor_id: ExecutorID
    data: bytes


@attrs.frozen(kw_only=True, slots=True)
class EventFailure:
    agent_id: AgentID | None = None
    executor_id: ExecutorID | None = None
    status: int | None = None


@attrs.frozen(kw_only=True, slots=True)
class EventError:
    message: str


@attrs.frozen(kw_only=True, slots=True)
class EventHeartbeat:
    pass


# ======================================================== master <-> agent (internal)
@attrs.frozen(kw_only=True, slots=True)
class StatusUpdate:
    """An update as it travels agent -> master (StatusUpdate in Mesos's messages.proto).

    `uuid` equals `status.uuid`; `latest_state` is the agent's latest known state of the
    task (the master forwards the oldest unacked update but books the latest state)."""

    framework_id: FrameworkID
    status: TaskStatus
    uuid: bytes
    latest_state: TaskState | None = None


@attrs.frozen(kw_only=True, slots=True)
class RegisterAgent:
    agent_info: AgentInfo
    version: str = "1.11.0"


@attrs.frozen(kw_only=True, slots=True)
class TaskRecord:
    """A task as an agent reports it when re-registering (Mesos `Task`)."""

    framework_id: FrameworkID
    task: TaskInfo
    state: TaskState
    executor_id: ExecutorID
    status_update_state: TaskState | None = None  # state of the latest unacked update
    status_update_uuid: bytes | None = None


@attrs.frozen(kw_only=True, slots=True)
class ReregisterAgent:
    agent_info: AgentInfo  # with id
    tasks: tuple[TaskRecord, ...] = ()
    executor_infos: tuple[ExecutorInfo, ...] = ()
    frameworks: tuple[FrameworkInfo, ...] = ()
    version: str = "1.11.0"


@attrs.frozen(kw_only=True, slots=True)
class AgentRegistered:
    agent_id: AgentID
    master_info: MasterInfo | None = None
    # Mesos MasterSlaveConnection.total_ping_timeout_seconds: the agent re-detects the
    # master when no ping arrived for this long (None: the agent's own default)
    ping_timeout: float | None = None


@attrs.frozen(kw_only=True, slots=True)
class AgentReregistered:
    agent_id: AgentID
    # tasks the master believes are on the agent but the agent did not report; the agent
    # answers each with an update (TASK_LOST/TASK_DROPPED, REASON_RECONCILIATION)
    reconciliations: tuple[tuple[FrameworkID, TaskID, TaskState], ...] = ()
    master_info: MasterInfo | None = None
    ping_timeout: float | None = None


@attrs.frozen(kw_only=True, slots=True)
class UnregisterAgent:
    agent_id: AgentID


@attrs.frozen(kw_only=True, slots=True)
class ShutdownAgent:
    """The master tells an agent it was removed (e.g. marked gone): it must shut down."""

    message: str = ""


@attrs.frozen(kw_only=True, slots=True)
class RunTask:
    framework_info: FrameworkInfo  # with id
    task: TaskInfo
    framework_pid: str = ""


@attrs.frozen(kw_only=True, slots=True)
class RunTaskGroup:
    framework_info: FrameworkInfo
    executor: ExecutorInfo
    tasks: tuple[TaskInfo, ...]


@attrs.frozen(kw_only=True, slots=True)
class KillTask:
    framework_id: FrameworkID
    task_id: TaskID
    kill_policy: KillPolicy | None = None


@attrs.frozen(kw_only=True, slots=True)
class StatusUpdateMessage:
    """agent -> master: carry an update (also master -> scheduler relays it as EventUpdate)."""

    update: StatusUpdate


@attrs.frozen(kw_only=True, slots=True)
class StatusUpdateAcknowledgement:
    """master -> agent: the scheduler acknowledged (task_id, uuid)."""

    agent_id: AgentID
    framework_id: FrameworkID
    task_id: TaskID
    uuid: bytes


@attrs.frozen(kw_only=True, slots=True)
class Ping:
    connected: bool = True


@attrs.frozen(kw_only=True, slots=True)
class Pong:
    pass


@attrs.frozen(kw_only=True, slots=True)
class ShutdownFramework:
    framework_id: FrameworkID


@attrs.frozen(kw_only=True, slots=True)
class ShutdownExecutorMsg:
    framework_id: FrameworkID
    executor_id: ExecutorID


@attrs.frozen(kw_only=True, slots=True)
class FrameworkToExecutor:
    framework_id: FrameworkID
    executor_id: ExecutorID
    data: bytes


@attrs.frozen(kw_only=True, slots=True)
class ExecutorToFramework:
    agent_id: AgentID
    framework_id: FrameworkID
    executor_id: ExecutorID
    data: bytes


@attrs.frozen(kw_only=True, slots=True)
class ExitedExecutor:
    agent_id: AgentID
    framework_id: FrameworkID
    executor_id: ExecutorID
    status: int


@attrs.frozen(kw_only=True, slots=True)
class UpdateFramework:
    """master -> agent: a framework's info/pid changed (e.g. after scheduler failover)."""

    framework_info: FrameworkInfo


# ======================================================== agent <-> executor (v1 executor API)
@attrs.frozen(kw_only=True, slots=True)
class ExecutorSubscribe:
    framework_id: FrameworkID
    executor_id: ExecutorID
    unacknowledged_tasks: tuple[TaskInfo, ...] = ()
    unacknowledged_updates: tuple[StatusUpdate, ...] = ()


@attrs.frozen(kw_only=True, slots=True)
class ExecutorUpdate:
    """executor -> agent: a status (its uuid set by the executor)."""

    framework_id: FrameworkID
    executor_id: ExecutorID
    status: TaskStatus


@attrs.frozen(kw_only=True, slots=True)
class ExecutorMessage:
    framework_id: FrameworkID
    executor_id: ExecutorID
    data: bytes


@attrs.frozen(kw_only=True, slots=True)
class ExecutorSubscribed:
    executor_info: ExecutorInfo
    framework_info: FrameworkInfo
    agent_info: AgentInfo
    container_id: str


@attrs.frozen(kw_only=True, slots=True)
class ExecutorLaunch:
    task: TaskInfo


@attrs.frozen(kw_only=True, slots=True)
class ExecutorLaunchGroup:
    tasks: tuple[TaskInfo, ...]


@attrs.frozen(kw_only=True, slots=True)
class ExecutorKill:
    task_id: TaskID
    kill_policy: KillPolicy | None = None


@attrs.frozen(kw_only=True, slots=True)
class ExecutorAcknowledged:
    task_id: TaskID
    uuid: bytes


@attrs.frozen(kw_only=True, slots=True)
class ExecutorFrameworkMessage:
    data: bytes


@attrs.frozen(kw_only=True, slots=True)
class ExecutorShutdown:
    grace_period: float | None = None


@attrs.frozen(kw_only=True, slots=True)
class ExecutorError:
    message: str


# attrs classes of this module: slot-storing __init__s (core/values.py fast_init; hot path)
fast_inits(globals())
