"""Agent checkpoint records and the recovery snapshot (Mesos `src/slave/state.hpp`).

The agent writes its durable state ONLY through `Persist` effects (core/effects.py). The shell's
disk and the simulator's disk model replay those effects into a `Recovered` value handed back
at the next `Start`:
- `Persist(key, record, append=False)`: `checkpoints[key] = record` (record None: delete key;
  for an "updates" key, None also deletes the log at that key).
- `Persist(key, record, append=True)`: `logs[key].append(record)` (status-update streams,
  written by the embedded status-update manager; the agent never reads their records itself).

Keys (all strings):
- ("agent",) -> AgentRecord              the agent's info with its id (Mesos `slave.info`)
- ("framework", fw) -> FrameworkRecord   (Mesos `framework.info` + `framework.pid`)
- ("executor", fw, ex) -> ExecutorRecord the latest run of an executor (Mesos `executor.info`
                                        + `runs/latest`), replaced when it exits
- ("task", fw, ex, task) -> TaskRecordCk the TaskInfo (Mesos `task.info`)
- ("updates", fw, task)  [log]            the status-update stream (status_updates.py)
- ("gc", fw, ex, container) -> GcRecord  a removed executor's run directory waiting for
                                        its garbage collection (gc_delay after removal)
- ("boot_id",) -> str                     the host's boot id when the agent last started
                                        (Mesos `meta/boot_id`): a different one at the next
                                        start means the host rebooted

Deletion: when an executor is removed (it exited and all its tasks' terminal updates were
acknowledged) the agent deletes its task and executor records; a framework record is deleted
when its last executor goes.

`Recovered.apply(effects)` is the reference replay used by the tests and simulator.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
from mesotron.core.effects import Persist
from mesotron.core.values import AgentInfo, ExecutorInfo, FrameworkInfo, TaskInfo

CheckpointKey = tuple[str, ...]


@attrs.frozen(kw_only=True, slots=True)
class AgentRecord:
    info: AgentInfo  # with id


@attrs.frozen(kw_only=True, slots=True)
class GcRecord:
    """Key ("gc", fw, ex, container): the sandbox path components of a removed executor's
    run, deleted gc_delay after the removal (rescheduled from now after a restart)."""

    sandbox: tuple[str, ...]


@attrs.frozen(kw_only=True, slots=True)
class ResourcesRecord:
    """Key ("resources",): the agent's checkpointed resources (its dynamic reservations, as
    the master last sent them with CheckpointResources)."""

    resources: Any


@attrs.frozen(kw_only=True, slots=True)
class FrameworkRecord:
    info: FrameworkInfo  # with id
    pid: str = ""


@attrs.frozen(kw_only=True, slots=True)
class ExecutorRecord:
    """One executor run. `exited` is set (with the exit status) once its process is gone;
    `command_executor` marks the executor the agent synthesized for a command task."""

    info: ExecutorInfo
    container_id: str
    command_executor: bool = False
    exited: bool = False
    exit_status: int | None = None


@attrs.frozen(kw_only=True, slots=True)
class TaskRecordCk:
    framework_id: str
    executor_id: str
    task: TaskInfo


@attrs.frozen(kw_only=True, slots=True)
class Recovered:
    """What the agent's own Persist effects left on disk (see module docstring)."""

    checkpoints: dict[CheckpointKey, Any] = attrs.field(factory=dict)
    logs: dict[CheckpointKey, list[Any]] = attrs.field(factory=dict)

    @classmethod
    def empty(cls) -> Recovered:
        return cls(checkpoints={}, logs={})

    def apply(self, effects: Iterable[Any]) -> Recovered:
        """A new snapshot with the Persist effects among `effects` replayed (others ignored)."""
        ck = dict(self.checkpoints)
        logs = {k: list(v) for k, v in self.logs.items()}
        for e in effects:
            if not isinstance(e, Persist):
                continue
            if e.append:
                logs.setdefault(e.key, []).append(e.record)
            elif e.record is None:
                ck.pop(e.key, None)
                logs.pop(e.key, None)
            else:
                ck[e.key] = e.record
        return Recovered(checkpoints=ck, logs=logs)

    def is_empty(self) -> bool:
        return not self.checkpoints and not self.logs

    def gc_pending(self) -> dict[CheckpointKey, GcRecord]:
        return {k: v for k, v in self.checkpoints.items()
                if k[0] == "gc" and isinstance(v, GcRecord)}

    def boot_id(self) -> str | None:
        rec = self.checkpoints.get(("boot_id",))
        return rec if isinstance(rec, str) else None

    def agent(self) -> AgentRecord | None:
        rec = self.checkpoints.get(("agent",))
        return rec if isinstance(rec, AgentRecord) else None

    def frameworks(self) -> dict[str, FrameworkRecord]:
        return {k[1]: v for k, v in self.checkpoints.items()
                if k[0] == "framework" and len(k) == 2 and isinstance(v, FrameworkRecord)}

    def executors(self, framework_id: str) -> dict[str, ExecutorRecord]:
        return {k[2]: v for k, v in self.checkpoints.items()
                if k[0] == "executor" and len(k) == 3 and k[1] == framework_id
                and isinstance(v, ExecutorRecord)}

    def tasks(self, framework_id: str, executor_id: str) -> dict[str, TaskRecordCk]:
        return {k[3]: v for k, v in self.checkpoints.items()
                if k[0] == "task" and len(k) == 4 and k[1] == framework_id
                and k[2] == executor_id and isinstance(v, TaskRecordCk)}

    def update_logs(self) -> dict[CheckpointKey, list[Any]]:
        return {k: list(v) for k, v in self.logs.items() if k and k[0] == "updates"}
