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
    # an inherited method is restored by deleting the patch (setting the inherited function
    # on `owner` would shadow later patches of the base class: s12)
    own = name in vars(owner)
    original = getattr(owner, name)
    setattr(owner, name, replacement(original))
    try:
        yield
    finally:
        if own:
            setattr(owner, name, original)
        else:
            delattr(owner, name)


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


# ---------------------------------------------------------------------------- issue 12
# one planted bug per property added by issue 12 (tests/test_sim_bugs.py CASES_12)

def drf_reverse_order() -> contextlib.AbstractContextManager[None]:
    """The allocator visits roles from the HIGHEST weighted share down (DRF inverted)."""
    from mesotron.core.allocator import cycle

    def wrap(orig: Any) -> Any:
        def _role_order(al: Any) -> list[tuple[bool, str]]:
            order = orig(al)
            quota = [x for x in order if x[0]]
            rest = [x for x in order if not x[0]]
            return quota + list(reversed(rest))
        return _role_order
    return _patched(cycle, "_role_order", wrap)


def share_index_not_updated() -> contextlib.AbstractContextManager[None]:
    """An allocation updates the ledgers but not the share index the allocator sorts by (the
    decisions are consistent with the stale index: only recomputed shares reveal it)."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def _track_add(self: Any, fw: Any, role: str, ledger: Any) -> None:
            idx = self._fw_index.get(role)
            old = idx._share.get(fw.id) if idx is not None else None
            orig(self, fw, role, ledger)
            if idx is not None and old is not None:
                idx.set(fw.id, old)
        return _track_add
    return _patched(Allocator, "_track_add", wrap)


def revive_ignored() -> contextlib.AbstractContextManager[None]:
    """REVIVE is answered 202 but does nothing: a suppressed framework with new demand
    starves."""
    from mesotron.core.master.offers import OffersMixin

    def wrap(orig: Any) -> Any:
        def _call_revive(self: Any, fw: Any, call: Any) -> list[Any]:
            return []
        return _call_revive
    return _patched(OffersMixin, "_call_revive", wrap)


def decline_filter_ignored() -> contextlib.AbstractContextManager[None]:
    """The allocator never installs a decline filter (refuse_seconds ignored)."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def _maybe_add_filter(self: Any, *a: Any, **kw: Any) -> None:
            return None
        return _maybe_add_filter
    return _patched(Allocator, "_maybe_add_filter", wrap)


def suppress_ignored() -> contextlib.AbstractContextManager[None]:
    """SUPPRESS is booked by the master but never reaches the allocator."""
    from mesotron.core.master.offers import OffersMixin

    def wrap(orig: Any) -> Any:
        def _call_suppress(self: Any, fw: Any, call: Any) -> list[Any]:
            roles = tuple(r for r in call.roles if r in fw.info.roles) or fw.info.roles
            fw.suppressed_roles = tuple(sorted(set(fw.suppressed_roles) | set(roles)))
            return []
        return _call_suppress
    return _patched(OffersMixin, "_call_suppress", wrap)


def fenced_master_keeps_leading() -> contextlib.AbstractContextManager[None]:
    """A fenced registry write is taken for a success: the deposed master goes on acting."""
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _registry_result(self: Any, op_id: int, ok: bool, message: str) -> list[Any]:
            return orig(self, op_id, True, message)
        return _registry_result
    return _patched(AgentsMixin, "_registry_result", wrap)


def recover_skips_allocator() -> contextlib.AbstractContextManager[None]:
    """A declined / rescinded offer is forgotten by the master but its resources are never
    given back to the allocator."""
    from mesotron.core.master.base import MasterCore

    def wrap(orig: Any) -> Any:
        def _recover_offer(self: Any, oid: str, *, rescind: bool,
                           refuse: float | None = None) -> list[Any]:
            return self._remove_offer(oid, rescind=rescind)
        return _recover_offer
    return _patched(MasterCore, "_recover_offer", wrap)


def run_task_doubles_resources() -> contextlib.AbstractContextManager[None]:
    """The master books a task's resources but sends its agent a TaskInfo asking for twice
    as much: the agent runs more than its total while the master's books look fine."""
    from mesotron.core.master.offers import OffersMixin
    from mesotron.core.messages import RunTask

    def wrap(orig: Any) -> Any:
        def _launch(self: Any, *a: Any, **kw: Any) -> tuple[list[Any], Any]:
            out, remaining = orig(self, *a, **kw)
            fixed = []
            for e in out:
                m: Any = getattr(e, "message", None)
                if type(m) is RunTask:
                    task = attrs.evolve(m.task, resources=m.task.resources + m.task.resources)
                    e = attrs.evolve(e, message=attrs.evolve(m, task=task))
                fixed.append(e)
            return fixed, remaining
        return _launch
    return _patched(OffersMixin, "_launch", wrap)


def allocator_leaks_recovered() -> contextlib.AbstractContextManager[None]:
    """Recovered resources leave the framework's allocation but never return to the agent's
    available pool (they leak)."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def _handle_recover(self: Any, now: float, inp: Any) -> list[Any]:
            agent = self._agents.get(inp.agent_id)
            before = agent.available if agent is not None else None
            out = orig(self, now, inp)
            if agent is not None and before is not None:
                agent.available = before
            return out
        return _handle_recover
    return _patched(Allocator, "_handle_recover", wrap)


def master_forgets_reported_tasks() -> contextlib.AbstractContextManager[None]:
    """A re-registering agent's running tasks are dropped from the master's books (it
    re-admits the agent as if it ran nothing)."""
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _readmit(self: Any, sender: str, msg: Any) -> list[Any]:
            return orig(self, sender, attrs.evolve(msg, tasks=()))
        return _readmit
    return _patched(AgentsMixin, "_readmit", wrap)


def master_keeps_finished_tasks() -> contextlib.AbstractContextManager[None]:
    """The master forwards TASK_FINISHED to the framework but books the task as still
    RUNNING: its books keep a task no agent runs."""
    from mesotron.core.master.base import MasterCore
    from mesotron.core.values import TaskState

    def wrap(orig: Any) -> Any:
        def _update_task(self: Any, task: Any, status: Any, *, latest: Any, uuid: Any,
                         producer: str) -> list[Any]:
            if (latest or status.state) is TaskState.TASK_FINISHED:
                status = attrs.evolve(status, state=TaskState.TASK_RUNNING)
                latest = None
            return orig(self, task, status, latest=latest, uuid=uuid, producer=producer)
        return _update_task
    return _patched(MasterCore, "_update_task", wrap)


def agent_ignores_kill() -> contextlib.AbstractContextManager[None]:
    """The agent drops KillTask for tasks already handed to their executor."""
    from mesotron.core.agent.executors import ExecutorsMixin

    def wrap(orig: Any) -> Any:
        def handleKillTask(self: Any, now: float, *a: Any, **kw: Any) -> list[Any]:
            return []
        return handleKillTask
    return _patched(ExecutorsMixin, "handleKillTask", wrap)


def _terminal_update_swallowed() -> contextlib.AbstractContextManager[None]:
    from mesotron.core.effects import Send
    from mesotron.core.master.tasks import TasksMixin
    from mesotron.core.messages import EventUpdate, StatusUpdateAcknowledgement

    def wrap(orig: Any) -> Any:
        def _status_update(self: Any, sender: str, msg: Any) -> list[Any]:
            out = orig(self, sender, msg)
            upd = msg.update
            if not upd.status.state.is_terminal or upd.uuid is None:
                return out
            kept = [e for e in out if not (type(e) is Send and type(e.message) is EventUpdate)]
            if len(kept) == len(out):
                return out
            aid = self._pids.get(sender)
            return kept + [Send(to=sender, message=StatusUpdateAcknowledgement(
                agent_id=aid or "", framework_id=upd.framework_id,
                task_id=upd.status.task_id, uuid=upd.uuid))]
        return _status_update
    return _patched(TasksMixin, "_status_update", wrap)


@contextlib.contextmanager
def terminal_update_swallowed() -> Iterator[None]:
    """The master never tells a framework that a task ended: it acknowledges an agent's
    terminal update itself instead of forwarding it (the agent's stream closes), and drops
    the terminal updates it generates (reconciliation answers included)."""
    with _terminal_update_swallowed(), master_updates_not_forwarded():
        yield


def master_updates_not_forwarded() -> contextlib.AbstractContextManager[None]:
    """The master generates its own terminal updates (LOST, GONE, DROPPED, reconciliation
    answers) but never sends them: the framework is left believing the task lives."""
    from mesotron.core.master.base import MasterCore
    from mesotron.core.values import Source

    def wrap(orig: Any) -> Any:
        def _forward(self: Any, fw: Any, status: Any) -> list[Any]:
            if status.source is Source.SOURCE_MASTER and status.state.is_terminal:
                return []
            return orig(self, fw, status)
        return _forward
    return _patched(MasterCore, "_forward", wrap)


def reconcile_answers_staging() -> contextlib.AbstractContextManager[None]:
    """Reconciliation answers TASK_STAGING for every task the master knows."""
    from mesotron.core.master.tasks import TasksMixin
    from mesotron.core.values import TaskState

    def wrap(orig: Any) -> Any:
        def _latest(self: Any, fw: Any, task: Any, message: str, state: Any = None) -> Any:
            if state is None and not task.state.is_terminal:
                state = TaskState.TASK_STAGING
            return orig(self, fw, task, message, state)
        return _latest
    return _patched(TasksMixin, "_latest", wrap)


@contextlib.contextmanager
def lifecycle_table_allows_regression() -> Iterator[None]:
    """The command executor reports TASK_RUNNING before TASK_STARTING, and the code's own
    lifecycle table was edited to allow RUNNING -> STARTING (so every check that reads that
    table agrees with the bug; only an independent table notices)."""
    from mesotron.core import lifecycle
    from mesotron.core.executor import CommandExecutor
    from mesotron.core.values import TaskState

    S = TaskState
    table = dict(lifecycle.TRANSITIONS)
    row = dict(table["executor"])
    row[S.TASK_RUNNING] = row[S.TASK_RUNNING] | {S.TASK_STARTING}
    table["executor"] = row

    def wrap(orig: Any) -> Any:
        def _update(self: Any, now: float, run: Any, state: Any, message: str) -> list[Any]:
            if state is S.TASK_STARTING:
                return orig(self, now, run, S.TASK_RUNNING, message)
            key = (self.executor_id, run.info.task_id)
            if state is S.TASK_RUNNING and key not in regressed:
                regressed.add(key)
                return orig(self, now, run, S.TASK_STARTING, message)
            return orig(self, now, run, state, message)
        return _update
    regressed: set[tuple[str, str]] = set()
    saved = lifecycle.TRANSITIONS
    lifecycle.TRANSITIONS = table
    try:
        with _patched(CommandExecutor, "_update", wrap):
            yield
    finally:
        lifecycle.TRANSITIONS = saved


def master_forwards_running_after_terminal() -> contextlib.AbstractContextManager[None]:
    """The master forwards an agent's terminal update, then a TASK_RUNNING copy of it (same
    uuid): the framework sees its task run again after it ended."""
    from mesotron.core.master.base import MasterCore
    from mesotron.core.values import TaskState

    def wrap(orig: Any) -> Any:
        def _forward(self: Any, fw: Any, status: Any) -> list[Any]:
            out = orig(self, fw, status)
            if status.state.is_terminal and status.uuid is not None and out:
                out = out + orig(self, fw, attrs.evolve(status, state=TaskState.TASK_RUNNING))
            return list(out)
        return _forward
    return _patched(MasterCore, "_forward", wrap)


def master_forwards_conflicting_terminal() -> contextlib.AbstractContextManager[None]:
    """The master forwards an agent's TASK_FINISHED, then a TASK_FAILED copy of it (same
    uuid): the framework sees one task end twice, differently."""
    from mesotron.core.master.base import MasterCore
    from mesotron.core.values import TaskState

    def wrap(orig: Any) -> Any:
        def _forward(self: Any, fw: Any, status: Any) -> list[Any]:
            out = orig(self, fw, status)
            if status.state is TaskState.TASK_FINISHED and status.uuid is not None and out:
                out = out + orig(self, fw, attrs.evolve(status, state=TaskState.TASK_FAILED))
            return list(out)
        return _forward
    return _patched(MasterCore, "_forward", wrap)


def driver_acks_on_arrival() -> contextlib.AbstractContextManager[None]:
    """The scheduler driver acknowledges every update that carries a uuid the moment it
    arrives, BEFORE handing it to the application, even when the application acknowledges
    itself (auto_ack off): an acknowledgement of an update the framework has not seen."""
    from mesotron.core.messages import CallAcknowledge
    from mesotron.core.scheduler import SchedulerDriver

    def wrap(orig: Any) -> Any:
        def deliverUpdate(self: Any, event: Any) -> list[Any]:
            status = event.status
            early: list[Any] = []
            if status.uuid is not None and status.agent_id:
                early = self.call(CallAcknowledge(agent_id=status.agent_id,
                                                  task_id=status.task_id, uuid=status.uuid))
            return early + orig(self, event)
        return deliverUpdate
    return _patched(SchedulerDriver, "deliverUpdate", wrap)


def allocator_ignores_activate() -> contextlib.AbstractContextManager[None]:
    """The allocator drops ActivateAgent: an agent that disconnected and came back stays
    inactive (never offered again) while the master counts it usable."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def _handle_activate_agent(self: Any, now: float, inp: Any) -> list[Any]:
            return []
        return _handle_activate_agent
    return _patched(Allocator, "_handle_activate_agent", wrap)


def validation_refuses_kills() -> contextlib.AbstractContextManager[None]:
    """The master's structural validation refuses every well-formed KILL as malformed."""
    from mesotron.core.master import validation
    from mesotron.core.messages import CallKill

    def wrap(orig: Any) -> Any:
        def _shape_error(call: Any) -> str | None:
            if isinstance(call, CallKill):
                return "Expecting 'kill.task_id' to be present"
            return orig(call)
        return _shape_error
    return _patched(validation, "_shape_error", wrap)


def validation_rejects_valid_tasks() -> contextlib.AbstractContextManager[None]:
    """The master's task validation finds every well-formed task without resources."""
    from mesotron.core.master import offers

    def wrap(orig: Any) -> Any:
        def validate_task(task: Any, **kw: Any) -> str | None:
            return "Task uses no resources"
        return validate_task
    return _patched(offers, "validate_task", wrap)


def master_ignores_kill() -> contextlib.AbstractContextManager[None]:
    """The master answers KILL 202 but never tells the task's agent (KillsTakeEffect used
    to see only kills that left as KillTask: this one it sees since s10)."""
    from mesotron.core.master.tasks import TasksMixin

    def wrap(orig: Any) -> Any:
        def _call_kill(self: Any, fw: Any, call: Any) -> list[Any]:
            return []
        return _call_kill
    return _patched(TasksMixin, "_call_kill", wrap)


def deactivate_keeps_offers() -> contextlib.AbstractContextManager[None]:
    """A framework whose stream ends is deactivated but keeps its outstanding offers (the
    master never takes them back): their resources stay out of the pool. (Only there: a
    framework's removal, which deactivates it without rescinding, is left alone, else the
    offers of a torn-down framework break the allocation books first.)"""
    from mesotron.core.master.frameworks import FrameworksMixin

    def wrap(orig: Any) -> Any:
        def _deactivate_framework(self: Any, fw: Any, *, rescind: bool) -> list[Any]:
            if not rescind:
                return orig(self, fw, rescind=rescind)
            offers, fw.offers = fw.offers, {}
            try:
                return orig(self, fw, rescind=rescind)
            finally:
                fw.offers = offers
        return _deactivate_framework
    return _patched(FrameworksMixin, "_deactivate_framework", wrap)


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
    # issue 12
    "drf_reverse_order": drf_reverse_order,
    "share_index_not_updated": share_index_not_updated,
    "revive_ignored": revive_ignored,
    "decline_filter_ignored": decline_filter_ignored,
    "suppress_ignored": suppress_ignored,
    "fenced_master_keeps_leading": fenced_master_keeps_leading,
    "recover_skips_allocator": recover_skips_allocator,
    "run_task_doubles_resources": run_task_doubles_resources,
    "allocator_leaks_recovered": allocator_leaks_recovered,
    "master_forgets_reported_tasks": master_forgets_reported_tasks,
    "master_keeps_finished_tasks": master_keeps_finished_tasks,
    "master_updates_not_forwarded": master_updates_not_forwarded,
    "agent_ignores_kill": agent_ignores_kill,
    "terminal_update_swallowed": terminal_update_swallowed,
    "reconcile_answers_staging": reconcile_answers_staging,
    "master_forwards_running_after_terminal": master_forwards_running_after_terminal,
    "master_forwards_conflicting_terminal": master_forwards_conflicting_terminal,
    "driver_acks_on_arrival": driver_acks_on_arrival,
    "lifecycle_table_allows_regression": lifecycle_table_allows_regression,
    # the mutation campaign's new properties (s10)
    "allocator_ignores_activate": allocator_ignores_activate,
    "validation_refuses_kills": validation_refuses_kills,
    "validation_rejects_valid_tasks": validation_rejects_valid_tasks,
    "master_ignores_kill": master_ignores_kill,
    "deactivate_keeps_offers": deactivate_keeps_offers,
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


# ---------------------------------------------------------------- health checks (s10)
def _health_check_as(change: dict[str, Any]) -> contextlib.AbstractContextManager[None]:
    from mesotron.core.executor import CommandExecutor

    def wrap(orig: Any) -> Any:
        def _health_result(self: Any, now: float, r: Any) -> list[Any]:
            st = self.health.get(r.task_id)
            if st is None:
                return orig(self, now, r)
            check = st.check
            st.check = attrs.evolve(check, **{k: f(check) for k, f in change.items()})
            try:
                return orig(self, now, r)
            finally:
                st.check = check
        return _health_result
    return _patched(CommandExecutor, "_health_result", wrap)


def health_kills_one_failure_early() -> contextlib.AbstractContextManager[None]:
    """The command executor kills a task after consecutive_failures - 1 failed checks."""
    return _health_check_as({"consecutive_failures": lambda c: max(1, c.consecutive_failures - 1)})


def health_ignores_grace_period() -> contextlib.AbstractContextManager[None]:
    """The command executor counts failed checks inside the grace period too."""
    return _health_check_as({"grace_period_seconds": lambda c: 0.0})


BUGS.update({
    "health_kills_one_failure_early": health_kills_one_failure_early,
    "health_ignores_grace_period": health_ignores_grace_period,
})


# ---------------------------------------------------------------- issue 17: the lab
def resubscribe_new_framework_id() -> contextlib.AbstractContextManager[None]:
    """A master that has not seen a framework subscribe (it failed over: the framework is
    unknown, or known only from its agents' re-registration) hands out a NEW id instead of
    taking the framework's own: the framework re-subscribes as someone else
    (StableFrameworkId)."""
    from mesotron.core.master.frameworks import FrameworksMixin

    def wrap(orig: Any) -> Any:
        def _subscribe(self: Any, inp: Any, call: Any) -> list[Any]:
            info = call.framework_info
            known = self._frameworks.get(info.id) if info.id is not None else None
            if info.id is not None and (known is None or known.recovered):
                call = attrs.evolve(call, framework_info=attrs.evolve(info, id=None))
            return orig(self, inp, call)
        return _subscribe
    return _patched(FrameworksMixin, "_subscribe", wrap)


