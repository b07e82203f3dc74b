"""The invariant catalog: one place where every safety and liveness property is named.

The same names appear in the TLA+ specs (tla/), in docs/invariants.md and in the
simulator's reports. Each property is a function `Name(snapshot) -> list[str]` returning the
violations it finds (empty list: the property holds). A `ClusterSnapshot` is what a checker
observed of a cluster: the master's resource ledger per agent, the history of status
updates, launches, registry commits, allocation decisions. Every field has a neutral default,
so a checker that only sees part of a cluster (one machine in a stateful test) fills in just
what it knows and the other properties hold vacuously.

Safety properties must hold after every step; liveness properties are checked at
quiescence (faults stopped, network healed, enough virtual time passed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
from mesotron.core.resources import Resources
from mesotron.core.values import TaskState

frozen = attrs.frozen(kw_only=True, slots=True)

TaskKey = tuple[str, str]  # (framework_id, task_id)
UpdateRef = tuple[bytes, TaskState]  # (uuid, state) of an update carrying a uuid


@attrs.frozen(kw_only=True, slots=True)
class AgentLedger:
    """The master's books for one agent: what it has, what is offered, what tasks use."""

    agent_id: str
    total: Resources
    offered: tuple[tuple[str, str, Resources], ...] = ()  # (offer_id, framework_id, resources)
    used: tuple[tuple[str, Resources], ...] = ()  # (framework_id, resources of tasks+executors)


@attrs.frozen(kw_only=True, slots=True)
class AllocationDecision:
    """One allocation: `chosen` got `agent_id`'s resources for `role`; `eligible` lists every
    framework that could have received them at that moment with its sort key (weighted
    dominant share at the level where the choice was made: role level, then framework)."""

    agent_id: str
    role: str
    chosen: str
    eligible: tuple[tuple[str, float], ...]
    quota: bool = False  # made to satisfy a quota guarantee (DRF order does not apply)


@attrs.frozen(kw_only=True, slots=True)
class ReconcileRow:
    """One task as implicit reconciliation would answer it (`answer`) next to what the books
    of its agent say: whether that agent is registered with the leader, and the task's state
    in that agent's books (None: the agent does not know the task, or is not running)."""

    framework_id: str
    task_id: str
    agent_id: str
    answer: TaskState
    agent_registered: bool
    agent_state: TaskState | None = None
    reported: bool = True  # the task has at least one status (not a launch still in flight)


