"""Validation the master applies to scheduler calls, subscriptions, offers and tasks.

Pure functions returning an error message (Mesos's wording, src/master/validation.cpp and
src/master/http.cpp) or None. Order matters: the first failing rule names the error, as in
Mesos's validator lists.

Books read: none.
Books written: none.
"""

from __future__ import annotations

from typing import Any

from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallAcknowledgeOperationStatus,
    CallDecline,
    CallKill,
    CallMessage,
    CallReconcile,
    CallReconcileOperations,
    CallRevive,
    CallShutdown,
    CallSubscribe,
    CallSuppress,
    CallTeardown,
    ExecutorToFramework,
    ExitedExecutor,
    OpLaunch,
    OpLaunchGroup,
    OpReserve,
    OpUnreserve,
    RegisterAgent,
    ReregisterAgent,
    SchedulerCall,
    StatusUpdate,
    StatusUpdateMessage,
    TaskRecord,
    UnregisterAgent,
)
from mesotron.core.resources import Resources, sum_shared
from mesotron.core.values import (
    AgentInfo,
    ExecutorInfo,
    Filters,
    FrameworkInfo,
    Offer,
    TaskInfo,
    TaskState,
    TaskStatus,
)

CALL_TYPES = (
    CallSubscribe,
    CallTeardown,
    CallAccept,
    CallDecline,
    CallRevive,
    CallSuppress,
    CallKill,
    CallShutdown,
    CallAcknowledge,
    CallReconcile,
    CallMessage,
    CallAcknowledgeOperationStatus,
    CallReconcileOperations,
)


def validate_call(inp: SchedulerCall) -> str | None:
    """`scheduler::call::validate` (answered 400 "Failed to validate scheduler::Call: ...")."""
    call = inp.call
    if not isinstance(call, CALL_TYPES):
        return "Expecting 'type' to be present"
    if isinstance(call, CallSubscribe):
        info = call.framework_info
        if not isinstance(info, FrameworkInfo):
            return "Expecting 'subscribe' to be present"
        if info.id != inp.framework_id:
            return "'framework_id' differs from 'subscribe.framework_info.id'"
        if not isinstance(call.suppressed_roles, tuple) or not all(
            isinstance(r, str) for r in call.suppressed_roles
        ):
            return "Expecting 'subscribe.suppressed_roles' to be a list of roles"
        if not isinstance(call.offer_constraints, tuple) or not all(
            isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], str)
            and isinstance(c[1], tuple) for c in call.offer_constraints
        ):
            return "Expecting 'subscribe.offer_constraints' to be role constraints"
        return None
    if not inp.framework_id:
        return "Expecting 'framework_id' to be present"
    if isinstance(call, CallAcknowledge) and (
        not isinstance(call.uuid, bytes) or len(call.uuid) != 16
    ):
        return "Not a valid UUID"
    return _shape_error(call)


def _strs(x: Any, *, optional: bool = False) -> bool:
    return (optional and x is None) or (isinstance(x, str) and x != "")


def _str_tuple(x: Any) -> bool:
    return isinstance(x, tuple) and all(_strs(v) for v in x)


