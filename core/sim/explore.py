"""Bounded exhaustive exploration of the REAL machines (issue 12 §3; `mesotron check
--exhaustive`).

The simulator (world.py) samples one interleaving per seed. This module visits EVERY state
reachable in a small configuration, breadth-first: the real `Master` (two, one failover),
`Agent`, `CommandExecutor` and `SchedulerDriver` (with a tiny scripted framework that
launches `tasks` tasks and acknowledges its updates), wired the way world.py wires them.

The nondeterminism explored, per state:
- which message is delivered next: any link's head (links are FIFO, so this is every
  interleaving of the machines); on master<->agent links, within budgets, the second
  message instead of the head (reorder), losing the head (drop), or delivering the head and
  keeping a copy (duplicate);
- timers fire in virtual-time order (only the earliest armed timer(s) may fire; firing one
  moves the clock to its deadline; deadlines past `horizon` never fire), while messages
  may take any time (an asynchronous network);
- a task process exits (its task finishes) at any moment;
- faults, within budgets: the leading master crashes and the standby is elected (ZooKeeper
  and the registry as in world.py, the new leader's recovery fences the old one); an agent
  loses power (any prefix of its unsynced writes survives) and restarts in reconnect mode,
  its executors surviving.

State and speed. A global state is a tuple of small ints: one *local state id* per
component, the queued message ids per link, the environment (leader, registry, HTTP
requests and streams), the clock, the budgets, and the ghost history the invariants need.
A local state is a component (machine + its shell: timers, disk, task processes), interned
by its *canonical key*: the machine's `describe()` and the shell state, plus everything
else the component holds (describe() is a summary for people and omits state that decides
later steps: offer and operation ids, allocator filters, id counters, ...), in a canonical
form where a set is compared as a set (its iteration order, which depends on insertion
history and the string-hash seed, is ignored). The visited set is keyed by these canonical
ids plus the world (messages per FIFO link in order, leader, registry, requests, streams,
clock, budgets, ghost history), so "distinct states" counts states that differ in
something that can influence a later step. The first snapshot (pickled bytes) seen of a
local state is the one restored; `audit_merges()` re-runs every merged snapshot on every
input its representative took and checks that it ends in the same local state with the
same actions (tests/test_explore.py; it catches a describe()-only key). A machine step is
memoised on
(local state, input, clock): the product of independent components is explored with one
real `step()` per distinct local transition, the rest are dictionary lookups. That is the
whole trick that makes 100,000s of states affordable in Python (`deepcopy` of a master
costs ~1 ms; see docs/performance.md).

Invariants (core/invariants.py, same functions as everywhere) checked in every state or on
the transition that could break them: NoOvercommit and OfferExclusive (the leading master's
ledger), DrfOrder (the allocator's decisions), SingleLaunch (task process starts),
LegalTaskTransitions and UpdatesInOrder (what agents accepted vs what the scheduler saw),
NoLostAckedWork (an accepted update neither acked nor held by the agent), OneLeaderWrites
(registry commits), RecoveryKeepsTasks (kills of live executors while recovering). Liveness
properties are not checked (the exploration is bounded).

A violation comes back with the shortest path to it (BFS), a list of transition labels
that `replay()` re-executes.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
from mesotron.core import invariants as inv
from mesotron.core import registry as registry_mod
from mesotron.core.agent.machine import Agent
from mesotron.core.agent.model import (
    AgentConfig,
    ExecutorExited,
    KillExecutor,
    LaunchExecutor,
    MasterDetected,
    StopAgent,
)
from mesotron.core.agent.model import Start as AgentStart
from mesotron.core.effects import (
    CancelTimer,
    Close,
    Disconnected,
    Persist,
    Received,
    RegistryResult,
    RegistryWrite,
    Respond,
    Send,
    SetTimer,
    TimerFired,
)
from mesotron.core.executor import (
    COMMAND_EXECUTOR_PROGRAM,
    CommandExecutor,
    CommandExecutorConfig,
    ExitExecutor,
    SignalTaskProcess,
    StartTaskProcess,
    TaskProcessExited,
)
from mesotron.core.executor import Start as ExecutorStart
from mesotron.core.ids import IdSource
from mesotron.core.invariants import AgentLedger, ClusterSnapshot
from mesotron.core.master.base import Abdicate, LeadershipGained, MasterConfig
from mesotron.core.master.machine import Master
from mesotron.core.messages import (
    AgentRegistered,
    AgentReregistered,
    CallAccept,
    CallAcknowledge,
    CallDecline,
    CallSuppress,
    EventOffers,
    EventUpdate,
    ExecutorAcknowledged,
    ExecutorSubscribe,
    ExecutorUpdate,
    OpLaunch,
    StatusUpdateMessage,
)
from mesotron.core.registry import RegistryState
from mesotron.core.resources import Resources
from mesotron.core.scheduler import CallResponse, Notify, Perform, SchedulerConfig, SchedulerDriver
from mesotron.core.scheduler import Start as SchedulerStart
from mesotron.core.sim.disk import Disk
from mesotron.core.status_updates import UpdateRecord
from mesotron.core.values import (
    AgentInfo,
    Capability,
    CommandInfo,
    Filters,
    FrameworkInfo,
    MasterInfo,
    Source,
    TaskInfo,
    TaskState,
)

PRODUCER = {Source.SOURCE_EXECUTOR: "executor", Source.SOURCE_AGENT: "agent",
            Source.SOURCE_MASTER: "master", None: "agent"}
ZK = "zk"  # the sender of detections and leadership (ZooKeeper)
ENV = "env"  # the sender of process/containerizer news
REGISTRY = "registry"
FW = "explorer"  # the scripted framework's name


@attrs.frozen(kw_only=True)
class ExploreConfig:
    agents: int = 1
    tasks: int = 2
    masters: int = 2  # the second is the standby taking over on a failover
    failovers: int = 1  # crashes of the leading master
    agent_restarts: int = 1  # power losses + restarts (reconnect mode), over all agents
    drops: int = 1  # master<->agent messages lost
    dups: int = 1  # master<->agent messages duplicated
    delays: int = 1  # deviations from the canonical (oldest message first) schedule
    # a delay may also fire the earliest timer while messages are in flight (off in the
    # CI configuration: it reaches the executor re-subscription race, see docs/explore.md)
    early_timers: bool = False
    horizon: float = 6.0  # timers due later never fire
    max_depth: int | None = None
    max_states: int | None = None
    agent_resources: str = "cpus:2;mem:256"
    task_resources: str = "cpus:0.5;mem:32"
    allocation_interval: float = 5.0
    agent_ping_timeout: float = 15.0  # Mesos's defaults: no agent is removed within 6 s
    max_agent_ping_timeouts: int = 5
    check: bool = True

    def describe(self) -> str:
        return (f"agents={self.agents} tasks={self.tasks} masters={self.masters} "
                f"failovers={self.failovers} agent_restarts={self.agent_restarts} "
                f"drops={self.drops} dups={self.dups} delays={self.delays} "
                f"horizon={self.horizon:g}s")


# The CI configuration (`mesotron check --exhaustive`, `make test`): one framework with two
# tasks on one agent, a leader and a standby, one agent power loss (any prefix of its
# unsynced writes survives; restart in reconnect mode, executors alive) at any point of
# the run, every interleaving allowed by the canonical schedule and task exits: explored
# completely, 115,387 distinct states by the canonical key, depth 94 (docs/explore.md).
# `make test` also runs the failover configuration (FAILOVER_CONFIG: the leader crashes,
# or its ZooKeeper session expires while it keeps running, deposed; 96,982 states). Loss,
# duplication and delays are explored by the flags (and tests/test_explore.py); the
# product of a failover and a restart, or of either with a loss, is too large for 60 s.
CI_CONFIG = ExploreConfig(failovers=0, agent_restarts=1, drops=0, dups=0, delays=0,
                          horizon=8.0)
FAILOVER_CONFIG = ExploreConfig(failovers=1, agent_restarts=0, drops=0, dups=0, delays=0,
                                horizon=8.0)


class Comp:
    """One component with its shell state; pickled whole as its local state."""

    def __init__(self, kind: str, name: str, machine: Any) -> None:
        self.kind = kind
        self.name = name
        self.machine = machine
        self.timers: dict[Any, float] = {}
        self.disk: Disk | None = None
        self.procs: dict[str, int | None] = {}  # executor: task id -> signal sent (or None)
        self.app: ExploreApp | None = None
        self.detected: str | None = None  # agent: master it detected
        self.recovering = False  # agent: restarted with a checkpoint, not yet re-registered
        self.resubscribed: set[str] = set()  # agent: containers that re-subscribed
        self.agent = ""  # executor: its agent's name
        self.container = ""  # executor: container id
        self.framework_id = ""  # executor
        self.inc = 0  # agent: incarnation (bumps on every restart)


class ExploreApp:
    """The scripted framework: launches `tasks` tasks on the first offers that fit, declines
    the rest, suppresses once done; the driver acknowledges updates."""

    def __init__(self, tasks: int, need: Resources) -> None:
        self.left = tasks
        self.next = 0
        self.need = need
        self.suppressed = False

    def on_event(self, ev: Any) -> list[Any]:
        if type(ev) is not EventOffers:
            return []
        out: list[Any] = []
        for offer in ev.offers:
            avail, tasks = offer.resources, []
            while self.left > 0 and avail.contains(self.need):
                self.next += 1
                self.left -= 1
                tid = f"t{self.next}"
                tasks.append(TaskInfo(name=tid, task_id=tid, agent_id=offer.agent_id,
                                      resources=self.need,
                                      command=CommandInfo(value="sleep 1 && exit 0")))
                avail = avail - self.need
            if tasks:
                out.append(CallAccept(offer_ids=(offer.id,),
                                      operations=(OpLaunch(task_infos=tuple(tasks)),),
                                      filters=Filters(refuse_seconds=5.0)))
            else:
                out.append(CallDecline(offer_ids=(offer.id,),
                                       filters=Filters(refuse_seconds=5.0)))
        if self.left == 0 and not self.suppressed:
            self.suppressed = True
            out.append(CallSuppress(roles=("*",)))
        return out


class _Keep:
    """A stand-in rng for Disk.crash: keep exactly `n` unsynced writes, never tear."""

    def __init__(self, n: int) -> None:
        self.n = n

    def randint(self, a: int, b: int) -> int:
        return self.n

    def random(self) -> float:
        return 1.0


@attrs.define
class Counterexample:
    name: str
    message: str
    labels: list[str]

    def describe(self) -> list[str]:
        lines = [f"violation: {self.name}: {self.message}",
                 (f"shortest counterexample ({len(self.labels)} steps; replay with "
                  "mesotron.core.sim.explore.replay(config, labels)):")]
        lines += [f"  {i + 1:3}. {lab}" for i, lab in enumerate(self.labels)]
        return lines


@attrs.define
class ExploreResult:
    config: ExploreConfig
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    local_states: int = 0
    machine_steps: int = 0
    complete: bool = True  # False when max_states/max_depth cut the search
    violation: Counterexample | None = None
    per_depth: list[int] = attrs.Factory(list)
    describe_states: int | None = None  # the same states counted by describe() (see below)

    def summary(self) -> list[str]:
        rate = self.states / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f"mesotron check --exhaustive: {self.config.describe()}",
            # the only line that says "states" (checks read the largest number on such
            # lines): the states the visited set tells apart by their canonical key
            f"distinct states: {self.states}",
            *([(f"classes by describe() and shell only (coarser, unsound, for comparison):"
                f" {self.describe_states}")]
              if self.describe_states is not None else []),
            f"transitions: {self.transitions}",
            f"depth: {self.depth}" + ("" if self.complete else " (search cut by a bound)"),
            (f"distinct component snapshots: {self.local_states} "
             f"(real machine steps: {self.machine_steps})"),
            f"time: {self.seconds:.1f} s ({rate:,.0f}/s)",
            f"violations: {0 if self.violation is None else 1}",
        ]
        if self.violation is not None:
            lines += self.violation.describe()
        return lines


class _Violation(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def _first(out: list[str]) -> None:
    if out:
        name, _, msg = out[0].partition(":")
        raise _Violation(name, msg.strip())


# global state layout (a tuple):
#   0 comps: tuple of local ids, one per slot (-1: no such component / dead)
#   1 net: tuple of (link id, tuple of message ids) for non-empty links, sorted
#   2 env: (leader slot, registry id, holder slot, seen versions, requests, streams)
#   3 now
#   4 budgets: (drops, dups, reorders, failovers, agent restarts)
#   5 ghost: (launches, produced, seen, acked)
COMPS, NET, ENVI, NOW, BUDGET, GHOST = range(6)


class Explorer:
    def __init__(self, config: ExploreConfig = CI_CONFIG, *, audit: bool = False) -> None:
        self.cfg = config
        # audit: keep the other snapshots merged into each local state, for audit_merges()
        self.audit = audit
        self.aliases: dict[int, list[bytes]] = {}
        self.blobs: list[bytes] = []
        self.blob_ids: dict[bytes, int] = {}  # pickled bytes -> local state id
        self.canon_ids: dict[Any, int] = {}  # canonical key -> local state id
        self.timer_cache: dict[int, tuple[float, tuple[Any, ...]] | None] = {}
        self.procs_cache: dict[int, tuple[str, ...]] = {}
        self.lossy_cache: dict[int, bool] = {}
        self.exit_inputs: dict[tuple[int, str], int] = {}
        self.restart_memo: dict[tuple[int, int | None, float], Any] = {}
        self.unsynced_cache: dict[int, int] = {}
        self.inputs: list[Any] = []
        self.input_ids: dict[Any, int] = {}
        self.links: list[tuple[str, str]] = []
        self.link_ids: dict[tuple[str, str], int] = {}
        self.slots: list[str] = []
        self.slot_ids: dict[str, int] = {}
        self.memo: dict[tuple[int, int, float], tuple[int, tuple[Any, ...]]] = {}
        self.ledger_ok: dict[int, bool] = {}
        self.pending_cache: dict[int, dict[tuple[str, str], frozenset[bytes]]] = {}
        self.registries: list[RegistryState] = []
        self.registry_ids: dict[bytes, int] = {}
        self.registry_canon: dict[Any, int] = {}
        self.steps = 0
        self.need = Resources.parse(config.task_resources).allocate("*")
        self.master_config = MasterConfig(
            allocation_interval=config.allocation_interval, offer_timeout=60.0,
            agent_ping_timeout=config.agent_ping_timeout,
            max_agent_ping_timeouts=config.max_agent_ping_timeouts)
        self.masters = [f"master@10.0.0.{i + 1}:5050" for i in range(config.masters)]
        self.agents = [f"slave(1)@10.0.1.{i + 1}:5051" for i in range(config.agents)]
        for n in [*self.masters, *self.agents, FW]:
            self.slot(n)

    # ------------------------------------------------------------------ interning
    def slot(self, name: str) -> int:
        i = self.slot_ids.get(name)
        if i is None:
            i = self.slot_ids[name] = len(self.slots)
            self.slots.append(name)
        return i

    def link(self, src: str, dst: str) -> int:
        k = (src, dst)
        i = self.link_ids.get(k)
        if i is None:
            i = self.link_ids[k] = len(self.links)
            self.links.append(k)
        return i

    def intern_input(self, inp: Any) -> int:
        try:
            key: Any = (type(inp), inp)
            hash(key)
        except TypeError:
            key = pickle.dumps(inp, 5)
        i = self.input_ids.get(key)
        if i is None:
            i = self.input_ids[key] = len(self.inputs)
            self.inputs.append(inp)
        return i

    def intern_comp(self, comp: Comp) -> int:
        b = pickle.dumps(comp, 5)
        i = self.blob_ids.get(b)
        if i is not None:
            return i
        # new bytes: the same state as a known one when the canonical key agrees (the
        # bytes differ only in a set's iteration order); the first bytes seen stay the
        # snapshot that is restored
        key = self.canonical_key(comp)
        i = self.canon_ids.get(key)
        if i is not None:
            self.blob_ids[b] = i
            if self.audit:
                self.aliases.setdefault(i, []).append(b)
            return i
        i = self.blob_ids[b] = self.canon_ids[key] = len(self.blobs)
        self.blobs.append(b)
        self.procs_cache[i] = tuple(sorted(comp.procs))
        self.unsynced_cache[i] = len(comp.disk.unsynced) if comp.disk is not None else 0
        if comp.timers:
            at = min(comp.timers.values())
            self.timer_cache[i] = (at, tuple(sorted((k for k, v in comp.timers.items()
                                                     if v == at), key=repr)))
        else:
            self.timer_cache[i] = None
        return i

    def comp(self, lid: int) -> Comp:
        return pickle.loads(self.blobs[lid])

    def canonical_key(self, c: Comp) -> Any:
        """A local state's canonical key: what the machine's describe() shows, the shell
        state (timers, disk, task processes, ...), and, because describe() is a summary
        for people that omits state which decides later steps (offer and operation ids,
        the allocator's filters, id counters, unacknowledged update uuids, ...),
        everything else the component holds, in a canonical form: `canonical()` of its
        whole pickled state, with sets and frozensets compared as sets (their iteration
        order ignored) and everything else (dict order included) kept as it is."""
        return (self.describe_key_of(c), canonical(c))

    def intern_registry(self, r: RegistryState) -> int:
        b = pickle.dumps(r, 5)
        i = self.registry_ids.get(b)
        if i is None:  # new bytes: maybe a known registry with its sets in another order
            key = canonical(r)
            i = self.registry_canon.get(key)
            if i is None:
                i = self.registry_canon[key] = len(self.registries)
                self.registries.append(r)
            self.registry_ids[b] = i
        return i

    # ------------------------------------------------------------------ local steps
    def step(self, lid: int, inp_id: int, now: float) -> tuple[int, tuple[Any, ...]]:
        """Memoised: the component in local state `lid` takes input `inp_id` at `now`."""
        key = (lid, inp_id, now)
        r = self.memo.get(key)
        if r is None:
            c = self.comp(lid)
            inp = self.inputs[inp_id]
            if type(inp) is TimerFired:
                c.timers.pop(inp.key, None)
            acts: list[Any] = []
            self.steps += 1
            self.run(c, inp, now, acts)
            r = (self.intern_comp(c), tuple(acts))
            self.memo[key] = r
        return r

    def audit_merges(self) -> tuple[int, list[str]]:
        """The soundness of the canonical key, checked on the transitions explored: every
        snapshot that was merged into a local state (other bytes, same canonical key)
        takes every input that local state took, at the same clock, and must end in the
        same local state with the same actions. Returns (pairs compared, differences)."""
        done = 0
        diffs: list[str] = []
        aliases = {k: list(v) for k, v in self.aliases.items()}
        for (lid, inp_id, now), (to, acts) in list(self.memo.items()):
            for b in aliases.get(lid, ()):
                c = pickle.loads(b)
                inp = self.inputs[inp_id]
                if type(inp) is TimerFired:
                    c.timers.pop(inp.key, None)
                got: list[Any] = []
                self.run(c, inp, now, got)
                to2 = self.intern_comp(c)
                done += 1
                if to2 != to or tuple(got) != acts:
                    diffs.append(f"{c.kind} {c.name} local state {lid} on "
                                 f"{_brief(inp)} at {now:g}: merged snapshots diverge")
        return done, diffs

    def run(self, c: Comp, inp: Any, now: float, acts: list[Any]) -> None:
        """Step the machine and interpret the effects that stay inside the component;
        the rest become actions (with interned inputs) for the global interpreter."""
        kind = c.kind
        if kind == "scheduler":
            self.run_scheduler(c, inp, now, acts)
            return
        pre: list[Any] = []
        if type(inp) is MasterDetected:
            c.detected = inp.pid
        elif type(inp) is TaskProcessExited:
            c.procs.pop(inp.task_id, None)
        if kind == "agent" and type(inp) is Received:
            t = type(inp.message)
            if t is ExecutorSubscribe:
                c.resubscribed.add(inp.sender)
            elif t is AgentRegistered or t is AgentReregistered:
                c.recovering = False
            elif t is ExecutorUpdate and inp.message.status.uuid is not None:
                pre.append(inp.message)
        effects = c.machine.step(now, inp)
        if kind == "master":
            self.master_effects(c, effects, acts)
        elif kind == "agent":
            self.agent_effects(c, effects, acts, pre)
        else:
            self.executor_effects(c, effects, acts)

    def master_effects(self, c: Comp, effects: list[Any], acts: list[Any]) -> None:
        me = c.name
        for e in effects:
            t = type(e)
            if t is Send:
                if e.to in self.agents:
                    acts.append(("msg", me, e.to, self.intern_input(
                        Received(sender=me, message=e.message))))
                else:  # a scheduler stream (or a stale name: dropped by the interpreter)
                    acts.append(("stream", e.to, self.intern_input(
                        Received(sender=e.to, message=e.message))))
            elif t is SetTimer:
                c.timers[e.key] = e.at
            elif t is CancelTimer:
                c.timers.pop(e.key, None)
            elif t is Respond:
                acts.append(("respond", e.request, e.stream_id if 200 <= e.status < 300
                             else None, self.intern_input(CallResponse(
                                 request=e.request, status=e.status, message=e.message,
                                 stream_id=e.stream_id))))
            elif t is RegistryWrite:
                acts.append(("msg", me, REGISTRY, self.intern_input(e)))
            elif t is Close:
                acts.append(("close", me, e.peer))
            elif t is Abdicate:
                acts.append(("abdicate", me))
                return
        if self.cfg.check:
            al = c.machine.allocator
            decisions = getattr(al, "last_cycle_decisions", None)
            if decisions:
                out = inv.DrfOrder(ClusterSnapshot(allocations=tuple(decisions)))
                al.last_cycle_decisions = []
                if out:
                    acts.append(("violation", out[0]))

    def agent_effects(self, c: Comp, effects: list[Any], acts: list[Any],
                      pre: list[Any]) -> None:
        disk = c.disk
        assert disk is not None
        states = {m.status.uuid: (m.framework_id, m.status.state) for m in pre}
        for e in effects:
            t = type(e)
            if t is Persist:
                disk.persist(e.key, e.record, e.append)
                if e.append and type(e.record) is UpdateRecord:
                    u = e.record.update
                    acts.append(("produced", (u.framework_id, u.status.task_id), u.uuid,
                                 u.status.state.name, PRODUCER.get(u.status.source, "agent"),
                                 "persist"))
                continue
            disk.sync()
            if t is Send:
                to = e.to
                if type(e.message) is StatusUpdateMessage:
                    # accepted into a stream (persisted above, or held in memory only)
                    u = e.message.update
                    acts.append(("produced", (u.framework_id, u.status.task_id), u.uuid,
                                 u.status.state.name, PRODUCER.get(u.status.source, "agent"),
                                 "send"))
                if type(e.message) is ExecutorAcknowledged and e.message.uuid in states:
                    m = e.message
                    fw, state = states[m.uuid]
                    acts.append(("produced", (fw, m.task_id), m.uuid, state.name,
                                 "executor", "ack"))
                if to.startswith("executor("):
                    acts.append(("msg", c.name, to, self.intern_input(
                        Received(sender=c.name, message=e.message))))
                else:
                    dst = c.detected if to == "master" else to
                    if dst is not None:
                        acts.append(("msg", c.name, dst, self.intern_input(
                            Received(sender=c.name, message=e.message))))
            elif t is SetTimer:
                c.timers[e.key] = e.at
            elif t is CancelTimer:
                c.timers.pop(e.key, None)
            elif t is LaunchExecutor:
                acts.append(("launch", c.name, self.new_executor(c, e)))
            elif t is KillExecutor:
                acts.append(("kill", c.name, e.container_id,
                             c.recovering and f"executor({e.container_id})@{c.name}"
                             in c.resubscribed))
            elif t is StopAgent:
                acts.append(("stop", c.name))
                return

    def new_executor(self, a: Comp, e: LaunchExecutor) -> tuple[str, int, int]:
        cid = e.container_id
        name = f"executor({cid})@{a.name}"
        if e.command.value != COMMAND_EXECUTOR_PROGRAM:
            raise ValueError("only the built-in command executor exists in the explorer")
        x = Comp("executor", name, CommandExecutor(
            pid=name, framework_id=e.framework_id, executor_id=e.executor_info.executor_id,
            agent_pid=a.name, ids=IdSource(f"explore/{cid}"),
            config=CommandExecutorConfig.from_env(dict(e.env))))
        x.agent = a.name
        x.container = cid
        x.framework_id = e.framework_id
        return name, self.intern_comp(x), self.intern_input(ExecutorStart())

    def executor_effects(self, x: Comp, effects: list[Any], acts: list[Any]) -> None:
        for e in effects:
            t = type(e)
            if t is Send:
                acts.append(("msg", x.name, x.agent, self.intern_input(
                    Received(sender=x.name, message=e.message))))
            elif t is SetTimer:
                x.timers[e.key] = e.at
            elif t is CancelTimer:
                x.timers.pop(e.key, None)
            elif t is StartTaskProcess:
                x.procs[e.task_id] = None
                acts.append(("started", (x.framework_id, e.task_id), x.agent))
            elif t is SignalTaskProcess:
                for tid in ([e.task_id] if e.task_id else sorted(x.procs)):
                    if tid in x.procs:
                        x.procs[tid] = 9 if e.signal == "SIGKILL" else 15
            elif t is ExitExecutor:
                acts.append(("exit", x.name, self.intern_input(ExecutorExited(
                    framework_id=x.framework_id, executor_id=x.machine.executor_id,
                    container_id=x.container, status=e.status))))
                return

    def run_scheduler(self, c: Comp, inp: Any, now: float, acts: list[Any]) -> None:
        queue = [inp]
        app = c.app
        assert app is not None
        while queue:
            effects = c.machine.step(now, queue.pop(0))
            for e in effects:
                t = type(e)
                if t is Send:
                    call = e.message
                    if type(call.call) is CallAcknowledge:
                        acts.append(("acked", (call.framework_id, call.call.task_id),
                                     call.call.uuid))
                    acts.append(("call", call.request, self.intern_input(call)))
                elif t is Notify:
                    ev = e.event
                    if type(ev) is EventUpdate and ev.status.uuid is not None:
                        fw = c.machine.framework_id
                        acts.append(("seen", (fw, ev.status.task_id), ev.status.uuid,
                                     ev.status.state.name))
                    queue.extend(Perform(call=x) for x in app.on_event(ev))
                elif t is SetTimer:
                    c.timers[e.key] = e.at
                elif t is CancelTimer:
                    c.timers.pop(e.key, None)
                elif t is Close:
                    acts.append(("close", c.name, e.peer))

    # ------------------------------------------------------------------ initial state
    def initial(self) -> tuple[Any, ...]:
        cfg = self.cfg
        comps = [-1] * len(self.slots)
        acts: list[Any] = []
        for i, name in enumerate(self.masters):
            info = MasterInfo(id=f"master{i + 1}-1", hostname=f"master{i + 1}",
                              ip=f"10.0.0.{i + 1}", port=5050)
            m = Comp("master", name, Master(master_info=info, ids=IdSource(f"explore/{name}"),
                                            config=self.master_config))
            comps[self.slot_ids[name]] = self.intern_comp(m)
        for name in self.agents:
            a = Comp("agent", name, None)
            a.disk = Disk()
            comps[self.slot_ids[name]] = self.intern_comp(a)
        s = Comp("scheduler", FW, SchedulerDriver(name=FW, config=SchedulerConfig(
            framework_info=FrameworkInfo(
                user="explorer", name=FW, roles=("*",), failover_timeout=7 * 86400.0,
                checkpoint=True, capabilities=frozenset({Capability.PARTITION_AWARE,
                                                         Capability.TASK_KILLING_STATE})))))
        s.app = ExploreApp(cfg.tasks, self.need)
        comps[self.slot_ids[FW]] = self.intern_comp(s)
        reg = self.intern_registry(RegistryState())
        env = (0, reg, -1, tuple(0 for _ in self.masters), (), ())
        budget = (cfg.drops, cfg.dups, cfg.delays, cfg.failovers, cfg.agent_restarts)
        ghost: tuple[Any, ...] = ((), (), (), frozenset(), frozenset())
        state: list[Any] = [tuple(comps), (), env, 0.0, budget, ghost]
        # ZooKeeper elects the first master; the agents start and detect it; the
        # framework starts subscribing
        net: list[tuple[int, int]] = []
        self.enqueue(net, ZK, self.masters[0], self.intern_input(("gain",)))
        for name in self.agents:
            state = self.start_agent(state, net, name, None)
        state[NET] = self.pack(net)
        st = tuple(state)
        st = self.apply(st, self.slot_ids[FW], self.intern_input(SchedulerStart()), acts)
        return st

    def restart_local(self, lid: int, keep: int | None, now: float
                      ) -> tuple[int, tuple[Any, ...], tuple[tuple[str, str, str], ...]]:
        """Memoised: the agent in local state `lid` loses power keeping `keep` unsynced
        writes (None: a first start, no crash) and starts again from its disk. Returns the
        new local state, its actions and the checkpointed (live) executors (container id,
        framework id, executor id)."""
        key = (lid, keep, now)
        r = self.restart_memo.get(key)
        if r is not None:
            return r
        old = self.comp(lid)
        disk = old.disk
        assert disk is not None
        if keep is not None:
            disk.crash(_Keep(keep), lossy=True)  # type: ignore[arg-type]
        rec = disk.recovered()
        recovered = None if rec.is_empty() else rec
        name = old.name
        inc = old.inc + 1
        info = AgentInfo(hostname=name.split("@")[1].split(":")[0], port=5051,
                         resources=Resources.parse(self.cfg.agent_resources))
        a = Comp("agent", name, Agent(pid=name, agent_info=info,
                                      ids=IdSource(f"explore/{name}/{inc}"),
                                      config=AgentConfig(recover="reconnect")))
        a.inc = inc
        a.disk = disk
        a.recovering = recovered is not None
        new_lid, acts = self.step(self.intern_comp(a), self.intern_input(
            AgentStart(recovered=recovered)), now)
        execs = []
        if recovered is not None:
            for rk, record in sorted(rec.checkpoints.items(), key=lambda kv: kv[0]):
                if rk[0] == "executor" and not getattr(record, "exited", False):
                    execs.append((record.container_id, rk[1], record.info.executor_id))
        r = self.restart_memo[key] = (new_lid, acts, tuple(execs))
        return r

    def start_agent(self, state: list[Any], net: list[tuple[int, int]], name: str,
                    keep: int | None) -> list[Any]:
        slot = self.slot_ids[name]
        lid, acts, execs = self.restart_local(state[COMPS][slot], keep, state[NOW])
        comps = list(state[COMPS])
        comps[slot] = lid
        state = list(state)
        state[COMPS] = tuple(comps)
        for act in acts:
            state = self.act(state, net, act)
        # checkpointed executors that are gone are reported by the containerizer
        for cid, fw, ex in execs:
            xs = self.slot_ids.get(f"executor({cid})@{name}")
            if xs is None or xs >= len(state[COMPS]) or state[COMPS][xs] < 0:
                self.enqueue(net, ENV, name, self.intern_input(ExecutorExited(
                    framework_id=fw, executor_id=ex, container_id=cid, status=9)))
        leader = state[ENVI][0]
        if leader >= 0:
            self.enqueue(net, ZK, name, self.intern_input(MasterDetected(
                pid=self.slots[leader])))
        return state

    # ------------------------------------------------------------------ network helpers
    def enqueue(self, net: list[tuple[int, int]], src: str, dst: str, mid: int) -> None:
        net.append((self.link(src, dst), mid))

    @staticmethod
    def pack(net: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
        return tuple(net)

    def cut(self, net: list[tuple[int, int]], a: str, b: str | None = None) -> None:
        """Lose the messages in flight between a and b (b None: to or from a)."""
        links = self.links
        keep = []
        for x in net:
            s, d = links[x[0]]
            if (s == a and (b is None or d == b)) or (d == a and (b is None or s == b)):
                continue
            keep.append(x)
        net[:] = keep

    def lossy(self, lk: int) -> bool:
        r = self.lossy_cache.get(lk)
        if r is None:
            src, dst = self.links[lk]
            r = self.lossy_cache[lk] = (src in self.masters and dst in self.agents) or \
                (src in self.agents and dst in self.masters)
        return r

    # ------------------------------------------------------------------ transitions
    def successors(self, st: tuple[Any, ...]) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """(label, next state) for every enabled transition; raises _Violation."""
        for desc, fn in self.enabled(st):
            yield self.label(desc), fn()

    def enabled(self, st: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], Any]]:
        """(description, thunk computing the next state) for every enabled transition."""
        out: list[tuple[tuple[Any, ...], Any]] = []
        drops, dups, delays, failovers, restarts = st[BUDGET]
        lossy = self.lossy
        net = st[NET]
        if net:
            out.append((("deliver", 0, net[0][0], net[0][1]),
                        lambda: self.deliver(st, 0, remove=True)))
        firsts: set[int] = set()
        for pos, (lk, mid) in enumerate(net):
            if lk in firsts:
                continue
            firsts.add(lk)
            if pos and delays:
                out.append((("delay+deliver", pos, lk, mid),
                            lambda pos=pos: self.deliver(st, pos, remove=True, delay=True)))
            if lossy(lk):
                if drops:
                    out.append((("drop", pos, lk, mid), lambda pos=pos: self.drop(st, pos)))
                if dups:
                    out.append((("duplicate+deliver", pos, lk, mid),
                                lambda pos=pos: self.deliver(st, pos, remove=False)))
        # timers: the earliest deadline(s) within the horizon
        best: float | None = None
        due: list[tuple[int, Any]] = []
        comps = st[COMPS]
        horizon = self.cfg.horizon
        tcache = self.timer_cache
        timers_now = not net or (delays and self.cfg.early_timers)
        for slot, lid in enumerate(comps):
            if lid < 0 or not timers_now:
                continue
            tc = tcache[lid]
            if tc is None or tc[0] > horizon:
                continue
            if best is None or tc[0] < best:
                best, due = tc[0], [(slot, k) for k in tc[1]]
            elif tc[0] == best:
                due.extend((slot, k) for k in tc[1])
        early = bool(net)  # a timer firing before the messages in flight: a delay
        for slot, key in due:
            assert best is not None
            out.append((("timer", slot, key, best),
                        lambda slot=slot, key=key, at=best: self.fire(st, slot, key, at, early)))
        # task processes exit
        for slot, lid in enumerate(comps):
            if lid >= 0:
                for tid in self.procs_cache[lid]:
                    out.append((("exit", slot, tid),
                                lambda slot=slot, tid=tid: self.proc_exit(st, slot, tid)))
        env = st[ENVI]
        if failovers and env[0] >= 0 and comps[env[0]] >= 0 and len(self.masters) > 1:
            for how in ("crash", "expire"):
                out.append((("failover", env[0], how),
                            lambda how=how: self.failover(st, how)))
        if restarts:
            for name in self.agents:
                lid = comps[self.slot_ids[name]]
                if lid < 0:
                    continue
                n = self.unsynced_cache[lid]
                for keep in range(n, -1, -1):
                    out.append((("restart", name, keep, n),
                                lambda name=name, keep=keep: self.agent_restart(st, name, keep)))
        return out

    def label(self, desc: tuple[Any, ...]) -> str:
        """The readable (and replayable) name of a transition."""
        kind = desc[0]
        if kind in ("deliver", "drop", "duplicate+deliver", "delay+deliver"):
            _, _pos, lk, mid = desc
            src, dst = self.links[lk]
            return f"{kind} {src} -> {dst}: {self.show(mid)}"
        if kind == "timer":
            _, slot, key, at = desc
            return f"timer {self.slots[slot]} {key!r} at {at:g}"
        if kind == "exit":
            return f"process of {desc[2]} exits on {self.slots[desc[1]]}"
        if kind == "failover":
            if desc[2] == "crash":
                return f"fault: leading master {self.slots[desc[1]]} crashes"
            return (f"fault: ZooKeeper session of leading master {self.slots[desc[1]]} "
                    "expires (it stays up, deposed, and is not told)")
        _, name, keep, n = desc
        return f"fault: agent {name} loses power (keeps {keep}/{n} unsynced writes) and restarts"

    def show(self, mid: int) -> str:
        inp = self.inputs[mid]
        if type(inp) is Received:
            m = inp.message
            return _brief(m)
        return _brief(inp)

    # ------------------------------------------------------------------ transition bodies
    def deliver(self, st: tuple[Any, ...], pos: int, *, remove: bool, delay: bool = False
                ) -> Any:
        net = st[NET]
        lk, mid = net[pos]
        budget = list(st[BUDGET])
        if not remove:
            budget[1] -= 1
        elif delay:
            budget[2] -= 1
        st2 = list(st)
        if remove:
            st2[NET] = net[:pos] + net[pos + 1:]
        st2[BUDGET] = tuple(budget)
        src, dst = self.links[lk]
        inp = self.inputs[mid]
        if dst == REGISTRY:
            return self.registry_write(tuple(st2), src, inp)
        if type(inp) is tuple and inp[0] == "gain":
            return self.gain(tuple(st2), dst)
        slot = self.slot_ids.get(dst)
        if slot is None or slot >= len(st2[COMPS]) or st2[COMPS][slot] < 0:
            return tuple(st2)
        return self.apply(tuple(st2), slot, mid, [])

    def drop(self, st: tuple[Any, ...], pos: int) -> Any:
        budget = list(st[BUDGET])
        budget[0] -= 1
        st2 = list(st)
        st2[NET] = st[NET][:pos] + st[NET][pos + 1:]
        st2[BUDGET] = tuple(budget)
        return tuple(st2)

    def fire(self, st: tuple[Any, ...], slot: int, key: Any, at: float, early: bool) -> Any:
        st2 = list(st)
        st2[NOW] = max(st[NOW], at)
        if early:
            budget = list(st[BUDGET])
            budget[2] -= 1
            st2[BUDGET] = tuple(budget)
        return self.apply(tuple(st2), slot, self.intern_input(TimerFired(key=key)), [])

    def proc_exit(self, st: tuple[Any, ...], slot: int, tid: str) -> Any:
        lid = st[COMPS][slot]
        key = (lid, tid)
        mid = self.exit_inputs.get(key)
        if mid is None:
            sig = self.comp(lid).procs[tid]
            mid = self.exit_inputs[key] = self.intern_input(TaskProcessExited(
                task_id=tid, exit_status=0 if sig is None else 128 + sig, signal=sig))
        return self.apply(st, slot, mid, [])

    def apply(self, st: tuple[Any, ...], slot: int, mid: int, _acts: list[Any]) -> Any:
        """Step component `slot` with input `mid` (memoised), then carry out its actions."""
        lid, acts = self.step(st[COMPS][slot], mid, st[NOW])
        comps = list(st[COMPS])
        comps[slot] = lid
        state = list(st)
        state[COMPS] = tuple(comps)
        if not acts:
            return tuple(state)
        net = list(state[NET])
        for a in acts:
            state = self.act(state, net, a)
        state[NET] = self.pack(net)
        return tuple(state)

    def act(self, state: list[Any], net: list[tuple[int, int]], a: tuple[Any, ...]
            ) -> list[Any]:
        kind = a[0]
        if kind == "msg":
            _, src, dst, mid = a
            if dst == REGISTRY or (dst in self.slot_ids
                                   and state[COMPS][self.slot_ids[dst]] >= 0):
                self.enqueue(net, src, dst, mid)
        elif kind == "call":
            _, request, mid = a
            env = state[ENVI]
            leader = env[0]
            if leader < 0 or state[COMPS][leader] < 0:
                self.enqueue(net, ENV, FW, self.intern_input(CallResponse(
                    request=request, status=503, message="no leading master")))
            else:
                m = self.slots[leader]
                state[ENVI] = env[:4] + (tuple(sorted(env[4] + ((request, m),))),) + env[5:]
                self.enqueue(net, FW, m, mid)
        elif kind == "respond":
            _, request, stream, mid = a
            env = state[ENVI]
            req = dict(env[4])
            m = req.pop(request, None)
            if m is None:
                return state
            streams = env[5]
            if stream is not None:
                streams = tuple(sorted(dict(streams, **{stream: m}).items()))
            state[ENVI] = env[:4] + (tuple(sorted(req.items())), streams)
            self.enqueue(net, m, FW, mid)
        elif kind == "stream":
            _, stream, mid = a
            m = dict(state[ENVI][5]).get(stream)
            if m is not None:
                self.enqueue(net, m, FW, mid)
        elif kind == "close":
            _, who, peer = a
            env = state[ENVI]
            streams = dict(env[5])
            m = streams.pop(peer, None)
            if m is not None:
                state[ENVI] = env[:5] + (tuple(sorted(streams.items())),)
                if who == FW:
                    self.enqueue(net, FW, m, self.intern_input(Disconnected(peer=peer)))
                else:
                    self.enqueue(net, m, FW, self.intern_input(Disconnected(peer=peer)))
            elif peer in self.slot_ids:
                self.break_link(state, net, who, peer)
        elif kind == "launch":
            _, agent, (name, lid, start) = a
            slot = self.slot(name)
            comps = list(state[COMPS])
            comps.extend([-1] * (len(self.slots) - len(comps)))
            comps[slot] = lid
            state[COMPS] = tuple(comps)
            self.enqueue(net, ENV, name, start)
        elif kind == "kill":
            _, agent, cid, alive_resubscribed = a
            if alive_resubscribed:
                raise _Violation("RecoveryKeepsTasks",
                                 f"agent {agent} killed live container {cid} on recovery")
            name = f"executor({cid})@{agent}"
            xslot = self.slot_ids.get(name)
            if xslot is not None and xslot < len(state[COMPS]) and state[COMPS][xslot] >= 0:
                x = self.comp(state[COMPS][xslot])
                state = self.kill_component(state, net, name)
                self.enqueue(net, ENV, agent, self.intern_input(ExecutorExited(
                    framework_id=x.framework_id, executor_id=x.machine.executor_id,
                    container_id=cid, status=-9)))
        elif kind == "exit":
            _, name, mid = a
            x_agent = name.rsplit("@", 2)
            agent = "@".join(x_agent[1:])
            state = self.kill_component(state, net, name)
            self.enqueue(net, ENV, agent, mid)
        elif kind == "stop":
            state = self.kill_component(state, net, a[1])
        elif kind == "abdicate":
            state = self.master_down(state, net, a[1])
        elif kind == "violation":
            _first([a[1]])
        elif kind in ("produced", "seen", "acked", "started", "restarted"):
            state[GHOST] = self.ghost(state, kind, a)
        return state

    def break_link(self, state: list[Any], net: list[tuple[int, int]], a: str, b: str
                   ) -> None:
        self.cut(net, a, b)
        for me, other in ((a, b), (b, a)):
            slot = self.slot_ids.get(me)
            if slot is None or state[COMPS][slot] < 0:
                continue
            if me.startswith("slave(") and other.startswith("executor("):
                continue  # the agent learns of executor exits from ExecutorExited
            self.enqueue(net, ENV, me, self.intern_input(Disconnected(peer=other)))

    def kill_component(self, state: list[Any], net: list[tuple[int, int]], name: str
                       ) -> list[Any]:
        slot = self.slot_ids[name]
        self.cut(net, name)
        comps = list(state[COMPS])
        comps[slot] = -1
        state[COMPS] = tuple(comps)
        return state

    # ------------------------------------------------------------------ environment
    def gain(self, st: tuple[Any, ...], name: str) -> Any:
        env = st[ENVI]
        slot = self.slot_ids[name]
        if env[0] != slot or st[COMPS][slot] < 0:
            return st
        reg = self.registries[env[1]]
        reg = attrs.evolve(reg, version=reg.version + 1)  # recovery fences older leaders
        seen = list(env[3])
        seen[self.masters.index(name)] = reg.version
        state = list(st)
        state[ENVI] = (env[0], self.intern_registry(reg), slot, tuple(seen), env[4], env[5])
        return self.apply(tuple(state), slot, self.intern_input(LeadershipGained(registry=reg)),
                          [])

    def registry_write(self, st: tuple[Any, ...], master: str, e: RegistryWrite) -> Any:
        env = st[ENVI]
        slot = self.slot_ids[master]
        if st[COMPS][slot] < 0:
            return st
        mi = self.masters.index(master)
        new = registry_mod.apply(self.registries[env[1]], e.op, env[3][mi])
        state = list(st)
        if new is None:
            return self.apply(st, slot, self.intern_input(
                RegistryResult(op_id=e.op_id, ok=False, message="fenced")), [])
        if env[2] != slot:
            raise _Violation("OneLeaderWrites",
                             f"registry write by deposed master {master} committed")
        seen = list(env[3])
        seen[mi] = new.version
        state[ENVI] = (env[0], self.intern_registry(new), env[2], tuple(seen), env[4], env[5])
        return self.apply(tuple(state), slot, self.intern_input(
            RegistryResult(op_id=e.op_id, ok=True)), [])

    def master_down(self, state: list[Any], net: list[tuple[int, int]], name: str
                    ) -> list[Any]:
        env = state[ENVI]
        streams = dict(env[5])
        for s, m in sorted(streams.items()):
            if m == name:
                del streams[s]
                self.enqueue(net, ENV, FW, self.intern_input(Disconnected(peer=s)))
        req = dict(env[4])
        for r, m in sorted(req.items()):
            if m == name:
                del req[r]
                self.enqueue(net, ENV, FW, self.intern_input(CallResponse(
                    request=r, status=503, message="master crashed")))
        state = self.kill_component(state, net, name)
        for a in self.agents:
            if state[COMPS][self.slot_ids[a]] >= 0:
                self.enqueue(net, ENV, a, self.intern_input(Disconnected(peer=name)))
        leader = env[0]
        if self.slot_ids[name] == leader:
            leader = -1
            for m in self.masters:
                if state[COMPS][self.slot_ids[m]] >= 0:
                    leader = self.slot_ids[m]
                    break
        state[ENVI] = (leader, env[1], env[2], env[3], tuple(sorted(req.items())),
                       tuple(sorted(streams.items())))
        if leader >= 0 and leader != env[0]:
            new = self.slots[leader]
            self.enqueue(net, ZK, new, self.intern_input(("gain",)))
            for a in self.agents:
                if state[COMPS][self.slot_ids[a]] >= 0:
                    self.enqueue(net, ZK, a, self.intern_input(MasterDetected(pid=new)))
        return state

    def failover(self, st: tuple[Any, ...], how: str) -> Any:
        state = list(st)
        b = list(st[BUDGET])
        b[3] -= 1
        state[BUDGET] = tuple(b)
        net = list(st[NET])
        old = self.slots[st[ENVI][0]]
        if how == "crash":
            state = self.master_down(state, net, old)
        else:
            # ZooKeeper elects another master; the old one keeps running, believing it
            # leads, until a registry write of it is refused (fencing)
            env = state[ENVI]
            new = next((m for m in self.masters if m != old
                        and state[COMPS][self.slot_ids[m]] >= 0), None)
            if new is None:
                return st
            state[ENVI] = (self.slot_ids[new],) + env[1:]
            self.enqueue(net, ZK, new, self.intern_input(("gain",)))
            for a in self.agents:
                if state[COMPS][self.slot_ids[a]] >= 0:
                    self.enqueue(net, ZK, a, self.intern_input(MasterDetected(pid=new)))
        state[NET] = self.pack(net)
        return tuple(state)

    def agent_restart(self, st: tuple[Any, ...], name: str, keep: int) -> Any:
        state = list(st)
        b = list(st[BUDGET])
        b[4] -= 1
        state[BUDGET] = tuple(b)
        net = list(st[NET])
        # connections break: the master and the executors see the agent go
        self.cut(net, name)
        comps = st[COMPS]
        for m in self.masters:
            if comps[self.slot_ids[m]] >= 0:
                self.enqueue(net, ENV, m, self.intern_input(Disconnected(peer=name)))
        for x in self.slots:
            if x.startswith("executor(") and x.endswith("@" + name) and \
                    self.slot_ids[x] < len(comps) and comps[self.slot_ids[x]] >= 0:
                self.enqueue(net, ENV, x, self.intern_input(Disconnected(peer=name)))
        state[GHOST] = self.ghost(state, "restarted", ("restarted",))
        state = self.start_agent(state, net, name, keep)
        state[NET] = self.pack(net)
        return tuple(state)

    # ------------------------------------------------------------------ ghost + invariants
    def ghost(self, state: list[Any], kind: str, a: tuple[Any, ...]) -> tuple[Any, ...]:
        launches, produced, seen, acked, abandoned = state[GHOST]
        if kind == "started":
            key, agent = a[1], a[2]
            d = dict(launches)
            agents = d.get(key, ()) + (agent,)
            d[key] = agents
            if self.cfg.check:
                _first(inv.SingleLaunch(ClusterSnapshot(launches={key: agents})))
            return (tuple(sorted(d.items())), produced, seen, acked, abandoned)
        if kind == "produced":
            _, key, uuid, state_name, producer, how = a
            d = dict(produced)
            prev = d.get(key, ())
            if any(x[0] == uuid for x in prev):
                return state[GHOST]
            now = prev + ((uuid, state_name, producer, how),)
            d[key] = now
            if self.cfg.check:
                tr = [(TaskState.TASK_STAGING, "agent")]
                for _u, s, p, _h in now:
                    ts = TaskState[s]
                    last = tr[-1][0]
                    if ts is not last and not (last.is_terminal and ts.is_terminal):
                        tr.append((ts, p))
                _first(inv.LegalTaskTransitions(ClusterSnapshot(transitions={key: tuple(tr)})))
            return (launches, tuple(sorted(d.items())), seen, acked, abandoned)
        if kind == "seen":
            _, key, uuid, state_name = a
            d = dict(seen)
            prev = d.get(key, ())
            if self.cfg.check:
                # the ghost keeps uuids only; the earlier ones were checked when seen, this
                # one (a repeat included) is checked with the state it carries
                prod = tuple((x[0], TaskState[x[1]]) for x in dict(produced).get(key, ()))
                had = dict(prod)
                _first(inv.UpdatesInOrder(ClusterSnapshot(
                    seen={key: tuple((u, had.get(u, TaskState.TASK_STAGING)) for u in prev)
                          + ((uuid, TaskState[state_name]),)},
                    produced={key: prod})))
            if uuid in prev:
                return state[GHOST]
            d[key] = prev + (uuid,)
            return (launches, produced, tuple(sorted(d.items())), acked, abandoned)
        if kind == "restarted":
            # updates an agent held in memory only (never checkpointed) may be lost with
            # it (Mesos does too): their tasks leave NoLostAckedWork, as in the checker
            gone = set()
            kept = []
            for key, prod in produced:
                lost = [x for x in prod
                        if x[3] == "send" and (key[0], key[1], x[0]) not in acked]
                if lost:
                    gone.add(key)
                    prod = tuple(x for x in prod if x not in lost)
                kept.append((key, prod))
            # (and they leave the produced stream: they never existed durably)
            return (launches, tuple(kept), seen, acked, abandoned | gone)
        _, key, uuid = a
        return (launches, produced, seen, acked | {(key[0], key[1], uuid)}, abandoned)

    def check_state(self, st: tuple[Any, ...]) -> None:
        """The invariants that depend on the whole state (ledger, held updates)."""
        env = st[ENVI]
        leader = env[0]
        if leader >= 0 and env[2] == leader:
            lid = st[COMPS][leader]
            if lid >= 0:
                ok = self.ledger_ok.get(lid)
                if ok is None:
                    m = self.comp(lid).machine
                    ledgers = tuple(m.agent_ledgers())
                    stale: dict[str, list[Any]] = {}
                    for oid, o in m._offers.items():
                        if o.agent_id not in m._agents:
                            stale.setdefault(o.agent_id, []).append(
                                (oid, o.framework_id, o.resources))
                    ledgers += tuple(AgentLedger(agent_id=aid, total=Resources(),
                                                 offered=tuple(v))
                                     for aid, v in sorted(stale.items()))
                    out = inv.NoOvercommit(ClusterSnapshot(agents=ledgers)) + \
                        inv.OfferExclusive(ClusterSnapshot(agents=ledgers))
                    self.ledger_ok[lid] = not out
                    _first(out)
        produced = st[GHOST][1]
        if not produced:
            return
        acked = st[GHOST][3]
        abandoned = st[GHOST][4]
        pending: dict[tuple[str, str], frozenset[bytes]] = {}
        for name in self.agents:
            lid = st[COMPS][self.slot_ids[name]]
            if lid >= 0:
                for k, v in self.held(lid).items():
                    pending[k] = pending.get(k, frozenset()) | v
        for key, prod in produced:
            if key in abandoned or any(x[1] in _TERMINAL and (key[0], key[1], x[0]) in acked
                                       for x in prod):
                continue  # the stream closed with its terminal update acknowledged
            held = pending.get(key, frozenset())
            for u, s, _p, _h in prod:
                if (key[0], key[1], u) not in acked and u not in held:
                    raise _Violation("NoLostAckedWork",
                                     f"task {key[1]} update {s} {u.hex()[:8]} neither "
                                     "acked nor held by an agent")

    def held(self, lid: int) -> dict[tuple[str, str], frozenset[bytes]]:
        h = self.pending_cache.get(lid)
        if h is None:
            c = self.comp(lid)
            h = {}
            if c.machine is not None:
                for key, stream in c.machine.sum.streams.items():
                    h[key] = frozenset(u.uuid for u in stream.pending)
            self.pending_cache[lid] = h
        return h

    # ------------------------------------------------------------------ search
    def describe_key(self, lid: int) -> Any:
        """A local state as the machines' describe() (plus the shell state) shows it."""
        return self.describe_key_of(self.comp(lid))

    @staticmethod
    def describe_key_of(c: Comp) -> Any:
        m = c.machine
        disk = None
        if c.disk is not None:
            disk = (repr(sorted(c.disk.checkpoints.items(), key=repr)),
                    repr(sorted(c.disk.logs.items(), key=repr)), len(c.disk.unsynced))
        app = (c.app.left, c.app.next, c.app.suppressed) if c.app is not None else None
        return (c.kind, c.name, m.describe() if m is not None else None,
                tuple(sorted((repr(k), v) for k, v in c.timers.items())), disk,
                tuple(sorted(c.procs.items())), app, c.detected, c.recovering,
                tuple(sorted(c.resubscribed)), c.inc)

    def count_by_describe(self, states: Any) -> int:
        """How many of `states` remain distinct when local states are compared by
        describe() instead of by their bytes (a coarser, not necessarily sound, view)."""
        cls: dict[Any, int] = {}
        of: list[int] = []
        for lid in range(len(self.blobs)):
            of.append(cls.setdefault(self.describe_key(lid), len(cls)))
        seen = set()
        for st in states:
            seen.add((tuple(of[i] if i >= 0 else -1 for i in st[COMPS]), *st[1:]))
        return len(seen)

    def explore(self, *, progress: Callable[[int, int, float], None] | None = None,
                count_describe: bool = False) -> ExploreResult:
        cfg = self.cfg
        res = ExploreResult(config=cfg)
        t0 = time.perf_counter()
        try:
            init = self.initial()
            if cfg.check:
                self.check_state(init)
        except _Violation as v:
            res.violation = Counterexample(v.name, v.message, [])
            res.seconds = time.perf_counter() - t0
            return res
        parent: dict[tuple[Any, ...], tuple[tuple[Any, ...] | None, Any]] = {init: (None, ())}
        frontier = [init]
        depth = 0
        transitions = 0
        per_depth = [1]
        while frontier:
            if cfg.max_depth is not None and depth >= cfg.max_depth:
                res.complete = False
                break
            nxt: list[tuple[Any, ...]] = []
            for st in frontier:
                for desc, fn in self.enabled(st):
                    transitions += 1
                    try:
                        s2 = fn()
                        if s2 in parent:
                            continue
                        parent[s2] = (st, desc)
                        if cfg.check:
                            self.check_state(s2)
                    except _Violation as v:
                        res.violation = Counterexample(
                            v.name, v.message, self.path(parent, st) + [self.label(desc)])
                        break
                    nxt.append(s2)
                if res.violation is not None:
                    break
                if cfg.max_states is not None and len(parent) >= cfg.max_states:
                    res.complete = False
                    break
            if res.violation is not None:
                break
            if nxt:
                depth += 1
                per_depth.append(len(nxt))
            frontier = nxt
            if progress is not None:
                progress(depth, len(parent), time.perf_counter() - t0)
            if not res.complete:
                break
        res.states = len(parent)
        if count_describe:
            res.describe_states = self.count_by_describe(parent)
        res.transitions = transitions
        res.depth = depth if res.violation is None else len(res.violation.labels)
        res.per_depth = per_depth
        res.local_states = len(self.blobs)
        res.machine_steps = self.steps
        res.seconds = time.perf_counter() - t0
        return res

    def path(self, parent: dict[Any, Any], st: Any) -> list[str]:
        labels = []
        while True:
            prev, desc = parent[st]
            if prev is None:
                break
            labels.append(self.label(desc))
            st = prev
        return labels[::-1]


_TERMINAL = frozenset(s.name for s in TaskState if s.is_terminal)
_ATOMS = (str, bytes, type(None))
_TAGGED = (int, float, bool, complex)


def canonical(obj: Any) -> Any:
    """A hashable canonical form of `obj`, following what pickle saves of it
    (`__reduce_ex__`): two objects get the same form iff pickle would save the same
    thing up to the iteration order of sets and frozensets (sorted here) and object
    identity (shared references are expanded). Numbers keep their type (1, 1.0 and True
    stay apart); dicts keep their insertion order (code may iterate over it)."""
    memo: dict[int, tuple[Any, Any]] = {}
    active: set[int] = set()

    def walk(o: Any) -> Any:
        t = type(o)
        if t in _ATOMS:
            return o
        if t in _TAGGED:
            return (t.__name__, o)
        oid = id(o)
        hit = memo.get(oid)
        if hit is not None:
            return hit[1]
        if oid in active:
            return ("cycle",)
        active.add(oid)
        r: Any
        try:
            if t is tuple or t is list:
                r = (t.__name__, tuple(walk(x) for x in o))
            elif t is dict:
                r = ("dict", tuple((walk(k), walk(v)) for k, v in o.items()))
            elif t is set or t is frozenset:
                r = (t.__name__, tuple(sorted((walk(x) for x in o), key=repr)))
            elif isinstance(o, type) or callable(o) and hasattr(o, "__qualname__"):
                r = ("global", getattr(o, "__module__", None), o.__qualname__)
            else:
                red = o.__reduce_ex__(5)
                if isinstance(red, str):
                    r = ("global", t.__module__, red)
                else:
                    r = (t.__module__, t.__qualname__,
                         *(walk(x) if not isinstance(x, Iterator) else walk(list(x))
                           for x in red[1:]))
        finally:
            active.discard(oid)
        memo[oid] = (o, r)  # holding `o` keeps its id from being reused during the walk
        return r

    return walk(obj)


def _brief(m: Any) -> str:
    name = type(m).__name__
    for attr in ("task_id", "uuid", "state", "status", "call", "pid", "peer", "key", "op"):
        v = getattr(m, attr, None)
        if v is None:
            continue
        if attr == "uuid" and isinstance(v, bytes):
            v = v.hex()[:8]
        elif attr == "status" and hasattr(v, "state"):
            v = f"{v.task_id} {v.state.name}" + (f" {v.uuid.hex()[:8]}" if v.uuid else "")
        elif attr == "call" or attr == "op":
            v = type(v).__name__
        return f"{name}({attr}={v})"
    return name


def explore(config: ExploreConfig = CI_CONFIG, **kw: Any) -> ExploreResult:
    return Explorer(config).explore(**kw)


def replay(config: ExploreConfig, labels: list[str]) -> tuple[str, str] | None:
    """Re-execute a counterexample from the initial state, choosing at each step the
    transition with that label; returns the violation (name, message) it ends in, or None.
    Raises ValueError when a label is not enabled (the trace does not replay)."""
    ex = Explorer(config)
    try:
        st = ex.initial()
        ex.check_state(st)
        for i, label in enumerate(labels):
            for desc, fn in ex.enabled(st):
                if ex.label(desc) == label:
                    st = fn()
                    ex.check_state(st)
                    break
            else:
                raise ValueError(f"step {i + 1}: {label!r} is not enabled")
    except _Violation as v:
        return v.name, v.message
    return None
