"""Offers: ACCEPT (LAUNCH, LAUNCH_GROUP), DECLINE, REVIVE, SUPPRESS and the offer timeout.

ACCEPT follows `Master::accept` / `Master::_accept`:
1. The offers are validated together (master_validation.validate_offers). If they are not
   usable, the framework's own offers among them go back to the allocator (no filter) and
   every task of every LAUNCH / LAUNCH_GROUP gets TASK_LOST (TASK_DROPPED for PARTITION_AWARE
   frameworks), SOURCE_MASTER, REASON_INVALID_OFFERS, "Task launched with invalid offers: ...".
2. Otherwise the offers are consumed; operations run in order against what is left of the
   offered resources. An invalid task gets TASK_ERROR (REASON_TASK_INVALID, or
   REASON_TASK_GROUP_INVALID for every task of an invalid group) with Mesos's message; a valid
   one is booked TASK_STAGING and sent to its agent (RunTask / RunTaskGroup).
3. What the operations did not use goes back to the allocator with the ACCEPT's filter
   (unused resources count as declined).

Task resources without an allocation role get the offer's role (Mesos injects
AllocationInfo for frameworks that do not set it); a new executor's resources are charged
to the offers too. RESERVE / UNRESERVE convert what is left in place
(core/master/operations.py).

Books read: `_agents`, `_offers`, `config`.
Books written: none.
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.allocator import machine as alloc
from mesotron.core.authorizer import authorized
from mesotron.core.effects import Log, Send
from mesotron.core.master.base import MasterCore
from mesotron.core.master.model import MAgent, MFramework, MTask
from mesotron.core.master.validation import validate_offers, validate_task, validate_task_group
from mesotron.core.messages import (
    CallAccept,
    CallDecline,
    CallRevive,
    CallSuppress,
    OpLaunch,
    OpLaunchGroup,
    OpReserve,
    OpUnreserve,
    RunTask,
    RunTaskGroup,
)
from mesotron.core.resources import Resources
from mesotron.core.values import ExecutorInfo, FrameworkInfo, Reason, TaskInfo, TaskState


def _with_role(res: Resources, role: str) -> Resources:
    if any(r.allocation_role for r in res):
        return res
    return alloc.allocate_to(res, role)


class OffersMixin(MasterCore):
    # ------------------------------------------------------------------ ACCEPT
    def _call_accept(self, fw: MFramework, call: CallAccept) -> list[Any]:
        out: list[Any] = []
        error = validate_offers(call.offer_ids, self._offers, fw.id, set(self._agents))
        if error is not None:
            for oid in dict.fromkeys(call.offer_ids):
                offer = self._offers.get(oid)
                if offer is not None and offer.framework_id == fw.id:
                    out += self._recover_offer(oid, rescind=False)
            out.append(Log(level="warning", event="accept_invalid_offers",
                           fields=(("framework_id", fw.id), ("error", error))))
            for op in call.operations:
                tasks: tuple[TaskInfo, ...] = ()
                if isinstance(op, OpLaunch):
                    tasks = op.task_infos
                elif isinstance(op, OpLaunchGroup):
                    tasks = op.tasks
                for task in tasks:
                    status = self._master_status(
                        fw, task.task_id, TaskState.TASK_DROPPED, agent_id=task.agent_id,
                        reason=Reason.REASON_INVALID_OFFERS,
                        message=f"Task launched with invalid offers: {error}")
                    self._count(f"master/tasks_{status.state.name[5:].lower()}")
                    out += self._forward(fw, status)
            return out

        offers = [self._offers[oid] for oid in call.offer_ids]
        agent = self._agents[offers[0].agent_id]
        role = offers[0].role
        remaining = Resources()
        for offer in offers:
            remaining = remaining + offer.resources
            out += self._remove_offer(offer.id, rescind=False)
        in_use: set[str] = set(fw.tasks) | set(fw.unreachable_tasks)
        for op in call.operations:
            if isinstance(op, OpLaunch):
                for task in op.task_infos:
                    effects, remaining = self._launch(fw, agent, role, task, remaining, in_use)
                    out += effects
            elif isinstance(op, OpLaunchGroup):
                effects, remaining = self._launch_group(fw, agent, role, op, remaining, in_use)
                out += effects
            elif isinstance(op, (OpReserve, OpUnreserve)):  # core/master/operations.py
                effects, remaining = self._offer_operation(fw, agent, role, op, remaining)  # type: ignore[attr-defined]
                out += effects
            else:
                out.append(Log(level="warning", event="operation_not_supported",
                               fields=(("framework_id", fw.id), ("operation", type(op).__name__))))
        if remaining:
            out += self._recover(fw.id, agent.id, remaining, refuse=call.filters.refuse_seconds)
        return out

    def _task_error(self, fw: MFramework, task: TaskInfo, message: str,
                    reason: Reason = Reason.REASON_TASK_INVALID) -> list[Any]:
        status = self._master_status(fw, task.task_id, TaskState.TASK_ERROR,
                                     agent_id=task.agent_id, reason=reason, message=message)
        self._count("master/tasks_error")
        return [Log(level="warning", event="task_invalid",
                    fields=(("framework_id", fw.id), ("task_id", task.task_id),
                            ("error", message))), *self._forward(fw, status)]

    def _new_executor(self, fw: MFramework, agent: MAgent, role: str,
                      executor: ExecutorInfo) -> tuple[ExecutorInfo, ExecutorInfo | None]:
        """(the executor as the agent gets it, the existing one on the agent or None)."""
        existing = agent.executors.get((fw.id, executor.executor_id))
        filled = attrs.evolve(executor, framework_id=fw.id,
                              resources=_with_role(executor.resources, role))
        return filled, existing

    def _launch(self, fw: MFramework, agent: MAgent, role: str, task: TaskInfo,
                remaining: Resources, in_use: set[str]) -> tuple[list[Any], Resources]:
        existing = None
        executor = None
        if task.executor is not None:
            executor, existing = self._new_executor(fw, agent, role, task.executor)
        error = validate_task(task, framework_id=fw.id, agent_id=agent.id,
                              task_ids_in_use=in_use, existing_executor=existing)
        task_res = _with_role(task.resources, role) if error is None else Resources()
        needed = task_res
        if error is None and executor is not None and existing is None:
            needed = needed + executor.resources
        if error is None and not remaining.contains(needed):
            error = f"Task uses more resources {needed} than available {remaining}"
        if error is not None:
            return self._task_error(fw, task, error), remaining
        user = task_user(fw.info, task)
        if not authorized(self.config.acls, "run_tasks", fw.info.principal, user):
            return self._task_error(
                fw, task, f"Not authorized to launch task {task.task_id} of framework {fw.id} "
                          f"under user '{user}'", Reason.REASON_TASK_UNAUTHORIZED), remaining
        remaining = remaining - needed
        out: list[Any] = []
        if executor is not None and existing is None:
            agent.executors[(fw.id, executor.executor_id)] = executor
            fw.executors[(agent.id, executor.executor_id)] = executor
        sent = attrs.evolve(task, resources=task_res,
                            executor=existing or executor if executor is not None else None)
        self._add_task(MTask(
            framework_id=fw.id, agent_id=agent.id, info=sent,
            executor_id=executor.executor_id if executor is not None else "",
            resources=task_res, role=role, state=TaskState.TASK_STAGING))
        in_use.add(task.task_id)
        out.append(Send(to=agent.pid, message=RunTask(framework_info=fw.info, task=sent)))
        return out, remaining

    def _launch_group(self, fw: MFramework, agent: MAgent, role: str, op: OpLaunchGroup,
                      remaining: Resources, in_use: set[str]) -> tuple[list[Any], Resources]:
        executor, existing = self._new_executor(fw, agent, role, op.executor)
        error = validate_task_group(op.executor, op.tasks, framework_id=fw.id,
                                    agent_id=agent.id, task_ids_in_use=in_use,
                                    existing_executor=existing)
        needed = Resources()
        sent: list[TaskInfo] = []
        if error is None:
            for t in op.tasks:
                res = _with_role(t.resources, role)
                needed = needed + res
                sent.append(attrs.evolve(t, resources=res))
            if existing is None:
                needed = needed + executor.resources
            if not remaining.contains(needed):
                error = f"Task group uses more resources {needed} than available {remaining}"
        reason = Reason.REASON_TASK_GROUP_INVALID
        if error is None:
            for t in op.tasks:
                user = task_user(fw.info, attrs.evolve(t, executor=op.executor))
                if not authorized(self.config.acls, "run_tasks", fw.info.principal, user):
                    error = (f"Not authorized to launch task {t.task_id} of framework {fw.id} "
                             f"under user '{user}'")
                    reason = Reason.REASON_TASK_GROUP_UNAUTHORIZED
                    break
        if error is not None:
            out: list[Any] = []
            for t in op.tasks:
                out += self._task_error(fw, t, error, reason)
            return out, remaining
        remaining = remaining - needed
        if existing is None:
            agent.executors[(fw.id, executor.executor_id)] = executor
            fw.executors[(agent.id, executor.executor_id)] = executor
        for t in sent:
            self._add_task(MTask(
                framework_id=fw.id, agent_id=agent.id, info=t,
                executor_id=executor.executor_id, resources=t.resources, role=role,
                state=TaskState.TASK_STAGING))
            in_use.add(t.task_id)
        msg = RunTaskGroup(framework_info=fw.info, executor=existing or executor, tasks=tuple(sent))
        return [Send(to=agent.pid, message=msg)], remaining

    # ------------------------------------------------------------------ DECLINE / REVIVE / SUPPRESS
    def _call_decline(self, fw: MFramework, call: CallDecline) -> list[Any]:
        out: list[Any] = []
        for oid in dict.fromkeys(call.offer_ids):
            offer = self._offers.get(oid)
            if offer is None or offer.framework_id != fw.id:
                out.append(Log(level="warning", event="decline_invalid_offer",
                               fields=(("framework_id", fw.id), ("offer_id", oid))))
                continue
            out += self._recover_offer(oid, rescind=False, refuse=call.filters.refuse_seconds)
        return out

    def _call_revive(self, fw: MFramework, call: CallRevive) -> list[Any]:
        roles = tuple(r for r in call.roles if r in fw.info.roles)
        if call.roles and not roles:
            return [Log(level="warning", event="revive_unknown_roles",
                        fields=(("framework_id", fw.id), ("roles", call.roles)))]
        cleared = set(roles or fw.info.roles)
        fw.suppressed_roles = tuple(r for r in fw.suppressed_roles if r not in cleared)
        out = self._alloc(alloc.ReviveOffers(framework_id=fw.id, roles=roles))
        return out + self._allocate()

    def _call_suppress(self, fw: MFramework, call: CallSuppress) -> list[Any]:
        roles = tuple(r for r in call.roles if r in fw.info.roles)
        if call.roles and not roles:
            return [Log(level="warning", event="suppress_unknown_roles",
                        fields=(("framework_id", fw.id), ("roles", call.roles)))]
        added = roles or fw.info.roles
        fw.suppressed_roles = tuple(r for r in fw.info.roles
                                    if r in fw.suppressed_roles or r in added)
        return self._alloc(alloc.SuppressOffers(framework_id=fw.id, roles=roles))

    # ------------------------------------------------------------------ timers
    def _offer_timeout_fired(self, oid: str) -> list[Any]:
        if oid not in self._offers:
            return []
        offer = self._offers[oid]
        out: list[Any] = [Log(level="info", event="offer_timeout",
                              fields=(("offer_id", oid), ("framework_id", offer.framework_id)))]
        return out + self._recover_offer(oid, rescind=True)

    def _allocation_fired(self) -> list[Any]:
        out = self._allocate()
        out.append(self._timer(("allocation",), self.config.allocation_interval))
        return out


def task_user(info: FrameworkInfo, task: TaskInfo) -> str:
    """The user a task runs as (Mesos's run_tasks object): the task's CommandInfo.user, else
    its executor's, else FrameworkInfo.user."""
    if task.command is not None and task.command.user:
        return task.command.user
    if task.executor is not None and task.executor.command is not None and task.executor.command.user:
        return task.executor.command.user
    return info.user