def run_task_sent_to_another_agent() -> contextlib.AbstractContextManager[None]:
    """The master books a launched task on the offer's agent but sends its RunTask to
    another agent (the next one by id): that agent runs it and its updates name itself
    (SingleAgent: a task launched on one agent, running on another)."""
    from mesotron.core.effects import Send
    from mesotron.core.master.offers import OffersMixin
    from mesotron.core.messages import RunTask

    def wrap(orig: Any) -> Any:
        def _launch(self: Any, fw: Any, agent: Any, *a: Any, **kw: Any) -> tuple[list[Any], Any]:
            out, remaining = orig(self, fw, agent, *a, **kw)
            others = sorted(aid for aid in self._agents if aid != agent.id)
            if not others:
                return out, remaining
            other = self._agents[others[0]]
            out = [attrs.evolve(e, to=other.pid, message=attrs.evolve(
                       e.message, task=attrs.evolve(e.message.task, agent_id=other.id)))
                   if type(e) is Send and type(e.message) is RunTask else e for e in out]
            return out, remaining
        return _launch
    return _patched(OffersMixin, "_launch", wrap)


BUGS["resubscribe_new_framework_id"] = resubscribe_new_framework_id
BUGS["run_task_sent_to_another_agent"] = run_task_sent_to_another_agent


# ---------------------------------------------------------------- s11: mutation campaign, master
def reconcile_defers_unknown_tasks() -> contextlib.AbstractContextManager[None]:
    """An explicit reconciliation of tasks the master does not know is always deferred (as
    if agents were recovering): the framework never hears TASK_GONE/TASK_UNKNOWN for a task
    it lost (ReconcileAnswered)."""
    from mesotron.core.master.tasks import TasksMixin

    def wrap(orig: Any) -> Any:
        def _reconcile_explicit(self: Any, fw: Any, tasks: Any) -> list[Any]:
            return orig(self, fw, tuple(t for t in tasks if t[0] in fw.tasks))
        return _reconcile_explicit
    return _patched(TasksMixin, "_reconcile_explicit", wrap)


def master_never_books_running() -> contextlib.AbstractContextManager[None]:
    """The master relays TASK_RUNNING but never books it as the task's state (a task stays
    STAGING/STARTING in the master's books while its agent runs it: /state, reconciliation
    by state and the operator API are wrong; TaskStatesAgree)."""
    from mesotron.core.master.base import MasterCore
    from mesotron.core.values import TaskState

    def wrap(orig: Any) -> Any:
        def _update_task(self: Any, task: Any, status: Any, **kw: Any) -> list[Any]:
            before = task.state
            out = orig(self, task, status, **kw)
            if task.state is TaskState.TASK_RUNNING:
                task.state = before
            return out
        return _update_task
    return _patched(MasterCore, "_update_task", wrap)


BUGS["reconcile_defers_unknown_tasks"] = reconcile_defers_unknown_tasks
BUGS["master_never_books_running"] = master_never_books_running


def registry_results_ignored() -> contextlib.AbstractContextManager[None]:
    """The master takes every registry result for a stale one and ignores it: no agent is
    ever admitted, nothing is offered, and (before s11) no property noticed, since a live
    agent that never got an id was not counted by EventuallyReregistered."""
    from mesotron.core.effects import Log
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _registry_result(self: Any, op_id: int, ok: bool, message: str) -> list[Any]:
            return [Log(level="warning", event="unexpected_registry_result",
                        fields=(("op_id", op_id),))]
        return _registry_result
    return _patched(AgentsMixin, "_registry_result", wrap)


BUGS["registry_results_ignored"] = registry_results_ignored


def offers_of_two_agents_accepted() -> contextlib.AbstractContextManager[None]:
    """The master's offer validation forgets that aggregated offers must all be of one
    agent: an ACCEPT of offers of two agents launches on the first with the resources of
    both (InvalidOffersRefused)."""
    from mesotron.core.master import offers as offers_mod

    def wrap(orig: Any) -> Any:
        def validate_offers(*a: Any, **kw: Any) -> str | None:
            error = orig(*a, **kw)
            if error is not None and error.startswith("Aggregated offers must belong"):
                return None
            return error
        return validate_offers
    return _patched(offers_mod, "validate_offers", wrap)


def aggregated_offers_refused() -> contextlib.AbstractContextManager[None]:
    """The master refuses every ACCEPT of more than one offer as invalid, though Mesos lets
    a framework aggregate offers of one agent (WellFormedCallsAccepted)."""
    from mesotron.core.master import offers as offers_mod

    def wrap(orig: Any) -> Any:
        def validate_offers(offer_ids: Any, *a: Any, **kw: Any) -> str | None:
            if len(offer_ids) > 1:
                return "Aggregated offers are not supported"
            return orig(offer_ids, *a, **kw)
        return validate_offers
    return _patched(offers_mod, "validate_offers", wrap)


BUGS["offers_of_two_agents_accepted"] = offers_of_two_agents_accepted
BUGS["aggregated_offers_refused"] = aggregated_offers_refused


def reregistered_agent_stays_recovering() -> contextlib.AbstractContextManager[None]:
    """After a failover, an agent that re-registers is not taken off the master's
    recovered-agents books: the master keeps deferring reconciliation as if agents were
    still recovering (ReconcileAnswered: a connected agent is never recovering)."""
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _reregister_agent(self: Any, sender: str, msg: Any) -> list[Any]:
            aid = msg.agent_info.id
            was = self._recovered_agents.get(aid)
            out = orig(self, sender, msg)
            if was is not None:
                self._recovered_agents[aid] = was
            return out
        return _reregister_agent
    return _patched(AgentsMixin, "_reregister_agent", wrap)


BUGS["reregistered_agent_stays_recovering"] = reregistered_agent_stays_recovering


def resubscribe_keeps_old_info() -> contextlib.AbstractContextManager[None]:
    """A re-subscription does not update the master's FrameworkInfo: a changed failover
    timeout (or name, roles, capabilities) is ignored (SubscribeTakesInfo)."""
    from mesotron.core.master.frameworks import FrameworksMixin

    def wrap(orig: Any) -> Any:
        def _subscribe(self: Any, inp: Any, call: Any) -> list[Any]:
            fid = call.framework_info.id
            fw = self._frameworks.get(fid) if fid is not None else None
            old = fw.info if fw is not None and not fw.recovered else None
            out = orig(self, inp, call)
            if old is not None and self._frameworks.get(fid) is fw:
                fw.info = old
            return out
        return _subscribe
    return _patched(FrameworksMixin, "_subscribe", wrap)


BUGS["resubscribe_keeps_old_info"] = resubscribe_keeps_old_info


def malformed_calls_accepted() -> contextlib.AbstractContextManager[None]:
    """The master answers a malformed call 202 instead of 400 (and drops it): the client
    never learns its call was refused (MalformedCallsRefused)."""
    from mesotron.core.effects import Respond
    from mesotron.core.master.frameworks import FrameworksMixin

    def wrap(orig: Any) -> Any:
        def _handle_scheduler_call(self: Any, inp: Any) -> list[Any]:
            out = orig(self, inp)
            # (not a SUBSCRIBE's: a refused principal claim is PrincipalsChecked's)
            if out and type(out[0]) is Respond and out[0].status == 400 \
                    and out[0].message.startswith("Failed to validate scheduler::Call") \
                    and type(inp.call).__name__ != "CallSubscribe":
                return [Respond(request=inp.request, status=202)]
            return out
        return _handle_scheduler_call
    return _patched(FrameworksMixin, "_handle_scheduler_call", wrap)


def decline_rescinds_offers() -> contextlib.AbstractContextManager[None]:
    """The master answers a DECLINE by also rescinding the offers declined
    (NoRescindOfReturnedOffers)."""
    from mesotron.core.effects import Send
    from mesotron.core.master.offers import OffersMixin
    from mesotron.core.messages import EventRescind

    def wrap(orig: Any) -> Any:
        def _call_decline(self: Any, fw: Any, call: Any) -> list[Any]:
            out = orig(self, fw, call)
            if fw.stream is not None:
                out = out + [Send(to=fw.stream, message=EventRescind(offer_id=oid))
                             for oid in call.offer_ids]
            return out
        return _call_decline
    return _patched(OffersMixin, "_call_decline", wrap)


BUGS["malformed_calls_accepted"] = malformed_calls_accepted
BUGS["decline_rescinds_offers"] = decline_rescinds_offers


def agent_disconnection_ignored() -> contextlib.AbstractContextManager[None]:
    """The master ignores the loss of an agent's connection: it keeps the agent connected
    and its offers out (AgentDisconnectionNoticed)."""
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _agent_disconnected(self: Any, pid: str) -> list[Any]:
            return []
        return _agent_disconnected
    return _patched(AgentsMixin, "_agent_disconnected", wrap)


BUGS["agent_disconnection_ignored"] = agent_disconnection_ignored
# s11 (mutation campaign: the allocator's production path, SimConfig.fast_alloc)
def fast_path_roles_by_name() -> contextlib.AbstractContextManager[None]:
    """The production allocation path (`cycle._allocate_agent`, explain mode off) visits an
    agent's roles by name instead of lowest weighted dominant share (and forgets the quota
    stage); the explain mode, which the simulator ran until s11, still gets it right."""
    from mesotron.core.allocator import cycle

    def wrap(orig: Any) -> Any:
        def _allocate_agent(al: Any, now: float, agent: Any, effects: list) -> None:
            avail = agent.available
            if not avail:
                agent.skip = (al._epoch, agent.version, cycle.INF)
                return
            blocked = [cycle.INF]
            given = False
            for role in sorted(al._role_index.keys()):
                split = al._split(avail, role)
                if not split.allocatable:
                    continue
                fid = cycle._first_eligible(al, now, agent, role, split.offerable, blocked)
                if fid is None:
                    continue
                cycle._give(al, agent, fid, role, split, effects)
                given = True
                avail = agent.available
                if not avail:
                    break
            if not given:
                agent.skip = (al._epoch, agent.version, blocked[0])
        return _allocate_agent
    return _patched(cycle, "_allocate_agent", wrap)


BUGS["fast_path_roles_by_name"] = fast_path_roles_by_name


def deactivated_agent_offered() -> contextlib.AbstractContextManager[None]:
    """An operator's DEACTIVATE_AGENT / DRAIN_AGENT commits and is answered 200, but the
    master never tells the allocator (nor rescinds the agent's offers): the agent is still
    offered."""
    from mesotron.core.master.operator import OperatorMixin

    def wrap(orig: Any) -> Any:
        def _sync_agent_activation(self: Any, agent_id: str) -> list[Any]:
            if self.agent_deactivated(agent_id):
                return []
            return orig(self, agent_id)
        return _sync_agent_activation
    return _patched(OperatorMixin, "_sync_agent_activation", wrap)


def drain_kills_nothing() -> contextlib.AbstractContextManager[None]:
    """DRAIN_AGENT deactivates the agent but never kills its tasks: the drain never ends."""
    from mesotron.core.master.operator import OperatorMixin

    return _patched(OperatorMixin, "_drain_kills", lambda orig: lambda self, agent_id: [])


BUGS["deactivated_agent_offered"] = deactivated_agent_offered
BUGS["drain_kills_nothing"] = drain_kills_nothing


def quota_capacity_unchecked() -> contextlib.AbstractContextManager[None]:
    """UPDATE_QUOTA never checks the guarantees against the cluster's capacity (as if every
    request carried `force`)."""
    from mesotron.core.master.operator import OperatorMixin

    def wrap(orig: Any) -> Any:
        def _op_update_quota(self: Any, request: str, call: Any) -> list[Any]:
            return orig(self, request, attrs.evolve(call, force=True))
        return _op_update_quota
    return _patched(OperatorMixin, "_op_update_quota", wrap)


BUGS["quota_capacity_unchecked"] = quota_capacity_unchecked
# ---------------------------------------------------------------- s11: mutation campaign, agent
def ack_not_checkpointed() -> contextlib.AbstractContextManager[None]:
    """The status-update manager takes a scheduler's acknowledgement in memory but never
    appends it to the stream's log: after a restart the agent re-sends updates the
    framework already acknowledged (CheckpointAgrees: the checkpoint's unacknowledged
    updates are not the agent's)."""
    from mesotron.core.effects import Persist
    from mesotron.core.status_updates import AckRecord, TaskStatusUpdateManager

    def wrap(orig: Any) -> Any:
        def handleAcknowledge(self: Any, now: float, ack: Any) -> list[Any]:
            return [e for e in orig(self, now, ack)
                    if not (type(e) is Persist and type(e.record) is AckRecord)]
        return handleAcknowledge
    return _patched(TaskStatusUpdateManager, "handleAcknowledge", wrap)


def agent_ignores_executor_exit() -> contextlib.AbstractContextManager[None]:
    """The agent drops the containerizer's report that an executor exited: it keeps the
    dead executor booked live, with its tasks (ExecutorBooksAgree)."""
    from mesotron.core.agent.executors import ExecutorsMixin
    from mesotron.core.effects import Log

    def wrap(orig: Any) -> Any:
        def handleExecutorExited(self: Any, now: float, msg: Any) -> list[Any]:
            return [Log(level="info", event="agent.executor_exited.unknown_container",
                        fields=(("container", msg.container_id),))]
        return handleExecutorExited
    return _patched(ExecutorsMixin, "handleExecutorExited", wrap)


BUGS["ack_not_checkpointed"] = ack_not_checkpointed
BUGS["agent_ignores_executor_exit"] = agent_ignores_executor_exit


def recovery_fails_live_tasks() -> contextlib.AbstractContextManager[None]:
    """A recovering agent takes every recovered executor for exited: it ends their live tasks
    TASK_FAILED (REASON_EXECUTOR_TERMINATED) while the executors, alive, still run them
    (ExecutorBooksAgree, as the agent ends them)."""
    from mesotron.core.agent.recovery import RecoveryMixin
    from mesotron.core.values import Reason, TaskState

    def wrap(orig: Any) -> Any:
        def _recover_reconnect(self: Any, now: float, rec: Any, **kw: Any) -> list[Any]:
            out = orig(self, now, rec, **kw)
            for fw in list(self.frameworks.values()):
                for ex in list(fw.executors.values()):
                    if ex.state == "terminated":
                        continue
                    for task in list(ex.tasks.values()):
                        if not task.terminal:
                            out += self._agent_update(now, fw.id, ex.info.executor_id,
                                                      task.info.task_id, TaskState.TASK_FAILED,
                                                      Reason.REASON_EXECUTOR_TERMINATED,
                                                      "Executor terminated")
            return out
        return _recover_reconnect
    return _patched(RecoveryMixin, "_recover_reconnect", wrap)


BUGS["recovery_fails_live_tasks"] = recovery_fails_live_tasks


def agent_never_escalates_shutdown() -> contextlib.AbstractContextManager[None]:
    """The agent's shutdown grace timer does nothing: an executor that does not exit on
    ExecutorShutdown (a wedged one) is never SIGKILLed (ExecutorBooksAgree: overdue)."""
    from mesotron.core.agent.base import EXEC_SHUTDOWN
    from mesotron.core.agent.executors import ExecutorsMixin

    def wrap(orig: Any) -> Any:
        def handleExecutorTimer(self: Any, now: float, key: tuple[str, ...]) -> list[Any]:
            return [] if key and key[0] == EXEC_SHUTDOWN else orig(self, now, key)
        return handleExecutorTimer
    return _patched(ExecutorsMixin, "handleExecutorTimer", wrap)


def agent_never_times_out_registration() -> contextlib.AbstractContextManager[None]:
    """The agent's executor registration timer does nothing: an executor that never
    subscribes (a wedged one) stays registering, alive, forever (ExecutorBooksAgree)."""
    from mesotron.core.agent.base import EXEC_REGISTRATION
    from mesotron.core.agent.executors import ExecutorsMixin

    def wrap(orig: Any) -> Any:
        def handleExecutorTimer(self: Any, now: float, key: tuple[str, ...]) -> list[Any]:
            return [] if key and key[0] == EXEC_REGISTRATION else orig(self, now, key)
        return handleExecutorTimer
    return _patched(ExecutorsMixin, "handleExecutorTimer", wrap)


BUGS["agent_never_escalates_shutdown"] = agent_never_escalates_shutdown
BUGS["agent_never_times_out_registration"] = agent_never_times_out_registration


def agent_updates_without_agent_id() -> contextlib.AbstractContextManager[None]:
    """The agent leaves its own id out of the updates it produces (TaskStatus.agent_id None):
    frameworks cannot tell which agent ended their task (AgentUpdatesTruthful)."""
    from mesotron.core.agent.base import AgentCore

    def wrap(orig: Any) -> Any:
        def _agent_update(self: Any, *a: Any, **kw: Any) -> list[Any]:
            saved = self.agent_info
            self.agent_info = attrs.evolve(saved, id=None)
            try:
                return orig(self, *a, **kw)
            finally:
                self.agent_info = saved
        return _agent_update
    return _patched(AgentCore, "_agent_update", wrap)


BUGS["agent_updates_without_agent_id"] = agent_updates_without_agent_id




# s11 mut-master2
def principal_claims_ignored() -> contextlib.AbstractContextManager[None]:
    """The master does not compare a SUBSCRIBE's claimed FrameworkInfo.principal with the
    authenticated one: a framework claiming another principal is subscribed
    (PrincipalsChecked)."""
    from mesotron.core.master.frameworks import FrameworksMixin
    from mesotron.core.messages import CallSubscribe

    def wrap(orig: Any) -> Any:
        def _handle_scheduler_call(self: Any, inp: Any) -> list[Any]:
            c = inp.call
            if type(c) is CallSubscribe and inp.principal is not None \
                    and c.framework_info.principal not in (None, inp.principal):
                inp = attrs.evolve(inp, principal=None)
            return orig(self, inp)
        return _handle_scheduler_call
    return _patched(FrameworksMixin, "_handle_scheduler_call", wrap)


BUGS["principal_claims_ignored"] = principal_claims_ignored


def authenticated_principal_not_booked() -> contextlib.AbstractContextManager[None]:
    """A SUBSCRIBE that claims no principal is booked without the authenticated one (the
    master forgets to fill it in): the framework's later calls and ACLs see no principal
    (PrincipalsChecked)."""
    from mesotron.core.master.frameworks import FrameworksMixin
    from mesotron.core.messages import CallSubscribe

    def wrap(orig: Any) -> Any:
        def _handle_scheduler_call(self: Any, inp: Any) -> list[Any]:
            if type(inp.call) is CallSubscribe and inp.call.framework_info.principal is None:
                inp = attrs.evolve(inp, principal=None)
            return orig(self, inp)
        return _handle_scheduler_call
    return _patched(FrameworksMixin, "_handle_scheduler_call", wrap)


BUGS["authenticated_principal_not_booked"] = authenticated_principal_not_booked


def malformed_agent_messages_dropped() -> contextlib.AbstractContextManager[None]:
    """The master drops a malformed agent message with a log line instead of rejecting it
    (no Reject, so the shell never reports the refusal) (MalformedAgentMessagesRefused)."""
    from mesotron.core.effects import Log, Reject
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _handle_received(self: Any, inp: Any) -> list[Any]:
            return [Log(level="info", event="message_dropped") if type(e) is Reject else e
                    for e in orig(self, inp)]
        return _handle_received
    return _patched(Master, "_handle_received", wrap)


BUGS["malformed_agent_messages_dropped"] = malformed_agent_messages_dropped