def _shape_error(call: Any) -> str | None:
    """Field types a decoded call must have (a codec guarantees them; a fuzzer may not)."""
    if isinstance(call, (CallAccept, CallDecline)):
        if not _str_tuple(call.offer_ids):
            return "Expecting 'offer_ids' to be a list of offer ids"
        if not isinstance(call.filters, Filters):
            return "Expecting 'filters' to be a Filters"
    if isinstance(call, CallAccept):
        if not isinstance(call.operations, tuple):
            return "Expecting 'accept.operations' to be a list"
        for op in call.operations:
            tasks: Any = ()
            if isinstance(op, OpLaunch):
                tasks = op.task_infos
            elif isinstance(op, OpLaunchGroup):
                if not isinstance(op.executor, ExecutorInfo):
                    return "Expecting 'launch_group.executor' to be present"
                tasks = op.tasks
            elif not isinstance(op, (OpReserve, OpUnreserve)):
                return "Expecting 'operation.type' to be present"
            if not isinstance(tasks, tuple) or not all(isinstance(t, TaskInfo) for t in tasks):
                return "Expecting 'task_infos' to be a list of TaskInfo"
    if isinstance(call, CallAcknowledgeOperationStatus) and not (
            _strs(call.operation_id) and isinstance(call.uuid, bytes) and len(call.uuid) == 16):
        return "Expecting 'acknowledge_operation_status.operation_id' and a 16-byte 'uuid'"
    if isinstance(call, CallReconcileOperations) and not (
            isinstance(call.operations, tuple) and all(
                isinstance(x, tuple) and len(x) == 2 and _strs(x[0]) and _strs(x[1], optional=True)
                for x in call.operations)):
        return "Expecting 'reconcile_operations.operations' to be a list of operations"
    if isinstance(call, (CallRevive, CallSuppress)) and not _str_tuple(call.roles):
        return "Expecting 'roles' to be a list of roles"
    if isinstance(call, CallKill) and not (
        _strs(call.task_id) and _strs(call.agent_id, optional=True)
    ):
        return "Expecting 'kill.task_id' to be present"
    if isinstance(call, CallShutdown) and not (_strs(call.executor_id) and _strs(call.agent_id)):
        return "Expecting 'shutdown.executor_id' and 'shutdown.agent_id' to be present"
    if isinstance(call, CallAcknowledge) and not (_strs(call.agent_id) and _strs(call.task_id)):
        return "Expecting 'acknowledge.agent_id' and 'acknowledge.task_id' to be present"
    if isinstance(call, CallReconcile) and not (
        isinstance(call.tasks, tuple)
        and all(isinstance(t, tuple) and len(t) == 2 and _strs(t[0]) and _strs(t[1], optional=True)
                for t in call.tasks)
    ):
        return "Expecting 'reconcile.tasks' to be a list of (task_id, agent_id)"
    if isinstance(call, CallMessage) and not (
        _strs(call.agent_id) and _strs(call.executor_id) and isinstance(call.data, bytes)
    ):
        return "Expecting 'message.agent_id', 'message.executor_id' and 'message.data'"
    return None


def _role_error(role: Any) -> str | None:
    """`roles::validate`."""
    if not isinstance(role, str) or role == "":
        return "Empty role name is invalid"
    if role in (".", ".."):
        return f"Role '{role}' cannot be '.' or '..'"
    if role.startswith("-"):
        return f"Role '{role}' cannot start with '-'"
    if role != "*" and "*" in role:
        return f"Role '{role}' cannot contain '*'"
    if any(c.isspace() for c in role):
        return f"Role '{role}' cannot include whitespace"
    if role.startswith("/") or role.endswith("/") or "//" in role:
        return f"Role '{role}' cannot start or end with '/' or contain '//'"
    return None


def validate_subscribe(
    call: CallSubscribe,
    *,
    whitelist: tuple[str, ...] | None,
    existing: FrameworkInfo | None,
) -> str | None:
    """The checks `Master::subscribe` makes before accepting a subscription (failures are an
    ERROR event on the new stream, not an HTTP error)."""
    info = call.framework_info
    if not isinstance(info.roles, tuple):
        return "'FrameworkInfo.roles' must be a list"
    if len(set(info.roles)) != len(info.roles):
        return "'FrameworkInfo.roles' contains duplicate items"
    for role in info.roles:
        err = _role_error(role)
        if err:
            return err
    if whitelist is not None:
        for role in info.roles:
            if role != "*" and role not in whitelist:
                return f"Role '{role}' is not present in the master's --roles"
    for role in call.suppressed_roles:
        if role not in info.roles:
            return f"Suppressed role '{role}' is not contained in the list of roles"
    for role, _constraints in call.offer_constraints:
        if role not in info.roles:
            return f"Offer constraints specified for role '{role}' the framework is not subscribed to"
    if existing is not None and existing.principal != info.principal:
        return "Changing framework's principal is not allowed."
    return None


