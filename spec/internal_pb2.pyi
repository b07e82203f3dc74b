from mesotron.spec import mesos_pb2 as _mesos_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StatusUpdate(_message.Message):
    __slots__ = ("framework_id", "status", "uuid", "latest_state")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    LATEST_STATE_FIELD_NUMBER: _ClassVar[int]
    framework_id: _mesos_pb2.FrameworkID
    status: _mesos_pb2.TaskStatus
    uuid: bytes
    latest_state: _mesos_pb2.TaskState
    def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., status: _Optional[_Union[_mesos_pb2.TaskStatus, _Mapping]] = ..., uuid: _Optional[bytes] = ..., latest_state: _Optional[_Union[_mesos_pb2.TaskState, str]] = ...) -> None: ...

class RegisterAgent(_message.Message):
    __slots__ = ("agent_info", "version")
    AGENT_INFO_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    agent_info: _mesos_pb2.AgentInfo
    version: str
    def __init__(self, agent_info: _Optional[_Union[_mesos_pb2.AgentInfo, _Mapping]] = ..., version: _Optional[str] = ...) -> None: ...

class TaskRecord(_message.Message):
    __slots__ = ("framework_id", "task", "state", "executor_id", "status_update_state", "status_update_uuid")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_UPDATE_STATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_UPDATE_UUID_FIELD_NUMBER: _ClassVar[int]
    framework_id: _mesos_pb2.FrameworkID
    task: _mesos_pb2.TaskInfo
    state: _mesos_pb2.TaskState
    executor_id: _mesos_pb2.ExecutorID
    status_update_state: _mesos_pb2.TaskState
    status_update_uuid: bytes
    def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., task: _Optional[_Union[_mesos_pb2.TaskInfo, _Mapping]] = ..., state: _Optional[_Union[_mesos_pb2.TaskState, str]] = ..., executor_id: _Optional[_Union[_mesos_pb2.ExecutorID, _Mapping]] = ..., status_update_state: _Optional[_Union[_mesos_pb2.TaskState, str]] = ..., status_update_uuid: _Optional[bytes] = ...) -> None: ...

class ReregisterAgent(_message.Message):
    __slots__ = ("agent_info", "tasks", "executor_infos", "frameworks", "version")
    AGENT_INFO_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_INFOS_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    agent_info: _mesos_pb2.AgentInfo
    tasks: _containers.RepeatedCompositeFieldContainer[TaskRecord]
    executor_infos: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.ExecutorInfo]
    frameworks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.FrameworkInfo]
    version: str
    def __init__(self, agent_info: _Optional[_Union[_mesos_pb2.AgentInfo, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[TaskRecord, _Mapping]]] = ..., executor_infos: _Optional[_Iterable[_Union[_mesos_pb2.ExecutorInfo, _Mapping]]] = ..., frameworks: _Optional[_Iterable[_Union[_mesos_pb2.FrameworkInfo, _Mapping]]] = ..., version: _Optional[str] = ...) -> None: ...

class MasterAgentConnection(_message.Message):
    __slots__ = ("total_ping_timeout_seconds",)
    TOTAL_PING_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    total_ping_timeout_seconds: float
    def __init__(self, total_ping_timeout_seconds: _Optional[float] = ...) -> None: ...

class AgentRegistered(_message.Message):
    __slots__ = ("agent_id", "master_info", "connection")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    MASTER_INFO_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    agent_id: _mesos_pb2.AgentID
    master_info: _mesos_pb2.MasterInfo
    connection: MasterAgentConnection
    def __init__(self, agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., master_info: _Optional[_Union[_mesos_pb2.MasterInfo, _Mapping]] = ..., connection: _Optional[_Union[MasterAgentConnection, _Mapping]] = ...) -> None: ...

class Reconciliation(_message.Message):
    __slots__ = ("framework_id", "task_id", "state")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    framework_id: _mesos_pb2.FrameworkID
    task_id: _mesos_pb2.TaskID
    state: _mesos_pb2.TaskState
    def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., task_id: _Optional[_Union[_mesos_pb2.TaskID, _Mapping]] = ..., state: _Optional[_Union[_mesos_pb2.TaskState, str]] = ...) -> None: ...