@attrs.frozen(kw_only=True, slots=True)
class ClusterSnapshot:
    agents: tuple[AgentLedger, ...] = ()
    # per task, the updates agents accepted (persisted and acked to the executor), in order
    produced: Mapping[TaskKey, tuple[UpdateRef, ...]] = attrs.field(factory=dict)
    # per task, every uuid-carrying update the scheduler received, in arrival order
    seen: Mapping[TaskKey, tuple[UpdateRef, ...]] = attrs.field(factory=dict)
    # (framework_id, task_id, uuid) the scheduler acknowledged
    acked: frozenset[tuple[str, str, bytes]] = frozenset()
    # per task, uuids an agent still holds (in memory or in its persisted stream) unacked
    pending: Mapping[TaskKey, tuple[bytes, ...]] = attrs.field(factory=dict)
    # tasks whose updates may legitimately be discarded (framework removed, agent gone)
    abandoned: frozenset[TaskKey] = frozenset()
    # per task, the states it went through with their producer ("executor"/"agent"/"master")
    transitions: Mapping[TaskKey, tuple[tuple[TaskState, str], ...]] = attrs.field(factory=dict)
    # per task, the agents that started it (one entry per start)
    launches: Mapping[TaskKey, tuple[str, ...]] = attrs.field(factory=dict)
    # committed registry writes: (writer master id, writer was the leader when it committed)
    registry_commits: tuple[tuple[str, bool], ...] = ()
    # kills an agent issued while recovering in reconnect mode:
    # (agent_id, container_id, the executor was alive and re-subscribed in time)
    recovery_kills: tuple[tuple[str, str, bool], ...] = ()
    allocations: tuple[AllocationDecision, ...] = ()
    # liveness context (meaningful at quiescence only)
    acking_frameworks: frozenset[str] = frozenset()
    hungry_frameworks: frozenset[str] = frozenset()
    offered_frameworks: frozenset[str] = frozenset()
    live_agents: frozenset[str] = frozenset()
    registered_agents: frozenset[str] = frozenset()
    live_frameworks: frozenset[str] = frozenset()
    subscribed_frameworks: frozenset[str] = frozenset()
    # scheduler driver side (the DRIVER properties), per driver incarnation (its name):
    # (framework_id, task_id, uuid) updates the driver handed to its application
    delivered: frozenset[tuple[str, str, bytes]] = frozenset()
    # the framework ids of its SUBSCRIBE calls ("subscribe") and SUBSCRIBED events
    # ("subscribed"), in order
    framework_ids: Mapping[str, tuple[tuple[str, str | None], ...]] = attrs.field(factory=dict)
    # its non-SUBSCRIBE calls: (call type, sent on a stream that had delivered SUBSCRIBED)
    calls: Mapping[str, tuple[tuple[str, bool], ...]] = attrs.field(factory=dict)
    # role -> {resource name: quota limit} (the leader's committed quota configs)
    quota_limits: Mapping[str, Mapping[str, float]] = attrs.field(factory=dict)
    # (framework_id, operation id) -> the terminal state its framework heard, or None
    operations: Mapping[tuple[str, str], str | None] = attrs.field(factory=dict)
    # --- issue 11 (agent recovery), liveness context at quiescence:
    # updates live executors still hold unacknowledged although their agent is up, produced
    # long enough ago to have been delivered: (executor, task_id, state, seconds held)
    executor_held: tuple[tuple[str, str, TaskState, float], ...] = ()
    # the leader's reconciliation answers beside the agents' books, one row per task
    reconciliation: tuple[ReconcileRow, ...] = ()


# ------------------------------------------------------------------ safety
def NoOvercommit(s: ClusterSnapshot) -> list[str]:
    """On every agent, offered + allocated to tasks/executors <= total, per resource."""
    out = []
    for a in s.agents:
        total = a.total.unallocate()
        claimed = Resources()
        for _oid, _fw, r in a.offered:
            claimed = claimed + r.unallocate()
        for _fw, r in a.used:
            claimed = claimed + r.unallocate()
        if not total.contains(claimed):
            out.append(f"NoOvercommit: agent {a.agent_id} total {total} < offered+used {claimed}")
    return out


def _discrete_items(r: Resources) -> set[tuple[str, Any]]:
    items: set[tuple[str, Any]] = set()
    for name in r.names():
        for lo, hi in r.ranges(name) or ():
            items.update((name, p) for p in range(lo, hi + 1))
        for x in r.set_items(name) or ():
            items.add((name, x))
    return items


def OfferExclusive(s: ClusterSnapshot) -> list[str]:
    """No resource is in two outstanding offers (and no offer id is outstanding twice)."""
    out = []
    ids: set[str] = set()
    for a in s.agents:
        owners: dict[tuple[str, Any], str] = {}
        scalars: Resources = Resources()
        for oid, _fw, r in a.offered:
            if oid in ids:
                out.append(f"OfferExclusive: offer {oid} outstanding twice")
            ids.add(oid)
            scalars = scalars + r.unallocate()
            for item in _discrete_items(r):
                if item in owners:
                    out.append(f"OfferExclusive: {item[0]} {item[1]} on agent {a.agent_id} "
                               f"in offers {owners[item]} and {oid}")
                owners[item] = oid
        if not a.total.unallocate().contains(scalars):
            out.append(f"OfferExclusive: agent {a.agent_id} offers {scalars} exceed {a.total}")
    return out