def validate_offers(
    offer_ids: tuple[str, ...],
    offers: dict[str, Offer],
    framework_id: str,
    live_agents: set[str],
) -> str | None:
    """`validation::offer::validate` for ACCEPT (the offers must be usable together)."""
    if not offer_ids:
        return "No offers specified"
    seen: set[str] = set()
    agent_id: str | None = None
    role: str | None = None
    for oid in offer_ids:
        if oid in seen:
            return f"Duplicate offer {oid} in offers"
        seen.add(oid)
        offer = offers.get(oid)
        if offer is None:
            return f"Offer {oid} is no longer valid"
        if offer.framework_id != framework_id:
            return (f"Offer {oid} has invalid framework {offer.framework_id} "
                    f"while framework {framework_id} is expected")
        if offer.agent_id not in live_agents:
            return f"Offer {oid} outlived agent {offer.agent_id}"
        if agent_id is None:
            agent_id, role = offer.agent_id, offer.role
        elif offer.agent_id != agent_id:
            return (f"Aggregated offers must belong to one single agent. Offer {oid} uses "
                    f"agent {offer.agent_id} and agent {agent_id}")
        elif offer.role != role:
            return (f"Aggregated offers must be allocated to the same role. Offer {oid} uses "
                    f"role {offer.role} and role {role}")
    return None


def _executor_compatible(a: ExecutorInfo, b: ExecutorInfo) -> bool:
    return a.executor_id == b.executor_id and a.command == b.command and \
        a.resources.unallocate() == b.resources.unallocate() and a.type == b.type


def validate_task(
    task: TaskInfo,
    *,
    framework_id: str,
    agent_id: str,
    task_ids_in_use: Any,
    existing_executor: ExecutorInfo | None,
) -> str | None:
    """`validation::task::internal::validateTask` (answered TASK_ERROR REASON_TASK_INVALID).
    Resource containment is checked by the caller (it knows what is left of the offers)."""
    if task.task_id in task_ids_in_use:
        return f"Task has duplicate ID: {task.task_id}"
    if task.agent_id != agent_id:
        return f"Task uses invalid agent: {task.agent_id}"
    if not isinstance(task.resources, Resources) or not task.resources:
        return "Task uses no resources"
    if (task.command is None) == (task.executor is None):
        return "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"
    if task.executor is not None:
        err = validate_executor(task.executor, framework_id=framework_id)
        if err:
            return err
        if existing_executor is not None and not _executor_compatible(
            existing_executor, task.executor
        ):
            return ("Task has invalid ExecutorInfo (existing ExecutorInfo with same ExecutorID "
                    "is not compatible).")
    return None


def validate_executor(executor: ExecutorInfo, *, framework_id: str) -> str | None:
    if executor.framework_id is not None and executor.framework_id != framework_id:
        return (f"ExecutorInfo has an invalid FrameworkID (Actual: {executor.framework_id} vs "
                f"Expected: {framework_id})")
    if executor.type == "CUSTOM" and executor.command is None:
        return "'ExecutorInfo.command' must be set"
    return None