def events_to_disconnected_frameworks() -> contextlib.AbstractContextManager[None]:
    """The master sends framework events on the stream it last had, even when the framework
    is disconnected (no stream: the Send has no addressee) (NoSendWithoutPeer)."""
    from mesotron.core.effects import Send
    from mesotron.core.master.base import MasterCore

    def wrap(orig: Any) -> Any:
        def _send_fw(self: Any, fw: Any, event: Any) -> list[Any]:
            if fw is not None and fw.stream is None:
                return [Send(to=fw.stream, message=event)]
            return orig(self, fw, event)
        return _send_fw
    return _patched(MasterCore, "_send_fw", wrap)


BUGS["events_to_disconnected_frameworks"] = events_to_disconnected_frameworks


def status_update_agent_mismatch_relayed() -> contextlib.AbstractContextManager[None]:
    """The master does not compare a status update's agent id with the sender's: an update
    naming another agent is relayed as the sender's (MalformedAgentMessagesRefused)."""
    from mesotron.core.master.tasks import TasksMixin

    def wrap(orig: Any) -> Any:
        def _status_update(self: Any, sender: str, msg: Any) -> list[Any]:
            st = msg.update.status
            if st.agent_id is not None:
                msg = attrs.evolve(msg, update=attrs.evolve(
                    msg.update, status=attrs.evolve(st, agent_id=None)))
            return orig(self, sender, msg)
        return _status_update
    return _patched(TasksMixin, "_status_update", wrap)


BUGS["status_update_agent_mismatch_relayed"] = status_update_agent_mismatch_relayed


# ------------------------------------------------------------------ s12 mm1
def old_agents_admitted() -> contextlib.AbstractContextManager[None]:
    """The master skips Mesos's MINIMUM_AGENT_VERSION check: an agent with an unparsable
    or too old version is admitted (ForgedAgentMessagesIgnored)."""
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _too_old(self: Any, sender: str, version: str) -> list[Any]:
            return []
        return _too_old
    return _patched(Master, "_too_old", wrap)


BUGS["old_agents_admitted"] = old_agents_admitted


def unregister_from_any_pid() -> contextlib.AbstractContextManager[None]:
    """The master honours an UnregisterAgent from any pid, not only the agent's own: any
    peer can remove any agent (ForgedAgentMessagesIgnored)."""
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _unregister_agent(self: Any, sender: str, msg: Any) -> list[Any]:
            agent = self._agents.get(msg.agent_id)
            return orig(self, agent.pid if agent is not None else sender, msg)
        return _unregister_agent
    return _patched(Master, "_unregister_agent", wrap)


BUGS["unregister_from_any_pid"] = unregister_from_any_pid


def pings_never_missed() -> contextlib.AbstractContextManager[None]:
    """The master's health check counts no missed ping (as if every ping were answered):
    an agent stopped for good stays registered forever (UnresponsiveAgentsRemoved)."""
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _ping_fired(self: Any, aid: str) -> list[Any]:
            agent = self._agents.get(aid)
            if agent is not None:
                agent.pinged = False
            return orig(self, aid)
        return _ping_fired
    return _patched(Master, "_ping_fired", wrap)


BUGS["pings_never_missed"] = pings_never_missed


def removed_agent_tasks_untold() -> contextlib.AbstractContextManager[None]:
    """The master removes an agent without telling the frameworks about its tasks (no
    TASK_UNREACHABLE / TASK_GONE / TASK_LOST update) (MasterUpdatesSent)."""
    from mesotron.core.effects import Send
    from mesotron.core.master.machine import Master
    from mesotron.core.messages import EventUpdate

    def wrap(orig: Any) -> Any:
        def _drop_agent(self: Any, *a: Any, **kw: Any) -> list[Any]:
            return [e for e in orig(self, *a, **kw)
                    if not (type(e) is Send and type(e.message) is EventUpdate)]
        return _drop_agent
    return _patched(Master, "_drop_agent", wrap)


BUGS["removed_agent_tasks_untold"] = removed_agent_tasks_untold


def removal_rate_ignored() -> contextlib.AbstractContextManager[None]:
    """The master hands out agent removal permits at once, whatever the
    --agent_removal_rate_limit (RemovalsRateLimited)."""
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _take_removal_permit(self: Any, interval: float) -> float:
            return float(self.now)
        return _take_removal_permit
    return _patched(Master, "_take_removal_permit", wrap)


BUGS["removal_rate_ignored"] = removal_rate_ignored


def removal_permit_timer_lost() -> contextlib.AbstractContextManager[None]:
    """An agent due for removal waits for its --agent_removal_rate_limit permit, but the
    master arms no timer for the permit: it waits forever, neither removed nor health
    checked (AgentsHealthChecked)."""
    from mesotron.core.effects import SetTimer
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _schedule_unreachable(self: Any, aid: str, message: str) -> list[Any]:
            return [e for e in orig(self, aid, message)
                    if not (type(e) is SetTimer and e.key[0] == "agent_removal_permit")]
        return _schedule_unreachable
    return _patched(Master, "_schedule_unreachable", wrap)


BUGS["removal_permit_timer_lost"] = removal_permit_timer_lost


def agent_removals_uncounted() -> contextlib.AbstractContextManager[None]:
    """The master removes agents without counting them in master/slave_removals (an
    operator's alert on agent removals never fires) (RemovedAgentsForgotten)."""
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _count(self: Any, name: str, by: float = 1) -> None:
            if name != "master/slave_removals":
                orig(self, name, by)
        return _count
    return _patched(Master, "_count", wrap)


BUGS["agent_removals_uncounted"] = agent_removals_uncounted


def resubscribe_resets_registered_time() -> contextlib.AbstractContextManager[None]:
    """The master books a re-subscription (a scheduler failover) as the framework's
    registration time (SubscribeTakesInfo)."""
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _subscribe(self: Any, inp: Any, call: Any) -> list[Any]:
            out = orig(self, inp, call)
            fw = self._frameworks.get(call.framework_info.id or "")
            if fw is not None:
                fw.registered_time = self.now
            return out
        return _subscribe
    return _patched(Master, "_subscribe", wrap)


BUGS["resubscribe_resets_registered_time"] = resubscribe_resets_registered_time


def allocation_on_pongs() -> contextlib.AbstractContextManager[None]:
    """The master runs an allocation cycle for every Pong it gets (an allocator triggered by
    health checks: offers at the agents' ping rhythm, not the allocation interval's)
    (OffersNeedACause)."""
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _pong(self: Any, sender: str, msg: Any) -> list[Any]:
            out = orig(self, sender, msg)
            self._allocation_wanted = True
            return out
        return _pong
    return _patched(Master, "_pong", wrap)


BUGS["allocation_on_pongs"] = allocation_on_pongs


def whitelist_changes_ignored() -> contextlib.AbstractContextManager[None]:
    """The leader keeps the new --whitelist in its configuration but does not tell its
    allocator: offers go on by the old file (NoOffersOutsideWhitelist)."""
    from mesotron.core.master.base import WhitelistChanged
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _dispatch(self: Any, input: Any) -> list[Any]:
            if type(input) is WhitelistChanged:
                self._set_whitelist(input.hosts)
                return []
            return orig(self, input)
        return _dispatch
    return _patched(Master, "_dispatch", wrap)


BUGS["whitelist_changes_ignored"] = whitelist_changes_ignored
# ---------------------------------------------------------------------- s12 mm2: operator views
def metrics_forget_completed_tasks() -> contextlib.AbstractContextManager[None]:
    """/metrics/snapshot's task gauges count only the tasks the master still holds live:
    a task that ended and was acknowledged (moved to completed_tasks) drops out of
    master/tasks_finished, master/tasks_killed, ... (Mesos counts every one)."""
    from mesotron.core import lifecycle
    from mesotron.core.master.queries import StateMixin

    def wrap(orig: Any) -> Any:
        def metrics(self: Any) -> dict[str, float]:
            m: dict[str, float] = orig(self)
            for f in self._frameworks.values():
                for t in f.completed_tasks.values():
                    m[f"master/tasks_{lifecycle.visible_state(t.state, f.info).name[5:].lower()}"] -= 1
            return m
        return metrics
    return _patched(StateMixin, "metrics", wrap)


def why_ignores_held_offers() -> contextlib.AbstractContextManager[None]:
    """GET /master/why does not look at the offers a framework holds: a framework sitting
    on unanswered offers is told it is blocked (or waiting) instead of holds_offers."""
    from mesotron.core.master import why as why_mod

    def wrap(orig: Any) -> Any:
        def why(master: Any, now: float, framework_id: str, hidden: bool = False) -> Any:
            w = orig(master, now, framework_id, hidden)
            if w.verdict == "holds_offers":
                w = attrs.evolve(w, verdict="blocked", summary="no agent can be offered to it")
            return w
        return why
    return _patched(why_mod, "why", wrap)


def weights_view_ignores_operator() -> contextlib.AbstractContextManager[None]:
    """GET_WEIGHTS answers the master's --weights flag only: the weights the operator set
    with UPDATE_WEIGHTS (in the registry, in force in the allocator) are left out."""
    from mesotron.core.master.operator import OperatorMixin

    def wrap(orig: Any) -> Any:
        def weights(self: Any) -> dict[str, float]:
            return dict(self.config.weights)
        return weights
    return _patched(OperatorMixin, "weights", wrap)


BUGS["metrics_forget_completed_tasks"] = metrics_forget_completed_tasks
BUGS["why_ignores_held_offers"] = why_ignores_held_offers
BUGS["weights_view_ignores_operator"] = weights_view_ignores_operator


def teardown_keeps_framework() -> contextlib.AbstractContextManager[None]:
    """The operator's TEARDOWN is answered 200 but the framework is not removed (as if the
    handler only looked the framework up)."""
    from mesotron.core.effects import Respond
    from mesotron.core.master.operator import OperatorMixin

    def wrap(orig: Any) -> Any:
        def _op_teardown(self: Any, request: str, call: Any) -> list[Any]:
            if call.framework_id not in self._frameworks:
                return orig(self, request, call)  # type: ignore[no-any-return]
            return [Respond(request=request, status=200)]
        return _op_teardown
    return _patched(OperatorMixin, "_op_teardown", wrap)


BUGS["teardown_keeps_framework"] = teardown_keeps_framework


# ---------------------------------------------------------------------- s12 mm2: operation feedback
def operation_ack_ignored() -> contextlib.AbstractContextManager[None]:
    """ACKNOWLEDGE_OPERATION_STATUS is taken (202) but never applied: the master keeps every
    terminal operation (and its registry record) for ever."""
    from mesotron.core.master.operations import OperationsMixin

    def wrap(orig: Any) -> Any:
        def _call_acknowledge_operation_status(self: Any, fw: Any, call: Any) -> list[Any]:
            return []
        return _call_acknowledge_operation_status
    return _patched(OperationsMixin, "_call_acknowledge_operation_status", wrap)


def reconcile_operations_unreachable() -> contextlib.AbstractContextManager[None]:
    """RECONCILE_OPERATIONS answers OPERATION_UNREACHABLE for an operation the master does
    not know (forgotten once acknowledged) whatever its agent, instead of OPERATION_UNKNOWN
    (Mesos answers UNREACHABLE only when the agent is unreachable)."""
    from mesotron.core.master.operations import OperationsMixin

    def wrap(orig: Any) -> Any:
        def _call_reconcile_operations(self: Any, fw: Any, call: Any) -> list[Any]:
            out = orig(self, fw, call)
            return [attrs.evolve(e, message=attrs.evolve(e.message, status=attrs.evolve(
                        e.message.status, state="OPERATION_UNREACHABLE")))
                    if e.message.status.state == "OPERATION_UNKNOWN" else e for e in out]
        return _call_reconcile_operations
    return _patched(OperationsMixin, "_call_reconcile_operations", wrap)


def reserve_role_unchecked() -> contextlib.AbstractContextManager[None]:
    """RESERVE through ACCEPT does not compare the reservation's role with the offer's
    allocation role: a framework reserves resources for a role it is not in."""
    from mesotron.core.master.operations import OperationsMixin

    def wrap(orig: Any) -> Any:
        def _validate_reserve(self: Any, fw: Any, role: str, op: Any, remaining: Any) -> Any:
            err = orig(self, fw, role, op, remaining)
            return None if err and "does not match the offer's allocation role" in err else err
        return _validate_reserve
    return _patched(OperationsMixin, "_validate_reserve", wrap)


BUGS["operation_ack_ignored"] = operation_ack_ignored
BUGS["reconcile_operations_unreachable"] = reconcile_operations_unreachable
BUGS["reserve_role_unchecked"] = reserve_role_unchecked


def operator_acls_ignored() -> contextlib.AbstractContextManager[None]:
    """The master never asks the authorizer about operator writes: with --acls, anyone may
    change weights, quota, agents."""
    from mesotron.core.master.operator import OperatorMixin

    def wrap(orig: Any) -> Any:
        def _operator_denied(self: Any, inp: Any) -> str | None:
            return None
        return _operator_denied
    return _patched(OperatorMixin, "_operator_denied", wrap)


BUGS["operator_acls_ignored"] = operator_acls_ignored


def task_group_never_sent() -> contextlib.AbstractContextManager[None]:
    """A valid LAUNCH_GROUP is booked (its tasks TASK_STAGING) but the RunTaskGroup never
    leaves the master: the agent never hears of the group (caught by TaskBooksAgree at
    quiescence, now that it compares every task not in flight on a busy agent)."""
    from mesotron.core.master.offers import OffersMixin
    from mesotron.core.messages import RunTaskGroup

    def wrap(orig: Any) -> Any:
        def _launch_group(self: Any, *a: Any, **kw: Any) -> Any:
            out, remaining = orig(self, *a, **kw)
            return [e for e in out if type(getattr(e, "message", None)) is not RunTaskGroup], remaining
        return _launch_group
    return _patched(OffersMixin, "_launch_group", wrap)


BUGS["task_group_never_sent"] = task_group_never_sent
# s12 (mutation campaign, agent side)
def agent_state_drops_ranges() -> contextlib.AbstractContextManager[None]:
    """The agent's /state document prints its scalar resources only: its ports range is
    missing from `resources` (AgentViewsAgree)."""
    from mesotron.core.agent.machine import Agent

    def wrap(orig: Any) -> Any:
        def state_json(self: Any) -> dict[str, Any]:
            out = orig(self)
            out["resources"] = {k: v for k, v in out["resources"].items()
                                if not isinstance(v, str)}
            return out
        return state_json
    return _patched(Agent, "state_json", wrap)


BUGS["agent_state_drops_ranges"] = agent_state_drops_ranges


def executor_api_trusts_names() -> contextlib.AbstractContextManager[None]:
    """The agent's executor API trusts the framework and executor ids a call names instead
    of the caller's subscription: an UPDATE from a process that never subscribed, in the
    name of a real executor, is taken (HostileExecutorInputRefused)."""
    from mesotron.core.agent.executors import ExecutorsMixin

    def wrap(orig: Any) -> Any:
        def _subscribed_executor(self: Any, sender: str, fw_id: str, ex_id: str,
                                 msg: Any) -> Any:
            fw = self.frameworks.get(fw_id)
            if fw is not None and ex_id in fw.executors:
                return fw, fw.executors[ex_id]
            return orig(self, sender, fw_id, ex_id, msg)
        return _subscribed_executor
    return _patched(ExecutorsMixin, "_subscribed_executor", wrap)


BUGS["executor_api_trusts_names"] = executor_api_trusts_names


def agent_shutdown_skips_unregister() -> contextlib.AbstractContextManager[None]:
    """An agent the operator shuts down does not tell its master (no UnregisterAgent): the
    master keeps it, and its tasks, until the ping timeout (AgentShutdownCompletes)."""
    from mesotron.core.agent.machine import Agent
    from mesotron.core.effects import Send
    from mesotron.core.messages import UnregisterAgent

    def wrap(orig: Any) -> Any:
        def _shutdown_agent(self: Any, now: float, *, from_master: bool) -> list[Any]:
            return [e for e in orig(self, now, from_master=from_master)
                    if not (type(e) is Send and type(e.message) is UnregisterAgent)]
        return _shutdown_agent
    return _patched(Agent, "_shutdown_agent", wrap)


BUGS["agent_shutdown_skips_unregister"] = agent_shutdown_skips_unregister


def agent_ignores_reboots() -> contextlib.AbstractContextManager[None]:
    """The agent ignores the host's boot id: after a reboot it takes its executors for
    live, waits for them and then signals their pids (other processes' by now)
    (RebootRecovery)."""
    from mesotron.core.agent.recovery import RecoveryMixin

    def wrap(orig: Any) -> Any:
        def handleStart(self: Any, now: float, start: Any) -> list[Any]:
            return orig(self, now, attrs.evolve(start, boot_id=None))
        return handleStart
    return _patched(RecoveryMixin, "handleStart", wrap)


BUGS["agent_ignores_reboots"] = agent_ignores_reboots


def agent_ignores_task_limitations() -> contextlib.AbstractContextManager[None]:
    """The agent logs a command task's memory limitation and does nothing: the task stays
    live until its executor reports the OOM-killed process (TASK_FAILED without the
    limitation's reason) (LimitationsEnforced)."""
    from mesotron.core.agent.containers import ContainersMixin
    from mesotron.core.effects import Log

    def wrap(orig: Any) -> Any:
        def handleContainerLimitation(self: Any, now: float, lim: Any) -> list[Any]:
            if lim.task_id is not None:
                return [Log(level="warn", event="agent.container_limitation",
                            fields=(("task", lim.task_id),))]
            return orig(self, now, lim)
        return handleContainerLimitation
    return _patched(ContainersMixin, "handleContainerLimitation", wrap)


BUGS["agent_ignores_task_limitations"] = agent_ignores_task_limitations


def agent_never_collects_sandboxes() -> contextlib.AbstractContextManager[None]:
    """The agent's garbage-collection timer does nothing: removed executors' run directories
    pile up on the disk (SandboxesCollected)."""
    from mesotron.core.agent.base import AgentCore

    def wrap(orig: Any) -> Any:
        def handleGcTimer(self: Any, now: float, key: tuple[str, ...]) -> list[Any]:
            return []
        return handleGcTimer
    return _patched(AgentCore, "handleGcTimer", wrap)


BUGS["agent_never_collects_sandboxes"] = agent_never_collects_sandboxes


def registration_timeout_reason_lost() -> contextlib.AbstractContextManager[None]:
    """The agent kills an executor that never registered but forgets why: its tasks end
    REASON_EXECUTOR_TERMINATED instead of REASON_EXECUTOR_REGISTRATION_TIMEOUT
    (ExecutorReasonsTruthful)."""
    from mesotron.core.agent.base import EXEC_REGISTRATION
    from mesotron.core.agent.executors import ExecutorsMixin

    def wrap(orig: Any) -> Any:
        def handleExecutorTimer(self: Any, now: float, key: tuple[str, ...]) -> list[Any]:
            out = orig(self, now, key)
            if key and key[0] == EXEC_REGISTRATION and len(key) == 4:
                fw = self.frameworks.get(key[1])
                ex = fw.executors.get(key[2]) if fw is not None else None
                if ex is not None:
                    ex.pending_termination = None
            return out
        return handleExecutorTimer
    return _patched(ExecutorsMixin, "handleExecutorTimer", wrap)


BUGS["registration_timeout_reason_lost"] = registration_timeout_reason_lost
# ---------------------------------------------------------------- s12: mutation campaign, allocator
def quota_cap_drops_unlimited() -> contextlib.AbstractContextManager[None]:
    """Cutting an allocation down to its role's quota limit also drops the resources the
    limit does not name (memory, disk, ports under a cpus limit): WholeOffers."""
    from mesotron.core.allocator import machine

    def wrap(orig: Any) -> Any:
        def _cap(res: Any, room: dict[str, int]) -> Any:
            return orig(res, room).filter(lambda r: r.name in room)
        return _cap
    return _patched(machine, "_cap", wrap)


