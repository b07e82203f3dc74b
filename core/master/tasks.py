"""Tasks: status updates from agents, ACKNOWLEDGE, KILL, RECONCILE, SHUTDOWN, MESSAGE and
executor exits (MESOS-V1-API.md §8).

Status updates (`Master::statusUpdate` + `Master::updateTask`):
- the update is forwarded to the framework AS RECEIVED (the oldest unacknowledged one, with
  its uuid), shown in the state the framework may see (lifecycle.visible_state);
- the task is booked in `latest_state` (the agent's newest state) when present, else in the
  update's state; a task already terminal keeps its state (duplicate terminal updates are
  forwarded, not booked); `status_update_state`/`status_update_uuid` record the forwarded one;
- resources go back to the allocator the FIRST time the task is booked terminal, but the task
  stays (in `tasks`, in implicit reconciliation, on /state) until the framework acknowledges
  the terminal update's uuid (MESOS-1389/1410): the ACK removes it into `completed_tasks`.
Updates from unknown agents, for unknown frameworks or unknown tasks are dropped with a Log
(the agent keeps retrying; nothing is acknowledged).

Books read: `_agents`, `_frameworks`, `_gone`, `_marking_unreachable`, `_pids`,
  `_recovered_agents`, `_reregistering`, `_unreachable`.
Books written: none.
"""

from __future__ import annotations

from typing import Any

from mesotron.core.effects import Log, Send
from mesotron.core.master.base import MasterCore
from mesotron.core.master.model import MFramework
from mesotron.core.messages import (
    CallAcknowledge,
    CallKill,
    CallMessage,
    CallReconcile,
    CallShutdown,
    EventFailure,
    EventMessage,
    ExecutorToFramework,
    ExitedExecutor,
    FrameworkToExecutor,
    KillTask,
    ShutdownExecutorMsg,
    StatusUpdateAcknowledgement,
    StatusUpdateMessage,
)
from mesotron.core.status_updates import MasterTaskBook, master_ack_removes_task
from mesotron.core.values import Reason, Source, TaskState, TaskStatus, evolve

PRODUCER = {
    Source.SOURCE_EXECUTOR: "executor",
    Source.SOURCE_AGENT: "agent",
    Source.SOURCE_MASTER: "master",
    None: "executor",
}


