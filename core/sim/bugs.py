"""Planted bugs: deliberately wrong behaviours of the machines, for tests only.

Each is a context manager that monkeypatches one machine for the duration of a `with`
block; tests/test_sim_bugs.py enables them one at a time and asserts the simulator's
checker catches each within a stated seed budget (that is how we know the checker can
fail). Nothing here is reachable from the `mesotron sim` command line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import attrs


@contextlib.contextmanager
def _patched(owner: Any, name: str, replacement: Any) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, replacement(original))
    try:
        yield
    finally:
        setattr(owner, name, original)


def ack_before_persist() -> contextlib.AbstractContextManager[None]:
    """The agent acknowledges an executor's update BEFORE persisting it (ordering rule 2
    broken): a power loss right after can lose an update the executor forgot."""
    from mesotron.core.agent.base import AgentCore

    def wrap(orig: Any) -> Any:
        def _executor_status(self: Any, *a: Any, **kw: Any) -> tuple[list[Any], list[Any]]:
            effects, acks = orig(self, *a, **kw)
            return acks + effects, []
        return _executor_status
    return _patched(AgentCore, "_executor_status", wrap)


def forget_retries_after_restart() -> contextlib.AbstractContextManager[None]:
    """After a restart the status-update manager does not rebuild its streams from the
    persisted log: unacknowledged updates are never retried."""
    from mesotron.core.status_updates import Recover, TaskStatusUpdateManager

    def wrap(orig: Any) -> Any:
        def handleRecover(self: Any, rec: Any) -> list[Any]:
            return orig(self, Recover(logs={}))
        return handleRecover
    return _patched(TaskStatusUpdateManager, "handleRecover", wrap)


def ack_ignores_uuid() -> contextlib.AbstractContextManager[None]:
    """Acknowledgement matching ignores the uuid: any ack for a task acks its stream's head
    (a late or duplicate ack then drops an update the scheduler never saw)."""
    from mesotron.core.status_updates import TaskStatusUpdateManager

    def wrap(orig: Any) -> Any:
        def handleAcknowledge(self: Any, now: float, ack: Any) -> list[Any]:
            stream = self.streams.get((ack.framework_id, ack.task_id))
            if stream is not None and stream.pending:
                ack = attrs.evolve(ack, uuid=stream.pending[0].uuid)
            return orig(self, now, ack)
        return handleAcknowledge
    return _patched(TaskStatusUpdateManager, "handleAcknowledge", wrap)


def allocator_double_offer() -> contextlib.AbstractContextManager[None]:
    """The allocator hands out an agent's resources without taking them out of the agent's
    available pool: the same resources are offered twice."""
    from mesotron.core.allocator import cycle as allocator_cycle

    def wrap(orig: Any) -> Any:
        def _give(al: Any, agent: Any, fid: str, role: str, split: Any, effects: list) -> None:
            before = agent.available
            orig(al, agent, fid, role, split, effects)
            agent.available = before
        return _give
    return _patched(allocator_cycle, "_give", wrap)


def no_rescind_on_agent_removal() -> contextlib.AbstractContextManager[None]:
    """When the master removes an agent it keeps (and does not rescind) that agent's
    outstanding offers."""
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _drop_agent(self: Any, aid: str, message: str, **kw: Any) -> list[Any]:
            agent = self._agents.get(aid)
            if agent is not None:
                agent.offers.clear()  # the removal loop then finds nothing to rescind
            return orig(self, aid, message, **kw)
        return _drop_agent
    return _patched(Master, "_drop_agent", wrap)


def deposed_leader_writes() -> contextlib.AbstractContextManager[None]:
    """The registry's compare-and-set ignores the expected version: a deposed leader's
    write commits."""
    from mesotron.core import registry

    def wrap(orig: Any) -> Any:
        def apply(state: Any, op: Any, expected_version: int) -> Any:
            return orig(state, op, state.version)
        return apply
    return _patched(registry, "apply", wrap)


def ack_before_delivery() -> contextlib.AbstractContextManager[None]:
    """The scheduler driver acknowledges a status update BEFORE handing it to the
    application: a scheduler crash in between loses an update the agent then forgets."""
    from mesotron.core.scheduler import Notify, SchedulerDriver

    def wrap(orig: Any) -> Any:
        def deliverUpdate(self: Any, event: Any) -> list[Any]:
            out = orig(self, event)
            return [e for e in out if type(e) is not Notify] + \
                [e for e in out if type(e) is Notify]
        return deliverUpdate
    return _patched(SchedulerDriver, "deliverUpdate", wrap)
def quota_limit_ignored() -> contextlib.AbstractContextManager[None]:
    """The allocator forgets quota limits: offers are not cut down to the role's headroom."""
    from mesotron.core.allocator.machine import Allocator

    return _patched(Allocator, "headroom", lambda orig: lambda self, role: None)