def min_allocatable_ignored() -> contextlib.AbstractContextManager[None]:
    """The allocator offers any non-empty remainder, however small (--min_allocatable_resources
    ignored): WholeOffers."""
    from mesotron.core.allocator.machine import Allocator

    return _patched(Allocator, "_allocatable", lambda orig: lambda self, ledger: bool(ledger))


BUGS["quota_cap_drops_unlimited"] = quota_cap_drops_unlimited
BUGS["min_allocatable_ignored"] = min_allocatable_ignored


def why_ignores_filters() -> contextlib.AbstractContextManager[None]:
    """The allocator's explanation (`GET /master/why`) forgets decline filters: a framework
    the next cycle skips for its filter is told it is next (WhyAgrees)."""
    from mesotron.core.allocator import why

    def wrap(orig: Any) -> Any:
        def _blocker(al: Any, now: float, agent: Any, fid: str, role: str, offerable: Any) -> Any:
            b = orig(al, now, agent, fid, role, offerable)
            return None if b is not None and b[0] == "decline_filter" else b
        return _blocker
    return _patched(why, "_blocker", wrap)


BUGS["why_ignores_filters"] = why_ignores_filters


def acked_terminal_task_kept() -> contextlib.AbstractContextManager[None]:
    """The master never removes a terminal task when its framework acknowledges the terminal
    update (AckedTerminalTaskRemoved)."""
    from mesotron.core.master import tasks

    return _patched(tasks, "master_ack_removes_task", lambda orig: lambda book, uuid: False)


BUGS["acked_terminal_task_kept"] = acked_terminal_task_kept


def describe_hides_inactive() -> contextlib.AbstractContextManager[None]:
    """The allocator's describe() leaves out its inactive and suppressed frameworks: two
    states the explorer must tell apart read the same (DescribeAgrees)."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def describe(self: Any) -> str:
            hidden = {f"framework {fid} " for fid, fw in self._frameworks.items()
                      if not fw.active or fw.suppressed}
            return "\n".join(line for line in orig(self).split("\n")
                             if not any(line.startswith(h) for h in hidden))
        return describe
    return _patched(Allocator, "describe", wrap)


BUGS["describe_hides_inactive"] = describe_hides_inactive


def offer_constraints_ignored() -> contextlib.AbstractContextManager[None]:
    """The allocator forgets the offer constraints a framework subscribed with: agents whose
    attributes they reject are offered to it (OffersRespectFilters)."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def handler(self: Any, now: float, inp: Any) -> Any:
            return orig(self, now, attrs.evolve(inp, constraints=()))
        return handler

    @contextlib.contextmanager
    def both() -> Iterator[None]:
        with _patched(Allocator, "_handle_add_framework", wrap), \
                _patched(Allocator, "_handle_update_framework", wrap):
            yield
    return both()


BUGS["offer_constraints_ignored"] = offer_constraints_ignored


# s13 mmaster
def agent_reconfiguration_ignored() -> contextlib.AbstractContextManager[None]:
    """The master ignores the total an agent re-registers with: an agent restarted with more
    resources keeps its old total in the master and the allocator (AgentTotalsAgree)."""
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _maybe_reconfigure(self: Any, agent: Any, msg: Any) -> list[Any]:
            return []
        return _maybe_reconfigure
    return _patched(AgentsMixin, "_maybe_reconfigure", wrap)


BUGS["agent_reconfiguration_ignored"] = agent_reconfiguration_ignored


# s13 mmaster
def offers_taken_back_silently() -> contextlib.AbstractContextManager[None]:
    """The master takes an offer back (its agent disconnected, or timed out) without
    rescinding it: the framework keeps holding an offer that no longer exists
    (HeldOffersAgree)."""
    from mesotron.core.master.base import MasterCore

    def wrap(orig: Any) -> Any:
        def _remove_offer(self: Any, oid: str, *, rescind: bool) -> list[Any]:
            return orig(self, oid, rescind=False)
        return _remove_offer
    return _patched(MasterCore, "_remove_offer", wrap)


BUGS["offers_taken_back_silently"] = offers_taken_back_silently


# s13 mmaster
def disconnect_keeps_agent_active() -> contextlib.AbstractContextManager[None]:
    """The master does not deactivate an agent in the allocator when its connection breaks:
    the allocator keeps offering the disconnected agent (NoOffersOfDisconnectedAgents)."""
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _agent_disconnected(self: Any, pid: str) -> list[Any]:
            agent = self._agents[self._pids[pid]]
            was = agent.active
            agent.active = False  # skips the DeactivateAgent branch
            out: list[Any] = orig(self, pid)
            agent.active = was
            return out
        return _agent_disconnected
    return _patched(AgentsMixin, "_agent_disconnected", wrap)


BUGS["disconnect_keeps_agent_active"] = disconnect_keeps_agent_active


# s13 mmaster
def registrations_not_counted() -> contextlib.AbstractContextManager[None]:
    """The master forgets to count the agents it admits: /metrics/snapshot's
    master/slave_registrations stays behind (RegistryCountersAgree)."""
    from mesotron.core.master.base import MasterCore

    def wrap(orig: Any) -> Any:
        def _count(self: Any, name: str, by: float = 1) -> None:
            if name != "master/slave_registrations":
                orig(self, name, by)
        return _count
    return _patched(MasterCore, "_count", wrap)


BUGS["registrations_not_counted"] = registrations_not_counted


# s13 mmaster
def executor_removal_keeps_framework_books() -> contextlib.AbstractContextManager[None]:
    """When an executor exits the master forgets it on its agent but not under its
    framework: the two books disagree (MasterExecutorsAgree)."""
    from mesotron.core.master.base import MasterCore

    def wrap(orig: Any) -> Any:
        def _remove_executor(self: Any, agent: Any, fid: str, eid: str) -> list[Any]:
            info = agent.executors.get((fid, eid))
            out: list[Any] = orig(self, agent, fid, eid)
            fw = self._frameworks.get(fid)
            if info is not None and fw is not None:
                fw.executors[(agent.id, eid)] = info
            return out
        return _remove_executor
    return _patched(MasterCore, "_remove_executor", wrap)


BUGS["executor_removal_keeps_framework_books"] = executor_removal_keeps_framework_books
# s13 mops
def kill_agent_id_unchecked() -> contextlib.AbstractContextManager[None]:
    """The master's structural validation of KILL checks its task id only: a KILL whose
    agent id is empty is not refused as malformed (HostileCallsRefused)."""
    from mesotron.core.master import validation
    from mesotron.core.messages import CallKill

    def wrap(orig: Any) -> Any:
        def _shape_error(call: Any) -> str | None:
            if type(call) is CallKill and call.agent_id == "" and call.task_id:
                return None
            return orig(call)  # type: ignore[no-any-return]
        return _shape_error
    return _patched(validation, "_shape_error", wrap)


def well_formed_messages_refused() -> contextlib.AbstractContextManager[None]:
    """The master's structural validation refuses every MESSAGE (framework to executor) as
    malformed, well-formed ones included (HostileCallsRefused: no simulated framework sends
    one, the hostile client's well-formed twin does)."""
    from mesotron.core.master import validation
    from mesotron.core.messages import CallMessage

    def wrap(orig: Any) -> Any:
        def _shape_error(call: Any) -> str | None:
            if type(call) is CallMessage:
                return "Expecting 'message.agent_id', 'message.executor_id' and 'message.data'"
            return orig(call)  # type: ignore[no-any-return]
        return _shape_error
    return _patched(validation, "_shape_error", wrap)


BUGS["kill_agent_id_unchecked"] = kill_agent_id_unchecked
BUGS["well_formed_messages_refused"] = well_formed_messages_refused


def master_describe_hides_inactive() -> contextlib.AbstractContextManager[None]:
    """The master's describe() prints every framework as connected and active: two states
    the explorer must tell apart read the same (MasterDescribeAgrees)."""
    from mesotron.core.master.queries import StateMixin

    def wrap(orig: Any) -> Any:
        def _describe_framework(self: Any, fw: Any) -> list[str]:
            lines: list[str] = orig(self, fw)
            lines[0] = lines[0].replace(" disconnected ", " connected ").replace(
                " inactive", " active")
            return lines
        return _describe_framework
    return _patched(StateMixin, "_describe_framework", wrap)


BUGS["master_describe_hides_inactive"] = master_describe_hides_inactive


def operator_reservation_not_checkpointed() -> contextlib.AbstractContextManager[None]:
    """An operator's RESERVE_RESOURCES / UNRESERVE_RESOURCES changes the master's books but
    the agent is never told (no CheckpointResources): after its next restart the agent
    reports a total without them (OperatorReservationsApplied)."""
    from mesotron.core.master.operations import OperationsMixin
    from mesotron.core.messages import CheckpointResources

    def wrap(orig: Any) -> Any:
        def _op_reserve_resources(self: Any, *a: Any, **kw: Any) -> list[Any]:
            out: list[Any] = orig(self, *a, **kw)
            return [e for e in out if type(getattr(e, "message", None)) is not CheckpointResources]
        return _op_reserve_resources
    return _patched(OperationsMixin, "_op_reserve_resources", wrap)


BUGS["operator_reservation_not_checkpointed"] = operator_reservation_not_checkpointed


def operator_setting_never_answered() -> contextlib.AbstractContextManager[None]:
    """The master applies an operator's setting (weights, quota, agent (de)activation,
    drains) once its registry write commits but never answers the call: the operator's
    client waits forever (OperatorCallsAnswered)."""
    from mesotron.core.effects import Respond
    from mesotron.core.master.operator import OperatorMixin

    def wrap(orig: Any) -> Any:
        def _setting_committed(self: Any, pending: Any) -> list[Any]:
            return [e for e in orig(self, pending) if type(e) is not Respond]
        return _setting_committed
    return _patched(OperatorMixin, "_setting_committed", wrap)


BUGS["operator_setting_never_answered"] = operator_setting_never_answered


def reservations_not_resent_on_registration() -> contextlib.AbstractContextManager[None]:
    """The master tells an agent its dynamic reservations only as they change, never when
    the agent (re-)registers: an agent that was away when they changed keeps a stale
    checkpoint (SettingsAgree)."""
    from mesotron.core.master.operations import OperationsMixin

    def wrap(orig: Any) -> Any:
        def _tell_agent_reservations(self: Any, agent: Any, dyn: Any = None) -> list[Any]:
            return [] if dyn is None else orig(self, agent, dyn)  # type: ignore[no-any-return]
        return _tell_agent_reservations
    return _patched(OperationsMixin, "_tell_agent_reservations", wrap)


BUGS["reservations_not_resent_on_registration"] = reservations_not_resent_on_registration


def valid_quota_refused() -> contextlib.AbstractContextManager[None]:
    """The master's quota validation refuses every UPDATE_QUOTA, valid ones included
    (400 "Invalid QuotaConfig"): the operator's quota never changes (OperatorCallsAnswered)."""
    from mesotron.core.effects import Respond
    from mesotron.core.master.operator import OperatorMixin

    def wrap(orig: Any) -> Any:
        def _op_update_quota(self: Any, request: str, call: Any) -> list[Any]:
            return [Respond(request=request, status=400, message="Invalid QuotaConfig: refused")]
        return _op_update_quota
    return _patched(OperatorMixin, "_op_update_quota", wrap)


BUGS["valid_quota_refused"] = valid_quota_refused


def deactivation_rescinds_silently() -> contextlib.AbstractContextManager[None]:
    """The master takes back the offers of an agent the operator deactivates or drains
    without telling their frameworks (no RescindResourceOffer): they keep building on
    resources they no longer hold (WithdrawnOffersRescinded)."""
    from mesotron.core.master.operator import OperatorMixin
    from mesotron.core.messages import EventRescind

    def wrap(orig: Any) -> Any:
        def _sync_agent_activation(self: Any, agent_id: str) -> list[Any]:
            return [e for e in orig(self, agent_id)
                    if type(getattr(e, "message", None)) is not EventRescind]
        return _sync_agent_activation
    return _patched(OperatorMixin, "_sync_agent_activation", wrap)


BUGS["deactivation_rescinds_silently"] = deactivation_rescinds_silently
# s13 magent
def agent_forwards_ghost_updates() -> contextlib.AbstractContextManager[None]:
    """The agent takes an executor's update for a task it never gave that executor as an
    update of a completed task: it forwards it (a new stream) and acknowledges it, instead
    of refusing it (HostileExecutorInputRefused, the simulator's ghost_update)."""
    from mesotron.core.agent.base import AgentCore
    from mesotron.core.agent.model import TaskEntry
    from mesotron.core.values import TaskInfo

    def wrap(orig: Any) -> Any:
        def _executor_status(self: Any, now: float, fw: Any, ex: Any, status: Any,
                             sender: str, **kw: Any) -> Any:
            tid = status.task_id
            if tid not in ex.tasks and not any(t.info.task_id == tid for t in ex.completed):
                ghost = TaskEntry(framework_id=fw.id, executor_id=ex.info.executor_id,
                                  info=TaskInfo(name=tid, task_id=tid, agent_id=self.agent_id),
                                  history=[(status.state, "executor")])
                ex.completed.append(ghost)
            return orig(self, now, fw, ex, status, sender, **kw)
        return _executor_status
    return _patched(AgentCore, "_executor_status", wrap)


BUGS["agent_forwards_ghost_updates"] = agent_forwards_ghost_updates


def agent_resubscribes_live_executor() -> contextlib.AbstractContextManager[None]:
    """A second SUBSCRIBE on an executor's live subscription is taken as a new subscription
    (its queued tasks and held kills sent again) instead of refused
    (HostileExecutorInputRefused, the simulator's ghost_update)."""
    from mesotron.core.agent.executors import ExecutorsMixin

    def wrap(orig: Any) -> Any:
        def handleExecutorSubscribe(self: Any, now: float, sender: str, msg: Any) -> Any:
            fw = self.frameworks.get(msg.framework_id)
            ex = fw.executors.get(msg.executor_id) if fw is not None else None
            if ex is not None and ex.pid == sender and ex.state == "running":
                self.by_pid.pop(sender, None)
                ex.pid = None
            return orig(self, now, sender, msg)
        return handleExecutorSubscribe
    return _patched(ExecutorsMixin, "handleExecutorSubscribe", wrap)


BUGS["agent_resubscribes_live_executor"] = agent_resubscribes_live_executor


def agent_kills_launched_tasks_itself() -> contextlib.AbstractContextManager[None]:
    """A KillTask of a task the executor already has is answered by the agent itself
    (TASK_KILLED, REASON_TASK_KILLED_DURING_LAUNCH) instead of being passed to the executor:
    the task's process goes on running (AgentUpdatesTruthful)."""
    from mesotron.core.agent.executors import ExecutorsMixin

    def wrap(orig: Any) -> Any:
        def handleKillTask(self: Any, now: float, msg: Any) -> Any:
            found = self._find_task(msg.framework_id, msg.task_id)
            if found is not None and not found[2].terminal and found[1].pid is not None \
                    and found[0].state != "terminating":
                found[2].queued = True
            return orig(self, now, msg)
        return handleKillTask
    return _patched(ExecutorsMixin, "handleKillTask", wrap)


BUGS["agent_kills_launched_tasks_itself"] = agent_kills_launched_tasks_itself


def sandboxes_collected_early() -> contextlib.AbstractContextManager[None]:
    """The agent reschedules its pending sandbox collections at its start without the
    gc_delay: after a restart, run directories go at once (SandboxesCollected)."""
    from mesotron.core.agent.base import GC_TIMER
    from mesotron.core.agent.recovery import RecoveryMixin
    from mesotron.core.effects import SetTimer

    def wrap(orig: Any) -> Any:
        def _recover_reconnect(self: Any, now: float, rec: Any, **kw: Any) -> Any:
            return [attrs.evolve(e, at=now) if type(e) is SetTimer and e.key[0] == GC_TIMER
                    else e for e in orig(self, now, rec, **kw)]
        return _recover_reconnect
    return _patched(RecoveryMixin, "_recover_reconnect", wrap)


BUGS["sandboxes_collected_early"] = sandboxes_collected_early
# s13 malloc
def recovery_keeps_framework_total() -> contextlib.AbstractContextManager[None]:
    """Resources a framework gives back (declined offers, ended tasks) leave its per-role
    books but not its all-roles total: its overall dominant share only grows
    (AllocatorLedgersAgree)."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def _track(self: Any, fw: Any, role: str, ledger: Any, sign: int) -> None:
            before = dict(fw.total)
            orig(self, fw, role, ledger, sign)
            if sign < 0:
                fw.total.clear()
                fw.total.update(before)
        return _track
    return _patched(Allocator, "_track", wrap)


BUGS["recovery_keeps_framework_total"] = recovery_keeps_framework_total


# s13 malloc
def quota_stage_exempts_frameworks() -> contextlib.AbstractContextManager[None]:
    """The explain mode marks every choice of a cycle as made in the quota stage, the choice
    of a framework inside its role too: DRF order is then never judged (DrfOrder)."""
    from mesotron.core.allocator import cycle, machine

    def wrap(orig: Any) -> Any:
        def run_cycle(al: Any, now: float) -> Any:
            out = orig(al, now)
            al.last_cycle_decisions = [attrs.evolve(d, quota=True)
                                       for d in al.last_cycle_decisions]
            return out
        return run_cycle

    @contextlib.contextmanager
    def both() -> Iterator[None]:
        with _patched(cycle, "run_cycle", wrap), _patched(machine, "run_cycle", wrap):
            yield
    return both()


BUGS["quota_stage_exempts_frameworks"] = quota_stage_exempts_frameworks


def calls_without_stream_taken() -> contextlib.AbstractContextManager[None]:
    """The master takes a non-SUBSCRIBE call without a Mesos-Stream-Id as if it came on the
    framework's stream (any client knowing a framework id can act as the framework)
    (HostileCallsRefused)."""
    from mesotron.core.master.frameworks import FrameworksMixin
    from mesotron.core.messages import CallSubscribe

    def wrap(orig: Any) -> Any:
        def _handle_scheduler_call(self: Any, inp: Any) -> list[Any]:
            fw = self._frameworks.get(inp.framework_id) if isinstance(inp.framework_id, str) else None
            if inp.stream_id is None and fw is not None and fw.stream is not None \
                    and type(inp.call) is not CallSubscribe:
                inp = attrs.evolve(inp, stream_id=fw.stream)
            return orig(self, inp)  # type: ignore[no-any-return]
        return _handle_scheduler_call
    return _patched(FrameworksMixin, "_handle_scheduler_call", wrap)


BUGS["calls_without_stream_taken"] = calls_without_stream_taken



# s14 kalloc
def weight_reset_ignored() -> contextlib.AbstractContextManager[None]:
    """Setting a role's weight back to the default 1 keeps the role's previous weight in the
    allocator (the registry and the operator API say 1): the role stays favoured or starved
    (AllocatorSettingsAgree)."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def _set_weight(self: Any, role: str, weight: float) -> None:
            if weight == 1.0 and role in self._weights:
                return
            orig(self, role, weight)
        return _set_weight
    return _patched(Allocator, "_set_weight", wrap)


BUGS["weight_reset_ignored"] = weight_reset_ignored