class TasksMixin(MasterCore):
    # ------------------------------------------------------------------ agent -> master
    def _status_update(self, sender: str, msg: StatusUpdateMessage) -> list[Any]:
        upd = msg.update
        status = upd.status
        agent = self._agents.get(self._pids.get(sender, ""))
        drop = None
        if agent is None:
            drop = "status_update_from_unknown_agent"
        elif status.agent_id is not None and status.agent_id != agent.id:
            drop = "status_update_agent_mismatch"
        elif agent.id in self._marking_unreachable:
            drop = "status_update_from_agent_being_marked_unreachable"
        elif upd.framework_id not in self._frameworks:
            drop = "status_update_for_unknown_framework"
        elif not isinstance(upd.uuid, bytes) or len(upd.uuid) != 16:
            drop = "status_update_without_valid_uuid"
        if drop is not None or agent is None:
            self._count("master/invalid_status_updates")
            return [Log(level="warning", event=drop or "", fields=(
                ("sender", sender), ("framework_id", upd.framework_id),
                ("task_id", status.task_id), ("state", status.state.name)))]
        fw = self._frameworks[upd.framework_id]
        relayed = evolve(status, agent_id=agent.id, uuid=upd.uuid)
        task = agent.tasks.get((upd.framework_id, status.task_id))
        if task is None:
            # As Mesos's Master::statusUpdate: forward first, then look the task up. A task
            # this master does not know (e.g. its RunTask was lost and a failover erased the
            # master's memory of it) still reaches its framework, whose ack lets the agent's
            # stream end; otherwise the agent would retry the update forever.
            self._count("master/invalid_status_updates")
            return [Log(level="warning", event="status_update_for_unknown_task", fields=(
                ("sender", sender), ("framework_id", upd.framework_id),
                ("task_id", status.task_id), ("state", status.state.name))),
                *self._forward(fw, relayed)]
        self._count("master/valid_status_updates")
        was_terminal = task.state.is_terminal
        out = self._forward(fw, relayed)
        out += self._update_task(task, relayed, latest=upd.latest_state, uuid=upd.uuid,
                                 producer=PRODUCER.get(status.source, "executor"))
        if not was_terminal and task.state.is_terminal:
            out += self._allocate()
        return out

    def _exited_executor(self, sender: str, msg: ExitedExecutor) -> list[Any]:
        agent = self._agents.get(self._pids.get(sender, ""))
        if agent is None or agent.id != msg.agent_id or \
                (msg.framework_id, msg.executor_id) not in agent.executors:
            return [Log(level="warning", event="exited_executor_ignored", fields=(
                ("sender", sender), ("framework_id", msg.framework_id),
                ("executor_id", msg.executor_id)))]
        out = self._remove_executor(agent, msg.framework_id, msg.executor_id)
        fw = self._frameworks.get(msg.framework_id)
        out += self._send_fw(fw, EventFailure(agent_id=agent.id, executor_id=msg.executor_id,
                                              status=msg.status))
        return out + self._allocate()

    def _executor_to_framework(self, sender: str, msg: ExecutorToFramework) -> list[Any]:
        agent = self._agents.get(self._pids.get(sender, ""))
        fw = self._frameworks.get(msg.framework_id)
        if agent is None or fw is None or fw.stream is None:
            self._count("master/invalid_executor_to_framework_messages")
            return [Log(level="warning", event="executor_message_dropped", fields=(
                ("sender", sender), ("framework_id", msg.framework_id)))]
        self._count("master/valid_executor_to_framework_messages")
        return self._send_fw(fw, EventMessage(agent_id=agent.id, executor_id=msg.executor_id,
                                              data=msg.data))

    # ------------------------------------------------------------------ scheduler calls
    def _call_acknowledge(self, fw: MFramework, call: CallAcknowledge) -> list[Any]:
        agent = self._agents.get(call.agent_id)
        if agent is None or not agent.connected:
            self._count("master/invalid_status_update_acknowledgements")
            why = "agent_not_registered" if agent is None else "agent_disconnected"
            return [Log(level="warning", event=f"acknowledgement_dropped_{why}", fields=(
                ("framework_id", fw.id), ("agent_id", call.agent_id),
                ("task_id", call.task_id)))]
        out: list[Any] = []
        task = agent.tasks.get((fw.id, call.task_id))
        if task is not None:
            if task.status_update_state is None:
                self._count("master/invalid_status_update_acknowledgements")
                return [Log(level="warning", event="acknowledgement_for_update_not_sent_by_master",
                            fields=(("framework_id", fw.id), ("task_id", call.task_id)))]
            if master_ack_removes_task(MasterTaskBook(
                    state=task.state, status_update_state=task.status_update_state,
                    status_update_uuid=task.status_update_uuid), call.uuid):
                out += self._remove_task(task)
        self._count("master/valid_status_update_acknowledgements")
        out.append(Send(to=agent.pid, message=StatusUpdateAcknowledgement(
            agent_id=agent.id, framework_id=fw.id, task_id=call.task_id, uuid=call.uuid)))
        return out

    def _call_kill(self, fw: MFramework, call: CallKill) -> list[Any]:
        task = fw.tasks.get(call.task_id)
        if task is None:
            out: list[Any] = [Log(level="warning", event="kill_unknown_task_reconciling",
                                  fields=(("framework_id", fw.id), ("task_id", call.task_id)))]
            return out + self._reconcile_explicit(fw, ((call.task_id, call.agent_id),))
        if call.agent_id is not None and call.agent_id != task.agent_id:
            return [Log(level="warning", event="kill_task_on_different_agent", fields=(
                ("framework_id", fw.id), ("task_id", call.task_id),
                ("agent_id", call.agent_id)))]
        agent = self._agents[task.agent_id]
        agent.killed_tasks[task.key] = None
        if not agent.connected:
            return [Log(level="warning", event="kill_deferred_agent_disconnected", fields=(
                ("framework_id", fw.id), ("task_id", call.task_id)))]
        return [Send(to=agent.pid, message=KillTask(framework_id=fw.id, task_id=call.task_id,
                                                    kill_policy=call.kill_policy))]

    def _call_shutdown(self, fw: MFramework, call: CallShutdown) -> list[Any]:
        agent = self._agents.get(call.agent_id)
        if agent is None:
            return [Log(level="warning", event="shutdown_executor_unknown_agent", fields=(
                ("framework_id", fw.id), ("agent_id", call.agent_id)))]
        return [Send(to=agent.pid, message=ShutdownExecutorMsg(
            framework_id=fw.id, executor_id=call.executor_id))]

    def _call_message(self, fw: MFramework, call: CallMessage) -> list[Any]:
        agent = self._agents.get(call.agent_id)
        if agent is None or not agent.connected:
            self._count("master/invalid_framework_to_executor_messages")
            return [Log(level="warning", event="framework_message_dropped", fields=(
                ("framework_id", fw.id), ("agent_id", call.agent_id)))]
        self._count("master/valid_framework_to_executor_messages")
        return [Send(to=agent.pid, message=FrameworkToExecutor(
            framework_id=fw.id, executor_id=call.executor_id, data=call.data))]

    # ------------------------------------------------------------------ RECONCILE
    def _call_reconcile(self, fw: MFramework, call: CallReconcile) -> list[Any]:
        if not call.tasks:
            return self._reconcile_implicit(fw)
        return self._reconcile_explicit(fw, call.tasks)

    def _latest(self, fw: MFramework, task: Any, message: str,
                state: TaskState | None = None) -> TaskStatus:
        last = task.statuses[-1] if task.statuses else None
        return evolve(
            self._master_status(
                fw, task.task_id, state or task.reported_state(), agent_id=task.agent_id,
                reason=Reason.REASON_RECONCILIATION, message=message,
                executor_id=task.executor_id, unreachable_time=task.unreachable_time),
            healthy=last.healthy if last is not None else None)

    def _reconcile_implicit(self, fw: MFramework) -> list[Any]:
        """Every task the master knows for the framework, terminal-but-unacked ones
        included, plus its unreachable tasks."""
        out: list[Any] = []
        for tid in sorted(fw.tasks):
            out += self._forward(fw, self._latest(fw, fw.tasks[tid],
                                                  "Reconciliation: Latest task state"))
        for tid in sorted(fw.unreachable_tasks):
            task = fw.unreachable_tasks[tid]
            out += self._forward(fw, self._latest(fw, task, "Reconciliation: Task is unreachable",
                                                  TaskState.TASK_UNREACHABLE))
        return out

    def _reconcile_explicit(self, fw: MFramework,
                            tasks: tuple[tuple[str, str | None], ...]) -> list[Any]:
        """One answer per task (Mesos `_reconcileTasks`, §8 cases 1-6)."""
        out: list[Any] = []
        for tid, aid in tasks:
            task = fw.tasks.get(tid)
            if task is not None:
                out += self._forward(fw, self._latest(fw, task, "Reconciliation: Latest task state"))
                continue
            transitional = aid is not None and (
                aid in self._recovered_agents or aid in self._reregistering
                or aid in self._marking_unreachable)
            if transitional:
                out.append(Log(level="info", event="reconciliation_deferred_agent_recovering",
                               fields=(("framework_id", fw.id), ("task_id", tid))))
                continue
            if aid is not None and aid in self._agents:
                state, msg, when = TaskState.TASK_GONE, "Reconciliation: Task is unknown to the agent", None
            elif aid is not None and aid in self._recovered_agents:
                out.append(Log(level="info", event="reconciliation_deferred_agent_recovering",
                               fields=(("framework_id", fw.id), ("task_id", tid))))
                continue
            elif aid is not None and aid in self._unreachable:
                state, msg = TaskState.TASK_UNREACHABLE, "Reconciliation: Task is unreachable"
                when = self._unreachable[aid]
            elif aid is not None and aid in self._gone:
                state, msg, when = TaskState.TASK_GONE_BY_OPERATOR, "Reconciliation: Task is gone", None
            elif aid is None and (self._recovered_agents or self._reregistering):
                out.append(Log(level="info", event="reconciliation_deferred_agents_recovering",
                               fields=(("framework_id", fw.id), ("task_id", tid))))
                continue
            else:
                state, msg, when = TaskState.TASK_UNKNOWN, "Reconciliation: Task is unknown", None
            out += self._forward(fw, self._master_status(
                fw, tid, state, agent_id=aid, reason=Reason.REASON_RECONCILIATION, message=msg,
                unreachable_time=when))
        return out
