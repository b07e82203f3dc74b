from mesotron.spec import mesos_pb2 as _mesos_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Call(_message.Message):
    __slots__ = ("type", "get_metrics", "set_logging_level", "list_files", "read_file", "get_containers")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[Call.Type]
        GET_HEALTH: _ClassVar[Call.Type]
        GET_FLAGS: _ClassVar[Call.Type]
        GET_VERSION: _ClassVar[Call.Type]
        GET_METRICS: _ClassVar[Call.Type]
        GET_LOGGING_LEVEL: _ClassVar[Call.Type]
        SET_LOGGING_LEVEL: _ClassVar[Call.Type]
        LIST_FILES: _ClassVar[Call.Type]
        READ_FILE: _ClassVar[Call.Type]
        GET_STATE: _ClassVar[Call.Type]
        GET_CONTAINERS: _ClassVar[Call.Type]
        GET_FRAMEWORKS: _ClassVar[Call.Type]
        GET_EXECUTORS: _ClassVar[Call.Type]
        GET_OPERATIONS: _ClassVar[Call.Type]
        GET_TASKS: _ClassVar[Call.Type]
        GET_AGENT: _ClassVar[Call.Type]
        GET_RESOURCE_PROVIDERS: _ClassVar[Call.Type]
        LAUNCH_NESTED_CONTAINER: _ClassVar[Call.Type]
        WAIT_NESTED_CONTAINER: _ClassVar[Call.Type]
        KILL_NESTED_CONTAINER: _ClassVar[Call.Type]
        REMOVE_NESTED_CONTAINER: _ClassVar[Call.Type]
        LAUNCH_NESTED_CONTAINER_SESSION: _ClassVar[Call.Type]
        ATTACH_CONTAINER_INPUT: _ClassVar[Call.Type]
        ATTACH_CONTAINER_OUTPUT: _ClassVar[Call.Type]
        LAUNCH_CONTAINER: _ClassVar[Call.Type]
        WAIT_CONTAINER: _ClassVar[Call.Type]
        KILL_CONTAINER: _ClassVar[Call.Type]
        REMOVE_CONTAINER: _ClassVar[Call.Type]
        ADD_RESOURCE_PROVIDER_CONFIG: _ClassVar[Call.Type]
        UPDATE_RESOURCE_PROVIDER_CONFIG: _ClassVar[Call.Type]
        REMOVE_RESOURCE_PROVIDER_CONFIG: _ClassVar[Call.Type]
        MARK_RESOURCE_PROVIDER_GONE: _ClassVar[Call.Type]
        PRUNE_IMAGES: _ClassVar[Call.Type]
    UNKNOWN: Call.Type
    GET_HEALTH: Call.Type
    GET_FLAGS: Call.Type
    GET_VERSION: Call.Type
    GET_METRICS: Call.Type
    GET_LOGGING_LEVEL: Call.Type
    SET_LOGGING_LEVEL: Call.Type
    LIST_FILES: Call.Type
    READ_FILE: Call.Type
    GET_STATE: Call.Type
    GET_CONTAINERS: Call.Type
    GET_FRAMEWORKS: Call.Type
    GET_EXECUTORS: Call.Type
    GET_OPERATIONS: Call.Type
    GET_TASKS: Call.Type
    GET_AGENT: Call.Type
    GET_RESOURCE_PROVIDERS: Call.Type
    LAUNCH_NESTED_CONTAINER: Call.Type
    WAIT_NESTED_CONTAINER: Call.Type
    KILL_NESTED_CONTAINER: Call.Type
    REMOVE_NESTED_CONTAINER: Call.Type
    LAUNCH_NESTED_CONTAINER_SESSION: Call.Type
    ATTACH_CONTAINER_INPUT: Call.Type
    ATTACH_CONTAINER_OUTPUT: Call.Type
    LAUNCH_CONTAINER: Call.Type
    WAIT_CONTAINER: Call.Type
    KILL_CONTAINER: Call.Type
    REMOVE_CONTAINER: Call.Type
    ADD_RESOURCE_PROVIDER_CONFIG: Call.Type
    UPDATE_RESOURCE_PROVIDER_CONFIG: Call.Type
    REMOVE_RESOURCE_PROVIDER_CONFIG: Call.Type
    MARK_RESOURCE_PROVIDER_GONE: Call.Type
    PRUNE_IMAGES: Call.Type
    class GetMetrics(_message.Message):
        __slots__ = ("timeout",)
        TIMEOUT_FIELD_NUMBER: _ClassVar[int]
        timeout: _mesos_pb2.DurationInfo
        def __init__(self, timeout: _Optional[_Union[_mesos_pb2.DurationInfo, _Mapping]] = ...) -> None: ...
    class SetLoggingLevel(_message.Message):
        __slots__ = ("level", "duration")
        LEVEL_FIELD_NUMBER: _ClassVar[int]
        DURATION_FIELD_NUMBER: _ClassVar[int]
        level: int
        duration: _mesos_pb2.DurationInfo
        def __init__(self, level: _Optional[int] = ..., duration: _Optional[_Union[_mesos_pb2.DurationInfo, _Mapping]] = ...) -> None: ...
    class ListFiles(_message.Message):
        __slots__ = ("path",)
        PATH_FIELD_NUMBER: _ClassVar[int]
        path: str
        def __init__(self, path: _Optional[str] = ...) -> None: ...
    class ReadFile(_message.Message):
        __slots__ = ("path", "offset", "length")
        PATH_FIELD_NUMBER: _ClassVar[int]
        OFFSET_FIELD_NUMBER: _ClassVar[int]
        LENGTH_FIELD_NUMBER: _ClassVar[int]
        path: str
        offset: int
        length: int
        def __init__(self, path: _Optional[str] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ...) -> None: ...
    class GetContainers(_message.Message):
        __slots__ = ("show_nested", "show_standalone")
        SHOW_NESTED_FIELD_NUMBER: _ClassVar[int]
        SHOW_STANDALONE_FIELD_NUMBER: _ClassVar[int]
        show_nested: bool
        show_standalone: bool
        def __init__(self, show_nested: _Optional[bool] = ..., show_standalone: _Optional[bool] = ...) -> None: ...
    TYPE_FIELD_NUMBER: _ClassVar[int]
    GET_METRICS_FIELD_NUMBER: _ClassVar[int]
    SET_LOGGING_LEVEL_FIELD_NUMBER: _ClassVar[int]
    LIST_FILES_FIELD_NUMBER: _ClassVar[int]
    READ_FILE_FIELD_NUMBER: _ClassVar[int]
    GET_CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    type: Call.Type
    get_metrics: Call.GetMetrics
    set_logging_level: Call.SetLoggingLevel
    list_files: Call.ListFiles
    read_file: Call.ReadFile
    get_containers: Call.GetContainers
    def __init__(self, type: _Optional[_Union[Call.Type, str]] = ..., get_metrics: _Optional[_Union[Call.GetMetrics, _Mapping]] = ..., set_logging_level: _Optional[_Union[Call.SetLoggingLevel, _Mapping]] = ..., list_files: _Optional[_Union[Call.ListFiles, _Mapping]] = ..., read_file: _Optional[_Union[Call.ReadFile, _Mapping]] = ..., get_containers: _Optional[_Union[Call.GetContainers, _Mapping]] = ...) -> None: ...