# s14 kalloc
def quota_cut_to_guarantee() -> contextlib.AbstractContextManager[None]:
    """The quota cut uses a role's guarantee as its limit where it has one: the role is never
    offered more than its guarantee although its limit allows more (both cycles share the
    cut, so the reference agrees; NothingLeftOfferable)."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def headroom(self: Any, role: str) -> Any:
            room = orig(self, role)
            q = self._quota.get(role)
            if room is None or q is None:
                return room
            used = self._role_alloc.get(role, {})
            return {n: min(v, max(q[1][n] - used.get(n, 0), 0)) if n in q[1] else v
                    for n, v in room.items()}
        return headroom
    return _patched(Allocator, "headroom", wrap)


BUGS["quota_cut_to_guarantee"] = quota_cut_to_guarantee
# s14 kops
def deactivation_keeps_offers() -> contextlib.AbstractContextManager[None]:
    """The master deactivates an agent the operator deactivates or drains in the allocator
    but leaves its outstanding offers held out (no rescind, no recovery): frameworks keep
    launching on an agent the operator took out (NoOffersOfDeactivatedAgents)."""
    from mesotron.core.allocator import machine as alloc
    from mesotron.core.master.operator import OperatorMixin

    def wrap(orig: Any) -> Any:
        def _sync_agent_activation(self: Any, agent_id: str) -> list[Any]:
            agent = self._agents.get(agent_id)
            if agent is None or agent_id not in self.allocator.agent_ids():
                return []
            if agent.connected and not self.agent_deactivated(agent_id):
                return orig(self, agent_id)  # type: ignore[no-any-return]
            return self._alloc(alloc.DeactivateAgent(agent_id=agent_id))  # type: ignore[no-any-return]
        return _sync_agent_activation
    return _patched(OperatorMixin, "_sync_agent_activation", wrap)


BUGS["deactivation_keeps_offers"] = deactivation_keeps_offers


# s14 kops
def state_framework_used_omits_staging() -> contextlib.AbstractContextManager[None]:
    """/master/state's framework entries count in `used_resources` (and `resources`) only
    tasks that have started (not STAGING ones) and show `registered_time` 0 for a framework
    that re-subscribed: an operator sees a framework using less than its tasks hold
    (OperatorViewsAgree)."""
    from mesotron.core.master.queries import StateMixin
    from mesotron.core.values import TaskState

    def wrap(orig: Any) -> Any:
        def _framework_json(self: Any, f: Any) -> dict[str, Any]:
            out: dict[str, Any] = orig(self, f)
            staging = [t for t in f.tasks.values() if t.state is TaskState.TASK_STAGING]
            for t in staging:
                for k in ("used_resources", "resources"):
                    out[k] = {n: (v - t.resources.scalar(n) if isinstance(v, float) else v)
                              for n, v in out[k].items()}
            if f.reregistered_time is not None:
                out["registered_time"] = 0
            return out
        return _framework_json
    return _patched(StateMixin, "_framework_json", wrap)


BUGS["state_framework_used_omits_staging"] = state_framework_used_omits_staging


# s14 kops
def reservations_not_applied_on_reregistration() -> contextlib.AbstractContextManager[None]:
    """The master ignores the dynamic reservations its registry holds for an agent that
    (re-)registers: the agent's total loses them (they are offered unreserved to any role)
    while the registry and the agent's checkpoint still hold them (SettingsAgree)."""
    from mesotron.core.master.operations import OperationsMixin

    def wrap(orig: Any) -> Any:
        def _with_reservations(self: Any, info: Any) -> tuple[Any, list[Any]]:
            return info, []
        return _with_reservations
    return _patched(OperationsMixin, "_with_reservations", wrap)


BUGS["reservations_not_applied_on_reregistration"] = reservations_not_applied_on_reregistration


# s14 kops
def finished_operations_lose_conversion() -> contextlib.AbstractContextManager[None]:
    """The OPERATION_FINISHED update of an offer operation carries no converted resources:
    a framework cannot tell what its RESERVE / UNRESERVE produced (OperationFeedbackAgrees)."""
    from mesotron.core.master.operations import OperationsMixin
    from mesotron.core.resources import Resources

    def wrap(orig: Any) -> Any:
        def _operation_status(self: Any, fw: Any, agent_id: str, op: Any, old: Any, new: str,
                              message: str, *, acked: bool, converted: Any = None) -> list[Any]:
            if new == "OPERATION_FINISHED":
                converted = Resources()
            return orig(self, fw, agent_id, op, old, new, message, acked=acked,  # type: ignore[no-any-return]
                        converted=converted)
        return _operation_status
    return _patched(OperationsMixin, "_operation_status", wrap)


BUGS["finished_operations_lose_conversion"] = finished_operations_lose_conversion


# s14 kops
def pending_operations_forgotten() -> contextlib.AbstractContextManager[None]:
    """The master applies a valid offer operation with an id but keeps no record of it
    (no OPERATION_PENDING, so no OPERATION_FINISHED once its registry write commits): the
    framework never hears how its RESERVE / UNRESERVE ended (OperationFeedbackAgrees)."""
    from mesotron.core.master.operations import PENDING, OperationsMixin

    def wrap(orig: Any) -> Any:
        def _offer_operation(self: Any, fw: Any, agent: Any, role: str, op: Any,
                             remaining: Any) -> tuple[list[Any], Any]:
            out, left = orig(self, fw, agent, role, op, remaining)
            rec = self._operations.get((fw.id, op.id))
            if rec is not None and rec.state == PENDING:
                del self._operations[(fw.id, op.id)]
            return out, left
        return _offer_operation
    return _patched(OperationsMixin, "_offer_operation", wrap)


BUGS["pending_operations_forgotten"] = pending_operations_forgotten


# s14 kops
def static_reservations_reserved() -> contextlib.AbstractContextManager[None]:
    """The operator API's RESERVE_RESOURCES checks that each resource is reserved, not that
    its reservation is DYNAMIC: a STATIC reservation is taken and booked as a dynamic one
    (InvalidOperatorCallsRefused: Mesos answers 400)."""
    from mesotron.core.master.operations import OperationsMixin
    from mesotron.core.resources import Reservation, Resources

    def wrap(orig: Any) -> Any:
        def _op_reserve_resources(self: Any, request: str, agent_id: str, resources: Any,
                                  reserve: bool) -> list[Any]:
            fixed = []
            for r in resources:
                top = r.reservations[-1] if r.reservations else None
                if top is not None and top.type == "STATIC":
                    r = Resources([r]).pop_reservation().push_reservation(Reservation(
                        type="DYNAMIC", role=top.role, principal=top.principal))
                else:
                    r = Resources([r])
                fixed.append(r)
            res = Resources()
            for r in fixed:
                res = res + r
            return orig(self, request, agent_id, res, reserve)  # type: ignore[no-any-return]
        return _op_reserve_resources
    return _patched(OperationsMixin, "_op_reserve_resources", wrap)


BUGS["static_reservations_reserved"] = static_reservations_reserved


# s14 kops
def why_ranks_from_zero() -> contextlib.AbstractContextManager[None]:
    """GET /master/why's DRF tables rank a role's frameworks from 0 (the first one served
    is shown rank 0, one that is not first rank 1...): the operator reads the wrong
    framework as next (WhyExplains)."""
    from mesotron.core.master.why import Why

    def wrap(orig: Any) -> Any:
        def to_json(self: Any, max_agents: int = 50) -> dict[str, Any]:
            out: dict[str, Any] = orig(self, max_agents)
            for r in out.get("roles_drf", ()):
                for f in r["frameworks"]:
                    f["rank"] -= 1
            return out
        return to_json
    return _patched(Why, "to_json", wrap)


BUGS["why_ranks_from_zero"] = why_ranks_from_zero


# s14 kops
def roles_whitelist_ignored() -> contextlib.AbstractContextManager[None]:
    """The operator API's weight and quota validation forgets the master's --roles
    whitelist: a weight or quota for a role no framework may use is taken
    (InvalidOperatorCallsRefused: Mesos answers 400)."""
    from mesotron.core.master.operator import OperatorMixin

    def wrap(orig: Any) -> Any:
        def _check_role(self: Any, role: str) -> str | None:
            err: str | None = orig(self, role)
            return None if err is not None and "--roles" in err else err
        return _check_role
    return _patched(OperatorMixin, "_check_role", wrap)


BUGS["roles_whitelist_ignored"] = roles_whitelist_ignored


# s14 kops
def agent_task_records_unchecked() -> contextlib.AbstractContextManager[None]:
    """The master's validation of a re-registering agent's report checks each task record's
    TaskInfo, state and resources but not its framework id: a broken peer's report of a task
    of no framework is taken (MalformedAgentMessagesRefused)."""
    from mesotron.core.master import validation

    def wrap(orig: Any) -> Any:
        def _task_records_ok(tasks: Any) -> bool:
            if isinstance(tasks, tuple):
                tasks = tuple(attrs.evolve(t, framework_id=t.framework_id or "f")
                              if attrs.has(type(t)) and hasattr(t, "framework_id") else t
                              for t in tasks)
            return orig(tasks)  # type: ignore[no-any-return]
        return _task_records_ok
    return _patched(validation, "_task_records_ok", wrap)


BUGS["agent_task_records_unchecked"] = agent_task_records_unchecked


# s14 kops
def why_lists_connected_agents() -> contextlib.AbstractContextManager[None]:
    """GET /master/why lists every agent under `agents_disconnected` (the connected ones
    too): the operator is told agents are away that are not (WhyExplains)."""
    from mesotron.core.master.why import Why

    def wrap(orig: Any) -> Any:
        def to_json(self: Any, max_agents: int = 50) -> dict[str, Any]:
            out: dict[str, Any] = orig(self, max_agents)
            out["agents_disconnected"] = sorted({*out["agents_disconnected"], *out["agents_inactive"],
                                                 *(a["agent_id"] for a in out.get("agents", ()))})
            return out
        return to_json
    return _patched(Why, "to_json", wrap)


BUGS["why_lists_connected_agents"] = why_lists_connected_agents


# s14 kops
def users_of_ignores_completed() -> contextlib.AbstractContextManager[None]:
    """The master's `users_of` (the ACL objects of operator events about a framework) knows
    only live frameworks: a completed framework's events are authorized as if it had no
    user (OperatorViewsAgree)."""
    from mesotron.core.master.queries import StateMixin

    def wrap(orig: Any) -> Any:
        def users_of(self: Any, framework_id: str, task_id: Any = None) -> Any:
            if framework_id not in self._frameworks:
                return None, None
            return orig(self, framework_id, task_id)
        return users_of
    return _patched(StateMixin, "users_of", wrap)


BUGS["users_of_ignores_completed"] = users_of_ignores_completed


# s14 kops
def drained_agents_never_gone() -> contextlib.AbstractContextManager[None]:
    """A DRAIN_AGENT with mark_gone drains the agent but never marks it gone: it stays
    registered, DRAINED, though the operator asked for it to be removed (SettingsAgree)."""
    from mesotron.core.master.operator import OperatorMixin

    def wrap(orig: Any) -> Any:
        def _mark_gone(self: Any, agent_id: str, why: str, request: Any = None) -> list[Any]:
            if request is None:  # the drain's own marking (an operator's MARK_AGENT_GONE has one)
                return []
            return orig(self, agent_id, why, request)  # type: ignore[no-any-return]
        return _mark_gone
    return _patched(OperatorMixin, "_mark_gone", wrap)


BUGS["drained_agents_never_gone"] = drained_agents_never_gone


# s14 kops
def why_hides_drf_tables() -> contextlib.AbstractContextManager[None]:
    """GET /master/why leaves the DRF tables out of its answer (`roles_drf`): the operator
    cannot see where the framework stands in its roles (WhyExplains)."""
    from mesotron.core.master.why import Why

    def wrap(orig: Any) -> Any:
        def to_json(self: Any, max_agents: int = 50) -> dict[str, Any]:
            out: dict[str, Any] = orig(self, max_agents)
            out.pop("roles_drf", None)
            return out
        return to_json
    return _patched(Why, "to_json", wrap)


BUGS["why_hides_drf_tables"] = why_hides_drf_tables
# s14 kmaster
def pongs_keep_missed_pings() -> contextlib.AbstractContextManager[None]:
    """A Pong clears the pending ping but not the count of missed ones: pings the network
    lost now and then add up, and an agent that answers is marked unreachable
    (AnsweringAgentsKept)."""
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _pong(self: Any, sender: str, msg: Any) -> list[Any]:
            agent = self._agents.get(self._pids.get(sender, ""))
            missed = agent.missed_pings if agent is not None else 0
            out: list[Any] = orig(self, sender, msg)
            if agent is not None:
                agent.missed_pings = missed
            return out
        return _pong
    return _patched(AgentsMixin, "_pong", wrap)


BUGS["pongs_keep_missed_pings"] = pongs_keep_missed_pings


# s14 kmaster
def teardown_keeps_stream_open() -> contextlib.AbstractContextManager[None]:
    """A removed framework's subscription stream is left open (the scheduler never learns
    it was torn down) (TornDownFrameworksClosed)."""
    from mesotron.core.effects import Close
    from mesotron.core.master.frameworks import FrameworksMixin

    def wrap(orig: Any) -> Any:
        def _remove_framework(self: Any, fw: Any) -> list[Any]:
            stream = fw.stream
            out: list[Any] = orig(self, fw)
            return [e for e in out if not (type(e) is Close and e.peer == stream)]
        return _remove_framework
    return _patched(FrameworksMixin, "_remove_framework", wrap)


BUGS["teardown_keeps_stream_open"] = teardown_keeps_stream_open


# s14 kmaster
def readmitted_tasks_unknown_to_framework() -> contextlib.AbstractContextManager[None]:
    """A readmitted agent's tasks are booked under the agent only, not under their
    frameworks (MasterBooksIndexed)."""
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _readmit(self: Any, sender: str, msg: Any) -> list[Any]:
            known = {fid: set(fw.tasks) for fid, fw in self._frameworks.items()}
            out: list[Any] = orig(self, sender, msg)
            for rec in msg.tasks:
                fw = self._frameworks.get(rec.framework_id)
                if fw is not None and rec.task.task_id not in known.get(fw.id, ()):
                    fw.tasks.pop(rec.task.task_id, None)
            return out
        return _readmit
    return _patched(AgentsMixin, "_readmit", wrap)


BUGS["readmitted_tasks_unknown_to_framework"] = readmitted_tasks_unknown_to_framework


# s14 kmaster
def registry_gc_prunes_nothing() -> contextlib.AbstractContextManager[None]:
    """The registry GC timer re-arms itself but never prunes (RegistryGcPrunes; needs a
    short --registry-gc: SimConfig.registry_gc)."""
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _registry_gc_fired(self: Any) -> list[Any]:
            return [self._timer(("registry_gc",), self.config.registry_gc_interval)]
        return _registry_gc_fired
    return _patched(AgentsMixin, "_registry_gc_fired", wrap)


BUGS["registry_gc_prunes_nothing"] = registry_gc_prunes_nothing


# s14 kmaster
def reregister_timeout_ignored() -> contextlib.AbstractContextManager[None]:
    """The master's agent_reregister_timeout after a failover does nothing: an agent that
    never comes back stays "recovered" forever, its tasks never unreachable
    (UnreregisteredAgentsMarked)."""
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _reregister_timeout_fired(self: Any) -> list[Any]:
            return []
        return _reregister_timeout_fired
    return _patched(AgentsMixin, "_reregister_timeout_fired", wrap)


BUGS["reregister_timeout_ignored"] = reregister_timeout_ignored
# s14 kagent
def cgroup_memory_lowered_under_use() -> contextlib.AbstractContextManager[None]:
    """The isolator's cgroups v2 memory controller writes every new memory.max, also one
    below what the container's processes use (the kernel's OOM killer then fires on a
    container that only lost a task) (LimitationsEnforced)."""
    from mesotron.core.agent import isolation

    return _patched(isolation, "v2_memory_max",
                    lambda orig: lambda current, wanted: str(wanted))


BUGS["cgroup_memory_lowered_under_use"] = cgroup_memory_lowered_under_use


# s14 kagent
def cgroup_cpu_shares_per_core() -> contextlib.AbstractContextManager[None]:
    """The isolator's cgroups v1 files give a container CPU shares by whole cores (1024 per
    started core: a 0.25-cpu task weighs as much as a 1-cpu one) (LimitationsEnforced)."""
    import math

    from mesotron.core.agent import isolation

    def wrap(orig: Any) -> Any:
        def v1_files(limits: Any, iso: Any) -> dict[str, dict[str, str]]:
            out = orig(limits, iso)
            if "cpu" in out:
                out["cpu"]["cpu.shares"] = str(1024 * max(1, math.ceil(limits.cpus)))
            return out  # type: ignore[no-any-return]
        return v1_files
    return _patched(isolation, "v1_files", wrap)


BUGS["cgroup_cpu_shares_per_core"] = cgroup_cpu_shares_per_core


# s14 kagent
def update_retries_never_back_off() -> contextlib.AbstractContextManager[None]:
    """The status-update manager resends an unacknowledged update every retry_min (10 s)
    forever instead of doubling the interval up to retry_max (UpdateRetriesBackOff)."""
    from mesotron.core.status_updates import TaskStatusUpdateManager

    def wrap(orig: Any) -> Any:
        def handleTimer(self: Any, now: float, fired: Any) -> list[Any]:
            stream = self.streams.get((fired.key[1], fired.key[2])) if len(fired.key) == 3 else None
            if stream is not None:
                stream.interval = self.config.retry_min / 2
            return orig(self, now, fired)  # type: ignore[no-any-return]
        return handleTimer
    return _patched(TaskStatusUpdateManager, "handleTimer", wrap)


BUGS["update_retries_never_back_off"] = update_retries_never_back_off


# s14 kagent
def nested_container_skipped() -> contextlib.AbstractContextManager[None]:
    """A task launched on a command executor that already runs gets no nested container:
    the agent never sends the UpdateContainer that creates it (and grows the executor's
    container), so the task runs outside any limit of its own (LimitationsEnforced)."""
    from mesotron.core.agent.executors import ExecutorsMixin
    from mesotron.core.agent.model import LaunchExecutor, UpdateContainer

    def wrap(orig: Any) -> Any:
        def _run(self: Any, *a: Any, **kw: Any) -> list[Any]:
            out = orig(self, *a, **kw)
            if any(type(e) is LaunchExecutor for e in out):
                return out  # type: ignore[no-any-return]
            return [e for e in out if type(e) is not UpdateContainer]
        return _run
    return _patched(ExecutorsMixin, "_run", wrap)


BUGS["nested_container_skipped"] = nested_container_skipped


# s14 kagent
def removed_sandboxes_never_scheduled() -> contextlib.AbstractContextManager[None]:
    """The agent removes an executor without scheduling its run directory's collection
    (nothing is checkpointed pending, no GC timer): the sandbox stays on disk forever
    (SandboxesCollected)."""
    from mesotron.core.agent.base import AgentCore

    return _patched(AgentCore, "_schedule_gc",
                    lambda orig: lambda self, now, fw_id, ex_id, container_id: [])


BUGS["removed_sandboxes_never_scheduled"] = removed_sandboxes_never_scheduled


# s14 kagent
def updates_sent_while_disconnected() -> contextlib.AbstractContextManager[None]:
    """The agent does not pause its status-update manager when it loses its master: it
    keeps retrying unacknowledged updates into the void while it re-registers
    (UpdateRetriesBackOff)."""
    from mesotron.core.agent.machine import Agent
    from mesotron.core.effects import CancelTimer
    from mesotron.core.status_updates import RETRY_TIMER

    def wrap(orig: Any) -> Any:
        def _become_disconnected(self: Any, now: float) -> list[Any]:
            paused = self.sum.paused
            armed = {k: st.timer_at for k, st in self.sum.streams.items()}
            out = orig(self, now)
            self.sum.paused = paused
            for k, at in armed.items():
                if k in self.sum.streams:
                    self.sum.streams[k].timer_at = at
            return [e for e in out if not (type(e) is CancelTimer and e.key[0] == RETRY_TIMER)]
        return _become_disconnected
    return _patched(Agent, "_become_disconnected", wrap)