def validate_task_group(
    executor: ExecutorInfo,
    tasks: tuple[TaskInfo, ...],
    *,
    framework_id: str,
    agent_id: str,
    task_ids_in_use: Any,
    existing_executor: ExecutorInfo | None,
) -> str | None:
    """`validation::task::group::validate` (answered TASK_ERROR REASON_TASK_GROUP_INVALID)."""
    if not tasks:
        return "Task group must contain at least one task"
    if executor.type != "DEFAULT":
        return "'ExecutorInfo.type' must be 'DEFAULT'"
    err = validate_executor(executor, framework_id=framework_id)
    if err:
        return err
    if existing_executor is not None and not _executor_compatible(existing_executor, executor):
        return ("Task group has invalid ExecutorInfo (existing ExecutorInfo with same "
                "ExecutorID is not compatible).")
    ids = [t.task_id for t in tasks]
    if len(set(ids)) != len(ids):
        return "Task group has duplicate task IDs"
    for t in tasks:
        if t.executor is not None:
            return f"Task '{t.task_id}' in task group must not have 'ExecutorInfo' set"
        if t.task_id in task_ids_in_use:
            return f"Task '{t.task_id}' is invalid: Task has duplicate ID: {t.task_id}"
        if t.agent_id != agent_id:
            return f"Task '{t.task_id}' is invalid: Task uses invalid agent: {t.agent_id}"
        if not isinstance(t.resources, Resources) or not t.resources:
            return f"Task '{t.task_id}' is invalid: Task uses no resources"
    return None



def _task_records_ok(tasks: Any) -> bool:
    """A tuple of TaskRecords with a TaskInfo, a TaskState, a framework id and Resources
    each (a plain loop: a re-registering agent reports thousands)."""
    if not isinstance(tasks, tuple):
        return False
    for t in tasks:
        if not (isinstance(t, TaskRecord) and isinstance(t.state, TaskState)):
            return False
        task, fid = t.task, t.framework_id
        if not (isinstance(task, TaskInfo) and isinstance(task.resources, Resources)
                and isinstance(fid, str) and fid != ""):
            return False
    return True


def validate_agent_message(msg: Any) -> str | None:
    """The shape of an internal message from an agent (a codec guarantees it; a fuzzer or a
    broken peer may not). None: well-formed."""
    if isinstance(msg, (RegisterAgent, ReregisterAgent)):
        info = msg.agent_info
        if not isinstance(info, AgentInfo) or not isinstance(info.resources, Resources):
            return "Invalid AgentInfo"
        if info.resources.allocation_roles():
            return "AgentInfo.resources must not carry an allocation role"
    if isinstance(msg, ReregisterAgent):
        if not _strs(msg.agent_info.id):
            return "Agent re-registering without an AgentInfo.id"
        if not _task_records_ok(msg.tasks):
            return "Invalid tasks in ReregisterAgent"
        if not (isinstance(msg.executor_infos, tuple)
                and all(isinstance(e, ExecutorInfo) for e in msg.executor_infos)):
            return "Invalid executor_infos in ReregisterAgent"
        if not (isinstance(msg.frameworks, tuple)
                and all(isinstance(f, FrameworkInfo) for f in msg.frameworks)):
            return "Invalid frameworks in ReregisterAgent"
        if not all(isinstance(e.resources, Resources) for e in msg.executor_infos):
            return "Invalid executor resources in ReregisterAgent"
        used = sum_shared(
            [t.task.resources for t in msg.tasks if not t.state.is_terminal]
            + [e.resources for e in msg.executor_infos], Resources.unallocate)
        if not msg.agent_info.resources.unallocate().contains(used):
            return (f"Agent reports tasks and executors using {used}, more than its "
                    f"resources {msg.agent_info.resources}")
    if isinstance(msg, StatusUpdateMessage):
        upd = msg.update
        if not (isinstance(upd, StatusUpdate) and isinstance(upd.status, TaskStatus)
                and _strs(upd.framework_id)
                and (upd.latest_state is None or isinstance(upd.latest_state, TaskState))):
            return "Invalid StatusUpdate"
    if isinstance(msg, (ExitedExecutor, ExecutorToFramework)) and not (
        _strs(msg.agent_id) and _strs(msg.framework_id) and _strs(msg.executor_id)
    ):
        return f"Invalid {type(msg).__name__}"
    if isinstance(msg, UnregisterAgent) and not _strs(msg.agent_id):
        return "Invalid UnregisterAgent"
    return None