def reserved_offered_to_any_role() -> contextlib.AbstractContextManager[None]:
    """The allocator offers an agent's reserved resources to any role (for_role ignores
    reservations)."""
    from mesotron.core.resources import Resources

    return _patched(Resources, "for_role", lambda orig: lambda self, role: self)


def operation_status_never_sent() -> contextlib.AbstractContextManager[None]:
    """The master commits a reservation but never moves its operation to FINISHED (nor
    tells the framework)."""
    from mesotron.core.master.operations import OperationsMixin

    return _patched(OperationsMixin, "_operation_committed", lambda orig: lambda self, pending: [])


BUGS = {
    "ack_before_persist": ack_before_persist,
    "forget_retries_after_restart": forget_retries_after_restart,
    "ack_ignores_uuid": ack_ignores_uuid,
    "allocator_double_offer": allocator_double_offer,
    "no_rescind_on_agent_removal": no_rescind_on_agent_removal,
    "deposed_leader_writes": deposed_leader_writes,
    "ack_before_delivery": ack_before_delivery,
    "quota_limit_ignored": quota_limit_ignored,
    "reserved_offered_to_any_role": reserved_offered_to_any_role,
    "operation_status_never_sent": operation_status_never_sent,
}


# ---------------------------------------------------------------- issue 11: agent recovery
def executor_retry_overshoots_window() -> contextlib.AbstractContextManager[None]:
    """The executor's old re-SUBSCRIBE schedule (before issue 11): each delay is the backoff
    (capped at 2 s) stretched by (1 + jitter), so gaps reach ~4 s, longer than the agent's
    2 s --executor-reregistration-timeout window: a live executor misses it and its tasks
    are killed."""
    from mesotron.core.executor import CommandExecutor

    def wrap(orig: Any) -> Any:
        def retry_delay(self: Any) -> float:
            delay = self.backoff * (1.0 + self._jitter())
            self.backoff = min(self.backoff * 2, max(2.0, self.config.first_retry))
            return delay
        return retry_delay
    return _patched(CommandExecutor, "retry_delay", wrap)


def executor_holds_updates_after_subscribed() -> contextlib.AbstractContextManager[None]:
    """Before issue 11: an update produced while the re-SUBSCRIBE is in flight is kept for
    "the next SUBSCRIBE" instead of being sent once SUBSCRIBED arrives."""
    from mesotron.core.executor import CommandExecutor

    def wrap(orig: Any) -> Any:
        def _send_updates_not_subscribed(self: Any) -> list[Any]:
            return []
        return _send_updates_not_subscribed
    return _patched(CommandExecutor, "_send_updates_not_subscribed", wrap)


def master_keeps_unreported_unreachable() -> contextlib.AbstractContextManager[None]:
    """Before issue 11: a re-registered agent's unreachable tasks that it did not report stay
    in the master's unreachable books (reconciliation keeps answering TASK_UNREACHABLE)."""
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _drop_unreported_unreachable(self: Any, aid: str) -> None:
            return None
        return _drop_unreported_unreachable
    return _patched(Master, "_drop_unreported_unreachable", wrap)


BUGS.update({
    "executor_retry_overshoots_window": executor_retry_overshoots_window,
    "executor_holds_updates_after_subscribed": executor_holds_updates_after_subscribed,
    "master_keeps_unreported_unreachable": master_keeps_unreported_unreachable,
})