BUGS["updates_sent_while_disconnected"] = updates_sent_while_disconnected


# s14 kagent
def completed_frameworks_forgotten() -> contextlib.AbstractContextManager[None]:
    """The agent forgets a framework it removes instead of keeping it (and its completed
    executors) under /state's completed_frameworks (AgentViewsAgree)."""
    from mesotron.core.agent.base import AgentCore

    def wrap(orig: Any) -> Any:
        def _remove_framework(self: Any, now: float, fw: Any) -> list[Any]:
            out = orig(self, now, fw)
            if self.completed_frameworks and self.completed_frameworks[-1] is fw:
                self.completed_frameworks.pop()
            return out  # type: ignore[no-any-return]
        return _remove_framework
    return _patched(AgentCore, "_remove_framework", wrap)


BUGS["completed_frameworks_forgotten"] = completed_frameworks_forgotten


# s14 kagent
def task_groups_delivered_apart() -> contextlib.AbstractContextManager[None]:
    """When an executor subscribes, the agent hands it the queued tasks of a task group one
    LAUNCH each instead of one LAUNCH_GROUP (a default executor sees tasks it was never
    given as a group) (ExecutorLaunchesAgree)."""
    from mesotron.core.agent.executors import ExecutorsMixin
    from mesotron.core.effects import Send
    from mesotron.core.messages import ExecutorLaunch, ExecutorLaunchGroup

    def wrap(orig: Any) -> Any:
        def handleExecutorSubscribe(self: Any, *a: Any, **kw: Any) -> list[Any]:
            out: list[Any] = []
            for e in orig(self, *a, **kw):
                if type(e) is Send and type(e.message) is ExecutorLaunchGroup:
                    out += [Send(to=e.to, message=ExecutorLaunch(task=t)) for t in e.message.tasks]
                else:
                    out.append(e)
            return out
        return handleExecutorSubscribe
    return _patched(ExecutorsMixin, "handleExecutorSubscribe", wrap)


BUGS["task_groups_delivered_apart"] = task_groups_delivered_apart


# s14 lead
def cgroup_v2_left_unlimited() -> contextlib.AbstractContextManager[None]:
    """The isolator's cgroups v2 memory controller keeps a memory.max that reads "max" (the
    cgroupfs default of a new cgroup), so it never limits a container on a cgroups v2 host:
    main's rule until s14 (LimitationsEnforced)."""
    from mesotron.core.agent import isolation

    def wrap(orig: Any) -> Any:
        def v2_memory_max(current: str | None, wanted: int) -> str | None:
            if current is not None and current.strip() == "max":
                return None
            return orig(current, wanted)  # type: ignore[no-any-return]
        return v2_memory_max
    return _patched(isolation, "v2_memory_max", wrap)


BUGS["cgroup_v2_left_unlimited"] = cgroup_v2_left_unlimited


# s16 lead
def framework_messages_dropped() -> contextlib.AbstractContextManager[None]:
    """The agent never hands a framework message to its executor (it counts it delivered all
    the same): MESSAGE calls vanish between agent and executor (MessagesRelayed)."""
    from mesotron.core.agent.executors import ExecutorsMixin
    from mesotron.core.effects import Send

    def wrap(orig: Any) -> Any:
        def handleFrameworkToExecutor(self: Any, now: float, msg: Any) -> list[Any]:
            return [e for e in orig(self, now, msg) if type(e) is not Send]
        return handleFrameworkToExecutor
    return _patched(ExecutorsMixin, "handleFrameworkToExecutor", wrap)


def unreported_executors_kept() -> contextlib.AbstractContextManager[None]:
    """The master keeps booking the executors a re-registering agent it knows no longer
    reports (Mesos's reconcileKnownSlave removes them): their resources stay used forever
    (NoResourceLeak)."""
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _reconnect_known(self: Any, agent: Any, sender: str, msg: Any) -> list[Any]:
            told = {(e.framework_id, e.executor_id) for e in msg.executor_infos}
            kept = tuple(info for key, info in sorted(agent.executors.items())
                         if key not in told)
            return orig(self, agent, sender,  # type: ignore[no-any-return]
                        attrs.evolve(msg, executor_infos=msg.executor_infos + kept))
        return _reconnect_known
    return _patched(AgentsMixin, "_reconnect_known", wrap)


BUGS["framework_messages_dropped"] = framework_messages_dropped
BUGS["unreported_executors_kept"] = unreported_executors_kept
# ==== s16 kproto
def executor_updates_unpersisted() -> contextlib.AbstractContextManager[None]:
    """The agent forwards an executor's update and acknowledges it to the executor without
    checkpointing it, also when the framework checkpoints (ExecutorAcksCheckpointed)."""
    from mesotron.core.agent.base import AgentCore
    from mesotron.core.effects import Persist
    from mesotron.core.status_updates import UpdateRecord

    def wrap(orig: Any) -> Any:
        def _executor_status(self: Any, *a: Any, **kw: Any) -> tuple[list[Any], list[Any]]:
            effects, acks = orig(self, *a, **kw)
            return [e for e in effects
                    if not (type(e) is Persist and type(e.record) is UpdateRecord)], acks
        return _executor_status
    return _patched(AgentCore, "_executor_status", wrap)


BUGS["executor_updates_unpersisted"] = executor_updates_unpersisted


def checkpointing_executors_shut_down() -> contextlib.AbstractContextManager[None]:
    """When an executor's connection breaks the agent shuts the executor down whether or not
    its framework checkpoints, as Mesos does only for a framework that does not
    (ExecutorDisconnectionsTolerated)."""
    from mesotron.core.agent.executors import ExecutorsMixin

    def wrap(orig: Any) -> Any:
        def handleExecutorDisconnected(self: Any, now: float, pid: str) -> list[Any]:
            where = self.by_pid.get(pid)
            fw = self.frameworks.get(where[0]) if where is not None else None
            ex = fw.executors.get(where[1]) if fw is not None else None
            if ex is None:
                return orig(self, now, pid)  # type: ignore[no-any-return]
            was, ex.checkpoint = ex.checkpoint, False
            try:
                return orig(self, now, pid)  # type: ignore[no-any-return]
            finally:
                ex.checkpoint = was
        return handleExecutorDisconnected
    return _patched(ExecutorsMixin, "handleExecutorDisconnected", wrap)


BUGS["checkpointing_executors_shut_down"] = checkpointing_executors_shut_down


def implicit_reconcile_skips_staging() -> contextlib.AbstractContextManager[None]:
    """An implicit reconciliation leaves out the tasks the master books TASK_STAGING (as if
    they were not launched yet) (ImplicitReconcileAnswered)."""
    from mesotron.core.effects import Send
    from mesotron.core.master.tasks import TasksMixin
    from mesotron.core.messages import EventUpdate
    from mesotron.core.values import TaskState

    def wrap(orig: Any) -> Any:
        def _reconcile_implicit(self: Any, fw: Any) -> list[Any]:
            out: list[Any] = orig(self, fw)
            staging = {tid for tid, t in fw.tasks.items() if t.state is TaskState.TASK_STAGING}
            return [e for e in out if not (type(e) is Send and type(e.message) is EventUpdate
                                           and e.message.status.task_id in staging)]
        return _reconcile_implicit
    return _patched(TasksMixin, "_reconcile_implicit", wrap)


BUGS["implicit_reconcile_skips_staging"] = implicit_reconcile_skips_staging


def removed_frameworks_resubscribe() -> contextlib.AbstractContextManager[None]:
    """The master forgets that it removed a framework when the framework subscribes again
    with its id: it is admitted back as a framework this master does not know
    (RemovedFrameworksRefused)."""
    from mesotron.core.master.frameworks import FrameworksMixin

    def wrap(orig: Any) -> Any:
        def _subscribe(self: Any, inp: Any, call: Any) -> list[Any]:
            fid = call.framework_info.id
            if fid is not None:
                self._completed_frameworks.pop(fid, None)
            return orig(self, inp, call)  # type: ignore[no-any-return]
        return _subscribe
    return _patched(FrameworksMixin, "_subscribe", wrap)


BUGS["removed_frameworks_resubscribe"] = removed_frameworks_resubscribe


def terminal_uuid_unbooked() -> contextlib.AbstractContextManager[None]:
    """The master books a terminal update's state as the task's forwarded update but not
    its uuid (it keeps the previous one): the terminal update's acknowledgement never
    matches and the task stays in the live books (AckedTerminalTaskRemoved, s16 kproto:
    the s12 check, which compares with the booked uuid, cannot see it)."""
    from mesotron.core.master.base import MasterCore

    def wrap(orig: Any) -> Any:
        def _update_task(self: Any, task: Any, status: Any, **kw: Any) -> list[Any]:
            before = task.status_update_uuid
            out: list[Any] = orig(self, task, status, **kw)
            if status.state.is_terminal:
                task.status_update_uuid = before
            return out
        return _update_task
    return _patched(MasterCore, "_update_task", wrap)


BUGS["terminal_uuid_unbooked"] = terminal_uuid_unbooked


def explain_mode_unrecorded() -> contextlib.AbstractContextManager[None]:
    """The allocator's explain mode allocates agents without recording its decisions (the
    production path's `_allocate_agent`): DrfOrder has nothing to judge (DrfOrder, s16
    kproto)."""
    from mesotron.core.allocator import cycle

    return _patched(cycle, "_explained_agent",
                    lambda orig: lambda al, now, agent, effects, decisions:
                    cycle._allocate_agent(al, now, agent, effects))


BUGS["explain_mode_unrecorded"] = explain_mode_unrecorded


def killed_executors_unreported() -> contextlib.AbstractContextManager[None]:
    """The agent does not tell the master about a custom executor that was killed (exit
    status from a signal): the master keeps booking it and its resources
    (ExitedExecutorsReported)."""
    from mesotron.core.agent.base import AgentCore
    from mesotron.core.effects import Send
    from mesotron.core.messages import ExitedExecutor

    def wrap(orig: Any) -> Any:
        def _executor_terminated(self: Any, now: float, fw: Any, ex: Any, status: int) -> list[Any]:
            out: list[Any] = orig(self, now, fw, ex, status)
            if status >= 0 and status < 128:
                return out
            return [e for e in out if not (type(e) is Send and type(e.message) is ExitedExecutor)]
        return _executor_terminated
    return _patched(AgentCore, "_executor_terminated", wrap)


BUGS["killed_executors_unreported"] = killed_executors_unreported


def removed_framework_tasks_left_running() -> contextlib.AbstractContextManager[None]:
    """When the master removes a framework, its live tasks join the completed tasks in the
    state they had (not booked TASK_KILLED) (CompletedTasksTerminal)."""
    from mesotron.core.master.frameworks import FrameworksMixin

    def wrap(orig: Any) -> Any:
        def _remove_framework(self: Any, fw: Any) -> list[Any]:
            live = {tid: t.state for tid, t in fw.tasks.items() if not t.state.is_terminal}
            out: list[Any] = orig(self, fw)
            for tid, state in live.items():
                t = fw.completed_tasks.get(tid)
                if t is not None:
                    t.state = state
            return out
        return _remove_framework
    return _patched(FrameworksMixin, "_remove_framework", wrap)


BUGS["removed_framework_tasks_left_running"] = removed_framework_tasks_left_running
# ==== s16 kobs
def invalid_updates_uncounted() -> contextlib.AbstractContextManager[None]:
    """The agent refuses an executor's malformed UPDATE (400) without counting it in its
    `invalid_status_updates` metric: operators see no invalid updates (MetricsAgree)."""
    from mesotron.core.agent.executors import ExecutorsMixin
    from mesotron.core.effects import Reject

    def wrap(orig: Any) -> Any:
        def handleExecutorUpdate(self: Any, now: float, sender: str, msg: Any) -> list[Any]:
            out = orig(self, now, sender, msg)
            if out and type(out[0]) is Reject and out[0].status == 400:
                self.counters["invalid_status_updates"] -= 1
            return out  # type: ignore[no-any-return]
        return handleExecutorUpdate
    return _patched(ExecutorsMixin, "handleExecutorUpdate", wrap)


BUGS["invalid_updates_uncounted"] = invalid_updates_uncounted


# s16 kobs
def framework_disconnect_unlogged() -> contextlib.AbstractContextManager[None]:
    """The master deactivates a framework whose stream broke but writes no
    `framework_disconnected` line: the operator's log never shows it went away (LogsRecord)."""
    from mesotron.core.effects import Log
    from mesotron.core.master.frameworks import FrameworksMixin

    def wrap(orig: Any) -> Any:
        def _framework_disconnected(self: Any, stream: str) -> list[Any]:
            return [e for e in orig(self, stream)
                    if not (type(e) is Log and e.event == "framework_disconnected")]
        return _framework_disconnected
    return _patched(FrameworksMixin, "_framework_disconnected", wrap)


BUGS["framework_disconnect_unlogged"] = framework_disconnect_unlogged


# s16 kobs
def run_task_refused_unauthorized() -> contextlib.AbstractContextManager[None]:
    """The agent refuses a malformed RunTask 401 Unauthorized instead of Mesos's 400 Bad
    Request (AnswersAsMesos)."""
    from mesotron.core.agent.executors import ExecutorsMixin
    from mesotron.core.effects import Reject

    def wrap(orig: Any) -> Any:
        def _run(self: Any, *a: Any, **kw: Any) -> list[Any]:
            return [attrs.evolve(e, status=401) if type(e) is Reject else e
                    for e in orig(self, *a, **kw)]
        return _run
    return _patched(ExecutorsMixin, "_run", wrap)


BUGS["run_task_refused_unauthorized"] = run_task_refused_unauthorized


# ==== s17 longrun
def reboot_refuses_grown_agents() -> contextlib.AbstractContextManager[None]:
    """After a host reboot the agent takes any change of its AgentInfo for an incompatible
    one (equality instead of Mesos's additive reconfiguration policy): an agent the operator
    restarted in place with more resources starts as a NEW agent after its next reboot,
    dropping its checkpointed status-update streams (RebootRecovery; before s17 it was found
    as NoLostAckedWork at event 43,240 of `mesotron sim --seed 7 --events 50000 --faults all
    --operator --fast-alloc`)."""
    from mesotron.core.agent import recovery

    def wrap(orig: Any) -> Any:
        def additive_incompatibility(old: Any, new: Any) -> str | None:
            same = (old.hostname, old.resources, old.attributes) == \
                (new.hostname, new.resources, new.attributes)
            return None if same else "changed"
        return additive_incompatibility
    return _patched(recovery, "additive_incompatibility", wrap)


BUGS["reboot_refuses_grown_agents"] = reboot_refuses_grown_agents


# s16 kdrive
def shutdown_executor_whole_framework() -> contextlib.AbstractContextManager[None]:
    """The agent shuts down every executor of the framework on a SHUTDOWN of one of them
    (Mesos's `Slave::shutdownExecutor` shuts down exactly the one named):
    ExecutorShutdownsHonoured."""
    from mesotron.core.agent.executors import ExecutorsMixin

    def wrap(orig: Any) -> Any:
        def handleShutdownExecutor(self: Any, now: float, msg: Any) -> list[Any]:
            out: list[Any] = orig(self, now, msg)
            fw = self.frameworks.get(msg.framework_id)
            if fw is not None and msg.executor_id in fw.executors:
                for ex_id, ex in sorted(fw.executors.items()):
                    if ex_id != msg.executor_id:
                        out += self._shutdown_executor(now, fw, ex)
            return out
        return handleShutdownExecutor
    return _patched(ExecutorsMixin, "handleShutdownExecutor", wrap)


def kill_agent_id_ignored() -> contextlib.AbstractContextManager[None]:
    """The master ignores the agent a KILL names: a kill naming another agent than the
    task's still kills it (Mesos's `Master::kill` ignores such a kill): KillsReachTheirAgent."""
    from mesotron.core.master.tasks import TasksMixin

    def wrap(orig: Any) -> Any:
        def _call_kill(self: Any, fw: Any, call: Any) -> list[Any]:
            return orig(self, fw, attrs.evolve(call, agent_id=None))  # type: ignore[no-any-return]
        return _call_kill
    return _patched(TasksMixin, "_call_kill", wrap)


def custom_executor_run_as_command() -> contextlib.AbstractContextManager[None]:
    """The agent runs a task launched with a custom ExecutorInfo as a command task (under its
    command executor, with the command the task's data carries): CustomExecutorsRun."""
    from mesotron.core.agent.executors import ExecutorsMixin
    from mesotron.core.values import CommandInfo

    def wrap(orig: Any) -> Any:
        def handleRunTask(self: Any, now: float, sender: str, msg: Any) -> list[Any]:
            t = msg.task
            if t.executor is not None and t.executor.type == "CUSTOM":
                msg = attrs.evolve(msg, task=attrs.evolve(
                    t, executor=None, command=CommandInfo(value=t.data.decode())))
            return orig(self, now, sender, msg)  # type: ignore[no-any-return]
        return handleRunTask
    return _patched(ExecutorsMixin, "handleRunTask", wrap)


BUGS["shutdown_executor_whole_framework"] = shutdown_executor_whole_framework
BUGS["kill_agent_id_ignored"] = kill_agent_id_ignored
BUGS["custom_executor_run_as_command"] = custom_executor_run_as_command


# ==== s17 killa
def launches_resent_on_resubscribe() -> contextlib.AbstractContextManager[None]:
    """An executor that subscribes again is handed every task it runs once more, not only
    the queued ones (TasksLaunchedOnce)."""
    from mesotron.core.agent.executors import ExecutorsMixin
    from mesotron.core.effects import Send
    from mesotron.core.messages import ExecutorLaunch, ExecutorSubscribed

    def wrap(orig: Any) -> Any:
        def handleExecutorSubscribe(self: Any, now: float, sender: str, msg: Any) -> list[Any]:
            out = orig(self, now, sender, msg)
            if not any(type(e) is Send and type(e.message) is ExecutorSubscribed for e in out):
                return out
            fw = self.frameworks.get(msg.framework_id)
            ex = fw.executors.get(msg.executor_id) if fw is not None else None
            if ex is None:
                return out
            sent = {e.message.task.task_id for e in out
                    if type(e) is Send and type(e.message) is ExecutorLaunch}
            for t in ex.tasks.values():
                if not t.terminal and t.group is None and t.info.task_id not in sent:
                    out.append(Send(to=sender, message=ExecutorLaunch(task=t.info)))
            return out
        return handleExecutorSubscribe
    return _patched(ExecutorsMixin, "handleExecutorSubscribe", wrap)


def command_executors_reregistered() -> contextlib.AbstractContextManager[None]:
    """An agent's re-registration lists its command executors among the executors the
    master should book (CommandExecutorsUnreported)."""
    from mesotron.core.agent.machine import Agent

    def wrap(orig: Any) -> Any:
        def reregistration_message(self: Any) -> Any:
            msg = orig(self)
            extra = tuple(ex.info for fw_id in sorted(self.frameworks)
                          for ex in self.frameworks[fw_id].executors.values()
                          if ex.command_executor and ex.state != "terminated")
            return attrs.evolve(msg, executor_infos=msg.executor_infos + extra)
        return reregistration_message
    return _patched(Agent, "reregistration_message", wrap)


