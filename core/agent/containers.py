"""The agent's side of isolation: container limitations, orphans, limits following tasks.

Reads: `frameworks`, `by_container`, `shrunk` (tasks that became terminal during this step).
Writes: task states (through `_agent_update`), `ExecutorEntry.pending_termination`.

- `ContainerLimitation` (an isolator saw OOM or disk over quota, Mesos
  `Containerizer::limited`): a command task's nested container -> that task alone becomes
  TASK_FAILED (SOURCE_AGENT, REASON_CONTAINER_LIMITATION_MEMORY/_DISK, Mesos's message) and
  its nested container is destroyed (and the executor told to kill it at once, for
  isolation without cgroups); the executor's whole container -> every live task of it
  fails that way and the container is destroyed (KillExecutor SIGKILL, then ExecutorExited).
  A limitation for a task already terminal or a container already gone changes nothing.
- `OrphanContainer` (found at recovery, unknown to the checkpoints): destroyed, as Mesos's
  containerizer destroys orphans it does not know (SlaveRecoveryTest
  RecoverUnregisteredExecutor / orphan cleanup). A container the agent does know is kept.
- Limits follow the live tasks: whenever tasks of a container become terminal during a
  step, one `UpdateContainer` at the end of the step shrinks it (and removes the command
  tasks' nested containers).

Books read: `by_container`, `frameworks`, `shrunk`.
Books written: `shrunk`.
"""

from __future__ import annotations

from typing import Any

from mesotron.core.agent.base import AgentCore
from mesotron.core.agent.isolation import disk_limitation_message, memory_limitation_message
from mesotron.core.agent.model import (
    ContainerLimitation,
    DestroyContainer,
    KillExecutor,
    OrphanContainer,
    UpdateContainer,
)
from mesotron.core.effects import Log, Send
from mesotron.core.messages import ExecutorKill
from mesotron.core.values import KillPolicy, Reason, TaskState


class ContainersMixin(AgentCore):
    shrunk: dict[str, list[str]]

    def handleContainerLimitation(self, now: float, lim: ContainerLimitation) -> list[Any]:
        where = self.by_container.get(lim.container_id)
        fields: tuple[tuple[str, Any], ...] = (("container", lim.container_id),
                                               ("task", lim.task_id), ("resource", lim.resource))
        if where is None:
            return [Log(level="info", event="agent.limitation.unknown_container", fields=fields)]
        fw = self.frameworks[where[0]]
        ex = fw.executors[where[1]]
        if ex.state == "terminated":
            return [Log(level="info", event="agent.limitation.container_gone", fields=fields)]
        if lim.resource == "mem":
            reason = Reason.REASON_CONTAINER_LIMITATION_MEMORY
            message = memory_limitation_message(lim.requested, lim.used, dict(lim.stats))
        else:
            reason = Reason.REASON_CONTAINER_LIMITATION_DISK
            message = disk_limitation_message(lim.requested, lim.used)
        self._count("container_limitations")
        if lim.task_id is not None:
            task = ex.tasks.get(lim.task_id)
            if task is None or task.terminal:
                return [Log(level="info", event="agent.limitation.task_not_live", fields=fields)]
            out: list[Any] = [Log(level="warn", event="agent.container_limitation", fields=fields)]
            # TASK_FAILED now; its nested container goes at the end of this step (`shrunk`),
            # which kills its processes where there are cgroups; without them (disk/du alone)
            # the executor kills the task at once (what it reports then is superseded)
            out += self._agent_update(now, fw.id, ex.info.executor_id, lim.task_id,
                                      TaskState.TASK_FAILED, reason, message)
            if ex.pid is not None and ex.state == "running":
                out.append(Send(to=ex.pid, message=ExecutorKill(
                    task_id=lim.task_id, kill_policy=KillPolicy(grace_period=0.0))))
            return out
        ex.pending_termination = (TaskState.TASK_FAILED, reason, message)
        if ex.state != "terminating":
            out = self._cancel_idle(fw, ex)
            ex.state = "terminating"
        else:
            out = []
        return out + [Log(level="warn", event="agent.container_limitation", fields=fields),
                      KillExecutor(container_id=lim.container_id, signal="SIGKILL")]

    def handleOrphanContainer(self, now: float, msg: OrphanContainer) -> list[Any]:
        if msg.container_id in self.by_container:
            return [Log(level="info", event="agent.orphan.known",
                        fields=(("container", msg.container_id),))]
        self._count("orphan_containers_destroyed")
        return [Log(level="warn", event="agent.orphan.destroyed",
                    fields=(("container", msg.container_id),)),
                KillExecutor(container_id=msg.container_id, signal="SIGKILL"),
                DestroyContainer(container_id=msg.container_id)]

    def _flush_container_updates(self) -> list[Any]:
        """One UpdateContainer per container whose tasks became terminal in this step."""
        if not self.shrunk:
            return []
        shrunk, self.shrunk = self.shrunk, {}
        out: list[Any] = []
        for cid, task_ids in shrunk.items():
            where = self.by_container.get(cid)
            if where is None:
                continue
            fw = self.frameworks.get(where[0])
            ex = fw.executors.get(where[1]) if fw is not None else None
            if ex is None or ex.state == "terminated":
                continue  # DestroyContainer releases everything
            out.append(UpdateContainer(
                container_id=cid, resources=ex.resources(),
                nested_remove=tuple(task_ids) if ex.command_executor else (),
                command_executor=ex.command_executor))
        return out