class AgentReregistered(_message.Message):
    __slots__ = ("agent_id", "reconciliations", "master_info", "connection")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    RECONCILIATIONS_FIELD_NUMBER: _ClassVar[int]
    MASTER_INFO_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    agent_id: _mesos_pb2.AgentID
    reconciliations: _containers.RepeatedCompositeFieldContainer[Reconciliation]
    master_info: _mesos_pb2.MasterInfo
    connection: MasterAgentConnection
    def __init__(self, agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., reconciliations: _Optional[_Iterable[_Union[Reconciliation, _Mapping]]] = ..., master_info: _Optional[_Union[_mesos_pb2.MasterInfo, _Mapping]] = ..., connection: _Optional[_Union[MasterAgentConnection, _Mapping]] = ...) -> None: ...

class UnregisterAgent(_message.Message):
    __slots__ = ("agent_id",)
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: _mesos_pb2.AgentID
    def __init__(self, agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ...) -> None: ...

class ShutdownAgent(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: str
    def __init__(self, message: _Optional[str] = ...) -> None: ...

class RunTask(_message.Message):
    __slots__ = ("framework_info", "task", "framework_pid")
    FRAMEWORK_INFO_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_PID_FIELD_NUMBER: _ClassVar[int]
    framework_info: _mesos_pb2.FrameworkInfo
    task: _mesos_pb2.TaskInfo
    framework_pid: str
    def __init__(self, framework_info: _Optional[_Union[_mesos_pb2.FrameworkInfo, _Mapping]] = ..., task: _Optional[_Union[_mesos_pb2.TaskInfo, _Mapping]] = ..., framework_pid: _Optional[str] = ...) -> None: ...

class RunTaskGroup(_message.Message):
    __slots__ = ("framework_info", "executor", "tasks")
    FRAMEWORK_INFO_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    framework_info: _mesos_pb2.FrameworkInfo
    executor: _mesos_pb2.ExecutorInfo
    tasks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.TaskInfo]
    def __init__(self, framework_info: _Optional[_Union[_mesos_pb2.FrameworkInfo, _Mapping]] = ..., executor: _Optional[_Union[_mesos_pb2.ExecutorInfo, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[_mesos_pb2.TaskInfo, _Mapping]]] = ...) -> None: ...

class KillTask(_message.Message):
    __slots__ = ("framework_id", "task_id", "kill_policy")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    KILL_POLICY_FIELD_NUMBER: _ClassVar[int]
    framework_id: _mesos_pb2.FrameworkID
    task_id: _mesos_pb2.TaskID
    kill_policy: _mesos_pb2.KillPolicy
    def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., task_id: _Optional[_Union[_mesos_pb2.TaskID, _Mapping]] = ..., kill_policy: _Optional[_Union[_mesos_pb2.KillPolicy, _Mapping]] = ...) -> None: ...

class StatusUpdateMessage(_message.Message):
    __slots__ = ("update",)
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    update: StatusUpdate
    def __init__(self, update: _Optional[_Union[StatusUpdate, _Mapping]] = ...) -> None: ...

class StatusUpdateAcknowledgement(_message.Message):
    __slots__ = ("agent_id", "framework_id", "task_id", "uuid")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    agent_id: _mesos_pb2.AgentID
    framework_id: _mesos_pb2.FrameworkID
    task_id: _mesos_pb2.TaskID
    uuid: bytes
    def __init__(self, agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., task_id: _Optional[_Union[_mesos_pb2.TaskID, _Mapping]] = ..., uuid: _Optional[bytes] = ...) -> None: ...

class Ping(_message.Message):
    __slots__ = ("connected",)
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    connected: bool
    def __init__(self, connected: _Optional[bool] = ...) -> None: ...

class Pong(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ShutdownFramework(_message.Message):
    __slots__ = ("framework_id",)
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    framework_id: _mesos_pb2.FrameworkID
    def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ...) -> None: ...

class ShutdownExecutor(_message.Message):
    __slots__ = ("framework_id", "executor_id")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    framework_id: _mesos_pb2.FrameworkID
    executor_id: _mesos_pb2.ExecutorID
    def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., executor_id: _Optional[_Union[_mesos_pb2.ExecutorID, _Mapping]] = ...) -> None: ...