def long_task_ids_hashed_early() -> contextlib.AbstractContextManager[None]:
    """A command task whose id is exactly MAX_NAME (200) bytes gets a hashed sandbox name,
    not its id (off by one: TaskSandboxNames; needs SimConfig.odd_ids)."""
    from mesotron.core.agent import isolation

    def wrap(orig: Any) -> Any:
        def task_sandbox_name(task_id: str) -> str:
            if len(task_id.encode()) >= isolation.MAX_NAME:
                return isolation._hashed(task_id)
            return orig(task_id)
        return task_sandbox_name
    return _patched(isolation, "task_sandbox_name", wrap)


def command_tasks_lost_to_idle_executor() -> contextlib.AbstractContextManager[None]:
    """A command task arriving while the framework's command executor shuts down (idle) is
    answered TASK_LOST "Executor terminating" instead of getting a new command executor
    (CommandTasksRun)."""
    from mesotron.core.agent.executors import ExecutorsMixin, command_executor_id

    def wrap(orig: Any) -> Any:
        def _command_executor_id(self: Any, fw: Any, fw_id: str) -> str:
            return command_executor_id(fw_id)
        return _command_executor_id
    return _patched(ExecutorsMixin, "_command_executor_id", wrap)


def kills_take_executor_down() -> contextlib.AbstractContextManager[None]:
    """A KILL of a command task shuts its whole command executor down, other live tasks
    and all (KillSparesOtherTasks)."""
    from mesotron.core.agent.executors import ExecutorsMixin

    def wrap(orig: Any) -> Any:
        def handleKillTask(self: Any, now: float, msg: Any) -> list[Any]:
            out = orig(self, now, msg)
            found = self._find_task(msg.framework_id, msg.task_id)
            if found is not None:
                fw, ex, _task = found
                if ex.command_executor and ex.state == "running" and len(ex.live_tasks()) > 1:
                    out += self._shutdown_executor(now, fw, ex)
            return out
        return handleKillTask
    return _patched(ExecutorsMixin, "handleKillTask", wrap)


def framework_updates_ignored() -> contextlib.AbstractContextManager[None]:
    """The agent ignores its master's UpdateFramework (AgentFrameworksUpdated)."""
    from mesotron.core.agent.executors import ExecutorsMixin

    def wrap(orig: Any) -> Any:
        def handleUpdateFramework(self: Any, now: float, msg: Any) -> list[Any]:
            return []
        return handleUpdateFramework
    return _patched(ExecutorsMixin, "handleUpdateFramework", wrap)


def agent_state_names_command_executors() -> contextlib.AbstractContextManager[None]:
    """The agent's /state gives command tasks their (agent-made) command executor's id
    (AgentViewsAgree, s17 killa row)."""
    from mesotron.core.agent.machine import Agent

    def wrap(orig: Any) -> Any:
        def _is_cmd(self: Any, t: Any) -> bool:
            return False
        return _is_cmd
    return _patched(Agent, "_is_cmd", wrap)


def sum_describe_hides_pending() -> contextlib.AbstractContextManager[None]:
    """The status-update manager's describe() prints '-' for every stream's pending
    updates (DescribeAgrees, s17 killa line)."""
    import re

    from mesotron.core.status_updates import TaskStatusUpdateManager

    def wrap(orig: Any) -> Any:
        def describe(self: Any) -> str:
            return re.sub(r"pending: [^;]*;", "pending: -;", orig(self))
        return describe
    return _patched(TaskStatusUpdateManager, "describe", wrap)