def LegalTaskTransitions(s: ClusterSnapshot) -> list[str]:
    """Every task follows the lifecycle table; terminal states are absorbing."""
    from mesotron.core import lifecycle

    out = []
    for key, steps in s.transitions.items():
        prev: TaskState | None = None
        for state, producer in steps:
            if not lifecycle.is_legal(prev, state, producer):
                out.append(f"LegalTaskTransitions: task {key[1]} {prev} -> {state} by {producer}")
            prev = state
    return out


def UpdatesInOrder(s: ClusterSnapshot) -> list[str]:
    """Per task, the distinct updates a scheduler saw are a prefix of what the agent produced."""
    out = []
    for key, seen in s.seen.items():
        distinct: list[bytes] = []
        for uuid, _state in seen:
            if uuid not in distinct:
                distinct.append(uuid)
        produced = [u for u, _ in s.produced.get(key, ())]
        if distinct != produced[: len(distinct)]:
            out.append(f"UpdatesInOrder: task {key[1]} saw {_short(distinct)}, "
                       f"agent produced {_short(produced)}")
    return out


def NoLostAckedWork(s: ClusterSnapshot) -> list[str]:
    """An update an agent accepted is never dropped before the scheduler acknowledges it."""
    out = []
    for key, produced in s.produced.items():
        if key in s.abandoned:
            continue
        pending = set(s.pending.get(key, ()))
        for uuid, state in produced:
            if (key[0], key[1], uuid) not in s.acked and uuid not in pending:
                out.append(f"NoLostAckedWork: task {key[1]} update {state.name} "
                           f"{uuid.hex()[:8]} neither acked nor held by an agent")
    return out


def SingleLaunch(s: ClusterSnapshot) -> list[str]:
    """A task id runs at most once, on one agent, ever."""
    return [f"SingleLaunch: task {key[1]} started {len(agents)} times on {list(agents)}"
            for key, agents in s.launches.items() if len(agents) > 1]


def OneLeaderWrites(s: ClusterSnapshot) -> list[str]:
    """Only the current leader's registry writes commit (fencing)."""
    return [f"OneLeaderWrites: registry write by deposed master {writer} committed"
            for writer, was_leader in s.registry_commits if not was_leader]


def RecoveryKeepsTasks(s: ClusterSnapshot) -> list[str]:
    """An agent restart in reconnect mode never kills a task whose executor is alive."""
    return [f"RecoveryKeepsTasks: agent {agent} killed live container {container} on recovery"
            for agent, container, alive in s.recovery_kills if alive]


def DrfOrder(s: ClusterSnapshot) -> list[str]:
    """Each allocation goes to the eligible framework with the lowest dominant share."""
    out = []
    for d in s.allocations:
        if d.quota or not d.eligible:
            continue
        keys = dict(d.eligible)
        best = min(keys.values())
        if d.chosen not in keys or keys[d.chosen] > best + 1e-9:
            out.append(f"DrfOrder: agent {d.agent_id} role {d.role} went to {d.chosen} "
                       f"(share {keys.get(d.chosen)}) while the lowest eligible share was {best}")
    return out


def _within(child: str, parent: str) -> bool:
    return child == parent or child.startswith(parent.rstrip("/") + "/")


def ReservedToRole(s: ClusterSnapshot) -> list[str]:
    """Reserved resources are offered only to their role (or a sub-role of it)."""
    out = []
    for a in s.agents:
        for oid, _fw, res in a.offered:
            for r in res:
                if r.reservations and (r.allocation_role is None
                                       or not _within(r.allocation_role, r.reservations[-1].role)):
                    out.append(f"ReservedToRole: offer {oid} on {a.agent_id} gives {r} "
                               f"reserved to {r.reservations[-1].role} to role {r.allocation_role}")
    return out