class Response(_message.Message):
    __slots__ = ("type", "get_health", "get_flags", "get_version", "get_metrics", "get_logging_level", "list_files", "read_file", "get_state", "get_containers", "get_frameworks", "get_executors", "get_operations", "get_tasks", "get_agent")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[Response.Type]
        GET_HEALTH: _ClassVar[Response.Type]
        GET_FLAGS: _ClassVar[Response.Type]
        GET_VERSION: _ClassVar[Response.Type]
        GET_METRICS: _ClassVar[Response.Type]
        GET_LOGGING_LEVEL: _ClassVar[Response.Type]
        LIST_FILES: _ClassVar[Response.Type]
        READ_FILE: _ClassVar[Response.Type]
        GET_STATE: _ClassVar[Response.Type]
        GET_CONTAINERS: _ClassVar[Response.Type]
        GET_FRAMEWORKS: _ClassVar[Response.Type]
        GET_EXECUTORS: _ClassVar[Response.Type]
        GET_OPERATIONS: _ClassVar[Response.Type]
        GET_TASKS: _ClassVar[Response.Type]
        GET_AGENT: _ClassVar[Response.Type]
        GET_RESOURCE_PROVIDERS: _ClassVar[Response.Type]
        WAIT_NESTED_CONTAINER: _ClassVar[Response.Type]
        WAIT_CONTAINER: _ClassVar[Response.Type]
    UNKNOWN: Response.Type
    GET_HEALTH: Response.Type
    GET_FLAGS: Response.Type
    GET_VERSION: Response.Type
    GET_METRICS: Response.Type
    GET_LOGGING_LEVEL: Response.Type
    LIST_FILES: Response.Type
    READ_FILE: Response.Type
    GET_STATE: Response.Type
    GET_CONTAINERS: Response.Type
    GET_FRAMEWORKS: Response.Type
    GET_EXECUTORS: Response.Type
    GET_OPERATIONS: Response.Type
    GET_TASKS: Response.Type
    GET_AGENT: Response.Type
    GET_RESOURCE_PROVIDERS: Response.Type
    WAIT_NESTED_CONTAINER: Response.Type
    WAIT_CONTAINER: Response.Type
    class GetHealth(_message.Message):
        __slots__ = ("healthy",)
        HEALTHY_FIELD_NUMBER: _ClassVar[int]
        healthy: bool
        def __init__(self, healthy: _Optional[bool] = ...) -> None: ...
    class GetFlags(_message.Message):
        __slots__ = ("flags",)
        FLAGS_FIELD_NUMBER: _ClassVar[int]
        flags: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Flag]
        def __init__(self, flags: _Optional[_Iterable[_Union[_mesos_pb2.Flag, _Mapping]]] = ...) -> None: ...
    class GetVersion(_message.Message):
        __slots__ = ("version_info",)
        class VersionInfo(_message.Message):
            __slots__ = ("version", "build_date", "build_time", "build_user")
            VERSION_FIELD_NUMBER: _ClassVar[int]
            BUILD_DATE_FIELD_NUMBER: _ClassVar[int]
            BUILD_TIME_FIELD_NUMBER: _ClassVar[int]
            BUILD_USER_FIELD_NUMBER: _ClassVar[int]
            version: str
            build_date: str
            build_time: float
            build_user: str
            def __init__(self, version: _Optional[str] = ..., build_date: _Optional[str] = ..., build_time: _Optional[float] = ..., build_user: _Optional[str] = ...) -> None: ...
        VERSION_INFO_FIELD_NUMBER: _ClassVar[int]
        version_info: Response.GetVersion.VersionInfo
        def __init__(self, version_info: _Optional[_Union[Response.GetVersion.VersionInfo, _Mapping]] = ...) -> None: ...
    class GetMetrics(_message.Message):
        __slots__ = ("metrics",)
        METRICS_FIELD_NUMBER: _ClassVar[int]
        metrics: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Metric]
        def __init__(self, metrics: _Optional[_Iterable[_Union[_mesos_pb2.Metric, _Mapping]]] = ...) -> None: ...
    class GetLoggingLevel(_message.Message):
        __slots__ = ("level",)
        LEVEL_FIELD_NUMBER: _ClassVar[int]
        level: int
        def __init__(self, level: _Optional[int] = ...) -> None: ...
    class ListFiles(_message.Message):
        __slots__ = ("file_infos",)
        FILE_INFOS_FIELD_NUMBER: _ClassVar[int]
        file_infos: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.FileInfo]
        def __init__(self, file_infos: _Optional[_Iterable[_Union[_mesos_pb2.FileInfo, _Mapping]]] = ...) -> None: ...
    class ReadFile(_message.Message):
        __slots__ = ("size", "data")
        SIZE_FIELD_NUMBER: _ClassVar[int]
        DATA_FIELD_NUMBER: _ClassVar[int]
        size: int
        data: bytes
        def __init__(self, size: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...
    class GetContainers(_message.Message):
        __slots__ = ("containers",)
        class Container(_message.Message):
            __slots__ = ("framework_id", "executor_id", "executor_name", "container_id", "container_status", "resource_statistics")
            FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
            EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
            EXECUTOR_NAME_FIELD_NUMBER: _ClassVar[int]
            CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
            CONTAINER_STATUS_FIELD_NUMBER: _ClassVar[int]
            RESOURCE_STATISTICS_FIELD_NUMBER: _ClassVar[int]
            framework_id: _mesos_pb2.FrameworkID
            executor_id: _mesos_pb2.ExecutorID
            executor_name: str
            container_id: _mesos_pb2.ContainerID
            container_status: _mesos_pb2.ContainerStatus
            resource_statistics: _mesos_pb2.ResourceStatistics
            def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., executor_id: _Optional[_Union[_mesos_pb2.ExecutorID, _Mapping]] = ..., executor_name: _Optional[str] = ..., container_id: _Optional[_Union[_mesos_pb2.ContainerID, _Mapping]] = ..., container_status: _Optional[_Union[_mesos_pb2.ContainerStatus, _Mapping]] = ..., resource_statistics: _Optional[_Union[_mesos_pb2.ResourceStatistics, _Mapping]] = ...) -> None: ...
        CONTAINERS_FIELD_NUMBER: _ClassVar[int]
        containers: _containers.RepeatedCompositeFieldContainer[Response.GetContainers.Container]
        def __init__(self, containers: _Optional[_Iterable[_Union[Response.GetContainers.Container, _Mapping]]] = ...) -> None: ...
    class GetFrameworks(_message.Message):
        __slots__ = ("frameworks", "completed_frameworks")
        class Framework(_message.Message):
            __slots__ = ("framework_info",)
            FRAMEWORK_INFO_FIELD_NUMBER: _ClassVar[int]
            framework_info: _mesos_pb2.FrameworkInfo
            def __init__(self, framework_info: _Optional[_Union[_mesos_pb2.FrameworkInfo, _Mapping]] = ...) -> None: ...
        FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
        COMPLETED_FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
        frameworks: _containers.RepeatedCompositeFieldContainer[Response.GetFrameworks.Framework]
        completed_frameworks: _containers.RepeatedCompositeFieldContainer[Response.GetFrameworks.Framework]
        def __init__(self, frameworks: _Optional[_Iterable[_Union[Response.GetFrameworks.Framework, _Mapping]]] = ..., completed_frameworks: _Optional[_Iterable[_Union[Response.GetFrameworks.Framework, _Mapping]]] = ...) -> None: ...
    class GetExecutors(_message.Message):
        __slots__ = ("executors", "completed_executors")
        class Executor(_message.Message):
            __slots__ = ("executor_info",)
            EXECUTOR_INFO_FIELD_NUMBER: _ClassVar[int]
            executor_info: _mesos_pb2.ExecutorInfo
            def __init__(self, executor_info: _Optional[_Union[_mesos_pb2.ExecutorInfo, _Mapping]] = ...) -> None: ...
        EXECUTORS_FIELD_NUMBER: _ClassVar[int]
        COMPLETED_EXECUTORS_FIELD_NUMBER: _ClassVar[int]
        executors: _containers.RepeatedCompositeFieldContainer[Response.GetExecutors.Executor]
        completed_executors: _containers.RepeatedCompositeFieldContainer[Response.GetExecutors.Executor]
        def __init__(self, executors: _Optional[_Iterable[_Union[Response.GetExecutors.Executor, _Mapping]]] = ..., completed_executors: _Optional[_Iterable[_Union[Response.GetExecutors.Executor, _Mapping]]] = ...) -> None: ...
    class GetOperations(_message.Message):
        __slots__ = ("operations",)
        OPERATIONS_FIELD_NUMBER: _ClassVar[int]
        operations: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Operation]
        def __init__(self, operations: _Optional[_Iterable[_Union[_mesos_pb2.Operation, _Mapping]]] = ...) -> None: ...
    class GetTasks(_message.Message):
        __slots__ = ("pending_tasks", "queued_tasks", "launched_tasks", "terminated_tasks", "completed_tasks")
        PENDING_TASKS_FIELD_NUMBER: _ClassVar[int]
        QUEUED_TASKS_FIELD_NUMBER: _ClassVar[int]
        LAUNCHED_TASKS_FIELD_NUMBER: _ClassVar[int]
        TERMINATED_TASKS_FIELD_NUMBER: _ClassVar[int]
        COMPLETED_TASKS_FIELD_NUMBER: _ClassVar[int]
        pending_tasks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Task]
        queued_tasks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Task]
        launched_tasks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Task]
        terminated_tasks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Task]
        completed_tasks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Task]
        def __init__(self, pending_tasks: _Optional[_Iterable[_Union[_mesos_pb2.Task, _Mapping]]] = ..., queued_tasks: _Optional[_Iterable[_Union[_mesos_pb2.Task, _Mapping]]] = ..., launched_tasks: _Optional[_Iterable[_Union[_mesos_pb2.Task, _Mapping]]] = ..., terminated_tasks: _Optional[_Iterable[_Union[_mesos_pb2.Task, _Mapping]]] = ..., completed_tasks: _Optional[_Iterable[_Union[_mesos_pb2.Task, _Mapping]]] = ...) -> None: ...
    class GetAgent(_message.Message):
        __slots__ = ("agent_info", "drain_config", "estimated_drain_start_time")
        AGENT_INFO_FIELD_NUMBER: _ClassVar[int]
        DRAIN_CONFIG_FIELD_NUMBER: _ClassVar[int]
        ESTIMATED_DRAIN_START_TIME_FIELD_NUMBER: _ClassVar[int]
        agent_info: _mesos_pb2.AgentInfo
        drain_config: _mesos_pb2.DrainConfig
        estimated_drain_start_time: _mesos_pb2.TimeInfo
        def __init__(self, agent_info: _Optional[_Union[_mesos_pb2.AgentInfo, _Mapping]] = ..., drain_config: _Optional[_Union[_mesos_pb2.DrainConfig, _Mapping]] = ..., estimated_drain_start_time: _Optional[_Union[_mesos_pb2.TimeInfo, _Mapping]] = ...) -> None: ...
    class GetState(_message.Message):
        __slots__ = ("get_tasks", "get_executors", "get_frameworks")
        GET_TASKS_FIELD_NUMBER: _ClassVar[int]
        GET_EXECUTORS_FIELD_NUMBER: _ClassVar[int]
        GET_FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
        get_tasks: Response.GetTasks
        get_executors: Response.GetExecutors
        get_frameworks: Response.GetFrameworks
        def __init__(self, get_tasks: _Optional[_Union[Response.GetTasks, _Mapping]] = ..., get_executors: _Optional[_Union[Response.GetExecutors, _Mapping]] = ..., get_frameworks: _Optional[_Union[Response.GetFrameworks, _Mapping]] = ...) -> None: ...
    TYPE_FIELD_NUMBER: _ClassVar[int]
    GET_HEALTH_FIELD_NUMBER: _ClassVar[int]
    GET_FLAGS_FIELD_NUMBER: _ClassVar[int]
    GET_VERSION_FIELD_NUMBER: _ClassVar[int]
    GET_METRICS_FIELD_NUMBER: _ClassVar[int]
    GET_LOGGING_LEVEL_FIELD_NUMBER: _ClassVar[int]
    LIST_FILES_FIELD_NUMBER: _ClassVar[int]
    READ_FILE_FIELD_NUMBER: _ClassVar[int]
    GET_STATE_FIELD_NUMBER: _ClassVar[int]
    GET_CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    GET_FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
    GET_EXECUTORS_FIELD_NUMBER: _ClassVar[int]
    GET_OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    GET_TASKS_FIELD_NUMBER: _ClassVar[int]
    GET_AGENT_FIELD_NUMBER: _ClassVar[int]
    type: Response.Type
    get_health: Response.GetHealth
    get_flags: Response.GetFlags
    get_version: Response.GetVersion
    get_metrics: Response.GetMetrics
    get_logging_level: Response.GetLoggingLevel
    list_files: Response.ListFiles
    read_file: Response.ReadFile
    get_state: Response.GetState
    get_containers: Response.GetContainers
    get_frameworks: Response.GetFrameworks
    get_executors: Response.GetExecutors
    get_operations: Response.GetOperations
    get_tasks: Response.GetTasks
    get_agent: Response.GetAgent
    def __init__(self, type: _Optional[_Union[Response.Type, str]] = ..., get_health: _Optional[_Union[Response.GetHealth, _Mapping]] = ..., get_flags: _Optional[_Union[Response.GetFlags, _Mapping]] = ..., get_version: _Optional[_Union[Response.GetVersion, _Mapping]] = ..., get_metrics: _Optional[_Union[Response.GetMetrics, _Mapping]] = ..., get_logging_level: _Optional[_Union[Response.GetLoggingLevel, _Mapping]] = ..., list_files: _Optional[_Union[Response.ListFiles, _Mapping]] = ..., read_file: _Optional[_Union[Response.ReadFile, _Mapping]] = ..., get_state: _Optional[_Union[Response.GetState, _Mapping]] = ..., get_containers: _Optional[_Union[Response.GetContainers, _Mapping]] = ..., get_frameworks: _Optional[_Union[Response.GetFrameworks, _Mapping]] = ..., get_executors: _Optional[_Union[Response.GetExecutors, _Mapping]] = ..., get_operations: _Optional[_Union[Response.GetOperations, _Mapping]] = ..., get_tasks: _Optional[_Union[Response.GetTasks, _Mapping]] = ..., get_agent: _Optional[_Union[Response.GetAgent, _Mapping]] = ...) -> None: ...
