"""The master's state and the bookkeeping every handler shares (offers, tasks, updates).

`MasterCore` holds all the master's state; the handler mixins (core/master/frameworks.py,
core/master/offers.py, core/master/tasks.py, core/master/agents.py) and the queries (core/master/queries.py) build
on it, and `Master` (master.py) composes them behind the single `step(now, input)` entry.

Helpers here return effect lists and never raise for a peer's input; a `LocalError` means
the driver misused the machine.

Books read: `_agents`, `_allocation_wanted`, `_frameworks`, `_next_offer`, `_next_op`,
  `_offers`, `_registry_inflight`, `_registry_queue`, `_removal_permit_at`, `allocator`,
  `config`, `counters`, `leader`, `master_info`, `now`.
Books written: `_allocation_wanted`, `_next_offer`, `_next_op`, `_offers`, `_registry_inflight`,
  `_registry_queue`, `_removal_permit_at`, `config`, `counters`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from mesotron.core import lifecycle
from mesotron.core.allocator import machine as alloc
from mesotron.core.authorizer import Acls
from mesotron.core.effects import CancelTimer, Log, RegistryWrite, Send, SetTimer
from mesotron.core.ids import IdSource
from mesotron.core.master.model import MAgent, MFramework, MTask
from mesotron.core.messages import EventOffers, EventRescind, EventUpdate
from mesotron.core.registry import RegistryState
from mesotron.core.resources import Resources
from mesotron.core.values import (
    Capability,
    MasterInfo,
    Offer,
    Reason,
    Source,
    TaskState,
    TaskStatus,
    evolve,
)


# ------------------------------------------------------------------ configuration
@attrs.frozen(kw_only=True, slots=True)
class MasterConfig:
    """Mesos master flags the core needs (names without the `--`; seconds as floats)."""

    allocation_interval: float = 1.0
    offer_timeout: float | None = None
    agent_ping_timeout: float = 15.0
    max_agent_ping_timeouts: int = 5
    agent_reregister_timeout: float = 600.0  # Mesos: 10mins
    heartbeat_interval: float = 15.0
    max_completed_tasks_per_framework: int = 1000
    max_completed_frameworks: int = 50
    max_unreachable_tasks_per_framework: int = 1000
    registry_gc_interval: float = 900.0  # Mesos: 15mins
    registry_max_agent_age: float = 1209600.0  # Mesos: 2weeks
    registry_max_agent_count: int = 102400
    roles: tuple[str, ...] | None = None  # --roles whitelist; None: any role
    weights: tuple[tuple[str, float], ...] = ()
    allocator: alloc.AllocatorConfig | None = None
    acls: Acls | None = None  # --acls (core/authorizer.py); None: no authorizer, all allowed
    authenticate_frameworks: bool = False  # a SUBSCRIBE without a principal is refused
    authenticate_agents: bool = False  # an agent registration without a principal is dropped
    # --agent_removal_rate_limit "N/duration": (N, seconds); None: agents are marked
    # unreachable as soon as they are due (core/master/agents.py, "removal permits")
    agent_removal_rate_limit: tuple[int, float] | None = None
    # --whitelist: the hostnames whose agents are offered (None: every agent); changed while
    # running by `WhitelistChanged` (the shell watches the file)
    whitelist: frozenset[str] | None = None


# ------------------------------------------------------------------ master-specific inputs
@attrs.frozen(kw_only=True, slots=True)
class LeadershipGained:
    """This master was elected; `registry` is what it read from the registry (recovery)."""

    registry: RegistryState = attrs.field(factory=RegistryState)


@attrs.frozen(kw_only=True, slots=True)
class LeadershipLost:
    """This master is no longer the leader: it drops everything and stops acting."""


@attrs.frozen(kw_only=True, slots=True)
class MembershipLost:
    """This master's membership of the leader election is gone (its ZooKeeper session
    expired or its node vanished). Mesos's master "commits suicide" then, leading or not:
    the machine drops leadership and answers `Abdicate`."""

    reason: str


@attrs.frozen(kw_only=True, slots=True)
class WhitelistChanged:
    """The --whitelist file now lists `hosts` (None: no whitelist, every agent is offered).
    Mesos's master re-reads the file every WHITELIST_WATCH_INTERVAL (5 s) and hands the new
    list to its allocator (MasterAllocatorTest.Whitelist)."""

    hosts: frozenset[str] | None = attrs.field(
        default=None, converter=lambda v: None if v is None else frozenset(v))


# ------------------------------------------------------------------ master-specific effects
@attrs.frozen(kw_only=True, slots=True)
class Abdicate:
    """The master cannot go on leading (a registry write was fenced or failed): the shell
    must exit/restart the master process, as Mesos does ("Registrar aborted")."""

    reason: str


class MasterCore:
    """All the master's state (see core/master/model.py for the records and their invariants)."""

    now: float
    leader: bool
    recovered: bool

    def __init__(
        self,
        *,
        master_info: MasterInfo,
        ids: IdSource,
        config: MasterConfig | None = None,
        allocator_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.master_info = master_info
        self.ids = ids
        self.config = config or MasterConfig()
        self._allocator_factory = allocator_factory or self._default_allocator
        # id counters survive a loss of leadership: a master re-elected under the same id
        # never mints an id (framework, agent, offer, registry op) twice
        self._next_framework = 0
        self._next_agent = 0
        self._next_offer = 0
        self._next_op = 0
        self._reset()

    def _default_allocator(self) -> Any:
        cfg = self.config.allocator or alloc.AllocatorConfig(
            weights=self.config.weights, seed=f"{self.master_info.id}/alloc"
        )
        return alloc.Allocator(cfg)

    def _reset(self) -> None:
        """The state of a master that is not (or no longer) the leader."""
        self.now = 0.0
        self.leader = False
        self.recovered = False
        self.elected_time: float | None = None
        self.allocator = self._allocator_factory()
        self._frameworks: dict[str, MFramework] = {}
        self._streams: dict[str, str] = {}  # stream id -> framework id
        self._completed_frameworks: dict[str, MFramework] = {}  # bounded, oldest first
        self._agents: dict[str, MAgent] = {}
        self._pids: dict[str, str] = {}  # agent pid -> agent id
        self._registering: dict[str, int] = {}  # pid -> registry op id (admit in flight)
        self._reregistering: dict[str, int] = {}  # agent id -> registry op id
        self._marking_unreachable: dict[str, int] = {}  # agent id -> registry op id
        self._recovered_agents: dict[str, Any] = {}  # agent id -> AgentInfo (registry)
        self._unreachable: dict[str, float] = {}  # agent id -> unreachable since
        self._gone: dict[str, float] = {}
        self._pruning: dict[str, int] = {}  # agent id (unreachable or gone) -> prune op id
        # --agent_removal_rate_limit: when the next removal permit is free, and the agents
        # waiting for one (agent id -> reason) (core/master/agents.py)
        self._removal_permit_at = float("-inf")
        self._removal_waiting: dict[str, str] = {}
        self._offers: dict[str, Offer] = {}
        # the operator's settings as committed to the registry (core/master/operator.py)
        self._settings: dict[tuple[str, ...], Any] = {}
        self._operations: dict[tuple[str, str], Any] = {}  # core/master/operations.py
        self._drain_count = 0  # agents DRAINING (core/master/operator.py)
        self._pending_ops: dict[int, tuple[Any, ...]] = {}
        # the registrar (Mesos's Registrar): at most one RegistryWrite in flight; operations
        # requested meanwhile wait here and leave together as one ("batch", ...) write when
        # the previous result arrives. Invariant: _registry_queue is empty unless a write is
        # in flight; every queued / in-flight op id is a key of _pending_ops.
        self._registry_inflight: tuple[int, tuple[int, ...]] | None = None  # (write id, ops)
        self._registry_queue: list[tuple[int, tuple[Any, ...]]] = []  # (op id, op)
        # an allocation cycle was asked for during this step (run once, at its end)
        self._allocation_wanted = False
        self.counters: dict[str, float] = {}

    # ------------------------------------------------------------------ small helpers
    def _count(self, name: str, by: float = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + by

    def _send_fw(self, fw: MFramework | None, event: Any) -> list[Any]:
        """An event on the framework's stream (nothing when it is disconnected)."""
        if fw is None or fw.stream is None:
            return []
        return [Send(to=fw.stream, message=event)]

    def _framework(self, framework_id: str | None) -> MFramework | None:
        return self._frameworks.get(framework_id) if framework_id is not None else None

    def _set_whitelist(self, hosts: frozenset[str] | None) -> None:
        """--whitelist changed: kept in the config (a master elected later applies it)."""
        self.config = attrs.evolve(self.config, whitelist=hosts)

    def _take_removal_permit(self, interval: float) -> float:
        """When the next --agent_removal_rate_limit permit is free (now at the earliest);
        the one after it is `interval` later (libprocess RateLimiter)."""
        at = max(self.now, self._removal_permit_at)
        self._removal_permit_at = at + interval
        return at

    def _op_id(self) -> int:
        self._next_op += 1
        return self._next_op

    # ------------------------------------------------------------------ registrar
    def _registry_op(self, op_id: int, op: tuple[Any, ...]) -> list[Any]:
        """Ask the registrar to commit `op` (its `_pending_ops[op_id]` already booked): a
        RegistryWrite now when none is in flight, else it waits for the next batch."""
        if self._registry_inflight is not None:
            self._registry_queue.append((op_id, op))
            return []
        self._registry_inflight = (op_id, (op_id,))
        # counted as a flushed batch is (s16 kdrive: a lone op written at once, in the step of
        # a registry result that left nothing queued, went uncounted: RegistryCountersAgree)
        self._count("master/registrar/batched_operations", 1)
        return [RegistryWrite(op_id=op_id, op=op)]

    def _registry_flush(self) -> list[Any]:
        """The previous write is settled: everything queued leaves as ONE write (a lone op as
        itself; its id names the write, as the first member's id names a batch)."""
        self._registry_inflight = None
        queue, self._registry_queue = self._registry_queue, []
        if not queue:
            return []
        ids = tuple(i for i, _ in queue)
        op = queue[0][1] if len(queue) == 1 else ("batch", tuple(o for _, o in queue))
        self._registry_inflight = (ids[0], ids)
        self._count("master/registrar/batched_operations", len(ids))
        return [RegistryWrite(op_id=ids[0], op=op)]

    # ------------------------------------------------------------------ allocator glue
    def _alloc(self, inp: Any) -> list[Any]:
        """Feed the allocator; turn its allocations into offers (grouped per framework)."""
        out = self.allocator.step(self.now, inp)
        if not out:
            return []
        effects: list[Any] = []
        grouped: dict[str, list[Offer]] = {}
        for eff in out:
            if isinstance(eff, alloc.Allocation):
                effects += self._maybe_offer(eff, grouped)
            else:
                effects.append(eff)
        for fid, offers in grouped.items():
            effects += self._send_fw(self._frameworks.get(fid), EventOffers(offers=tuple(offers)))
        return effects

    def _allocate(self) -> list[Any]:
        """Ask for an allocation cycle. Like Mesos's allocator, which coalesces `allocate()`
        requests into one pending `_allocate()`, the cycle runs once at the end of the step
        (`_allocation_due`), however many handlers asked for one: a registry batch that
        re-admits 5,000 agents costs one cycle, not 5,000."""
        self._allocation_wanted = True
        return []

    def _allocation_due(self) -> list[Any]:
        if not self._allocation_wanted:
            return []
        self._allocation_wanted = False
        if not self.leader:
            return []
        return self._alloc(alloc.Allocate())

    def _maybe_offer(self, a: Any, grouped: dict[str, list[Offer]]) -> list[Any]:
        fw = self._frameworks.get(a.framework_id)
        agent = self._agents.get(a.agent_id)
        if fw is None or not fw.active or fw.stream is None or agent is None or not agent.active:
            # Mesos `Master::offer`: resources for a framework/agent that went away go back
            return self.allocator.step(
                self.now,
                alloc.RecoverResources(
                    framework_id=a.framework_id, agent_id=a.agent_id, resources=a.resources
                ),
            )
        oid = f"{self.master_info.id}-O{self._next_offer}"
        self._next_offer += 1
        offer = Offer(
            id=oid,
            framework_id=fw.id,
            agent_id=agent.id,
            hostname=agent.info.hostname,
            role=a.role,
            resources=a.resources,
            attributes=agent.info.attributes,
            executor_ids=tuple(sorted(e for (aid, e) in fw.executors if aid == agent.id)),
            refinement=Capability.RESERVATION_REFINEMENT in fw.info.capabilities,
        )
        self._offers[oid] = offer
        fw.offers[oid] = None
        agent.offers[oid] = None
        grouped.setdefault(fw.id, []).append(offer)
        if self.config.offer_timeout is not None:
            return [SetTimer(key=("offer_timeout", oid), at=self.now + self.config.offer_timeout)]
        return []

    def _remove_offer(self, oid: str, *, rescind: bool) -> list[Any]:
        """Forget an offer (no resource recovery); rescind=True tells its framework."""
        offer = self._offers.pop(oid)
        fw = self._frameworks.get(offer.framework_id)
        agent = self._agents.get(offer.agent_id)
        if fw is not None:
            fw.offers.pop(oid, None)
        if agent is not None:
            agent.offers.pop(oid, None)
        out: list[Any] = []
        if self.config.offer_timeout is not None:
            out.append(CancelTimer(key=("offer_timeout", oid)))
        if rescind:
            out += self._send_fw(fw, EventRescind(offer_id=oid))
        return out

    def _recover_offer(self, oid: str, *, rescind: bool, refuse: float | None = None) -> list[Any]:
        """Return an offer's resources to the allocator and forget it."""
        offer = self._offers[oid]
        out = self._alloc(
            alloc.RecoverResources(
                framework_id=offer.framework_id,
                agent_id=offer.agent_id,
                resources=offer.resources,
                refuse_seconds=refuse,
            )
        )
        return out + self._remove_offer(oid, rescind=rescind)

    def _recover(self, fid: str, aid: str, res: Resources, refuse: float | None = None) -> list[Any]:
        if not res:
            return []
        return self._alloc(
            alloc.RecoverResources(
                framework_id=fid, agent_id=aid, resources=res, refuse_seconds=refuse
            )
        )

    # ------------------------------------------------------------------ status updates
    def _master_status(
        self,
        fw: MFramework,
        task_id: str,
        state: TaskState,
        *,
        agent_id: str | None,
        reason: Reason | None,
        message: str,
        executor_id: str | None = None,
        unreachable_time: float | None = None,
    ) -> TaskStatus:
        """An update the master generates (SOURCE_MASTER, no uuid: never acknowledged), in the
        state the framework is able to see."""
        return TaskStatus(
            task_id=task_id,
            state=lifecycle.visible_state(state, fw.info),
            source=Source.SOURCE_MASTER,
            reason=reason,
            message=message,
            agent_id=agent_id,
            executor_id=executor_id or None,
            timestamp=self.now,
            unreachable_time=unreachable_time,
        )

    def _forward(self, fw: MFramework | None, status: TaskStatus) -> list[Any]:
        """Relay an update to the framework as it may see it (Mesos `Master::forward`)."""
        if fw is None:
            return []
        if fw.stream is None:
            return [Log(level="warning", event="update_not_forwarded_framework_disconnected",
                        fields=(("framework_id", fw.id), ("task_id", status.task_id)))]
        visible = lifecycle.visible_state(status.state, fw.info)
        if visible is not status.state:
            status = evolve(status, state=visible)
        return [Send(to=fw.stream, message=EventUpdate(status=status))]

    # ------------------------------------------------------------------ tasks
    def _add_task(self, task: MTask) -> None:
        fw = self._frameworks[task.framework_id]
        agent = self._agents[task.agent_id]
        fw.tasks[task.task_id] = task
        agent.tasks[task.key] = task

    def _update_task(self, task: MTask, status: TaskStatus, *, latest: TaskState | None,
                     uuid: bytes | None, producer: str) -> list[Any]:
        """Book an update on a task (Mesos `Master::updateTask`): the state becomes `latest`
        (or the status's state) unless already terminal; resources go back to the allocator
        the first time the task becomes terminal."""
        if uuid is not None and any(s.uuid == uuid for s in task.statuses[:-1]):
            # a stale copy of an update booked before the latest one (a duplicate the
            # network delivered late): it changes nothing (its framework still gets it)
            return []
        new_state = latest if latest is not None else status.state
        was_terminal = task.state.is_terminal
        out: list[Any] = []
        if not was_terminal and new_state is not task.state:
            if lifecycle.is_legal(task.state, new_state, producer):
                task.state = new_state
            else:
                out.append(Log(level="warning", event="illegal_task_transition_ignored",
                               fields=(("task_id", task.task_id), ("from", task.state.name),
                                       ("to", new_state.name), ("producer", producer))))
        stale = task.status_update_state is not None and \
            task.status_update_state.is_terminal and not status.state.is_terminal
        if uuid is not None and not stale:
            # A non-terminal update after the terminal one was forwarded is an older update
            # the network duplicated or reordered (the agent's stream ends at the terminal
            # update): it is relayed, but the books keep the terminal update, whose ack
            # removes the task (else the task stayed forever, answering the stale state).
            task.status_update_state = status.state
            task.status_update_uuid = uuid
        if task.statuses and task.statuses[-1].state is status.state:
            task.statuses.pop()
        task.statuses.append(evolve(status, data=b""))
        if len(task.statuses) > 16:
            del task.statuses[0]
        if not was_terminal and task.state.is_terminal:
            out += self._recover(task.framework_id, task.agent_id, task.resources)
        return out

    def _remove_task(self, task: MTask, *, unreachable: bool = False) -> list[Any]:
        """Take a task off its agent and out of its framework's live tasks (Mesos
        `Master::removeTask`): into `unreachable_tasks` or `completed_tasks` (bounded)."""
        out: list[Any] = []
        if not task.state.is_terminal and not unreachable:
            out += self._recover(task.framework_id, task.agent_id, task.resources)
        agent = self._agents.get(task.agent_id)
        if agent is not None:
            agent.tasks.pop(task.key, None)
            agent.killed_tasks.pop(task.key, None)
        fw = self._frameworks.get(task.framework_id)
        if fw is not None:
            fw.tasks.pop(task.task_id, None)
            if unreachable:
                fw.unreachable_tasks.pop(task.task_id, None)
                fw.unreachable_tasks[task.task_id] = task
                while len(fw.unreachable_tasks) > self.config.max_unreachable_tasks_per_framework:
                    fw.unreachable_tasks.popitem(last=False)
            else:
                self._complete_task(fw, task)
        return out

    def _complete_task(self, fw: MFramework, task: MTask) -> None:
        fw.completed_tasks.pop(task.task_id, None)
        fw.completed_tasks[task.task_id] = task
        while len(fw.completed_tasks) > self.config.max_completed_tasks_per_framework:
            fw.completed_tasks.popitem(last=False)

    def _remove_executor(self, agent: MAgent, fid: str, eid: str) -> list[Any]:
        info = agent.executors.pop((fid, eid), None)
        fw = self._frameworks.get(fid)
        if fw is not None:
            fw.executors.pop((agent.id, eid), None)
        if info is None:
            return []
        return self._recover(fid, agent.id, info.resources)

    # ------------------------------------------------------------------ timers
    def _timer(self, key: tuple[str, ...], delay: float) -> SetTimer:
        return SetTimer(key=key, at=self.now + delay)
