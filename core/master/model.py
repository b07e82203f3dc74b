"""The master's books: mutable records (internal) and frozen views (for tests and endpoints).

Records are plain mutable objects owned by one `Master`; nothing outside core/master/ may
hold or change them. Queries hand out the frozen `*View` values below instead.

Invariants (checked by tests/test_master.py after every rule):
- a task is in exactly one of: its framework's `tasks` (and then its agent's `tasks`), its
  framework's `unreachable_tasks`, its framework's `completed_tasks`.
- an offer id is in `Master._offers`, its framework's `offers` and its agent's `offers`, or
  in none of them.
- `MTask.resources` count as used on the agent while the task's state is not terminal
  (Mesos releases a task's resources when it FIRST becomes terminal, MESOS-1389/1410, even
  though the task itself stays until its terminal update is acknowledged).

Books read: none.
Books written: none.
"""

from __future__ import annotations

from collections import OrderedDict

import attrs
from mesotron.core.resources import Resources
from mesotron.core.values import (
    AgentInfo,
    AttributeConstraint,
    ExecutorInfo,
    FrameworkInfo,
    TaskInfo,
    TaskState,
    TaskStatus,
)


# ------------------------------------------------------------------ records (mutable)
@attrs.define(eq=False, slots=True)
class MTask:
    framework_id: str
    agent_id: str
    info: TaskInfo
    executor_id: str  # "" for command tasks
    resources: Resources  # with the allocation role of the offer it was launched from
    role: str
    state: TaskState
    status_update_state: TaskState | None = None
    status_update_uuid: bytes | None = None
    statuses: list[TaskStatus] = attrs.Factory(list)
    unreachable_time: float | None = None

    @property
    def task_id(self) -> str:
        return self.info.task_id

    @property
    def key(self) -> tuple[str, str]:
        return (self.framework_id, self.info.task_id)

    def reported_state(self) -> TaskState:
        """The state reconciliation reports (Mesos: status_update_state, else state)."""
        return self.status_update_state if self.status_update_state is not None else self.state

    def view(self) -> TaskView:
        return TaskView(
            framework_id=self.framework_id,
            task_id=self.info.task_id,
            agent_id=self.agent_id,
            executor_id=self.executor_id,
            name=self.info.name,
            state=self.state,
            status_update_state=self.status_update_state,
            status_update_uuid=self.status_update_uuid,
            resources=self.resources,
            role=self.role,
            statuses=tuple(self.statuses),
            unreachable_time=self.unreachable_time,
        )


@attrs.define(eq=False, slots=True)
class MFramework:
    id: str
    info: FrameworkInfo  # with id
    stream: str | None = None  # the subscription stream; None: disconnected
    active: bool = False
    recovered: bool = False  # learnt from a re-registering agent; not subscribed here yet
    registered_time: float | None = None
    reregistered_time: float | None = None
    unregistered_time: float | None = None
    suppressed_roles: tuple[str, ...] = ()
    offer_constraints: tuple[tuple[str, tuple[AttributeConstraint, ...]], ...] = ()
    tasks: dict[str, MTask] = attrs.Factory(dict)
    unreachable_tasks: OrderedDict[str, MTask] = attrs.Factory(OrderedDict)
    completed_tasks: OrderedDict[str, MTask] = attrs.Factory(OrderedDict)
    offers: dict[str, None] = attrs.Factory(dict)  # ordered set of offer ids
    executors: dict[tuple[str, str], ExecutorInfo] = attrs.Factory(dict)  # (agent, executor)

    @property
    def connected(self) -> bool:
        return self.stream is not None

    def view(self) -> FrameworkView:
        return FrameworkView(
            id=self.id,
            info=self.info,
            stream=self.stream,
            connected=self.connected,
            active=self.active,
            recovered=self.recovered,
            task_ids=tuple(sorted(self.tasks)),
            unreachable_task_ids=tuple(self.unreachable_tasks),
            completed_task_ids=tuple(self.completed_tasks),
            offer_ids=tuple(self.offers),
            executors=tuple(sorted(self.executors)),
            suppressed_roles=self.suppressed_roles,
        )


@attrs.define(eq=False, slots=True)
class MAgent:
    id: str
    info: AgentInfo  # with id
    pid: str
    version: str = ""
    registered_time: float = 0.0
    reregistered_time: float | None = None
    connected: bool = True
    active: bool = True
    tasks: dict[tuple[str, str], MTask] = attrs.Factory(dict)  # (framework, task)
    executors: dict[tuple[str, str], ExecutorInfo] = attrs.Factory(dict)  # (framework, exec)
    offers: dict[str, None] = attrs.Factory(dict)
    killed_tasks: dict[tuple[str, str], None] = attrs.Factory(dict)  # kills to re-send
    pinged: bool = False  # a Ping is outstanding (no Pong yet)
    missed_pings: int = 0

    @property
    def total(self) -> Resources:
        return self.info.resources

    def used_by_framework(self) -> dict[str, Resources]:
        """framework id -> resources of its live tasks and executors on this agent."""
        out: dict[str, Resources] = {}
        for (fid, _tid), t in self.tasks.items():
            if not t.state.is_terminal and t.resources:
                out[fid] = out[fid] + t.resources if fid in out else t.resources
        for (fid, _eid), e in self.executors.items():
            if e.resources:
                out[fid] = out[fid] + e.resources if fid in out else e.resources
        return out

    def used(self) -> Resources:
        total = Resources()
        for r in self.used_by_framework().values():
            total = total + r
        return total


# ------------------------------------------------------------------ views (frozen)
@attrs.frozen(kw_only=True, slots=True)
class TaskView:
    framework_id: str
    task_id: str
    agent_id: str
    executor_id: str
    name: str
    state: TaskState
    status_update_state: TaskState | None
    status_update_uuid: bytes | None
    resources: Resources
    role: str
    statuses: tuple[TaskStatus, ...] = ()
    unreachable_time: float | None = None


@attrs.frozen(kw_only=True, slots=True)
class FrameworkView:
    id: str
    info: FrameworkInfo
    stream: str | None
    connected: bool
    active: bool
    recovered: bool
    task_ids: tuple[str, ...]
    unreachable_task_ids: tuple[str, ...]
    completed_task_ids: tuple[str, ...]
    offer_ids: tuple[str, ...]
    executors: tuple[tuple[str, str], ...]
    suppressed_roles: tuple[str, ...] = ()


@attrs.frozen(kw_only=True, slots=True)
class AgentView:
    id: str
    info: AgentInfo
    pid: str
    connected: bool
    active: bool
    total: Resources
    used: tuple[tuple[str, Resources], ...]  # (framework id, resources), sorted
    offered: tuple[tuple[str, str, Resources], ...]  # (offer id, framework id, resources)
    task_keys: tuple[tuple[str, str], ...]
    registered_time: float
    reregistered_time: float | None = None