def QuotaLimitRespected(s: ClusterSnapshot) -> list[str]:
    """A role with offers outstanding holds (offered + used) no more than its quota limit."""
    if not s.quota_limits:
        return []
    held: dict[str, Resources] = {}
    offered_roles: set[str] = set()
    for a in s.agents:
        for _oid, _fw, res in a.offered:
            for role in res.allocation_roles():
                held[role] = held.get(role, Resources()) + res.allocated_to(role).unallocate()
                offered_roles.add(role)
        for _fw, res in a.used:
            for role in res.allocation_roles():
                held[role] = held.get(role, Resources()) + res.allocated_to(role).unallocate()
    out = []
    for role in sorted(offered_roles):
        for name, limit in sorted(s.quota_limits.get(role, {}).items()):
            have = held[role].scalar(name)
            if have > limit + 1e-9:
                out.append(f"QuotaLimitRespected: role {role} holds {name}:{have:g} over its limit {limit:g}")
    return out


# ------------------------------------------------------------------ liveness (at quiescence)
def EventuallyAcked(s: ClusterSnapshot) -> list[str]:
    """Once faults stop, every accepted update reaches the scheduler and is acked."""
    out = []
    for key, produced in s.produced.items():
        if key in s.abandoned or key[0] not in s.acking_frameworks:
            continue
        missing = [st.name for u, st in produced if (key[0], key[1], u) not in s.acked]
        if missing:
            out.append(f"EventuallyAcked: task {key[1]} updates {missing} never acked")
    return out


def EventuallyOffered(s: ClusterSnapshot) -> list[str]:
    """A framework with unmet demand that does not decline is offered resources."""
    return [f"EventuallyOffered: framework {fw} starved"
            for fw in sorted(s.hungry_frameworks - s.offered_frameworks)]


def EventuallyReregistered(s: ClusterSnapshot) -> list[str]:
    """After failover every live agent re-registers and every framework re-subscribes."""
    out = [f"EventuallyReregistered: agent {a} not registered"
           for a in sorted(s.live_agents - s.registered_agents)]
    out += [f"EventuallyReregistered: framework {f} not subscribed"
            for f in sorted(s.live_frameworks - s.subscribed_frameworks)]
    return out


# ------------------------------------------------------------------ scheduler driver (safety)
# Properties of one scheduler driver (core/scheduler.py) and its application, checked by the
# driver's stateful test and by the simulator on every call it sends. They are local to a
# framework (no other machine takes part), so they are not in the cluster catalog and not in
# the TLA+ specs.
def AckAfterDelivery(s: ClusterSnapshot) -> list[str]:
    """Every acknowledgement is of an update already handed to the application."""
    return [f"AckAfterDelivery: update {u.hex()[:8]} of task {t} acknowledged before the "
            f"application had it" for f, t, u in sorted(s.acked - s.delivered)]


def ResubscribeKeepsId(s: ClusterSnapshot) -> list[str]:
    """Once a driver knows its framework id, every SUBSCRIBE carries it and every SUBSCRIBED
    confirms it (a re-subscription never becomes a new framework)."""
    out = []
    for name, seq in s.framework_ids.items():
        known: str | None = None
        for kind, fid in seq:
            if known is not None and fid != known:
                out.append(f"ResubscribeKeepsId: driver {name} {kind} as {fid} after "
                           f"it was {known}")
                break
            if fid is not None:
                known = fid
    return out


def NoCallBeforeSubscribed(s: ClusterSnapshot) -> list[str]:
    """A driver sends no call but SUBSCRIBE before its stream delivered SUBSCRIBED."""
    return [f"NoCallBeforeSubscribed: driver {name} sent {call} before SUBSCRIBED"
            for name, calls in s.calls.items() for call, ok in calls if not ok]
def OperationsReported(s: ClusterSnapshot) -> list[str]:
    """Every offer operation a framework sent with an id ends in a terminal status that
    framework heard (OPERATION_UNKNOWN from a reconciliation counts: the master has no record)."""
    return [f"OperationsReported: operation {op} of framework {fw} never reported terminal"
            for (fw, op), st in sorted(s.operations.items()) if st is None]