def filters_listing_expired() -> contextlib.AbstractContextManager[None]:
    """The allocator's filter listing (operator UI) shows the expired filters instead of
    the live ones (DescribeAgrees, s17 killa row)."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def filters(self: Any, now: float) -> list[Any]:
            out = []
            for aid in self._agent_order:
                for (fid, role), (res, exp) in self._agents[aid].filters.items():
                    if not now < exp:
                        out.append((fid, role, aid, res, exp))
            return sorted(out, key=lambda t: (t[0], t[1], t[2]))
        return filters
    return _patched(Allocator, "filters", wrap)


BUGS["filters_listing_expired"] = filters_listing_expired
BUGS["agent_state_names_command_executors"] = agent_state_names_command_executors
BUGS["sum_describe_hides_pending"] = sum_describe_hides_pending
BUGS["kills_take_executor_down"] = kills_take_executor_down
BUGS["framework_updates_ignored"] = framework_updates_ignored
BUGS["launches_resent_on_resubscribe"] = launches_resent_on_resubscribe
BUGS["command_executors_reregistered"] = command_executors_reregistered
BUGS["long_task_ids_hashed_early"] = long_task_ids_hashed_early
BUGS["command_tasks_lost_to_idle_executor"] = command_tasks_lost_to_idle_executor


# ==== s18 driveo
def gone_agent_not_told() -> contextlib.AbstractContextManager[None]:
    """MARK_AGENT_GONE removes the agent but never tells it to shut down (Mesos
    Master::markGone sends it a ShutdownMessage): OperatorAgentCallsHold."""
    from mesotron.core.effects import Send
    from mesotron.core.master.operator import OperatorMixin
    from mesotron.core.messages import ShutdownAgent

    def wrap(orig: Any) -> Any:
        def _gone_committed(self: Any, pending: tuple[Any, ...]) -> list[Any]:
            return [e for e in orig(self, pending)
                    if not (type(e) is Send and type(e.message) is ShutdownAgent)]
        return _gone_committed
    return _patched(OperatorMixin, "_gone_committed", wrap)


def deactivation_answered_unwritten() -> contextlib.AbstractContextManager[None]:
    """DEACTIVATE_AGENT answers 200 at once without deactivating the agent (the check for
    an agent already deactivated inverted): OperatorAgentCallsHold."""
    from mesotron.core.effects import Respond
    from mesotron.core.master.operator import OperatorMixin

    def wrap(orig: Any) -> Any:
        def _op_deactivate(self: Any, request: str, call: Any) -> list[Any]:
            if self._known_agent(call.agent_id) and ("deactivated", call.agent_id) not in self._settings:
                return [Respond(request=request, status=200)]
            return orig(self, request, call)
        return _op_deactivate
    return _patched(OperatorMixin, "_op_deactivate", wrap)


def why_share_omitted_when_zero() -> contextlib.AbstractContextManager[None]:
    """The `why` JSON leaves out the framework's share when it holds nothing (a falsy
    test): WhyExplains (s18 driveo row)."""
    from mesotron.core.master.why import Why

    def wrap(orig: Any) -> Any:
        def to_json(self: Any, max_agents: int = 50) -> dict[str, Any]:
            out = orig(self, max_agents)
            if not out.get("share"):
                out.pop("share", None)
            return out
        return to_json
    return _patched(Why, "to_json", wrap)


# ==== s17 killm
def election_timers_from_reset_clock() -> contextlib.AbstractContextManager[None]:
    """A master that becomes the leader arms its timers (allocation, registry GC, the
    recovered agents' re-registration deadline) from the clock its reset zeroed, not from
    the time of its election: they are due in the past and fire at once (TimersNotInPast)."""
    from mesotron.core.effects import SetTimer
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _become_leader(self: Any, registry: Any) -> list[Any]:
            now = self.now
            return [attrs.evolve(e, at=e.at - now) if type(e) is SetTimer else e
                    for e in orig(self, registry)]
        return _become_leader
    return _patched(Master, "_become_leader", wrap)


BUGS["election_timers_from_reset_clock"] = election_timers_from_reset_clock


def reconcile_unknown_agent_gone() -> contextlib.AbstractContextManager[None]:
    """The master answers an explicit reconciliation naming an agent it does not know with
    TASK_GONE (case 2, a registered agent's) instead of TASK_UNKNOWN
    (ReconcileAnswersAsMesos)."""
    from mesotron.core.effects import Send
    from mesotron.core.master.tasks import TasksMixin
    from mesotron.core.messages import EventUpdate
    from mesotron.core.values import TaskState

    def wrap(orig: Any) -> Any:
        def _reconcile_explicit(self: Any, fw: Any, tasks: Any) -> list[Any]:
            out = orig(self, fw, tasks)
            return [attrs.evolve(e, message=EventUpdate(status=attrs.evolve(
                        e.message.status, state=TaskState.TASK_GONE)))
                    if type(e) is Send and type(e.message) is EventUpdate
                    and e.message.status.state is TaskState.TASK_UNKNOWN
                    and e.message.status.agent_id else e for e in out]
        return _reconcile_explicit
    return _patched(TasksMixin, "_reconcile_explicit", wrap)


BUGS["reconcile_unknown_agent_gone"] = reconcile_unknown_agent_gone


def registry_gc_prunes_all() -> contextlib.AbstractContextManager[None]:
    """The registry GC prunes every unreachable / gone entry not already being pruned,
    whatever its age (RegistryGcSelects)."""
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _gc_victims(self: Any, entries: dict[str, float]) -> list[str]:
            return [aid for aid in entries if aid not in self._pruning]
        return _gc_victims
    return _patched(AgentsMixin, "_gc_victims", wrap)


BUGS["registry_gc_prunes_all"] = registry_gc_prunes_all


def metrics_drop_counters() -> contextlib.AbstractContextManager[None]:
    """/metrics/snapshot reports the master's gauges but none of its protocol counters
    (LeaderViewsAgree)."""
    from mesotron.core.master.queries import StateMixin

    def wrap(orig: Any) -> Any:
        def metrics(self: Any) -> dict[str, Any]:
            return {k: v for k, v in orig(self).items()
                    if k not in self.counters or k.startswith("master/tasks_")}
        return metrics
    return _patched(StateMixin, "metrics", wrap)


BUGS["metrics_drop_counters"] = metrics_drop_counters


def why_json_drops_filters() -> contextlib.AbstractContextManager[None]:
    """The `why` answer's JSON leaves out the framework's refusal filters (WhyExplains)."""
    from mesotron.core.master.why import Why

    def wrap(orig: Any) -> Any:
        def to_json(self: Any, max_agents: int = 50) -> dict[str, Any]:
            out = orig(self, max_agents)
            out.pop("filters", None)
            return out  # type: ignore[no-any-return]
        return to_json
    return _patched(Why, "to_json", wrap)


BUGS["why_share_omitted_when_zero"] = why_share_omitted_when_zero
BUGS["gone_agent_not_told"] = gone_agent_not_told
BUGS["deactivation_answered_unwritten"] = deactivation_answered_unwritten


# ==== s18 drivem
def stream_mismatch_forbidden() -> contextlib.AbstractContextManager[None]:
    """The master answers a call whose Mesos-Stream-Id is not its framework's 403 instead
    of Mesos's 400 (MisaddressedCallsRefused; needs SimConfig.sched_misuse)."""
    import attrs
    from mesotron.core.effects import Respond
    from mesotron.core.master.frameworks import FrameworksMixin

    def wrap(orig: Any) -> Any:
        def _handle_scheduler_call(self: Any, inp: Any) -> list[Any]:
            out = orig(self, inp)
            if out and type(out[0]) is Respond and "didn't match the stream ID" in (out[0].message or ""):
                out[0] = attrs.evolve(out[0], status=403)
            return out
        return _handle_scheduler_call
    return _patched(FrameworksMixin, "_handle_scheduler_call", wrap)


def task_groups_unauthorized_as_invalid() -> contextlib.AbstractContextManager[None]:
    """A LAUNCH_GROUP the ACLs deny is answered TASK_ERROR with REASON_TASK_GROUP_INVALID
    instead of REASON_TASK_GROUP_UNAUTHORIZED (UnauthorizedLaunchesRefused; needs
    SimConfig.sched_misuse and operator)."""
    from mesotron.core.master.offers import OffersMixin
    from mesotron.core.values import Reason

    def wrap(orig: Any) -> Any:
        def _task_error(self: Any, fw: Any, task: Any, message: str,
                        reason: Any = Reason.REASON_TASK_INVALID) -> list[Any]:
            if reason is Reason.REASON_TASK_GROUP_UNAUTHORIZED:
                reason = Reason.REASON_TASK_GROUP_INVALID
            return orig(self, fw, task, message, reason)
        return _task_error
    return _patched(OffersMixin, "_task_error", wrap)


def failover_timeouts_ignored() -> contextlib.AbstractContextManager[None]:
    """The master never removes a framework when its failover timeout expires
    (FailoverTimeoutsRemove; needs SimConfig.sched_misuse: a failover timeout outlived)."""
    from mesotron.core.master.frameworks import FrameworksMixin

    def wrap(orig: Any) -> Any:
        def _failover_fired(self: Any, fid: str) -> list[Any]:
            return []
        return _failover_fired
    return _patched(FrameworksMixin, "_failover_fired", wrap)


def executor_command_unchecked() -> contextlib.AbstractContextManager[None]:
    """The master takes a task whose ExecutorInfo differs from its running executor's only in
    the command as compatible (IncompatibleExecutorsRefused; needs SimConfig.sched_misuse)."""
    from mesotron.core.master import validation

    def wrap(orig: Any) -> Any:
        def _executor_compatible(a: Any, b: Any) -> bool:
            return bool(orig(a, attrs.evolve(b, command=a.command)))
        return _executor_compatible
    return _patched(validation, "_executor_compatible", wrap)


def failover_error_not_sent() -> contextlib.AbstractContextManager[None]:
    """On a scheduler failover onto a new connection the master closes the old one without
    the ERROR "Framework failed over" (FailedOverStreamsClosed; needs SimConfig.sched_misuse)."""
    from mesotron.core.master.frameworks import FrameworksMixin
    from mesotron.core.messages import EventError

    def wrap(orig: Any) -> Any:
        def _subscribe(self: Any, inp: Any, call: Any) -> list[Any]:
            return [e for e in orig(self, inp, call) if not (
                type(getattr(e, "message", None)) is EventError
                and e.message.message == "Framework failed over")]
        return _subscribe
    return _patched(FrameworksMixin, "_subscribe", wrap)


BUGS["stream_mismatch_forbidden"] = stream_mismatch_forbidden
BUGS["failover_error_not_sent"] = failover_error_not_sent
BUGS["executor_command_unchecked"] = executor_command_unchecked
BUGS["task_groups_unauthorized_as_invalid"] = task_groups_unauthorized_as_invalid
BUGS["failover_timeouts_ignored"] = failover_timeouts_ignored


# ==== s18 drivel
def explain_mode_drops_role_choices() -> contextlib.AbstractContextManager[None]:
    """The allocator's explain mode records only the framework-level decision of each
    allocation, not the role-level one (DrfOrder: an offer without its role's choice)."""
    from mesotron.core.allocator import cycle

    def wrap(orig: Any) -> Any:
        def _explained_agent(al: Any, now: float, agent: Any, effects: list, decisions: list
                             ) -> None:
            before = len(decisions)
            orig(al, now, agent, effects, decisions)
            decisions[before:] = [d for d in decisions[before:] if d.role]
        return _explained_agent
    return _patched(cycle, "_explained_agent", wrap)


BUGS["explain_mode_drops_role_choices"] = explain_mode_drops_role_choices


def readmitted_allocations_one_role() -> contextlib.AbstractContextManager[None]:
    """When a master re-admits an agent, its allocator books every framework's resources
    there under the framework's first role, whatever role they were allocated to
    (AllocationRolesAgree: a MULTI_ROLE framework's tasks under two roles, --multi-role)."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def _attribute(self: Any, res: Any, role: str) -> Any:
            return res.allocate(role)
        return _attribute
    return _patched(Allocator, "_attribute", wrap)


def revive_without_roles_keeps_filters() -> contextlib.AbstractContextManager[None]:
    """A REVIVE naming no role unsuppresses all the framework's roles but clears the
    filters of none (FiltersCleared: the multi-role framework revives all its roles
    now and then, --multi-role)."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def _handle_revive(self: Any, now: float, inp: Any) -> list[Any]:
            fw = self._frameworks.get(inp.framework_id)
            if fw is None:
                return []
            fw.suppressed -= set(inp.roles or fw.roles)
            self._clear_filters(fw, set(inp.roles))
            self._epoch += 1
            return []
        return _handle_revive
    return _patched(Allocator, "_handle_revive", wrap)


BUGS["readmitted_allocations_one_role"] = readmitted_allocations_one_role
BUGS["revive_without_roles_keeps_filters"] = revive_without_roles_keeps_filters


def dropped_role_filters_kept() -> contextlib.AbstractContextManager[None]:
    """A framework re-subscribing without some of its roles keeps its decline filters for
    them (FiltersCleared: the multi-role framework drops roles on re-subscription,
    --multi-role)."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def _handle_update_framework(self: Any, now: float, inp: Any) -> list[Any]:
            self._clear_filters = lambda fw, roles: None
            try:
                return orig(self, now, inp)
            finally:
                del self._clear_filters
        return _handle_update_framework
    return _patched(Allocator, "_handle_update_framework", wrap)


BUGS["dropped_role_filters_kept"] = dropped_role_filters_kept


def dropped_roles_still_offered() -> contextlib.AbstractContextManager[None]:
    """A framework re-subscribing without some of its roles stays in their DRF sorters: it
    is still offered resources for roles it left (OffersInSubscribedRoles, --multi-role)."""
    from mesotron.core.allocator.machine import Allocator

    def wrap(orig: Any) -> Any:
        def _handle_update_framework(self: Any, now: float, inp: Any) -> list[Any]:
            self._unsubscribe = lambda fw, role: None
            try:
                return orig(self, now, inp)
            finally:
                del self._unsubscribe
        return _handle_update_framework
    return _patched(Allocator, "_handle_update_framework", wrap)


BUGS["dropped_roles_still_offered"] = dropped_roles_still_offered
BUGS["why_json_drops_filters"] = why_json_drops_filters


def reservations_not_resent_on_reconnect() -> contextlib.AbstractContextManager[None]:
    """A known agent that re-registers (its connection broke, or it restarted) is not told
    its dynamic reservations (ReservationsResent)."""
    from mesotron.core.master.agents import AgentsMixin
    from mesotron.core.messages import CheckpointResources

    def wrap(orig: Any) -> Any:
        def _reconnect_known(self: Any, *a: Any, **kw: Any) -> list[Any]:
            return [e for e in orig(self, *a, **kw)
                    if not (type(e).__name__ == "Send" and type(e.message) is CheckpointResources)]
        return _reconnect_known
    return _patched(AgentsMixin, "_reconnect_known", wrap)


BUGS["reservations_not_resent_on_reconnect"] = reservations_not_resent_on_reconnect


def removal_permit_waits_when_free() -> contextlib.AbstractContextManager[None]:
    """An agent due for removal waits for its removal permit (a timer due now) even when
    the permit is free, instead of being marked unreachable at once (RemovalPermitsPaced)."""
    from mesotron.core.effects import Log, SetTimer
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _schedule_unreachable(self: Any, aid: str, message: str) -> list[Any]:
            limit = self.config.agent_removal_rate_limit
            if limit is None or aid in self._removal_waiting or aid in self._marking_unreachable:
                return orig(self, aid, message)  # type: ignore[no-any-return]
            at = self._take_removal_permit(limit[1] / limit[0])
            if at < self.now:
                return self._mark_unreachable(aid, message)  # type: ignore[no-any-return]
            self._removal_waiting[aid] = message
            self._count("master/slave_unreachable_scheduled")
            return [Log(level="info", event="agent_removal_waits_for_permit",
                        fields=(("agent_id", aid), ("at", at), ("reason", message))),
                    SetTimer(key=("agent_removal_permit", aid), at=at)]
        return _schedule_unreachable
    return _patched(AgentsMixin, "_schedule_unreachable", wrap)


BUGS["removal_permit_waits_when_free"] = removal_permit_waits_when_free


@contextlib.contextmanager
def visible_state_ignores_capabilities() -> Iterator[None]:
    """The master shows every framework the raw task state, whatever its capabilities, in
    the updates it relays (`Master::forward`) and the ones it generates (agent removal,
    ...): a framework without PARTITION_AWARE is shown TASK_UNREACHABLE, TASK_DROPPED...
    (UpdatesVisible). (s17 killm2: its answers to explicit reconciliations stay mapped: with
    lifecycle.visible_state itself patched, ReconcileAnswersAsMesos caught it first on the
    merged trajectories, a TASK_GONE answered to a framework without PARTITION_AWARE.)"""
    from mesotron.core.effects import Send
    from mesotron.core.master.base import MasterCore
    from mesotron.core.messages import EventUpdate
    from mesotron.core.values import Reason

    def wrap_status(orig: Any) -> Any:
        def _master_status(self: Any, fw: Any, task_id: str, state: Any, **kw: Any) -> Any:
            st = orig(self, fw, task_id, state, **kw)
            if kw.get("reason") is not Reason.REASON_RECONCILIATION and st.state is not state:
                st = attrs.evolve(st, state=state)
            return st
        return _master_status

    def wrap_forward(orig: Any) -> Any:
        def _forward(self: Any, fw: Any, status: Any) -> list[Any]:
            if fw is None or fw.stream is None:
                return orig(self, fw, status)  # type: ignore[no-any-return]
            return [Send(to=fw.stream, message=EventUpdate(status=status))]
        return _forward

    with _patched(MasterCore, "_master_status", wrap_status), \
            _patched(MasterCore, "_forward", wrap_forward):
        yield


BUGS["visible_state_ignores_capabilities"] = visible_state_ignores_capabilities


# ==== s18 killm3
def updates_accepted_for_terminating_framework() -> contextlib.AbstractContextManager[None]:
    """The agent takes an executor's update for a framework it is shutting down (checkpointed,
    acknowledged to the executor, forwarded), where Mesos's `Slave::statusUpdate` ignores it
    ("it cannot send acknowledgements"): the stream goes with the framework, unacknowledged
    (NoLostAckedWork)."""
    from mesotron.core.agent.executors import ExecutorsMixin

    def wrap(orig: Any) -> Any:
        def handleExecutorUpdate(self: Any, now: float, sender: str, msg: Any) -> list[Any]:
            fw = self.frameworks.get(msg.framework_id)
            if fw is None or fw.state != "terminating":
                return orig(self, now, sender, msg)
            fw.state = "running"
            try:
                return orig(self, now, sender, msg)
            finally:
                fw.state = "terminating"
        return handleExecutorUpdate
    return _patched(ExecutorsMixin, "handleExecutorUpdate", wrap)


BUGS["updates_accepted_for_terminating_framework"] = updates_accepted_for_terminating_framework


# ==== s18 drivea
def executors_kept_after_last_ack() -> contextlib.AbstractContextManager[None]:
    """A terminated executor whose last task's terminal update is acknowledged stays in the
    agent's books (no removal, no sandbox collection) (TerminatedExecutorsRemoved)."""
    from mesotron.core.agent.base import AgentCore

    def wrap(orig: Any) -> Any:
        def _task_completed(self: Any, now: float, closed: Any) -> list[Any]:
            keep = AgentCore._maybe_remove_executor
            AgentCore._maybe_remove_executor = lambda *a, **kw: []  # type: ignore[method-assign]
            try:
                return orig(self, now, closed)
            finally:
                AgentCore._maybe_remove_executor = keep  # type: ignore[method-assign]
        return _task_completed
    return _patched(AgentCore, "_task_completed", wrap)


def ping_timer_too_short() -> contextlib.AbstractContextManager[None]:
    """An agent gives its master up after one ping interval with no ping (the master's
    total ping timeout divided by its 5 allowed misses), not the total timeout
    (MasterPingTimeoutHonoured)."""
    from mesotron.core.agent.machine import Agent

    def wrap(orig: Any) -> Any:
        def _ping_timeout(self: Any) -> float:
            return float(orig(self)) / 5
        return _ping_timeout
    return _patched(Agent, "_ping_timeout", wrap)


def registration_backoff_kept() -> contextlib.AbstractContextManager[None]:
    """An agent that starts registering again keeps the backoff its earlier attempts grew
    to (RegistrationBackoffResets)."""
    from mesotron.core.agent.machine import Agent

    def wrap(orig: Any) -> Any:
        def _begin_registration(self: Any, now: float) -> list[Any]:
            if self.master is None or self.recovering or self.state != "disconnected":
                return []
            return self._send_registration(now)
        return _begin_registration
    return _patched(Agent, "_begin_registration", wrap)


def agent_describe_hides_completed() -> contextlib.AbstractContextManager[None]:
    """An agent's describe() leaves out its executors' completed tasks (DescribeAgrees,
    s18 drivea row)."""
    from mesotron.core.agent.machine import Agent

    def wrap(orig: Any) -> Any:
        def describe(self: Any) -> str:
            return "\n".join(x for x in orig(self).split("\n")
                             if not x.startswith("      completed: "))
        return describe
    return _patched(Agent, "describe", wrap)


def uncheckpointed_executors_kept() -> contextlib.AbstractContextManager[None]:
    """An agent keeps the executor of a framework that does not checkpoint when its
    connection breaks (ExecutorDisconnectionsTolerated; needs SimConfig.uncheckpointed)."""
    from mesotron.core.agent.executors import ExecutorsMixin
    from mesotron.core.effects import Log

    def wrap(orig: Any) -> Any:
        def handleExecutorDisconnected(self: Any, now: float, pid: str) -> list[Any]:
            where = self.by_pid.pop(pid, None)
            if where is None:
                return []
            ex = self.frameworks[where[0]].executors[where[1]]
            ex.pid = None
            return [Log(level="info", event="agent.executor.disconnected",
                        fields=(("executor", ex.info.executor_id),))]
        return handleExecutorDisconnected
    return _patched(ExecutorsMixin, "handleExecutorDisconnected", wrap)


BUGS["executors_kept_after_last_ack"] = executors_kept_after_last_ack
BUGS["uncheckpointed_executors_kept"] = uncheckpointed_executors_kept
BUGS["ping_timer_too_short"] = ping_timer_too_short
BUGS["registration_backoff_kept"] = registration_backoff_kept
BUGS["agent_describe_hides_completed"] = agent_describe_hides_completed


# ==== s19 kalloc
def allocator_not_told_of_deactivation() -> contextlib.AbstractContextManager[None]:
    """The master deactivates a framework whose scheduler disconnected (or failed over) in
    its own books but never tells the allocator (Mesos Master::deactivate(Framework*) calls
    allocator->deactivateFramework): the allocator keeps allocating to it, and the master
    takes each allocation back at once (AllocatorFrameworksAgree)."""
    from mesotron.core.master.frameworks import FrameworksMixin

    def wrap(orig: Any) -> Any:
        def _deactivate_framework(self: Any, fw: Any, *, rescind: bool) -> list[Any]:
            out: list[Any] = []
            fw.active = False
            for oid in list(fw.offers):
                out += self._recover_offer(oid, rescind=rescind)
            return out
        return _deactivate_framework
    return _patched(FrameworksMixin, "_deactivate_framework", wrap)


BUGS["allocator_not_told_of_deactivation"] = allocator_not_told_of_deactivation
# ==== s19 kmast3
def decline_of_stale_offer_silent() -> contextlib.AbstractContextManager[None]:
    """A DECLINE naming an offer the master no longer holds (rescinded, expired, another
    framework's) is ignored without the warning Mesos logs (DeclinesAsMesos)."""
    from mesotron.core.effects import Log
    from mesotron.core.master.offers import OffersMixin

    def wrap(orig: Any) -> Any:
        def _call_decline(self: Any, fw: Any, call: Any) -> list[Any]:
            return [e for e in orig(self, fw, call)
                    if not (type(e) is Log and e.event == "decline_invalid_offer")]
        return _call_decline
    return _patched(OffersMixin, "_call_decline", wrap)


def subscribe_roles_whitelist_ignored() -> contextlib.AbstractContextManager[None]:
    """The master no longer checks a subscribing framework's roles against its --roles (a
    role outside the whitelist is taken) (InvalidSubscriptionsRefused; needs
    SimConfig.master_edges)."""
    from mesotron.core.master import frameworks

    def wrap(orig: Any) -> Any:
        def validate_subscribe(call: Any, *, whitelist: Any, existing: Any) -> str | None:
            return orig(call, whitelist=None, existing=existing)
        return validate_subscribe
    return _patched(frameworks, "validate_subscribe", wrap)


def describe_hides_registering() -> contextlib.AbstractContextManager[None]:
    """The master's describe() leaves out the agents whose registration the registry is
    still writing (MasterDescribeAgrees, s19 kmast3: judged in the registry windows)."""
    from mesotron.core.master.queries import StateMixin

    def wrap(orig: Any) -> Any:
        def describe(self: Any) -> str:
            return "\n".join(x for x in orig(self).split("\n")
                              if not x.startswith("agent registering pid="))
        return describe
    return _patched(StateMixin, "describe", wrap)


def unreserved_full_without_role() -> contextlib.AbstractContextManager[None]:
    """/master/state lists each agent's unreserved_resources_full in the refinement format
    (no role '*'), not Mesos's endpoint format (OperatorViewsAgree, s19 kmast3 row)."""
    from mesotron.core.master.queries import StateMixin

    def wrap(orig: Any) -> Any:
        def _slave_json(self: Any, a: Any) -> dict[str, Any]:
            out = orig(self, a)
            out["unreserved_resources_full"] = a.total.unreserved().to_json(refinement=True)
            return out
        return _slave_json
    return _patched(StateMixin, "_slave_json", wrap)


def suppress_not_booked() -> contextlib.AbstractContextManager[None]:
    """The master tells its allocator of a SUPPRESS but does not book it: its describe() and
    framework view show the framework unsuppressed (SuppressionBooksAgree)."""
    from mesotron.core.master.offers import OffersMixin

    def wrap(orig: Any) -> Any:
        def _call_suppress(self: Any, fw: Any, call: Any) -> list[Any]:
            before = fw.suppressed_roles
            out = orig(self, fw, call)
            fw.suppressed_roles = before
            return out
        return _call_suppress
    return _patched(OffersMixin, "_call_suppress", wrap)


BUGS["decline_of_stale_offer_silent"] = decline_of_stale_offer_silent
BUGS["suppress_not_booked"] = suppress_not_booked
BUGS["unreserved_full_without_role"] = unreserved_full_without_role
BUGS["describe_hides_registering"] = describe_hides_registering
BUGS["subscribe_roles_whitelist_ignored"] = subscribe_roles_whitelist_ignored
# ==== s19 kmast2
def framework_update_not_broadcast() -> contextlib.AbstractContextManager[None]:
    """A scheduler re-subscribes with a changed FrameworkInfo (its roles, its name): the
    master takes it into its own books but never tells the agents running the framework's
    tasks and executors (no UpdateFramework) (ResubscriptionsUpdateFramework; the info
    changes in the judge's MULTI_ROLE run, SimConfig.multirole)."""
    from mesotron.core.master.frameworks import FrameworksMixin

    def wrap(orig: Any) -> Any:
        def _send_framework_update(self: Any, fw: Any) -> list[Any]:
            return []
        return _send_framework_update
    return _patched(FrameworksMixin, "_send_framework_update", wrap)


BUGS["framework_update_not_broadcast"] = framework_update_not_broadcast
# ==== s19 leak42
def completed_frameworks_not_shut_down() -> contextlib.AbstractContextManager[None]:
    """A master that re-registers an agent reporting executors or tasks of a framework it has
    removed (a TEARDOWN while the agent was partitioned, or its ShutdownFramework lost in
    transit) does not tell the agent to shut that framework down (Mesos
    `Master::reconcileKnownSlave` / `__reregisterSlave` do): the framework's executors keep
    running there, booked by no master (MasterExecutorsAgree, NoResourceLeak; the s19 leak42
    exemption of a lost ShutdownFramework ends at that re-registration)."""
    from mesotron.core.master.agents import AgentsMixin

    def wrap(orig: Any) -> Any:
        def _shutdown_completed(self: Any, agent: Any, msg: Any) -> list[Any]:
            return []
        return _shutdown_completed
    return _patched(AgentsMixin, "_shutdown_completed", wrap)


BUGS["completed_frameworks_not_shut_down"] = completed_frameworks_not_shut_down
# ==== s19 kagent
def registration_without_master() -> contextlib.AbstractContextManager[None]:
    """An agent whose recovery finishes before any master is detected registers at once,
    to no master (its registration skips the `master is None` test)
    (RegistersOnlyWhenDisconnected)."""
    from mesotron.core.agent.machine import Agent

    def wrap(orig: Any) -> Any:
        def _begin_registration(self: Any, now: float) -> list[Any]:
            if self.recovering or self.state != "disconnected":
                return []
            self.reg_backoff = self.config.registration_backoff_factor
            return self._send_registration(now)
        return _begin_registration
    return _patched(Agent, "_begin_registration", wrap)


def registration_backoff_tripled() -> contextlib.AbstractContextManager[None]:
    """An agent's registration backoff triples per retry instead of doubling
    (RegistrationRetriesBounded)."""
    from mesotron.core.agent.machine import Agent

    def wrap(orig: Any) -> Any:
        def _send_registration(self: Any, now: float) -> list[Any]:
            before = self.reg_backoff
            out = orig(self, now)
            self.reg_backoff = min(before * 3, self.config.registration_backoff_max)
            return out
        return _send_registration
    return _patched(Agent, "_send_registration", wrap)


BUGS["registration_without_master"] = registration_without_master
BUGS["registration_backoff_tripled"] = registration_backoff_tripled


def exited_executor_still_awaited() -> contextlib.AbstractContextManager[None]:
    """A recovered executor that exits while its restarted agent waits for it to re-subscribe
    is still awaited: the re-registration timeout kills its container again and books it
    terminating (KillsOnlyLiveExecutors)."""
    from mesotron.core.agent.base import AgentCore

    def wrap(orig: Any) -> Any:
        def _executor_terminated(self: Any, now: float, fw: Any, ex: Any, status: int) -> list[Any]:
            keep = AgentCore._unrecover
            AgentCore._unrecover = lambda *a, **kw: None  # type: ignore[method-assign]
            try:
                return orig(self, now, fw, ex, status)
            finally:
                AgentCore._unrecover = keep  # type: ignore[method-assign]
        return _executor_terminated
    return _patched(AgentCore, "_executor_terminated", wrap)


BUGS["exited_executor_still_awaited"] = exited_executor_still_awaited
# ==== s19 kmast1
def unknown_executors_kept_on_reregistration() -> contextlib.AbstractContextManager[None]:
    """A master that still holds a re-registering agent keeps booking the executors the
    agent no longer reports (their ExitedExecutor lost while the two were apart): Mesos's
    reconcileKnownSlave removes them (KnownAgentsReconciled)."""
    from mesotron.core.master.agents import AgentsMixin
    from mesotron.core.master.base import MasterCore

    def wrap(orig: Any) -> Any:
        def _reconnect_known(self: Any, agent: Any, sender: str, msg: Any) -> list[Any]:
            keep = MasterCore._remove_executor
            MasterCore._remove_executor = lambda *a, **kw: []  # type: ignore[method-assign]
            try:
                return list(orig(self, agent, sender, msg))
            finally:
                MasterCore._remove_executor = keep  # type: ignore[method-assign]
        return _reconnect_known
    return _patched(AgentsMixin, "_reconnect_known", wrap)


def recovered_agents_never_time_out() -> contextlib.AbstractContextManager[None]:
    """A newly elected leader never arms the deadline of the agents its registry admitted:
    those that never come back stay admitted forever instead of being marked unreachable
    after --agent_reregister_timeout (RecoveredAgentsDeadline)."""
    from mesotron.core.effects import SetTimer
    from mesotron.core.master.machine import Master

    def wrap(orig: Any) -> Any:
        def _become_leader(self: Any, registry: Any) -> list[Any]:
            return [e for e in orig(self, registry) if not (
                type(e) is SetTimer and e.key == ("agent_reregister_timeout",))]
        return _become_leader
    return _patched(Master, "_become_leader", wrap)


def one_ping_too_many() -> contextlib.AbstractContextManager[None]:
    """The master's health check counts one unanswered ping too many (`timeouts >
    max_agent_ping_timeouts`): a silent agent is marked unreachable a ping interval late
    (SilentAgentsMarked)."""
    from mesotron.core.effects import Send
    from mesotron.core.master.agents import HEALTH_CHECK_TIMED_OUT, AgentsMixin
    from mesotron.core.messages import Ping

    def wrap(orig: Any) -> Any:
        def _ping_fired(self: Any, aid: str) -> list[Any]:
            agent = self._agents.get(aid)
            if agent is None or aid in self._marking_unreachable:
                return []
            if agent.pinged:
                agent.missed_pings += 1
                if agent.missed_pings > self.config.max_agent_ping_timeouts:
                    return list(self._schedule_unreachable(aid, HEALTH_CHECK_TIMED_OUT))
            agent.pinged = True
            return [Send(to=agent.pid, message=Ping(connected=agent.connected)),
                    self._timer(("ping", aid), self.config.agent_ping_timeout)]
        return _ping_fired
    return _patched(AgentsMixin, "_ping_fired", wrap)


BUGS["unknown_executors_kept_on_reregistration"] = unknown_executors_kept_on_reregistration
BUGS["recovered_agents_never_time_out"] = recovered_agents_never_time_out
BUGS["one_ping_too_many"] = one_ping_too_many


# ==== s23 (mutation campaign seed 26: counters no property recounted)
def _uncounted(owner: Any, method: str, counter: str) -> contextlib.AbstractContextManager[None]:
    """`owner.method` as it is, but the master's `counter` left where it was before the call."""
    def wrap(orig: Any) -> Any:
        def uncounted(self: Any, *args: Any) -> Any:
            before = self.counters.get(counter, 0)
            out = orig(self, *args)
            if self.counters.get(counter, 0) != before:
                self.counters[counter] = before
            return out
        return uncounted
    return _patched(owner, method, wrap)


def valid_updates_uncounted() -> contextlib.AbstractContextManager[None]:
    """The master forwards an agent's status update of a task it books without counting it
    in `master/valid_status_updates`: operators see fewer updates than the master handled
    (MetricsAgree)."""
    from mesotron.core.master.tasks import TasksMixin

    return _uncounted(TasksMixin, "_status_update", "master/valid_status_updates")


def canceled_removals_uncounted() -> contextlib.AbstractContextManager[None]:
    """The master cancels an agent's pending removal (the agent answered or came back
    before the permit) without counting it in `master/slave_unreachable_canceled`
    (MetricsAgree)."""
    from mesotron.core.master.agents import AgentsMixin

    return _uncounted(AgentsMixin, "_removal_permit_fired", "master/slave_unreachable_canceled")


def completed_tasks_dropped() -> contextlib.AbstractContextManager[None]:
    """The master takes a terminal task off its books without keeping it among its
    framework's completed tasks: /master/state, the web UI and the terminal-task metrics lose
    it (AckedTerminalTaskRemoved)."""
    from mesotron.core.master.base import MasterCore

    return _patched(MasterCore, "_complete_task", lambda orig: lambda self, fw, task: None)


BUGS["valid_updates_uncounted"] = valid_updates_uncounted
BUGS["completed_tasks_dropped"] = completed_tasks_dropped
BUGS["canceled_removals_uncounted"] = canceled_removals_uncounted
