"""The simulator's checker: observes the world, keeps the history the invariant catalog
needs, and evaluates the catalog incrementally.

Every property is evaluated with the SAME functions as everywhere else
(core/invariants.py), on a `ClusterSnapshot` restricted to what the event could have
changed (the tasks, agents and commits it touched): an event that only moved a heartbeat
re-checks nothing; an update the agent accepted re-checks that task's stream. The full
snapshot (`snapshot()`) is built at quiescence and for reports.

What is observed, and where:
- produced: an update counts as accepted by the agent once the Persist of its record is
  durable (the world syncs before carrying out the next effect) or once the agent sends the
  executor its acknowledgement, whichever comes first;
- pending: the uuids the agent still holds: its status-update manager in memory, or the
  update log on its disk while it is down;
- seen / acked: what each scheduler driver received and acknowledged;
- transitions: the states of each task's stream in order, with their producer;
- launches: task processes the executors started;
- registry commits (with whether the writer held the latest fence), recovery kills,
  allocation decisions (the allocator's explain mode), the master's ledger per agent.
"""

from __future__ import annotations

import itertools
import math
import operator
from types import MappingProxyType
from typing import Any

import attrs
from mesotron.core import invariants as inv
from mesotron.core.agent.model import DestroyContainer
from mesotron.core.effects import (
    Disconnected,
    Log,
    Persist,
    Received,
    RegistryResult,
    RegistryWrite,
    Reject,
    Respond,
    Send,
)
from mesotron.core.health import HealthCheckResult
from mesotron.core.invariants import AgentLedger, ClusterSnapshot, OfferMade
from mesotron.core.messages import (
    AgentRegistered,
    AgentReregistered,
    CallAccept,
    CallAcknowledge,
    CallDecline,
    CallKill,
    CallReconcile,
    CallRevive,
    CallSubscribe,
    CallSuppress,
    EventOffers,
    EventRescind,
    EventSubscribed,
    EventUpdate,
    ExecutorSubscribe,
    ExecutorUpdate,
    KillTask,
    OpLaunch,
    OpLaunchGroup,
    RunTask,
    RunTaskGroup,
    SchedulerCall,
    ShutdownAgent,
    ShutdownFramework,
    StatusUpdateAcknowledgement,
    StatusUpdateMessage,
)
from mesotron.core.resources import Resources
from mesotron.core.scheduler import CallResponse
from mesotron.core.sim.health import HealthModel
from mesotron.core.sim.world import HOSTILE_AGENT, HOSTILE_TASK
from mesotron.core.status_updates import AckRecord, UpdateRecord
from mesotron.core.values import Reason, Source, TaskInfo, TaskState

# When the simulator evaluates each property of the catalog (docs/invariants.md's table is
# checked against this by tests/test_invariants.py).
WHEN: dict[str, str] = {
    **{n: "after every event" for n in (
        "NoOvercommit", "OfferExclusive", "LegalTaskTransitions", "UpdatesInOrder",
        "NoLostAckedWork", "SingleLaunch", "OneLeaderWrites", "RecoveryKeepsTasks",
        "OffersRespectFilters", "AgentRunsWithinTotal", "AllocationBooksAgree",
        "WellFormedCallsAccepted")},
    "NoOffersToInactive": "after every disconnection the master handles",
    "NoOffersOfDeactivatedAgents": "after every master step while the operator holds an agent out",
    "DrainEmptiesAgent": "20 s after each drain the leader acknowledged (a calm window)",
    "InvalidOperatorCallsRefused": "on the answer to each invalid operator call",
    "CheckpointAgrees": "after every agent start, before every agent crash, at quiescence",
    "ExecutorBooksAgree": "at quiescence",
    "AgentUpdatesTruthful": "on every update an agent persists or sends",
    **{n: "at quiescence" for n in (
        "DescribeAgrees", "TaskBooksAgree", "NoResourceLeak", "FrameworkViewAgrees", "AgentActivityAgrees",
        "EventuallyAcked",
        "EventuallyOffered", "EventuallyReregistered", "TerminalReachesFramework",
        "KillsTakeEffect", "ExecutorUpdatesDelivered", "ReconciliationAgrees")},
    "ReconcileAnswered": "after every explicit reconciliation the master handles",
    "AckedTerminalTaskRemoved": "after every acknowledgement the leader accepts",
    "TaskStatesAgree": "at quiescence",
    "InvalidOffersRefused": "after every ACCEPT the master handles",
    "SubscribeTakesInfo": "after every SUBSCRIBE the master handles",
    "MalformedCallsRefused": "after every malformed ACCEPT the master handles",
    "NoRescindOfReturnedOffers": "after every ACCEPT and DECLINE the master handles",
    "AgentDisconnectionNoticed": "after every disconnection the master handles",
    "PrincipalsChecked": "after every authenticated SUBSCRIBE the master handles",
    "MalformedAgentMessagesRefused": "after every malformed agent message the master handles",
    "NoSendWithoutPeer": "after every master step (a Send without an addressee)",
    "DrfOrder": "after every allocation",
    "HealthChecksKill": "after every health-check result",
}

PRODUCER = {Source.SOURCE_EXECUTOR: "executor", Source.SOURCE_AGENT: "agent",
            Source.SOURCE_MASTER: "master", None: "agent"}
STAGING = TaskState.TASK_STAGING
# the master's answer to a call that fails Mesos's structural validation
MALFORMED = "Failed to validate scheduler::Call"
# its TASK_ERROR message for a task asking more than the ACCEPT's offers hold
UNAVAILABLE = "Task uses more resources"


# ClusterSnapshot's fields at their defaults (mappings read-only: shared by every snapshot)
_SNAP_DEFAULTS: dict[str, Any] = {}


def _snap(**fields: Any) -> ClusterSnapshot:
    """`ClusterSnapshot(**fields)` for the per-event checks: the same value (equal, same
    fields) built without attrs' generated __init__ (a quarter of its cost: the class has
    forty-odd fields and the checker builds one or more per event). Unknown names raise
    TypeError as the constructor would."""
    if not _SNAP_DEFAULTS:
        for k, v in attrs.asdict(ClusterSnapshot(), recurse=False).items():
            _SNAP_DEFAULTS[k] = MappingProxyType(v) if isinstance(v, dict) else v
    s = _NEW(ClusterSnapshot)
    d = s.__dict__
    d.update(_SNAP_DEFAULTS)
    d.update(fields)
    if len(d) != len(_SNAP_DEFAULTS):
        raise TypeError(f"ClusterSnapshot has no field {sorted(set(d) - set(_SNAP_DEFAULTS))}")
    return s


_NEW = object.__new__
_NO_RESOURCES = Resources()  # immutable: one empty value to start the per-event sums


class Violation(Exception):
    def __init__(self, name: str, message: str, time: float, event: int) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.time = time
        self.event = event


