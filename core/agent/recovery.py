"""Agent concept: start and recovery from checkpoints (Mesos `Slave::recover`, `_recover`,
`reregisterExecutorTimeout`).

`Start(recovered)`:
- nothing recovered: a fresh agent; it registers once a master is detected.
- `recover="reconnect"` with a checkpointed agent id: frameworks, executors, tasks and
  status-update streams are rebuilt (streams stay paused until the agent re-registers). The
  agent is "recovering" until every recovered executor re-subscribed or
  `executor_reregistration_timeout` passed; executors still missing then are killed (their
  live tasks get TASK_LOST, REASON_EXECUTOR_REREGISTRATION_TIMEOUT, once the container is
  gone). Only then does it re-register, reporting the tasks it has. Executors whose process
  is gone (the shell reports `ExecutorExited`) give their live tasks TASK_FAILED
  (REASON_EXECUTOR_TERMINATED). Executors that re-subscribe keep running: a restart never
  kills a live executor that re-subscribes in time (RecoveryKeepsTasks).
- `recover="cleanup"` (or checkpoints without an agent record): every recovered executor is
  killed, every checkpoint deleted, and the agent registers as a NEW agent (the master
  reports the old agent's tasks lost).
- Reboot (Mesos `meta/boot_id`): `Start.boot_id` is checkpointed at every start; a different
  one recovered means the host rebooted: no executor can have survived (they are treated as
  exited, their containers released without a signal: a pid may have been reused), and if
  the agent's info changed too in a way Mesos's additive reconfiguration policy does not
  permit (`additive_incompatibility`: fewer resources, another hostname or attribute) it
  starts as a NEW agent; a grown one keeps its id and its status-update streams.

Books read: `agent_info`, `awaiting`, `by_container`, `checkpointed_resources`, `config`,
  `frameworks`, `gc_pending`, `recovering`, `state`, `sum`.
Books written: `agent_info`, `awaiting`, `by_container`, `checkpointed_resources`, `frameworks`,
  `gc_pending`, `recovering`, `state`.
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.agent.base import (
    REREGISTER_EXECUTORS_TIMER,
    AgentCore,
    executor_key,
    task_key,
)
from mesotron.core.agent.model import (
    DestroyContainer,
    ExecutorEntry,
    FrameworkEntry,
    KillExecutor,
    Start,
    TaskEntry,
)
from mesotron.core.checkpoint import Recovered
from mesotron.core.effects import CancelTimer, Log, Persist, SetTimer
from mesotron.core.errors import LocalError
from mesotron.core.executor import format_duration
from mesotron.core.status_updates import Recover, log_key
from mesotron.core.values import AgentInfo, Reason, Source, TaskState


def _ranges_within(small: tuple[tuple[int, int], ...], big: tuple[tuple[int, int], ...]) -> bool:
    return all(any(lo >= b_lo and hi <= b_hi for b_lo, b_hi in big) for lo, hi in small)


def additive_incompatibility(old: AgentInfo, new: AgentInfo) -> str | None:
    """Why `new` may not keep the id of the checkpointed `old` under Mesos's
    `--reconfiguration_policy=additive` (`slave::compatibility::additive`, which
    `Slave::recover` applies: the simulator's operator restarts agents with more resources
    in place); None: permitted. The hostname and port stay; every resource of `old` is still
    there (first of its name) with the same type and no less (scalar no smaller, ranges and
    set a superset); every attribute of `old` is still there, equal (a RANGES one may grow)."""
    if old.hostname != new.hostname:
        return f"hostname changed from {old.hostname} to {new.hostname}"
    if old.port != new.port:
        return f"port changed from {old.port} to {new.port}"
    current = list(new.resources)
    for r in old.resources:
        m = next((x for x in current if x.name == r.name), None)
        if m is None:
            return f"couldn't find {r.name!r}"
        if r.scalar is not None:
            if m.scalar is None or r.scalar > m.scalar:
                return f"scalar resource {r.name!r} decreased or changed type"
        elif r.ranges is not None:
            if m.ranges is None or not _ranges_within(r.ranges, m.ranges):
                return f"range resource {r.name!r} not included in the current one"
        elif m.set is None or not (r.set or frozenset()) <= m.set:
            return f"set resource {r.name!r} not included in the current one"
    for a in old.attributes:
        b = next((x for x in new.attributes if x.name == a.name), None)
        if b is None:
            return f"couldn't find attribute {a.name!r}"
        if a.kind != b.kind:
            return f"type of attribute {a.name!r} changed"
        if a.kind == "RANGES":
            if not _ranges_within(a.ranges(), b.ranges()):
                return f"ranges attribute {a.name!r} not included in the current one"
        elif a.value != b.value:
            return f"attribute {a.name!r} changed from {a.value} to {b.value}"
    return None


class RecoveryMixin(AgentCore):
    # declared again for type checkers that see the base class as Any
    state: str
    recovering: bool
    agent_info: AgentInfo
    master: str | None
    reg_backoff: float

    def handleStart(self, now: float, start: Start) -> list[Any]:
        if self.state != "new":
            raise LocalError("Agent: Start twice")
        rec = start.recovered
        boot: list[Any] = []
        if start.boot_id is not None:
            boot.append(Persist(key=("boot_id",), record=start.boot_id))
        if rec is None or rec.is_empty():
            self.state = "disconnected"
            return [Log(level="info", event="agent.started", fields=(("recovered", False),)),
                    *boot]
        rebooted = (start.boot_id is not None and rec.boot_id() is not None
                    and rec.boot_id() != start.boot_id)
        agent_rec = rec.agent()
        why = None if agent_rec is None or not rebooted \
            else additive_incompatibility(agent_rec.info, self.agent_info)
        if why is not None:
            # Mesos `Slave::recover`: an agent info the reconfiguration policy does not permit
            # after a reboot makes a NEW agent (the old id and its checkpoints are dropped, so
            # a restart before registering stays new: SlaveRecoveryTest.
            # RebootWithSlaveInfoMismatch / ...AndRestart); a permitted (additive) change
            # keeps the id and the recovered status-update streams, as without a reboot
            assert agent_rec is not None
            out = [Log(level="warn", event="agent.recover.reboot_info_mismatch",
                       fields=(("agent_id", agent_rec.info.id), ("why", why)))]
            return out + self._recover_cleanup(now, rec, rebooted=True) + boot
        if self.config.recover == "cleanup" or agent_rec is None:
            return self._recover_cleanup(now, rec, rebooted=rebooted) + boot
        return self._recover_reconnect(now, rec, rebooted=rebooted) + boot

    # ------------------------------------------------------------------ cleanup
    def _recover_cleanup(self, now: float, rec: Recovered, *, rebooted: bool = False) -> list[Any]:
        out: list[Any] = [Log(level="info", event="agent.recover.cleanup")]
        for fw_id in sorted(rec.frameworks()):
            for _ex_id, erec in sorted(rec.executors(fw_id).items()):
                if erec.exited:
                    continue
                if rebooted:  # gone with the host: signal nothing (its pid may be reused)
                    out.append(DestroyContainer(container_id=erec.container_id))
                else:
                    out.append(KillExecutor(container_id=erec.container_id, signal="SIGKILL"))
        # kill first: a crash before the deletes repeats the cleanup instead of orphaning.
        # s17 longrun: leaves first, as a recursive delete of Mesos's checkpoint tree
        # (meta/slaves/<id>/frameworks/<fid>/executors/<eid>/runs/<cid>/tasks/<tid>) goes: a
        # crash part-way (its unsynced deletes lost, a prefix kept) never leaves a task or
        # update log without its executor and framework records, which a restart in
        # reconnect mode would neither rebuild nor delete (CheckpointAgrees)
        for key in sorted(rec.logs):
            out.append(Persist(key=key, record=None))
        # (not the host's boot id: Mesos keeps meta/boot_id, outside the agent's tree; a
        # crash that kept its delete but not the agent record's made the next start miss a
        # reboot: RebootRecovery, seed 28 of `--events 20000 --faults all --operator`)
        for key in sorted((k for k in rec.checkpoints if k not in (("agent",), ("boot_id",))),
                          key=lambda k: (-len(k), k)):
            out.append(Persist(key=key, record=None))
        if ("agent",) in rec.checkpoints:
            out.append(Persist(key=("agent",), record=None))
        self.agent_info = attrs.evolve(self.agent_info, id=None)
        self.state = "disconnected"
        return out

    # ------------------------------------------------------------------ reconnect
    def _recover_reconnect(self, now: float, rec: Recovered, *, rebooted: bool = False) -> list[Any]:
        """`rebooted`: the host rebooted since the checkpoints were written: no executor
        survived it, whatever a reused pid says (SlaveRecoveryTest.Reboot /
        RebootWithExecutorPidReused): each is treated as exited (its live tasks TASK_FAILED,
        REASON_EXECUTOR_TERMINATED), its container released without a signal."""
        agent_rec = rec.agent()
        assert agent_rec is not None
        self.agent_info = attrs.evolve(self.agent_info, id=agent_rec.info.id)
        ck = rec.checkpoints.get(("resources",))
        if ck is not None:
            self.checkpointed_resources = ck.resources
        out: list[Any] = [Log(level="info", event="agent.recover.reconnect",
                              fields=(("agent_id", self.agent_id),))]
        out += self.sum.step(now, Recover(logs=rec.update_logs()))
        for key, grec in sorted(rec.gc_pending().items()):  # their timers died with the agent
            self.gc_pending[key] = grec
            out.append(SetTimer(key=key, at=now + self.config.gc_delay))
        for fw_id, frec in sorted(rec.frameworks().items()):
            fw = FrameworkEntry(info=frec.info, pid=frec.pid)
            self.frameworks[fw_id] = fw
            for ex_id, erec in sorted(rec.executors(fw_id).items()):
                exited = erec.exited or rebooted
                ex = ExecutorEntry(framework_id=fw_id, info=erec.info,
                                   container_id=erec.container_id,
                                   command_executor=erec.command_executor, checkpoint=True,
                                   state="registering", recovered=not exited)
                if exited:
                    ex.state, ex.exit_status = "terminated", erec.exit_status
                    if not erec.exited:  # rebooted: the shell may still hold its container
                        out.append(DestroyContainer(container_id=erec.container_id))
                        # checkpointed as exited before the updates its end implies (as
                        # `_executor_terminated` does): a later restart on this boot must not
                        # take it for a live executor and signal its pid (reused by now)
                        out.append(Persist(key=executor_key(fw_id, ex_id),
                                           record=attrs.evolve(erec, exited=True)))
                else:
                    self.awaiting += 1
                fw.executors[ex_id] = ex
                self.by_container[ex.container_id] = (fw_id, ex_id)
                for task_id, trec in sorted(rec.tasks(fw_id, ex_id).items()):
                    latest = self.sum.latest_state(fw_id, task_id)
                    if latest is None and log_key(fw_id, task_id) in rec.logs:
                        # its terminal update was acknowledged: the task is complete
                        out.append(Persist(key=task_key(fw_id, ex_id, task_id), record=None))
                        out.append(Persist(key=log_key(fw_id, task_id), record=None))
                        continue
                    state = latest or TaskState.TASK_STAGING
                    # a terminal state the agent produced itself (a container limitation ended
                    # the task) stays the agent's: what the executor says about that task after
                    # the restart is superseded, as before it (core/agent/base.py)
                    held = self.sum.pending(fw_id, task_id)
                    by_agent = bool(held) and held[-1].status.state.is_terminal \
                        and held[-1].status.source is Source.SOURCE_AGENT
                    entry = TaskEntry(framework_id=fw_id, executor_id=ex_id, info=trec.task,
                                      state=state, queued=False,
                                      history=[(state, "agent" if by_agent else "recovered")])
                    ex.tasks[task_id] = entry
                    ex.allocated = None
                    fw.task_executor[task_id] = ex_id
        # executors that exited before the restart: finish what their exit started
        for fw in list(self.frameworks.values()):
            for ex in list(fw.executors.values()):
                if ex.state != "terminated":
                    continue
                for task in list(ex.tasks.values()):
                    if not task.terminal:
                        out += self._agent_update(now, fw.id, ex.info.executor_id,
                                                  task.info.task_id, TaskState.TASK_FAILED,
                                                  Reason.REASON_EXECUTOR_TERMINATED,
                                                  "Executor terminated")
                out += self._maybe_remove_executor(now, fw, ex)
            if fw.id in self.frameworks and not fw.executors:
                out += self._remove_framework(now, fw)
        if self.awaiting:
            self.state = "recovering"
            self.recovering = True
            out.append(SetTimer(key=REREGISTER_EXECUTORS_TIMER,
                                at=now + self.config.executor_reregistration_timeout))
        else:
            self.state = "disconnected"
        return out

    def _maybe_finish_recovery(self, now: float) -> list[Any]:
        if not self.recovering:
            return []
        if self.awaiting:
            return []
        self.recovering = False
        if self.state == "recovering":
            self.state = "disconnected"
        return [CancelTimer(key=REREGISTER_EXECUTORS_TIMER),
                Log(level="info", event="agent.recover.finished")] + self._begin_registration(now)

    def handleReregisterExecutorsTimeout(self, now: float) -> list[Any]:
        if not self.recovering:
            return []
        out: list[Any] = []
        t = format_duration(self.config.executor_reregistration_timeout)
        for fw in self.frameworks.values():
            for ex in fw.executors.values():
                if ex.recovered:
                    self._unrecover(ex)
                    ex.state = "terminating"
                    ex.pending_termination = (TaskState.TASK_LOST,
                                              Reason.REASON_EXECUTOR_REREGISTRATION_TIMEOUT,
                                              f"Executor did not reregister within {t}")
                    out.append(Log(level="warn", event="agent.executor.reregistration_timeout",
                                   fields=(("executor", ex.info.executor_id),)))
                    out.append(KillExecutor(container_id=ex.container_id, signal="SIGKILL"))
        return out + self._maybe_finish_recovery(now)