class FrameworkToExecutor(_message.Message):
    __slots__ = ("framework_id", "executor_id", "data")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    framework_id: _mesos_pb2.FrameworkID
    executor_id: _mesos_pb2.ExecutorID
    data: bytes
    def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., executor_id: _Optional[_Union[_mesos_pb2.ExecutorID, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class ExecutorToFramework(_message.Message):
    __slots__ = ("agent_id", "framework_id", "executor_id", "data")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    agent_id: _mesos_pb2.AgentID
    framework_id: _mesos_pb2.FrameworkID
    executor_id: _mesos_pb2.ExecutorID
    data: bytes
    def __init__(self, agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., executor_id: _Optional[_Union[_mesos_pb2.ExecutorID, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class ExitedExecutor(_message.Message):
    __slots__ = ("agent_id", "framework_id", "executor_id", "status")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    agent_id: _mesos_pb2.AgentID
    framework_id: _mesos_pb2.FrameworkID
    executor_id: _mesos_pb2.ExecutorID
    status: int
    def __init__(self, agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., executor_id: _Optional[_Union[_mesos_pb2.ExecutorID, _Mapping]] = ..., status: _Optional[int] = ...) -> None: ...

class UpdateFramework(_message.Message):
    __slots__ = ("framework_info",)
    FRAMEWORK_INFO_FIELD_NUMBER: _ClassVar[int]
    framework_info: _mesos_pb2.FrameworkInfo
    def __init__(self, framework_info: _Optional[_Union[_mesos_pb2.FrameworkInfo, _Mapping]] = ...) -> None: ...

class CheckpointResources(_message.Message):
    __slots__ = ("resources",)
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    resources: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
    def __init__(self, resources: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("sender",)
    SENDER_FIELD_NUMBER: _ClassVar[int]
    sender: str
    def __init__(self, sender: _Optional[str] = ...) -> None: ...

class Envelope(_message.Message):
    __slots__ = ("hello", "register_agent", "reregister_agent", "agent_registered", "agent_reregistered", "unregister_agent", "shutdown_agent", "run_task", "run_task_group", "kill_task", "status_update_message", "status_update_acknowledgement", "ping", "pong", "shutdown_framework", "shutdown_executor", "framework_to_executor", "executor_to_framework", "exited_executor", "update_framework", "scheduler_call", "scheduler_event", "executor_call", "executor_event", "driver_error", "checkpoint_resources", "authentication")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    REGISTER_AGENT_FIELD_NUMBER: _ClassVar[int]
    REREGISTER_AGENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_REGISTERED_FIELD_NUMBER: _ClassVar[int]
    AGENT_REREGISTERED_FIELD_NUMBER: _ClassVar[int]
    UNREGISTER_AGENT_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_AGENT_FIELD_NUMBER: _ClassVar[int]
    RUN_TASK_FIELD_NUMBER: _ClassVar[int]
    RUN_TASK_GROUP_FIELD_NUMBER: _ClassVar[int]
    KILL_TASK_FIELD_NUMBER: _ClassVar[int]
    STATUS_UPDATE_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_UPDATE_ACKNOWLEDGEMENT_FIELD_NUMBER: _ClassVar[int]
    PING_FIELD_NUMBER: _ClassVar[int]
    PONG_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_FRAMEWORK_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_TO_EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_TO_FRAMEWORK_FIELD_NUMBER: _ClassVar[int]
    EXITED_EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FRAMEWORK_FIELD_NUMBER: _ClassVar[int]
    SCHEDULER_CALL_FIELD_NUMBER: _ClassVar[int]
    SCHEDULER_EVENT_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_CALL_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_EVENT_FIELD_NUMBER: _ClassVar[int]
    DRIVER_ERROR_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATION_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    register_agent: RegisterAgent
    reregister_agent: ReregisterAgent
    agent_registered: AgentRegistered
    agent_reregistered: AgentReregistered
    unregister_agent: UnregisterAgent
    shutdown_agent: ShutdownAgent
    run_task: RunTask
    run_task_group: RunTaskGroup
    kill_task: KillTask
    status_update_message: StatusUpdateMessage
    status_update_acknowledgement: StatusUpdateAcknowledgement
    ping: Ping
    pong: Pong
    shutdown_framework: ShutdownFramework
    shutdown_executor: ShutdownExecutor
    framework_to_executor: FrameworkToExecutor
    executor_to_framework: ExecutorToFramework
    exited_executor: ExitedExecutor
    update_framework: UpdateFramework
    scheduler_call: bytes
    scheduler_event: bytes
    executor_call: bytes
    executor_event: bytes
    driver_error: DriverError
    checkpoint_resources: CheckpointResources
    authentication: Authentication
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., register_agent: _Optional[_Union[RegisterAgent, _Mapping]] = ..., reregister_agent: _Optional[_Union[ReregisterAgent, _Mapping]] = ..., agent_registered: _Optional[_Union[AgentRegistered, _Mapping]] = ..., agent_reregistered: _Optional[_Union[AgentReregistered, _Mapping]] = ..., unregister_agent: _Optional[_Union[UnregisterAgent, _Mapping]] = ..., shutdown_agent: _Optional[_Union[ShutdownAgent, _Mapping]] = ..., run_task: _Optional[_Union[RunTask, _Mapping]] = ..., run_task_group: _Optional[_Union[RunTaskGroup, _Mapping]] = ..., kill_task: _Optional[_Union[KillTask, _Mapping]] = ..., status_update_message: _Optional[_Union[StatusUpdateMessage, _Mapping]] = ..., status_update_acknowledgement: _Optional[_Union[StatusUpdateAcknowledgement, _Mapping]] = ..., ping: _Optional[_Union[Ping, _Mapping]] = ..., pong: _Optional[_Union[Pong, _Mapping]] = ..., shutdown_framework: _Optional[_Union[ShutdownFramework, _Mapping]] = ..., shutdown_executor: _Optional[_Union[ShutdownExecutor, _Mapping]] = ..., framework_to_executor: _Optional[_Union[FrameworkToExecutor, _Mapping]] = ..., executor_to_framework: _Optional[_Union[ExecutorToFramework, _Mapping]] = ..., exited_executor: _Optional[_Union[ExitedExecutor, _Mapping]] = ..., update_framework: _Optional[_Union[UpdateFramework, _Mapping]] = ..., scheduler_call: _Optional[bytes] = ..., scheduler_event: _Optional[bytes] = ..., executor_call: _Optional[bytes] = ..., executor_event: _Optional[bytes] = ..., driver_error: _Optional[_Union[DriverError, _Mapping]] = ..., checkpoint_resources: _Optional[_Union[CheckpointResources, _Mapping]] = ..., authentication: _Optional[_Union[Authentication, _Mapping]] = ...) -> None: ...

class Authentication(_message.Message):
    __slots__ = ("kind", "mechanisms", "mechanism", "data", "error")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        MECHANISMS: _ClassVar[Authentication.Kind]
        START: _ClassVar[Authentication.Kind]
        STEP: _ClassVar[Authentication.Kind]
        COMPLETED: _ClassVar[Authentication.Kind]
        FAILED: _ClassVar[Authentication.Kind]
        ERROR: _ClassVar[Authentication.Kind]
    MECHANISMS: Authentication.Kind
    START: Authentication.Kind
    STEP: Authentication.Kind
    COMPLETED: Authentication.Kind
    FAILED: Authentication.Kind
    ERROR: Authentication.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    MECHANISMS_FIELD_NUMBER: _ClassVar[int]
    MECHANISM_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    kind: Authentication.Kind
    mechanisms: _containers.RepeatedScalarFieldContainer[str]
    mechanism: str
    data: bytes
    error: str
    def __init__(self, kind: _Optional[_Union[Authentication.Kind, str]] = ..., mechanisms: _Optional[_Iterable[str]] = ..., mechanism: _Optional[str] = ..., data: _Optional[bytes] = ..., error: _Optional[str] = ...) -> None: ...

class DriverError(_message.Message):
    __slots__ = ("status", "message", "call_type")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CALL_TYPE_FIELD_NUMBER: _ClassVar[int]
    status: int
    message: str
    call_type: str
    def __init__(self, status: _Optional[int] = ..., message: _Optional[str] = ..., call_type: _Optional[str] = ...) -> None: ...