class Checker:
    """Observer of a World (see world.py for the hooks). Raises `Violation` at the first
    violated property when `fail_fast`, else collects them."""

    def __init__(self, *, fail_fast: bool = True, drf: bool = True) -> None:
        self.fail_fast = fail_fast
        self.drf = drf
        self.dirty = False
        self.checks = 0
        self.violations: list[Violation] = []
        self.produced: dict[tuple[str, str], list[tuple[bytes, TaskState]]] = {}
        self.produced_set: dict[tuple[str, str], set[bytes]] = {}
        self.seen: dict[tuple[str, str], list[tuple[bytes, TaskState]]] = {}
        self.acked: dict[tuple[str, str], set[bytes]] = {}
        self.unacked: dict[tuple[str, str], set[bytes]] = {}
        self.abandoned: set[tuple[str, str]] = set()
        self.transitions: dict[tuple[str, str], list[tuple[TaskState, str]]] = {}
        self.launches: dict[tuple[str, str], list[str]] = {}
        self.registry_commits: list[tuple[str, bool]] = []
        self.recovery_kills: list[tuple[str, str, bool]] = []
        self.decisions = 0
        self.key_agent: dict[tuple[str, str], str] = {}  # task -> agent node holding it
        self.agent_keys: dict[str, set[tuple[str, str]]] = {}
        self.unsynced: dict[str, list[tuple[tuple[str, str], bytes, TaskState, str]]] = {}
        self.volatile: set[tuple[tuple[str, str], bytes]] = set()
        self.produced_at: dict[bytes, float] = {}
        self.exec_updates: dict[bytes, tuple[tuple[str, str], TaskState]] = {}
        self.superseded: set[bytes] = set()
        self.launched_tasks = 0
        self.finished_tasks = 0
        self.lost_tasks = 0
        self.terminal_seen: dict[tuple[str, str], TaskState] = {}
        # scheduler drivers (inv.DRIVER): updates handed to applications, per driver
        # incarnation the streams that delivered SUBSCRIBED and the framework ids it used
        self.delivered: set[tuple[str, str, bytes]] = set()
        self.subscribed_streams: dict[str, set[str]] = {}
        self.framework_ids: dict[str, list[tuple[str, str | None]]] = {}
        self._ledger_agents: set[str] = set()
        self._keys_to_check: set[tuple[str, str]] = set()
        self.world: Any = None
        # ---- issue 12 books (see the "cross-party books" section below)
        self.weights: dict[str, float] = {}  # role -> weight the world configured
        self.fenced: dict[str, int] = {}  # master node -> incarnation whose write was fenced
        self.fenced_actions: list[tuple[str, str]] = []
        # (framework, agent, role) -> (the declined offer's resources, filter expiry)
        self.decline_filters: dict[tuple[str, str, str], tuple[Resources, float]] = {}
        self.suppressed: dict[str, set[str]] = {}  # framework -> roles it suppressed
        # QuotaLimitRespected: the leader (name, incarnation) the books are of, and
        # (role, resource) -> (the limit, what the role may hold: quota_allowance)
        self.quota_leader: tuple[str, int] | None = None
        self.quota_books: dict[tuple[str, str], tuple[float, float]] = {}
        # framework -> role -> the offer constraints of its last SUBSCRIBE
        self.constraints: dict[str, dict[str, tuple[Any, ...]]] = {}
        self.filter_master: tuple[str, int] | None = None  # the master the model follows
        self._pre_offers: dict[str, Any] = {}  # offers a call named, before the master step
        self.offers_checked = 0
        self.lost_in_transit: set[tuple[str, str]] = set()
        self.kills: dict[tuple[str, str], tuple[float, str, int]] = {}
        self.kills_lost: set[tuple[str, str]] = set()  # a KillTask the network dropped
        self.launch_sent: dict[tuple[str, str], float] = {}  # task -> when a master sent it
        self.health = HealthModel()  # HealthChecksKill's reference (core/sim/health.py)
        # master agent record id -> (record, its used_by_framework()): valid until the next
        # master step (reset in before_master_step)
        self._used_memo: dict[int, tuple[Any, dict[str, Resources]]] = {}
        self._call_snaps: dict[tuple[str, type, bool], ClusterSnapshot] = {}
        self._scalars_memo: dict[int, tuple[Resources, dict[str, dict[str, int]]]] = {}
        # requests of calls the simulated frameworks made malformed on purpose (s11)
        self.malformed_requests: set[str] = set()
        # share_books: the allocator whose allocations are summed, the allocation dict of
        # each of its agents as last summed, the running sums (_allocation_sums)
        self._sums_of: Any = None
        self._sums_seen: dict[str, dict[str, Resources]] = {}
        self._sums: dict[tuple[str, str], dict[str, int]] = {}
        # share_books: (the agents' totals, their sum in milli-units)
        self._totals_memo: tuple[list[Resources], dict[str, int]] | None = None
        # s11: DestroyContainer effects per agent node since it last started (the
        # executors_terminated counter's reference, ExecutorBooksAgree)
        self.destroyed: dict[str, int] = {}

    # ================================================================== reporting
    def fail(self, world: Any, messages: list[str]) -> None:
        for m in messages:
            name = m.split(":", 1)[0]
            v = Violation(name, m.split(":", 1)[1].strip(), world.now, world.events)
            self.violations.append(v)
            if self.fail_fast:
                raise v

    def run(self, world: Any, fn: Any, snap: ClusterSnapshot) -> None:
        self.checks += 1
        out = fn(snap)
        if out:
            self.fail(world, out)

    # ================================================================== hooks
    def on_master_start(self, world: Any, n: Any) -> None:
        pass

    def on_agent_start(self, world: Any, n: Any, rec: Any) -> None:
        self.destroyed[n.name] = 0
        if n.mode == "cleanup":
            # cleanup mode: executors are killed and the agent starts afresh; its
            # unacknowledged updates go with it (Mesos --recover=cleanup)
            self.abandoned.update(self.agent_keys.get(n.name, ()))
        self.dirty = True
        self._keys_to_check.update(self.agent_keys.get(n.name, ()))

    def on_agent_crash(self, world: Any, n: Any, stopped: bool) -> None:
        # unsynced records that survived the crash are durable now: they were accepted
        logs = n.disk.logs
        for key, uuid, state, producer in self.unsynced.pop(n.name, []):
            log = logs.get(("updates", key[0], key[1]), ())
            if any(type(r) is UpdateRecord and r.update.uuid == uuid for r in log):
                self.produce(world, n, key, uuid, state, producer)
        if stopped:
            self.abandoned.update(self.agent_keys.get(n.name, ()))
        for key in self.agent_keys.get(n.name, ()):
            if any((key, u) in self.volatile for u in self.unacked.get(key, ())):
                self.abandoned.add(key)  # never checkpointed: Mesos may lose it
        self._keys_to_check.update(self.agent_keys.get(n.name, ()))
        self.dirty = True

    def on_persist(self, world: Any, n: Any, e: Any) -> None:
        rec = e.record
        if e.append and type(rec) is UpdateRecord:
            u = rec.update
            key = (u.framework_id, u.status.task_id)
            if u.uuid not in self.produced_set.get(key, ()):
                self.unsynced.setdefault(n.name, []).append(
                    (key, u.uuid, u.status.state, PRODUCER.get(u.status.source, "agent")))

    def on_sync(self, world: Any, n: Any) -> None:
        pend = self.unsynced.pop(n.name, None)
        if pend:
            for key, uuid, state, producer in pend:
                self.produce(world, n, key, uuid, state, producer)

    def before_agent_crash(self, world: Any, n: Any) -> None:
        """CheckpointAgrees on the agent about to crash: what it holds is what its disk
        (every write so far) would rebuild."""
        rows = checkpoint_rows(n, crashing=True)
        if rows:
            self.run(world, inv.CheckpointAgrees, ClusterSnapshot(checkpoint_books=tuple(rows)))

    def after_agent_start(self, world: Any, n: Any) -> None:
        """CheckpointAgrees right after an agent started (recovered): what recovery rebuilt
        from its disk, and the disk it left, agree."""
        rows = checkpoint_rows(n)
        if rows:
            self.run(world, inv.CheckpointAgrees, ClusterSnapshot(checkpoint_books=tuple(rows)))

    def check_agent_update(self, world: Any, node: Any, u: Any) -> None:
        """AgentUpdatesTruthful, on an update an agent persists or sends."""
        own = node.machine.agent_id or None
        running = u.status.reason is _EXEC_TERMINATED and task_still_runs(world, node, u)
        if u.status.agent_id != own or running:
            self.run(world, inv.AgentUpdatesTruthful, ClusterSnapshot(agent_updates=(
                (node.name, u.status.task_id, u.status.agent_id, own, running),)))

    def on_superseded(self, uuid: bytes) -> None:
        """The agent refused an executor's update because it had ended the task itself (a
        container limitation): acknowledged only so that it is not resent, never accepted."""
        self.superseded.add(uuid)

    def on_executor_ack(self, world: Any, n: Any, x: Any, msg: Any) -> None:
        if msg.uuid in self.superseded:
            return
        key = (x.framework_id, msg.task_id)
        if msg.uuid in self.produced_set.get(key, ()):
            return
        known = self.exec_updates.get(msg.uuid)
        if known is not None:
            self.produce(world, n, key, msg.uuid, known[1], "executor")

    def on_task_start(self, world: Any, x: Any, task_id: str) -> None:
        if world.config.health:
            self.health.on_task_start(world.now, x, task_id)
        key = (x.framework_id, task_id)
        agents = self.launches.setdefault(key, [])
        agents.append(x.agent.name)
        self.launched_tasks += 1
        if len(agents) > 1:
            self.run(world, inv.SingleLaunch,
                     ClusterSnapshot(launches={key: tuple(agents)}))

    def on_registry_commit(self, writer: str, was_leader: bool) -> None:
        self.registry_commits.append((writer, was_leader))
        if not was_leader:
            self.run(self.world, inv.OneLeaderWrites,
                     ClusterSnapshot(registry_commits=((writer, was_leader),)))

    def on_recovery_kill(self, world: Any, n: Any, cid: str, alive: bool) -> None:
        self.recovery_kills.append((n.name, cid, alive))
        self.run(world, inv.RecoveryKeepsTasks,
                 ClusterSnapshot(recovery_kills=((n.name, cid, alive),)))

    def on_step(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        kind = node.kind
        if kind == "master":
            self.on_master_step(world, node, inp, effects)
        elif kind == "agent":
            self.on_agent_step(world, node, inp, effects)
        elif type(inp) is HealthCheckResult:
            seen = self.health.on_result(world.now, node, inp, effects)
            if seen is not None:
                self.run(world, inv.HealthChecksKill, ClusterSnapshot(health_checks=(seen,)))

    def on_agent_step(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        if type(inp) is Received and type(inp.message) in (RunTask, RunTaskGroup):
            self.check_agent_runs(world, node)
        persisted: set[bytes] | None = None
        for e in effects:
            t = type(e)
            if t is Persist:
                if type(e.record) is UpdateRecord:
                    if persisted is None:
                        persisted = set()
                    persisted.add(e.record.update.uuid)
                    self.check_agent_update(world, node, e.record.update)
            elif t is DestroyContainer:
                self.destroyed[node.name] = self.destroyed.get(node.name, 0) + 1
            elif t is Send and type(e.message) is StatusUpdateMessage:
                u = e.message.update
                self.check_agent_update(world, node, u)
                key = (u.framework_id, u.status.task_id)
                if (persisted is None or u.uuid not in persisted) \
                        and u.uuid not in self.produced_set.get(key, ()) \
                        and not any(x[1] == u.uuid for x in self.unsynced.get(node.name, ())):
                    # accepted into a stream without a checkpoint (a framework or task the
                    # agent does not checkpoint): held in memory only
                    self.volatile.add((key, u.uuid))
                    self.produce(world, node, key, u.uuid, u.status.state,
                                 PRODUCER.get(u.status.source, "agent"))
        if type(inp) is not Received:
            return
        msg = inp.message
        t = type(msg)
        if t is ExecutorUpdate:
            st = msg.status
            if st.uuid is not None:
                self.exec_updates[st.uuid] = ((msg.framework_id, st.task_id), st.state)
        elif t is ExecutorSubscribe:
            x = world.executor_by_name(inp.sender)
            if x is not None:
                node.resubscribed.add(x.container)
        elif t is AgentRegistered or t is AgentReregistered:
            node.recovering = False
        elif t is ShutdownFramework:
            fw = msg.framework_id
            self.abandoned.update(k for k in self.agent_keys.get(node.name, ())
                                  if k[0] == fw)
        elif t is ShutdownAgent:
            self.abandoned.update(self.agent_keys.get(node.name, ()))
        else:
            name = t.__name__
            if name == "StatusUpdateAcknowledgement":
                key = (msg.framework_id, msg.task_id)
                self._keys_to_check.add(key)
                self.dirty = True

    def on_master_step(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        pre_offers = self._pre_offers
        tin = type(inp)
        # one pass over the effects: the agents whose ledgers this step touched, and whether
        # check_offer_filters has anything to read (offers made, agent_* logs)
        agents: set[str] | None = None
        filters_due = tin is SchedulerCall or self.filter_master != (node.name, node.inc)
        for e in effects:
            te = type(e)
            if te is Log:
                if e.event.startswith("agent_"):
                    filters_due = True
                    if e.event == "agent_removed":
                        # a removed agent has nothing to offer: its ledger must be empty
                        if agents is None:
                            agents = set()
                        agents.add(dict(e.fields).get("agent_id", ""))
            elif te is Send:
                m = e.message
                t = type(m)
                if t is EventOffers:
                    filters_due = True
                    if agents is None:
                        agents = set()
                    for o in m.offers:
                        agents.add(o.agent_id)
                elif t is RunTask or t is RunTaskGroup:
                    if agents is None:
                        agents = set()
                    aid = m.task.agent_id if t is RunTask else m.tasks[0].agent_id
                    agents.add(aid)
                    fid = m.framework_info.id
                    for task in ((m.task,) if t is RunTask else m.tasks):
                        self.launch_sent[(fid, task.task_id)] = world.now
        if self.fenced or tin is RegistryResult:  # else check_fenced_master has nothing to do
            self.check_fenced_master(world, node, inp, effects)
        if filters_due:  # else check_offer_filters would change and check nothing
            self.check_offer_filters(world, node, inp, effects)
        if tin is SchedulerCall and type(inp.call) is CallKill:
            self.track_kill(world, node, inp, effects)
        elif tin is Disconnected:
            self.check_inactive_offers(world, node)
            check_agent_disconnected(self, world, node, inp)
        elif tin is Received and (inp.sender.endswith(HOSTILE_AGENT) or (
                type(inp.message) is StatusUpdateMessage
                and inp.message.update.status.task_id == HOSTILE_TASK)):
            check_malformed_agent_refused(self, world, inp, effects)
        if tin is SchedulerCall:
            ct = type(inp.call)
            if ct is CallAccept and malformed_accept(inp.call):
                check_malformed_refused(self, world, inp, effects)
            elif ct is CallReconcile and inp.call.tasks:
                check_reconcile_answered(self, world, node, inp, effects)
            elif ct is CallAccept:
                check_valid_accept(self, world, node, inp, effects, pre_offers)
                check_no_rescind_of_returned(self, world, inp, effects)
            elif ct is CallDecline:
                check_no_rescind_of_returned(self, world, inp, effects)
            elif ct is CallAcknowledge and node.leader:
                check_acked_terminal_removed(self, world, node, inp, effects)
            elif ct is CallSubscribe:
                check_subscribe_info(self, world, node, inp, effects)
                if inp.principal is not None:
                    check_subscribe_principal(self, world, node, inp, effects)
        if agents:
            self._ledger_agents.update(agents)
            self.dirty = True
            if node.leader:
                self.check_allocation_books(world, node, agents)
        if self.drf and node.leader:
            al = node.machine.allocator
            # explain mode: only when the cycle recorded decisions; the production fast path
            # (SimConfig.fast_alloc): when its reference comparison has something to read
            if al.last_cycle_decisions or getattr(al, "unread", 0) \
                    or getattr(al, "disagreements", None):
                self.check_drf(world, node)
        if getattr(world, "op_out", None) and node is world.live_leader():
            self.check_deactivated_offers(world, node, effects)

    def check_deactivated_offers(self, world: Any, node: Any, effects: list[Any]) -> None:
        """NoOffersOfDeactivatedAgents: the offers of this master step against the agents
        the operator holds out (world.op_out: its DEACTIVATE/DRAIN answered 200)."""
        out = world.op_out
        bad = tuple((node.name, o.id, o.agent_id, out[o.agent_id][0])
                    for e in effects if type(e) is Send and type(e.message) is EventOffers
                    for o in e.message.offers if o.agent_id in out)
        if bad:
            self.run(world, inv.NoOffersOfDeactivatedAgents,
                     ClusterSnapshot(offers_of_deactivated=bad))

    def check_invalid_answer(self, world: Any, what: str, status: int, message: Any) -> None:
        """InvalidOperatorCallsRefused (the world calls it: World.operator_answered)."""
        self.run(world, inv.InvalidOperatorCallsRefused, ClusterSnapshot(
            invalid_operator_answers=((what, status, message or ""),)))

    def check_drain(self, world: Any, aid: str, live: frozenset[str]) -> None:
        """DrainEmptiesAgent (the world calls it: World.drain_check)."""
        self.run(world, inv.DrainEmptiesAgent,
                 ClusterSnapshot(drained_agents=((aid, tuple(sorted(live))),)))

    def check_inactive_offers(self, world: Any, node: Any) -> None:
        """NoOffersToInactive, after a master step on a disconnection (a framework's stream
        ends: the master deactivates it and must take its offers back)."""
        held = tuple((fw.id, oid) for fw in node.machine._frameworks.values()
                     if not fw.active for oid in fw.offers)
        if held:
            self.run(world, inv.NoOffersToInactive, ClusterSnapshot(inactive_offers=held))

    def on_scheduler_input(self, world: Any, s: Any, inp: Any) -> None:
        if type(inp) is CallResponse and inp.status == 400 and inp.message \
                and inp.message.startswith(MALFORMED) \
                and inp.request not in self.malformed_requests:
            self.run(world, inv.WellFormedCallsAccepted, ClusterSnapshot(
                refused_calls=((s.name, inp.status, inp.message),)))

    def agent_activity(self, world: Any) -> tuple[tuple[str, bool, bool], ...]:
        """AgentActivityAgrees input: per agent of the live leader, whether the master
        considers it usable (connected, active, not deactivated by an operator) and whether
        the allocator has it active."""
        m = world.live_leader()
        if m is None:
            return ()
        master = m.machine
        al = master.allocator
        out = []
        for aid, a in sorted(master._agents.items()):
            ag = al._agents.get(aid)
            if ag is None:
                continue
            out.append((aid, bool(a.connected and a.active and not master.agent_deactivated(aid)),
                        bool(ag.active)))
        return tuple(out)

    def on_app_event(self, world: Any, s: Any, ev: Any) -> None:
        if type(ev) is EventUpdate and ev.status.state is TaskState.TASK_ERROR \
                and not (ev.status.message or "").startswith(UNAVAILABLE):
            # the simulated frameworks' TaskInfos are well-formed: only resources they were
            # not offered (a stale or hoarded offer) may make a task invalid
            self.run(world, inv.WellFormedCallsAccepted, ClusterSnapshot(refused_calls=(
                (s.name, 0, f"task {ev.status.task_id}: {ev.status.message}"),)))
        if type(ev) is EventSubscribed:
            d = s.machine
            self.subscribed_streams.setdefault(d.name, set()).add(d.stream_id)
            self._driver_id(world, d.name, "subscribed", ev.framework_id)
        if type(ev) is not EventUpdate:
            return
        st = ev.status
        if st.uuid is not None:
            self.delivered.add((s.machine.framework_id, st.task_id, st.uuid))
        fw = s.app.framework_id or s.machine.framework_id
        key = (fw, st.task_id)
        if st.state.is_terminal and key not in self.terminal_seen:
            self.terminal_seen[key] = st.state
            if st.state is TaskState.TASK_FINISHED:
                self.finished_tasks += 1
            elif st.state in (TaskState.TASK_LOST, TaskState.TASK_GONE,
                              TaskState.TASK_DROPPED):
                self.lost_tasks += 1
        if st.uuid is None:
            return
        seen = self.seen.setdefault(key, [])
        seen.append((st.uuid, st.state))
        self.run(world, inv.UpdatesInOrder, _snap(
            seen={key: tuple(seen)}, produced={key: tuple(self.produced.get(key, ()))}))

    def _driver_id(self, world: Any, name: str, kind: str, fid: str | None) -> None:
        seq = self.framework_ids.setdefault(name, [])
        seq.append((kind, fid))
        self.run(world, inv.ResubscribeKeepsId, ClusterSnapshot(
            framework_ids={name: tuple(seq)}))

    def on_call(self, world: Any, s: Any, call: Any) -> None:
        c = call.call
        if type(c) is CallAccept and malformed_accept(c):
            self.malformed_requests.add(call.request)
        name = s.machine.name
        if type(c) is CallSubscribe:
            self._driver_id(world, name, "subscribe", call.framework_id)
        else:
            ok = call.stream_id in self.subscribed_streams.get(name, ())
            # one snapshot per (driver, call type, verdict): snapshots are immutable values
            k = (name, type(c), ok)
            snap = self._call_snaps.get(k)
            if snap is None:
                snap = self._call_snaps[k] = ClusterSnapshot(
                    calls={name: ((type(c).__name__, ok),)})
            self.run(world, inv.NoCallBeforeSubscribed, snap)
        if type(c) is CallAcknowledge:
            k = (call.framework_id, c.task_id, c.uuid)
            self.run(world, inv.AckAfterDelivery, _snap(
                acked=frozenset({k}), delivered=frozenset({k} & self.delivered)))
            key = (call.framework_id, c.task_id)
            self.acked.setdefault(key, set()).add(c.uuid)
            un = self.unacked.get(key)
            if un:
                un.discard(c.uuid)

    # ================================================================== cross-party books
    # (issue 12) Each check below reads the books of one party at a time and compares them
    # with another party's or with what that party was told, never with its own conclusion.

    def on_dropped(self, world: Any, dst: Any, inp: Any) -> None:
        """The network dropped a message while the connection stayed up (TCP never does
        that; the simulator does): a RunTask lost this way leaves the master's task in
        STAGING until its agent re-registers (Mesos has the same gap), so the quiescence
        books skip that task."""
        msg: Any = getattr(inp, "message", None)
        t = type(msg)
        if t is KillTask:
            self.kills_lost.add((msg.framework_id, msg.task_id))
        elif t is RunTask:
            self.lost_in_transit.add((msg.framework_info.id, msg.task.task_id))
        elif t is RunTaskGroup:
            self.lost_in_transit.update((msg.framework_info.id, x.task_id) for x in msg.tasks)

    def on_unaddressed_send(self, world: Any, node: Any, e: Any) -> None:
        """NoSendWithoutPeer: a master Send with no addressee (the world drops it)."""
        self.run(world, inv.NoSendWithoutPeer, ClusterSnapshot(
            unaddressed_sends=((node.name, type(e.message).__name__),)))

    def track_kill(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        """KillsTakeEffect: a KILL the master answered 202 and sent to the task's agent."""
        ok = bool(effects) and type(effects[0]) is Respond and effects[0].status < 300
        fid = inp.framework_id
        # only tasks that had started on their agent (an update produced): a KillTask that
        # overtakes its RunTask finds no task, as in Mesos
        if ok and fid is not None and (fid, inp.call.task_id) in self.produced and (any(
                type(e) is Send and type(e.message) is KillTask for e in effects)
                or kill_due(node.machine, fid, inp.call)):
            self.kills[(fid, inp.call.task_id)] = (world.now, node.name, node.inc)

    def before_master_step(self, world: Any, node: Any, inp: Any) -> None:
        """The offers a DECLINE names, as the master holds them before it handles the call
        (a decline of an offer the master no longer holds sets no filter)."""
        if self._used_memo:
            self._used_memo = {}  # the master's books may change in this step
        if type(inp) is SchedulerCall and type(inp.call) in (CallDecline, CallAccept):
            offers = node.machine._offers
            self._pre_offers = {oid: offers[oid] for oid in inp.call.offer_ids
                                if oid in offers}

    def check_fenced_master(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        """OneLeaderWrites, second half: after a fenced registry write, nothing visible."""
        if self.fenced.get(node.name) == node.inc:
            acts = [type(e).__name__ for e in effects if type(e) in _VISIBLE]
            if acts:
                what = f"{', '.join(sorted(set(acts)))} after its registry write was fenced"
                self.fenced_actions.append((node.info.id, what))
                self.run(world, inv.OneLeaderWrites,
                         ClusterSnapshot(fenced_actions=(self.fenced_actions[-1],)))
            return
        if type(inp) is RegistryResult and not inp.ok:
            self.fenced[node.name] = node.inc
            acts = [type(e).__name__ for e in effects if type(e) in _VISIBLE]
            if acts:
                what = f"{', '.join(sorted(set(acts)))} in the step its write was fenced"
                self.fenced_actions.append((node.info.id, what))
                self.run(world, inv.OneLeaderWrites,
                         ClusterSnapshot(fenced_actions=(self.fenced_actions[-1],)))

    def check_offer_filters(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        """OffersRespectFilters: a model of the decline filters and suppressed roles built
        from the calls the leading master accepted (202), reset when leadership moves. It is
        deliberately weaker than Mesos where the rules are loose (filters of an ACCEPT's
        unused resources are not modelled; a re-subscription or an agent's removal or
        re-admission forgets that framework's / agent's filters)."""
        me = (node.name, node.inc)
        if self.filter_master != me:
            if not node.leader:
                return
            self.filter_master = me
            self.decline_filters = {}
            self.suppressed = {}
            self.constraints = {}
        now = world.now
        t = type(inp)
        if t is SchedulerCall:
            ok = bool(effects) and type(effects[0]) is Respond and effects[0].status < 300
            c = inp.call
            ct = type(c)
            fid = inp.framework_id
            if ct is CallSubscribe:
                if ok:
                    fid = c.framework_info.id
                    if fid is None:  # a new framework: its id is in its SUBSCRIBED event
                        fid = next((e.message.framework_id for e in effects
                                    if type(e) is Send and type(e.message) is EventSubscribed),
                                   None)
                    if fid is not None:
                        # SUBSCRIBE's suppressed_roles replace the framework's suppressed set
                        mine = set(c.framework_info.roles)
                        self.suppressed[fid] = {r for r in c.suppressed_roles if r in mine}
                        self.constraints[fid] = {r: tuple(cs) for r, cs in c.offer_constraints
                                                 if cs}
                        for k in [k for k in self.decline_filters if k[0] == fid]:
                            del self.decline_filters[k]
            elif not ok or fid is None:
                pass
            elif ct is CallDecline:
                refuse = c.filters.refuse_seconds
                if refuse is not None and not math.isnan(refuse) and refuse > 0:
                    for oid in c.offer_ids:
                        o = self._pre_offers.get(oid)
                        if o is None or o.framework_id != fid:
                            continue
                        # the offer's resources, unallocated only if an offer is caught
                        self.decline_filters[(fid, o.agent_id, o.role)] = (
                            o.resources, now + refuse)
            elif ct is CallAccept:
                # the allocator keeps ONE filter per (framework, role) on an agent, the latest:
                # an ACCEPT's filter (of its unused resources, not modelled) replaces it
                for oid in c.offer_ids:
                    o = self._pre_offers.get(oid)
                    if o is not None and o.framework_id == fid:
                        self.decline_filters.pop((fid, o.agent_id, o.role), None)
            elif ct is CallSuppress:
                fw = node.machine._frameworks.get(fid)
                roles = c.roles or (fw.info.roles if fw is not None else ())
                self.suppressed.setdefault(fid, set()).update(roles)
            elif ct is CallRevive:
                fw = node.machine._frameworks.get(fid)
                roles = set(c.roles or (fw.info.roles if fw is not None else ()))
                self.suppressed.get(fid, set()).difference_update(roles)
                for k in [k for k in self.decline_filters if k[0] == fid and k[2] in roles]:
                    del self.decline_filters[k]
            self._pre_offers = {}
        made: list[Any] = []
        for e in effects:
            te = type(e)
            if te is Log and e.event.startswith("agent_"):
                aid = dict(e.fields).get("agent_id")
                for k in [k for k in self.decline_filters if k[1] == aid]:
                    del self.decline_filters[k]
            elif te is Send and type(e.message) is EventOffers:
                for o in e.message.offers:
                    f = self.decline_filters.get((o.framework_id, o.agent_id, o.role))
                    filtered = f[0] if f is not None and now < f[1] - 1e-9 else None
                    if filtered is not None:
                        filtered = filtered.unallocate()
                    sup = o.role in self.suppressed.get(o.framework_id, ())
                    failed = _failed_constraint(
                        self.constraints.get(o.framework_id, {}).get(o.role, ()), o.attributes)
                    if filtered is not None or sup or failed is not None:
                        made.append(OfferMade(offer_id=o.id, framework_id=o.framework_id,
                                              agent_id=o.agent_id, role=o.role,
                                              resources=o.resources, filtered=filtered,
                                              suppressed=sup, constraint=failed))
                    self.offers_checked += 1
        if made:
            self.run(world, inv.OffersRespectFilters, ClusterSnapshot(offers_made=tuple(made)))

    def check_allocation_books(self, world: Any, node: Any, agents: set[str]) -> None:
        """AllocationBooksAgree on the agents this step offered/launched on/removed."""
        m = node.machine
        al = m.allocator
        books = []
        for aid in sorted(agents):
            a = m._agents.get(aid)
            ag = al._agents.get(aid)
            if a is None or ag is None:
                continue
            held = _NO_RESOURCES
            for r in ag.alloc.values():
                held = held + r
            booked = _NO_RESOURCES
            for r in self._used_by_framework(a).values():
                booked = booked + r
            for oid in a.offers:
                booked = booked + m._offers[oid].resources
            books.append((aid, held, booked))
        if books:
            self.run(world, inv.AllocationBooksAgree,
                     _snap(allocation_books=tuple(books)))

    def check_drf(self, world: Any, node: Any) -> None:
        """DrfOrder on the decisions of this step's allocation cycle (the allocator's explain
        mode), and the share books the allocator sorted by against shares recomputed here
        from its per-agent allocations, the agents' totals and the configured weights."""
        al = node.machine.allocator
        if getattr(al, "disagreements", None) is not None:
            self.check_fast_drf(world, al)
            return
        decisions = al.last_cycle_decisions
        if not decisions:
            return
        self.decisions += len(decisions)
        al.last_cycle_decisions = []
        books: list[tuple[str, float, float]] = []
        if not al._shares_dirty:
            # an operator changing weights (SimConfig.operator): the weights in force are the
            # master's to know (registry weights replace the configured ones, as in Mesos); the
            # shares are still recomputed here from the allocations
            weights = None if not getattr(world, "operator_calls", 0) else dict(al._weights)
            books = self.share_books(al, weights)
        self.run(world, inv.DrfOrder, _snap(allocations=tuple(decisions),
                                            share_books=tuple(books)))

    def check_fast_drf(self, world: Any, al: Any) -> None:
        """DrfOrder on the production fast path (SimConfig.fast_alloc, core/sim/fastpath.py):
        each cycle's Allocations against the reference cycle's, and the share books after a
        cycle that allocated."""
        shapes, al.shapes = tuple(al.shapes), []
        cycles, al.why_cycles = al.why_cycles, []
        if al.unread or al.disagreements:
            self.decisions += al.unread
            allocated, al.unread = al.unread, 0
            diffs = tuple((f"cycle {c}", _allocs(got), _allocs(want))
                          for c, got, want in al.disagreements)
            al.disagreements = []
            books: list[tuple[str, float, float]] = []
            if allocated and not al._shares_dirty:
                weights = None if not getattr(world, "operator_calls", 0) else dict(al._weights)
                books = self.share_books(al, weights)
            if diffs or books:
                self.run(world, inv.DrfOrder, ClusterSnapshot(share_books=tuple(books),
                                                              reference_cycles=diffs))
        # s12: the allocations' shape and the explanation, after the policy's own verdict
        if shapes:
            self.run(world, inv.WholeOffers, ClusterSnapshot(
                offer_shapes=shapes, min_allocatable=al.config.min_allocatable))
        if cycles:
            self.run(world, inv.WhyAgrees, ClusterSnapshot(
                why_first=tuple(row for f, _a in cycles for row in f),
                why_allocated=tuple(x for _f, a in cycles for x in a)))

    def share_books(self, al: Any, weights: dict[str, float] | None = None
                    ) -> list[tuple[str, float, float]]:
        """(what, share the allocator sorts by, share recomputed here). Recomputed from the
        allocator's per-agent allocations (the Resources it handed out) and the agents'
        totals, in milli-units as Mesos rounds scalars; roles weighted by the weights the
        world configured (not the allocator's copy)."""
        total: dict[str, int] = {}
        role_q: dict[str, dict[str, int]] = {}
        # the agents' totals summed once per set of total values (they rarely change; a
        # memo keyed by the identity of each agent's immutable total, kept alive by the memo)
        totals = [ag.total for ag in al._agents.values()]
        memo = self._totals_memo
        if memo is not None and len(memo[0]) == len(totals) \
                and all(map(operator.is_, memo[0], totals)):
            total = memo[1]
        else:
            for t in totals:
                for name, q in t._scalar_map().items():
                    total[name] = total.get(name, 0) + q
            self._totals_memo = (totals, total)
        by = self._allocation_sums(al)  # (framework, role) -> name -> milli
        for (_fid, role), d in by.items():
            rq = role_q.get(role)
            if rq is None:
                role_q[role] = dict(d)
                continue
            for name, v in d.items():
                rq[name] = rq.get(name, 0) + v

        def share(d: dict[str, int] | None) -> float:
            best = 0.0
            for n, q in (d or {}).items():
                t = total.get(n, 0)
                if t > 0 and q / t > best:
                    best = q / t
            return best

        out = []
        for role, idx in al._fw_index.items():
            for fid, recorded in idx._share.items():
                out.append((f"framework {fid} in role {role}", recorded,
                            share(by.get((fid, role)))))
        weights = self.weights if weights is None else weights
        for role, recorded in al._role_index._share.items():
            out.append((f"role {role}", recorded,
                        share(role_q.get(role)) / weights.get(role, 1.0)))
        return out

    def _allocation_sums(self, al: Any) -> dict[tuple[str, str], dict[str, int]]:
        """(framework, role) -> scalar name -> milli-units the allocator's per-agent
        allocations hold, kept as running sums: an agent whose allocation dict equals the
        one seen at the previous evaluation adds nothing new; for the others the values that
        changed are taken out (their scalars as they were added) and the new ones put in. A
        sum that falls to 0 stays as 0 (a share of 0, as a missing entry). Started afresh for
        a new allocator (another master leads). Integer sums: the same numbers as a recount
        (tests/test_sim_incremental.py compares them at every evaluation)."""
        if al is not self._sums_of:
            self._sums_of = al
            self._sums_seen = {}
            self._sums = {}
        seen = self._sums_seen
        by = self._sums
        scalars = self._role_scalars

        def put(fid: str, res: Resources, sign: int) -> None:
            for role, sc in scalars(res).items():
                d = by.get((fid, role))
                if d is None:
                    d = by[(fid, role)] = {}
                for name, v in sc.items():
                    d[name] = d.get(name, 0) + sign * v

        agents = al._agents
        for aid, ag in agents.items():
            cur = ag.alloc
            prev = seen.get(aid)
            if prev is not None and prev == cur:
                continue
            if prev:
                for fid, res in prev.items():
                    if cur.get(fid) is not res:
                        put(fid, res, -1)
                for fid, res in cur.items():
                    if prev.get(fid) is not res:
                        put(fid, res, 1)
            else:
                for fid, res in cur.items():
                    put(fid, res, 1)
            seen[aid] = dict(cur)
        if len(seen) != len(agents):
            for aid in [a for a in seen if a not in agents]:
                for fid, res in seen.pop(aid).items():
                    put(fid, res, -1)
        return by

    def _role_scalars(self, res: Resources) -> dict[str, dict[str, int]]:
        """allocation role ('' for none) -> scalar name -> milli-units of one allocation
        value, read once per value (Resources are immutable; the memo keeps each value it
        describes alive, so an id is never reused while it is in the memo)."""
        hit = self._scalars_memo.get(id(res))
        if hit is not None and hit[0] is res:
            return hit[1]
        out: dict[str, dict[str, int]] = {}
        for k, v in res._m.items():
            if type(v) is int:
                d = out.get(k[2] or "")
                if d is None:
                    d = out[k[2] or ""] = {}
                d[k[0]] = d.get(k[0], 0) + v
        if len(self._scalars_memo) > 50_000:
            self._scalars_memo = {}
        self._scalars_memo[id(res)] = (res, out)
        return out

    def check_agent_runs(self, world: Any, node: Any) -> None:
        """AgentRunsWithinTotal: the agent's own books after it accepted a task."""
        a = node.machine
        running = agent_running(a)
        self.run(world, inv.AgentRunsWithinTotal, _snap(
            agent_runs=((a.agent_id or node.name, a.agent_info.resources, running),)))

    # ================================================================== produced updates
    def produce(self, world: Any, n: Any, key: tuple[str, str], uuid: bytes,
                state: TaskState, producer: str) -> None:
        ps = self.produced_set.setdefault(key, set())
        if uuid in ps:
            return
        ps.add(uuid)
        self.produced.setdefault(key, []).append((uuid, state))
        self.produced_at[uuid] = world.now
        if uuid not in self.acked.get(key, ()):
            self.unacked.setdefault(key, set()).add(uuid)
        self.key_agent[key] = n.name
        self.agent_keys.setdefault(n.name, set()).add(key)
        tr = self.transitions.get(key)
        if tr is None:
            tr = self.transitions[key] = [(STAGING, "agent")]
        last = tr[-1][0]
        if state is not last and not (last.is_terminal and state.is_terminal):
            tr.append((state, producer))
            self.run(world, inv.LegalTaskTransitions,
                     _snap(transitions={key: tuple(tr)}))
        self._keys_to_check.add(key)
        self.dirty = True

    # ================================================================== incremental checks
    def after_event(self, world: Any) -> None:
        self.dirty = False
        if self._keys_to_check:
            keys = self._keys_to_check
            self._keys_to_check = set()
            for key in sorted(keys):
                if self.unacked.get(key) and key not in self.abandoned:
                    self.check_lost(world, key)
        if self._ledger_agents:
            ids = self._ledger_agents
            self._ledger_agents = set()
            m = world.live_leader()
            if m is not None:
                ledgers = tuple(x for x in (self.ledger(m, aid) for aid in sorted(ids))
                                if x is not None)
                snap = _snap(agents=ledgers)  # immutable: one for both
                self.run(world, inv.NoOvercommit, snap)
                self.run(world, inv.ReservedToRole, snap)
                limits = quota_limits(m.machine)
                if limits:
                    every = m.machine.agent_ledgers()
                    self.run(world, inv.QuotaLimitRespected, ClusterSnapshot(
                        agents=every, quota_limits=self.quota_allowance(m, limits, every)))
                # OfferExclusive can only fail on an agent with two or more outstanding
                # offers (with one, its bound is implied by NoOvercommit): skip the others,
                # their port ranges are costly to enumerate
                multi = tuple(x for x in ledgers if len(x.offered) > 1
                              and not _offers_disjoint(x))
                if multi:
                    self.run(world, inv.OfferExclusive, ClusterSnapshot(agents=multi))

    def quota_allowance(self, m: Any, limits: dict[str, dict[str, float]],
                        every: tuple[AgentLedger, ...]) -> dict[str, dict[str, float]]:
        """QuotaLimitRespected judges, per role and limited resource, max(limit, what the role
        held when this leader's limit took the current value (or when this leader was first
        seen), ratcheted down at each check to what it holds then): a limit set below what
        a role holds revokes nothing (Mesos neither rescinds offers nor kills tasks for it),
        but the role may not grow past what it still holds until it is under its limit."""
        me = (m.name, m.inc)
        if self.quota_leader != me:
            self.quota_leader = me
            self.quota_books = {}
        held, _offered = inv.role_holdings(every)
        out: dict[str, dict[str, float]] = {}
        for role, lim in limits.items():
            have = held.get(role)
            for name, limit in lim.items():
                now_held = have.scalar(name) if have is not None else 0.0
                book = self.quota_books.get((role, name))
                if book is None or book[0] != limit:
                    allowance = max(limit, now_held)  # the limit (re)set: nothing revoked
                else:
                    allowance = book[1]
                out.setdefault(role, {})[name] = allowance
                # the next check's allowance: no more than what is held now
                self.quota_books[(role, name)] = (limit, max(limit, min(allowance, now_held)))
        return out

    def ledger(self, m: Any, agent_id: str) -> AgentLedger | None:
        a = m.machine._agents.get(agent_id)  # one agent's view (the public `agents` builds all)
        if a is None:
            # not (or no longer) registered: any outstanding offer of it is an overcommit
            stale = tuple((oid, o.framework_id, o.resources)
                          for oid, o in m.machine._offers.items() if o.agent_id == agent_id)
            if not stale:
                return None
            return AgentLedger(agent_id=agent_id, total=Resources(), offered=stale)
        # the fields of the master's `_agent_view(a)` that a ledger holds, built alone
        offers = m.machine._offers
        return AgentLedger(agent_id=agent_id, total=a.total,
                           offered=tuple((oid, offers[oid].framework_id, offers[oid].resources)
                                         for oid in a.offers),
                           used=tuple(sorted(self._used_by_framework(a).items())))

    def _used_by_framework(self, a: Any) -> dict[str, Resources]:
        """`a.used_by_framework()` of a master's agent record, computed once per master step
        (AllocationBooksAgree and the ledger checks after the event read the same books)."""
        hit = self._used_memo.get(id(a))
        if hit is not None and hit[0] is a:
            return hit[1]
        used = a.used_by_framework()
        self._used_memo[id(a)] = (a, used)
        return used

    def pending(self, world: Any, key: tuple[str, str]) -> tuple[bytes, ...]:
        name = self.key_agent.get(key)
        if name is None:
            return ()
        n = world.nodes[name]
        if n.alive and n.machine is not None:
            stream = n.machine.sum.streams.get(key)
            return tuple(u.uuid for u in stream.pending) if stream is not None else ()
        out: list[bytes] = []
        for r in n.disk.logs.get(("updates", key[0], key[1]), ()):
            t = type(r)
            if t is UpdateRecord:
                out.append(r.update.uuid)
            elif t is AckRecord and r.uuid in out:
                out.remove(r.uuid)
        return tuple(out)

    def check_lost(self, world: Any, key: tuple[str, str]) -> None:
        produced = self.produced[key]
        acked = self.acked.get(key, set())
        pending = self.pending(world, key)
        snap = _snap(
            produced={key: tuple(produced)},
            acked=frozenset((key[0], key[1], u) for u in acked),
            pending={key: pending})
        self.checks += 1
        out = inv.NoLostAckedWork(snap)
        if out:
            # Mesos drops the updates queued behind a terminal update once that terminal
            # update is acknowledged (the stream closes): not a loss.
            closed = any(st.is_terminal and u in acked for u, st in produced)
            if closed:
                self.abandoned.add(key)
                return
            self.fail(world, out)

    # ================================================================== quiescence books
    def quiescence_books(self, world: Any, grace: float) -> tuple[tuple[inv.TaskBooks, ...],
                                                                  tuple[inv.TaskView, ...]]:
        """TaskBooksAgree / NoResourceLeak / FrameworkViewAgrees / TerminalReachesFramework
        inputs. Tasks with activity in the last `grace` seconds (a launch sent, an update
        produced, an update still unacknowledged) may legitimately be in flight: skipped."""
        now = world.now
        agent_states: dict[tuple[str, str], TaskState] = {}
        for n in world.agents:
            if not n.alive or n.machine is None:
                continue
            for fw in n.machine.frameworks.values():
                for ex in fw.executors.values():
                    for t in ex.completed:
                        agent_states[(fw.id, t.info.task_id)] = t.state
                    for t in ex.tasks.values():
                        agent_states[(fw.id, t.info.task_id)] = t.state
                for ex in fw.completed_executors:
                    for t in ex.completed:
                        agent_states[(fw.id, t.info.task_id)] = t.state

        def busy(key: tuple[str, str], grace: float = grace, unacked: bool = True) -> bool:
            if key in self.lost_in_transit:
                return True
            if now - self.launch_sent.get(key, -1e18) < grace:
                return True
            if unacked and self.unacked.get(key):
                return True
            prod = self.produced.get(key)
            if not prod:
                return False
            return now - self.produced_at.get(prod[-1][0], -1e18) < grace

        books: list[inv.TaskBooks] = []
        m = world.live_leader()
        if m is not None:
            master = m.machine
            al = master.allocator
            nodes = {n.machine.agent_id: n for n in world.agents
                     if n.alive and n.machine is not None and n.machine.agent_id}
            for aid, a in sorted(master._agents.items()):
                n = nodes.get(aid)
                ag = al._agents.get(aid)
                if n is None or ag is None or not a.connected or not a.active:
                    continue
                mt = frozenset(k for k, t in a.tasks.items() if not t.state.is_terminal)
                at = frozenset((fw.id, t.info.task_id)
                               for fw in n.machine.frameworks.values()
                               for ex in fw.executors.values() for t in ex.tasks.values()
                               if not t.state.is_terminal)
                if any(busy(k) for k in mt | at):
                    # in flight: compare only the allocator's pool with the total
                    mt = at = frozenset()
                    used = running = Resources()
                else:
                    used = Resources()
                    for r in a.used_by_framework().values():
                        used = used + r
                    running = agent_running(n.machine)
                pooled = ag.available
                for r in ag.alloc.values():
                    pooled = pooled + r
                books.append(inv.TaskBooks(agent_id=aid, master_tasks=mt, agent_tasks=at,
                                           total=a.total, pooled=pooled, master_used=used,
                                           agent_running=running))
        views: list[inv.TaskView] = []
        lead = world.live_leader()
        booked_unreachable = lead.machine._unreachable if lead is not None else {}
        live_ids = {n.machine.agent_id for n in world.agents
                    if n.alive and n.machine is not None and n.machine.agent_id}
        for sn in world.schedulers:
            app = sn.app
            fid = app.framework_id
            if not sn.alive or not app.acks or fid is None or not app.subscribed:
                continue
            for tid in sorted(app.running):
                key = (fid, tid)
                # a launch no master ever sent (the framework's ACCEPT was lost): the master
                # honestly answers TASK_UNKNOWN; not this property's business
                if key not in self.launch_sent and key not in agent_states:
                    continue
                # the app reconciles a task after 300 s without news, every 120 s: a view
                # is due once that cadence had time to run since the last activity
                if busy(key, grace + 420.0, unacked=False):
                    continue
                state = app.last_state.get(tid, STAGING)
                # told UNREACHABLE recently: its reconciliation is not due yet
                if state is TaskState.TASK_UNREACHABLE \
                        and now - app.changed.get(tid, -1e18) < grace + 420.0:
                    continue
                aid = getattr(app, "task_agent", {}).get(tid)
                views.append(inv.TaskView(key=key,
                                          framework_state=state,
                                          agent_state=agent_states.get(key),
                                          agent_abandoned_unreachable=aid is not None
                                          and aid in booked_unreachable and aid not in live_ids))
        return tuple(books), tuple(views)

    def quiescence_kills(self, world: Any, within: float
                         ) -> tuple[tuple[tuple[str, str], TaskState | None], ...]:
        """KillsTakeEffect input: each KillTask a master sent (for a KILL it accepted) that
        the network did not drop nor a crash discard, with the task's state on its agent
        `within` seconds after the kill (None: it had ended by then or no agent runs it)."""
        out = []
        for key, (at, _name, _inc) in sorted(self.kills.items()):
            if world.now - at < within or key in self.kills_lost:
                continue
            ended = None
            for uuid, state in self.produced.get(key, ()):
                if state.is_terminal:
                    ended = self.produced_at.get(uuid)
                    break
            if ended is None or ended > at + within:
                last = self.produced.get(key)
                out.append((key, last[-1][1] if last else STAGING))
        return tuple(out)

    # ================================================================== full snapshot
    def snapshot(self, world: Any) -> ClusterSnapshot:
        m = world.live_leader()
        agents: tuple[AgentLedger, ...] = ()
        if m is not None:
            agents = m.machine.agent_ledgers()
        pending = {k: self.pending(world, k) for k in self.produced}
        acked = frozenset((k[0], k[1], u) for k, us in self.acked.items() for u in us)
        return ClusterSnapshot(
            agents=agents,
            produced={k: tuple(v) for k, v in self.produced.items()},
            seen={k: tuple(v) for k, v in self.seen.items()},
            acked=acked,
            pending=pending,
            abandoned=frozenset(self.abandoned),
            transitions={k: tuple(v) for k, v in self.transitions.items()},
            launches={k: tuple(v) for k, v in self.launches.items()},
            registry_commits=tuple(self.registry_commits),
            recovery_kills=tuple(self.recovery_kills),
            quota_limits=quota_limits(m.machine) if m is not None else {},
            operations=operations_heard(world),
        )

    # ================================================================== total queue
    def total_queue(self, acking: frozenset[str], horizon: float = float("inf")
                    ) -> dict[str, list[str]]:
        """Jepsen's total-queue check of status updates, per task: produced (enqueued by
        agents) vs seen (dequeued by schedulers). Updates produced after `horizon` (the
        last moments of the run) may still be on their way: not counted as lost."""
        lost, dup, unexpected, order = [], [], [], []
        for key, produced in sorted(self.produced.items()):
            seen = self.seen.get(key, [])
            seen_u = [u for u, _ in seen]
            prod_u = [u for u, _ in produced]
            if key not in self.abandoned and key[0] in acking:
                lost += [f"{key[1]} {st.name}" for u, st in produced
                         if u not in seen_u and self.produced_at.get(u, 0.0) <= horizon]
            extra = len(seen_u) - len(set(seen_u))
            if extra:
                dup.append(f"{key[1]} x{extra}")
            distinct = list(dict.fromkeys(seen_u))
            if distinct != prod_u[: len(distinct)] and all(u in prod_u for u in distinct):
                order.append(key[1])
        for key, seen in sorted(self.seen.items()):
            ps = self.produced_set.get(key, set())
            unexpected += [f"{key[1]} {st.name}" for u, st in seen if u not in ps]
        return {"lost": lost, "duplicated": dup, "unexpected": unexpected,
                "out_of_order": order}


_VISIBLE = (Send, Respond, RegistryWrite, EventOffers)


def kill_due(master: Any, fid: str, call: Any) -> bool:
    """After the master answered a KILL 202: Mesos sends KillTask to the task's agent when
    the task is live on an agent the master has connected (and the call names that agent
    or none). KillsTakeEffect holds such a kill to its word even if no KillTask left."""
    fw = master._frameworks.get(fid)
    t = fw.tasks.get(call.task_id) if fw is not None else None
    if t is None or t.state.is_terminal or call.agent_id not in (None, t.agent_id):
        return False
    agent = master._agents.get(t.agent_id)
    return agent is not None and agent.connected


def _failed_constraint(constraints: tuple[Any, ...], attributes: Any) -> str | None:
    """The first offer constraint the attributes fail, as text (None: all hold); evaluated
    here on the attributes' text values (exists, not_exists, equals, not_equals)."""
    for c in constraints:
        values = [str(a.value) for a in attributes if a.name == c.attribute]
        ok = {"exists": bool(values), "not_exists": not values,
              "equals": c.value in values, "not_equals": c.value not in values}[c.predicate]
        if not ok:
            return f"{c.attribute} {c.predicate} {c.value if c.value is not None else ''}".rstrip()
    return None


def check_acked_terminal_removed(chk: Any, world: Any, node: Any, inp: Any,
                                 effects: list[Any]) -> None:
    """AckedTerminalTaskRemoved: after the leader accepted (relayed to the agent) an
    acknowledgement, the task it names is not still booked terminal with that very uuid as
    its forwarded update."""
    c = inp.call
    if not any(type(e) is Send and type(e.message) is StatusUpdateAcknowledgement
               for e in effects):
        return  # refused (agent gone or disconnected, nothing forwarded): nothing to remove
    agent = node.machine._agents.get(c.agent_id)
    task = agent.tasks.get((inp.framework_id, c.task_id)) if agent is not None else None
    kept: tuple[tuple[str, str, str], ...] = ()
    if task is not None and task.state.is_terminal and task.status_update_state is not None \
            and task.status_update_state.is_terminal and task.status_update_uuid == c.uuid:
        kept = ((inp.framework_id, c.task_id, c.agent_id),)
    chk.run(world, inv.AckedTerminalTaskRemoved, _snap(acked_terminal_kept=kept))


def agent_running(a: Any) -> Resources:
    """Resources of the tasks and executors an agent machine runs (its own books), those of
    frameworks it is shutting down aside: the master released them when it removed the
    framework (a TEARDOWN, a failover timeout), as Mesos's `Master::removeFramework` does,
    and may have offered them again while the executors still wind down."""
    running = _NO_RESOURCES
    for fw in a.frameworks.values():
        if fw.state == "terminating":
            continue
        for ex in fw.executors.values():
            if ex.state == "terminated":
                continue
            running = running + ex.info.resources
            for t in ex.tasks.values():
                if not t.state.is_terminal:
                    running = running + t.info.resources
    return running


def _offers_disjoint(ledger: AgentLedger) -> bool:
    """A fast sufficient condition for OfferExclusive on one agent (distinct offer ids,
    pairwise disjoint port ranges and set items, offered scalars within the total): when it
    holds the catalog function would find nothing; when it does not, the catalog function
    decides (and words the violation)."""
    ids = set()
    spans: dict[str, list[tuple[int, int]]] = {}
    items: dict[str, set] = {}
    scalars = None
    for oid, _fw, r in ledger.offered:
        if oid in ids:
            return False
        ids.add(oid)
        r_spans, r_items, u = _offer_parts(r)
        for name, rs in r_spans:
            spans.setdefault(name, []).extend(rs)
        for name, xs in r_items:
            seen = items.setdefault(name, set())
            if seen & xs:
                return False
            seen |= xs
        scalars = u if scalars is None else scalars + u
    for ranges in spans.values():
        ranges.sort()
        for (_lo1, hi1), (lo2, _hi2) in itertools.pairwise(ranges):
            if lo2 <= hi1:
                return False
    return scalars is None or ledger.total.unallocate().contains(scalars)


def _allocs(allocations: tuple[Any, ...]) -> str:
    return "; ".join(f"{a.agent_id}/{a.role}->{a.framework_id} {a.resources}"
                     for a in allocations)


# id(offered resources) -> (them, their parts): an offer's Resources is immutable and is
# re-read at every event that touches its agent while it is outstanding
_OFFER_PARTS: dict[int, tuple[Resources, tuple[Any, Any, Resources]]] = {}


def _offer_parts(r: Resources) -> tuple[Any, Any, Resources]:
    """(name, port ranges) and (name, set items) of one offer's resources, and the
    resources unallocated, as `_offers_disjoint` reads them (memo by identity)."""
    hit = _OFFER_PARTS.get(id(r))
    if hit is not None and hit[0] is r:
        return hit[1]
    r_spans = []
    r_items = []
    for name in r.names():
        rs = r.ranges(name)
        if rs:
            r_spans.append((name, rs))
        xs = r.set_items(name)
        if xs:
            r_items.append((name, xs))
    parts = (tuple(r_spans), tuple(r_items), r.unallocate())
    if len(_OFFER_PARTS) > 20_000:
        _OFFER_PARTS.clear()
    _OFFER_PARTS[id(r)] = (r, parts)
    return parts


def quota_limits(master: Any) -> dict[str, dict[str, float]]:
    """role -> {resource: limit} of the master's committed quota configs."""
    return {role: dict(q.limits) for role, q in master.quotas().items() if q.limits}


def operations_heard(world: Any) -> dict[tuple[str, str], str | None]:
    """(framework, operation id) -> the terminal state its framework heard (None: none yet),
    for the apps that send operations with ids (the `reserver`)."""
    out: dict[tuple[str, str], str | None] = {}
    for s in world.schedulers:
        ops = getattr(s.app, "ops", None)
        if ops and s.app.framework_id:
            for op_id, st in ops.items():
                out[(s.app.framework_id, op_id)] = st
    return out
# ====================================================================== issue 11: recovery
def executor_held_rows(world: Any, horizon: float) -> tuple[tuple[str, str, TaskState, float], ...]:
    """For ExecutorUpdatesDelivered: updates that live executors still hold unacknowledged,
    produced before `horizon`, while their agent is up and knows the executor (the agent is
    back). Kept apart from the Checker class (issue 12 extends it concurrently)."""
    rows = []
    for cid, x in sorted(world.executors.items()):
        a = x.agent
        if not x.alive or x.machine is None or x.machine.phase == "exited":
            continue
        if not a.alive or a.machine is None or cid not in a.machine.by_container:
            continue
        for u in x.machine.unacked.values():
            st = u.status
            if st.timestamp is not None and st.timestamp <= horizon:
                rows.append((x.machine.executor_id + "@" + a.name, st.task_id, st.state,
                             world.now - st.timestamp))
    return tuple(rows)


def reconciliation_rows(world: Any) -> tuple[inv.ReconcileRow, ...]:
    """For ReconciliationAgrees: every task the leader would answer in implicit
    reconciliation (live and unreachable tasks), beside its agent's books."""
    m = world.live_leader()
    if m is None:
        return ()
    master = m.machine
    books: dict[str, Any] = {}
    for a in world.agents:
        if a.alive and a.machine is not None and a.machine.agent_id:
            books[a.machine.agent_id] = a.machine.tasks
    registered = {aid for aid, v in master.agents.items() if v.connected and v.active}
    rows = []
    for fid, fw in sorted(master._frameworks.items()):
        answers = [(t, t.reported_state()) for _tid, t in sorted(fw.tasks.items())]
        answers += [(t, TaskState.TASK_UNREACHABLE)
                    for _tid, t in sorted(fw.unreachable_tasks.items())]
        for t, answer in answers:
            known = books.get(t.agent_id, {}).get((fid, t.task_id))
            rows.append(inv.ReconcileRow(
                framework_id=fid, task_id=t.task_id, agent_id=t.agent_id, answer=answer,
                agent_registered=t.agent_id in registered,
                agent_state=known.state if known is not None else None,
                reported=bool(t.statuses)))
    return tuple(rows)


# ------------------------------------------------------------------ s11 mut-master
def check_reconcile_answered(chk: Checker, world: Any, node: Any, inp: Any,
                             effects: list[Any]) -> None:
    """ReconcileAnswered, after a master step on an explicit RECONCILE: every task named
    gets an update in that step unless the master may defer it (the agent named, or for a
    task named without an agent any agent, recovering after a failover, re-registering or
    being marked unreachable: Mesos answers those later or not at all). An agent the
    leader has connected again is never recovering, whatever the master's books say."""
    if not effects or type(effects[0]) is not Respond or effects[0].status >= 300:
        return
    m = node.machine
    fw = m._frameworks.get(inp.framework_id or "")
    if fw is None or fw.stream is None:
        return
    answered = {e.message.status.task_id for e in effects
                if type(e) is Send and e.to == fw.stream and type(e.message) is EventUpdate}
    # the agents the leader has back (connected, not being removed) are out of any window,
    # whatever its recovery books say (they must never hold a re-registered agent)
    live = {aid for aid, a in m._agents.items()
            if a.connected and aid not in m._marking_unreachable}
    window = (set(m._recovered_agents) | set(m._reregistering)
              | set(m._marking_unreachable)) - live
    missing = tuple((fw.id, tid, aid) for tid, aid in inp.call.tasks
                    if tid not in answered and tid not in fw.tasks
                    and not (aid in window if aid is not None else window))
    missing += tuple((fw.id, tid, aid) for tid, aid in inp.call.tasks
                     if tid in fw.tasks and tid not in answered)
    if missing:
        chk.run(world, inv.ReconcileAnswered, ClusterSnapshot(reconcile_unanswered=missing))


def describe_rows(world: Any) -> tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]:
    """DescribeAgrees: the leader's allocator and every live agent's status-update manager,
    their describe() text beside the lines their books say it must hold."""
    out: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = []
    m = world.live_leader()
    if m is not None:
        al = m.machine.allocator
        must: list[str] = []
        for fid in al.framework_ids():
            fw = al._frameworks[fid]
            line = f"framework {fid} roles={','.join(fw.roles) or '-'} " \
                   f"share={al.dominant_share(fid):.4f}"
            if not fw.active:
                line += " inactive"
            if fw.suppressed:
                line += " suppressed=" + ",".join(sorted(fw.suppressed))
            must.append(line)
        for aid in al.agent_ids():
            ag = al._agents[aid]
            state = "" if ag.active else " inactive"
            must.append(f"agent {aid}{state} total={al.total(aid) or '-'} "
                        f"available={al.available(aid) or '-'}")
            must += [f"  allocated {fid} {res}" for fid, res in sorted(al.allocated(aid).items())]
        out.append((f"allocator of {m.name}", al.describe(), tuple(must), ()))
    for n in world.agents:
        if not n.alive or n.machine is None:
            continue
        sm = n.machine.sum
        must = []
        never: list[str] = []
        for key in sorted(sm.streams):
            st = sm.streams[key]
            head = f"  {key[0]}/{key[1]} executor={st.executor_id} checkpoint={st.checkpoint} " \
                   f"latest={st.latest.name if st.latest else '-'} "
            if st.timer_at is not None:
                must.append(head + f"in flight until {st.timer_at:g}")
            else:
                must.append(head + "idle")
                never.append(head + "in flight")
        out.append((f"status updates of {n.name}", sm.describe(), tuple(must), tuple(never)))
    return tuple(out)


def task_state_rows(world: Any, chk: Checker, grace: float
                    ) -> tuple[tuple[tuple[str, str], str, TaskState, TaskState], ...]:
    """TaskStatesAgree input: per task the leader books on a connected, active agent that
    is up and knows the task, the master's state and the agent's, for tasks with nothing in
    flight: no update of the agent's stream unacknowledged, none produced and no launch
    sent within `grace` seconds."""
    m = world.live_leader()
    if m is None:
        return ()
    now = world.now
    nodes = {n.machine.agent_id: n for n in world.agents
             if n.alive and n.machine is not None and n.machine.agent_id}
    rows = []
    for aid, a in sorted(m.machine._agents.items()):
        n = nodes.get(aid)
        if n is None or not a.connected or not a.active or not a.tasks:
            continue
        ag = n.machine
        states: dict[tuple[str, str], TaskState] = {}
        for fw in ag.frameworks.values():
            for ex in fw.executors.values():
                for t in ex.tasks.values():
                    states[(fw.id, t.info.task_id)] = t.state
        for key, t in sorted(a.tasks.items()):
            st = states.get(key)
            if st is None or key in chk.lost_in_transit:
                continue
            stream = ag.sum.streams.get(key)
            if stream is not None and stream.pending:
                continue
            if now - chk.launch_sent.get(key, -1e18) < grace:
                continue
            prod = chk.produced.get(key)
            if prod and now - chk.produced_at.get(prod[-1][0], -1e18) < grace:
                continue
            rows.append((key, aid, t.state, st))
    return tuple(rows)


def check_valid_accept(chk: Checker, world: Any, node: Any, inp: Any, effects: list[Any],
                       pre_offers: dict[str, Any]) -> None:
    """WellFormedCallsAccepted, for ACCEPTs: an ACCEPT the leader took (202) of distinct
    offers it held out to that framework, all of one live agent and one role (Mesos's
    `validation::offer::validate`), must not be answered as launched with invalid offers."""
    if not effects or type(effects[0]) is not Respond or effects[0].status >= 300:
        return
    fid = inp.framework_id
    ids = inp.call.offer_ids
    offers: list[Any] = [pre_offers.get(oid) for oid in ids]
    if not offers:
        return
    if len(set(ids)) != len(ids) or any(o is None or o.framework_id != fid for o in offers) \
            or len({o.agent_id for o in offers}) != 1 or len({o.role for o in offers}) != 1 \
            or offers[0].agent_id not in node.machine._agents:
        check_invalid_accept(chk, world, inp, effects)
        return
    for e in effects:
        if type(e) is Send and type(e.message) is EventUpdate \
                and e.message.status.reason is Reason.REASON_INVALID_OFFERS:
            chk.run(world, inv.WellFormedCallsAccepted, ClusterSnapshot(refused_calls=((
                fid or "", -1, (f"ACCEPT of offers {list(ids)} it holds, of one agent and "
                                f"role: task {e.message.status.task_id} "
                                f"{e.message.status.message}")),)))
            return


def check_invalid_accept(chk: Checker, world: Any, inp: Any, effects: list[Any]) -> None:
    """InvalidOffersRefused: an ACCEPT the leader took (202) whose offers are not valid
    together (one it no longer holds out to that framework, a duplicate, offers of two agents
    or two roles, an agent gone) launches nothing (no RunTask) and answers every task it
    carries as dropped for invalid offers."""
    tids: list[str] = []
    for op in inp.call.operations:
        if type(op) is OpLaunch:
            tids += [t.task_id for t in op.task_infos]
    dropped = set()
    bad: list[tuple[str, str]] = []
    for e in effects:
        if type(e) is not Send:
            continue
        t = type(e.message)
        if t is RunTask or t is RunTaskGroup:
            bad.append((inp.framework_id or "", f"a RunTask was sent to {e.to}"))
        elif t is EventUpdate and e.message.status.reason is Reason.REASON_INVALID_OFFERS:
            dropped.add(e.message.status.task_id)
    bad += [(inp.framework_id or "", f"task {tid} was not answered as invalid")
            for tid in tids if tid not in dropped]
    if bad:
        chk.run(world, inv.InvalidOffersRefused, ClusterSnapshot(invalid_accepts=tuple(
            (fid, f"ACCEPT of {list(inp.call.offer_ids)}: {what}") for fid, what in bad)))


_INFO_FIELDS = ("name", "roles", "failover_timeout", "capabilities", "hostname", "webui_url")


def check_subscribe_info(chk: Checker, world: Any, node: Any, inp: Any,
                         effects: list[Any]) -> None:
    """SubscribeTakesInfo, after a master step on a SUBSCRIBE it answered SUBSCRIBED: the
    leader's FrameworkInfo for the framework is the one the call carried (Mesos's
    Framework::update), but for `user` and `checkpoint` (kept from the first subscription)
    and the id and principal the master fills in."""
    if not effects or type(effects[0]) is not Respond or effects[0].status != 200:
        return
    fid = None
    for e in effects:
        if type(e) is Send and type(e.message) is EventSubscribed:
            fid = e.message.framework_id
            break
    fw = node.machine._frameworks.get(fid or "")
    if fw is None:
        return
    sent = inp.call.framework_info
    diff = [f for f in _INFO_FIELDS if getattr(sent, f) != getattr(fw.info, f)]
    if diff:
        chk.run(world, inv.SubscribeTakesInfo, ClusterSnapshot(stale_infos=tuple(
            (fid or "", f, repr(getattr(fw.info, f)), repr(getattr(sent, f))) for f in diff)))


def malformed_accept(call: Any) -> bool:
    """An ACCEPT whose LAUNCH (LAUNCH_GROUP) carries something that is not a TaskInfo (or not
    as a tuple):
    what a buggy client or a fuzzer sends; Mesos refuses it (400) before anything else."""
    for op in call.operations:
        t = type(op)
        tasks = op.task_infos if t is OpLaunch else op.tasks if t is OpLaunchGroup else ()
        if type(tasks) is not tuple or any(type(x) is not TaskInfo for x in tasks):
            return True
    return False


def check_malformed_refused(chk: Checker, world: Any, inp: Any, effects: list[Any]) -> None:
    """MalformedCallsRefused: a malformed call is answered 400 "Failed to validate
    scheduler::Call" and the master's step does nothing else (changes nothing it shows)."""
    if not effects or type(effects[0]) is not Respond or effects[0].status == 503:
        return  # not the leader (or not recovered): answered 503, changes nothing either
    first = effects[0]
    what = []
    if first.status != 400 or not (first.message or "").startswith(MALFORMED):
        what.append(f"answered {first.status} {first.message!r}")
    if len(effects) > 1:
        what.append("also " + ", ".join(sorted({type(e).__name__ for e in effects[1:]})))
    if what:
        chk.run(world, inv.MalformedCallsRefused, ClusterSnapshot(malformed_answers=(
            (inp.framework_id or "", type(inp.call).__name__, "; ".join(what)),)))


def check_no_rescind_of_returned(chk: Checker, world: Any, inp: Any,
                                 effects: list[Any]) -> None:
    """NoRescindOfReturnedOffers: an ACCEPT or DECLINE gives its offers back; the master's
    answer to it rescinds none of them (a rescind takes back an offer the framework holds)."""
    ids = inp.call.offer_ids
    bad = tuple((inp.framework_id or "", e.message.offer_id) for e in effects
                if type(e) is Send and type(e.message) is EventRescind
                and e.message.offer_id in ids)
    if bad:
        chk.run(world, inv.NoRescindOfReturnedOffers, ClusterSnapshot(rescinded_returned=bad))


def check_agent_disconnected(chk: Checker, world: Any, node: Any, inp: Any) -> None:
    """AgentDisconnectionNoticed, after a master step on the loss of a connection: if it was
    an agent's, the master counts that agent disconnected and holds no offer of it."""
    m = node.machine
    aid = m._pids.get(inp.peer)
    a = m._agents.get(aid or "")
    if a is None:
        return
    bad = []
    if a.connected:
        bad.append("still counts it connected")
    if a.offers:
        bad.append(f"still holds its offers {sorted(a.offers)[:3]}")
    if bad:
        chk.run(world, inv.AgentDisconnectionNoticed, ClusterSnapshot(
            unnoticed_disconnections=((a.id, " and ".join(bad)),)))


def unreachable_at_leader(world: Any, key: tuple[str, str], launched_on: str | None) -> bool:
    """The live leader holds the agent of task `key` unreachable: the agent it books the
    task on, or (a task the leader never learnt) the agent the framework launched it on."""
    m = world.live_leader()
    if m is None:
        return False
    fw = m.machine._frameworks.get(key[0])
    t = fw.unreachable_tasks.get(key[1]) if fw is not None else None
    aid = t.agent_id if t is not None else launched_on
    return aid is not None and aid in m.machine._unreachable


# ====================================================================== s11: agent books
_EXEC_TERMINATED = Reason.REASON_EXECUTOR_TERMINATED


def task_still_runs(world: Any, node: Any, u: Any) -> bool:
    """Whether the process of the executor the agent books the update's task in still runs
    that task (a live executor process with the task's process)."""
    a = node.machine
    fw = a.frameworks.get(u.framework_id)
    ex = fw.executors.get(fw.task_executor.get(u.status.task_id, "")) if fw is not None else None
    if ex is None:
        return False
    x = world.executors.get(ex.container_id)
    return x is not None and x.alive and u.status.task_id in x.task_proc


def _overdue(world: Any, a: Any, ex: Any, x: Any) -> float:
    """Seconds an executor whose process is alive has stayed registering past the
    registration timeout, or terminating past its shutdown grace period, beyond 10 s of
    slack (0.0: not overdue). Recovered executors follow the re-registration timeout."""
    if x is None or not x.alive or ex.recovered:
        return 0.0
    if ex.state == "registering":
        late = world.now - x.launched_at - a.config.executor_registration_timeout - 10.0
    elif ex.state == "terminating" and x.shutdown_at is not None:
        late = world.now - x.shutdown_at - a._grace(ex) - 10.0
    else:
        return 0.0
    return late if late > 0 else 0.0


def _fold_log(records: Any) -> tuple[tuple[str, ...], bool]:
    """The unacknowledged uuids a recovery would rebuild from one update log (as the status
    update manager's replay rules say: an update seen before is skipped, an ack pops the
    head it names, the ack of a terminal update closes the stream), and whether a terminal
    update of the task was acknowledged (the task is complete)."""
    pending: list[Any] = []
    seen: set[bytes] = set()
    closed = False
    for r in records:
        if type(r) is UpdateRecord:
            if r.update.uuid not in seen:
                seen.add(r.update.uuid)
                pending.append(r.update)
        elif type(r) is AckRecord and pending and r.uuid == pending[0].uuid:
            head = pending.pop(0)
            if head.status.state.is_terminal:
                pending, seen, closed = [], set(), True
    return tuple(u.uuid.hex()[:8] for u in pending), closed


def checkpoint_rows(n: Any, *, crashing: bool = False
                    ) -> list[tuple[str, str, frozenset[Any], frozenset[Any]]]:
    """CheckpointAgrees input for one agent node: its live books beside its disk (of a
    live node, or of one `crashing`: marked dead, its disk not yet hit)."""
    a = n.machine
    if a is None or not (n.alive or crashing) or a.state == "new":
        return []
    fws: set[Any] = set()
    exs: set[Any] = set()
    tasks: set[Any] = set()
    streams: set[Any] = set()
    for fw in a.frameworks.values():
        if not fw.info.checkpoint:
            continue
        fws.add(fw.id)
        for ex_id, ex in fw.executors.items():
            if ex.checkpoint:
                exs.add((fw.id, ex_id))
                tasks.update((fw.id, ex_id, tid) for tid in ex.tasks)
    for key, stream in a.sum.streams.items():
        if stream.checkpoint and stream.pending:
            streams.add((key, tuple(u.uuid.hex()[:8] for u in stream.pending)))
    d_fws: set[Any] = set()
    d_exs: set[Any] = set()
    d_tasks: set[Any] = set()
    d_streams: set[Any] = set()
    for k in n.disk.checkpoints:
        kind = k[0]
        if kind == "framework":
            d_fws.add(k[1])
        elif kind == "executor":
            d_exs.add((k[1], k[2]))
        elif kind == "task":
            d_tasks.add((k[1], k[2], k[3]))
    complete: set[tuple[str, str]] = set()
    for k, log in n.disk.logs.items():
        if k[0] == "updates":
            p, closed = _fold_log(log)
            if p:
                d_streams.add(((k[1], k[2]), p))
            if closed:
                complete.add((k[1], k[2]))
    if complete:
        # a checkpointed task whose log shows its terminal update acknowledged is complete:
        # recovery rebuilds no live task from it (the agent holds none: marked apart)
        d_tasks = {t + ("complete",) if (t[0], t[2]) in complete else t for t in d_tasks}
    return [(n.name, book, frozenset(live), frozenset(disk)) for book, live, disk in (
        ("frameworks", fws, d_fws), ("executors", exs, d_exs), ("tasks", tasks, d_tasks),
        ("streams", streams, d_streams))]


def executor_book_rows(world: Any) -> tuple[inv.ExecutorBook, ...]:
    """ExecutorBooksAgree input: every executor each live agent books, indexes or runs."""
    from mesotron.core.agent.base import EXEC_IDLE

    rows: list[inv.ExecutorBook] = []
    procs: dict[str, dict[str, Any]] = {}
    for cid, x in world.executors.items():
        procs.setdefault(x.agent.name, {})[cid] = x
    for n in world.agents:
        a = n.machine
        if not n.alive or a is None or a.state in ("new", "stopped"):
            continue
        mine = procs.get(n.name, {})
        booked: dict[str, tuple[Any, Any]] = {}
        for fw in a.frameworks.values():
            for ex in fw.executors.values():
                booked[ex.container_id] = (fw, ex)
        for cid in sorted(set(booked) | set(a.by_container) | set(mine)):
            x = mine.get(cid)
            if x is None:
                process, dead_for = "none", 0.0
            elif x.alive:
                process, dead_for = "alive", 0.0
            else:
                process, dead_for = "dead", world.now - (x.died_at or 0.0)
            got = booked.get(cid)
            if got is None:
                rows.append(inv.ExecutorBook(
                    agent=n.name, container=cid, state=None, in_by_container=cid in a.by_container,
                    pid=False, in_by_pid=False,
                    process=process if x is None or x.task_proc else "none"))
                continue
            fw, ex = got
            ended = ()
            if x is not None and x.alive:
                ended = tuple(sorted(tid for tid in x.task_proc
                                     if ex.tasks.get(tid) is None
                                     or ex.tasks[tid].state.is_terminal))
            rows.append(inv.ExecutorBook(
                agent=n.name, container=cid, state=ex.state,
                in_by_container=a.by_container.get(cid) == (fw.id, ex.info.executor_id),
                pid=ex.pid is not None,
                in_by_pid=ex.pid is not None
                and a.by_pid.get(ex.pid) == (fw.id, ex.info.executor_id),
                process=process, dead_for=dead_for,
                open_tasks=sum(1 for t in ex.tasks.values() if not t.state.is_terminal),
                closed_tasks=sum(1 for tid, t in ex.tasks.items() if t.state.is_terminal
                                 and not a.sum.has_stream(fw.id, tid)),
                # the world's timers, not the agent's flag: an idle shutdown really pending
                idle_unarmed=(ex.command_executor and ex.state == "running" and not ex.tasks
                              and (EXEC_IDLE, fw.id, ex.info.executor_id, cid)
                              not in n.timers),
                running_booked_ended=ended,
                overdue=_overdue(world, a, ex, x),
                container_resources=(x is None or not x.alive
                                     or ex.state not in ("registering", "running")
                                     or x.resources == ex.resources())))
    return tuple(rows)


def agent_counter_rows(world: Any, chk: Checker) -> tuple[tuple[str, str, int, int], ...]:
    """ExecutorBooksAgree input: each live agent's executors_terminated counter beside the
    DestroyContainer effects (one per executor termination) it returned since it started."""
    return tuple((n.name, "executors_terminated", n.machine.counters.get("executors_terminated", 0),
                  chk.destroyed.get(n.name, 0))
                 for n in world.agents if n.alive and n.machine is not None)


def check_subscribe_principal(chk: Checker, world: Any, node: Any, inp: Any,
                              effects: list[Any]) -> None:
    """PrincipalsChecked, after a master step on a SUBSCRIBE whose caller the shell
    authenticated: a claimed principal other than the authenticated one is refused (400);
    otherwise the call is not refused for its principal, and once answered 200 the
    framework's booked FrameworkInfo carries the authenticated principal."""
    if not effects or type(effects[0]) is not Respond or effects[0].status == 503:
        return  # not the leader (or not recovered): answered 503
    first = effects[0]
    principal = inp.principal
    claimed = inp.call.framework_info.principal
    name = inp.call.framework_info.name
    what = None
    if claimed is not None and claimed != principal:
        if first.status != 400:
            what = f"a SUBSCRIBE claiming {claimed!r} was answered {first.status}"
    elif first.status >= 400 and "principal" in (first.message or ""):
        what = f"a SUBSCRIBE claiming {claimed!r} was refused: {first.message}"
    elif first.status == 200:
        fw = next((f for f in node.machine._frameworks.values()
                   if f.stream == first.stream_id), None)
        if fw is not None and fw.info.principal != principal:
            what = (f"the master booked principal {fw.info.principal!r} for the SUBSCRIBE "
                    f"claiming {claimed!r}")
    if what is not None:
        chk.run(world, inv.PrincipalsChecked, ClusterSnapshot(
            principal_answers=((name, principal, what),)))


def check_malformed_agent_refused(chk: Checker, world: Any, inp: Any,
                                  effects: list[Any]) -> None:
    """MalformedAgentMessagesRefused, after a master step on the hostile peer's malformed
    agent message (core/sim/world.py spoof_agent_message): one Reject, status 400, nothing
    else; for its status update naming another agent id: log lines only (Mesos drops it)."""
    if type(inp.message) is StatusUpdateMessage:
        if all(type(e) is Log for e in effects):
            return
    elif len(effects) == 1 and type(effects[0]) is Reject and effects[0].status == 400:
        return
    what = ", ".join(f"{type(e).__name__}" + (f" {e.status}" if type(e) is Reject else "")
                     for e in effects) or "nothing"
    chk.run(world, inv.MalformedAgentMessagesRefused, ClusterSnapshot(
        malformed_agent_answers=((inp.sender, type(inp.message).__name__,
                                  f"answered with {what}"),)))