# ------------------------------------------------------------------ issue 11: agent recovery
def ExecutorUpdatesDelivered(s: ClusterSnapshot) -> list[str]:
    """The executor side of EventuallyAcked: once faults stop and its agent is back, every
    update a live executor holds reaches the agent and is acknowledged to the executor
    (an update held for longer than the quiescence grace period is stranded)."""
    return [f"ExecutorUpdatesDelivered: executor {ex} still holds {state.name} of task "
            f"{task} {held:.0f} s after it was produced, its agent up"
            for ex, task, state, held in s.executor_held]


def ReconciliationAgrees(s: ClusterSnapshot) -> list[str]:
    """At quiescence, the leader's reconciliation answers agree with the agents' books: no
    TASK_UNREACHABLE for a task of a registered agent, and no live (non-terminal, reported)
    task on a registered agent that the agent does not know."""
    out = []
    for r in s.reconciliation:
        if not r.agent_registered:
            continue
        if r.answer is TaskState.TASK_UNREACHABLE:
            out.append(f"ReconciliationAgrees: task {r.task_id} answered TASK_UNREACHABLE "
                       f"although agent {r.agent_id} is registered "
                       f"(its books: {r.agent_state.name if r.agent_state else 'unknown'})")
        elif r.reported and not r.answer.is_terminal and r.agent_state is None:
            out.append(f"ReconciliationAgrees: task {r.task_id} answered {r.answer.name} on "
                       f"agent {r.agent_id}, which does not know it")
    return out


def _short(uuids: list[bytes]) -> list[str]:
    return [u.hex()[:8] for u in uuids]


Check = Callable[[ClusterSnapshot], list[str]]

SAFETY: dict[str, Check] = {
    "NoOvercommit": NoOvercommit,
    "OfferExclusive": OfferExclusive,
    "LegalTaskTransitions": LegalTaskTransitions,
    "UpdatesInOrder": UpdatesInOrder,
    "NoLostAckedWork": NoLostAckedWork,
    "SingleLaunch": SingleLaunch,
    "OneLeaderWrites": OneLeaderWrites,
    "RecoveryKeepsTasks": RecoveryKeepsTasks,
}
POLICY: dict[str, Check] = {"DrfOrder": DrfOrder}
LIVENESS: dict[str, Check] = {
    "EventuallyAcked": EventuallyAcked,
    "EventuallyOffered": EventuallyOffered,
    "EventuallyReregistered": EventuallyReregistered,
    "ExecutorUpdatesDelivered": ExecutorUpdatesDelivered,
    "ReconciliationAgrees": ReconciliationAgrees,
}
CATALOG: dict[str, Check] = {**SAFETY, **POLICY, **LIVENESS}
DRIVER: dict[str, Check] = {
    "AckAfterDelivery": AckAfterDelivery,
    "ResubscribeKeepsId": ResubscribeKeepsId,
    "NoCallBeforeSubscribed": NoCallBeforeSubscribed,
}
# Reservations, quota and operations (issue 18): checked by the simulator and the tests in
# Python only, not yet modelled in TLA+ (so kept out of CATALOG, whose names the TLA+ specs
# must all define; docs/invariants.md lists them apart).
RESOURCE_SAFETY: dict[str, Check] = {
    "ReservedToRole": ReservedToRole,
    "QuotaLimitRespected": QuotaLimitRespected,
}
RESOURCE_LIVENESS: dict[str, Check] = {"OperationsReported": OperationsReported}


def check(s: ClusterSnapshot, names: dict[str, Check] | None = None) -> list[str]:
    """All violations of the given properties (default: safety + policy)."""
    props = names if names is not None else {**SAFETY, **POLICY}
    out: list[str] = []
    for fn in props.values():
        out.extend(fn(s))
    return out
