"""The virtual world: clock, event heap, network, ZooKeeper, registry, disks, processes.

One `World` drives the REAL machines (core/master/machine.py, core/agent/machine.py, core/executor.py,
core/scheduler.py) and interprets their effects exactly as io/ does, in list order, keeping
the ordering rules of core/effects.py. Everything that happens is an entry of one heap
ordered by (virtual time, sequence number): ties break by insertion order, so a run is a
pure function of the seed and the configuration.

An *event* (what `events` counts and what events/s measures) is one input handed to a
machine or to the world itself: a delivered message, a fired timer, an HTTP response, a
process exit, a ZooKeeper notification, a registry result, an application timer, or a
fault. Messages that the network drops and timers that were cancelled are not events.
"""

from __future__ import annotations

import heapq
import random
import re
import zlib
from math import log as _log
from typing import Any

import attrs
from mesotron.core import registry as registry_mod
from mesotron.core.agent.base import GC_TIMER
from mesotron.core.agent.isolation import container_limits, task_limits
from mesotron.core.agent.machine import Agent
from mesotron.core.agent.model import (
    AgentConfig,
    ContainerLimitation,
    DialFailed,
    DialMaster,
    ExecutorExited,
    ExecutorStarted,
    GarbageCollect,
    KillExecutor,
    LaunchExecutor,
    MasterAddress,
    MasterDetected,
    NoMasterDetected,
    StopAgent,
    UpdateContainer,
)
from mesotron.core.agent.model import Shutdown as AgentShutdown
from mesotron.core.agent.model import Start as AgentStart
from mesotron.core.allocator.values import AllocatorConfig
from mesotron.core.effects import (
    CancelTimer,
    Close,
    Disconnected,
    Log,
    Persist,
    Received,
    RegistryResult,
    RegistryWrite,
    Reject,
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
from mesotron.core.health import RunHealthCheck
from mesotron.core.ids import IdSource
from mesotron.core.master.base import Abdicate, LeadershipGained, MasterConfig
from mesotron.core.master.machine import Master
from mesotron.core.messages import (
    CallAcknowledge,
    CallSubscribe,
    CallTeardown,
    EventError,
    EventOffers,
    EventRescind,
    EventSubscribed,
    EventUpdate,
    ExecutorAcknowledged,
    ExecutorFrameworkMessage,
    ExecutorLaunch,
    ExecutorLaunchGroup,
    ExecutorMessage,
    ExecutorShutdown,
    ExecutorSubscribe,
    ExecutorSubscribed,
    ExecutorUpdate,
    RegisterAgent,
    SchedulerCall,
    StatusUpdate,
    StatusUpdateMessage,
    UnregisterAgent,
)
from mesotron.core.registry import RegistryState
from mesotron.core.resources import Reservation, Resources
from mesotron.core.scheduler import (
    CallResponse,
    Notify,
    Perform,
    SchedulerConfig,
    SchedulerDriver,
    Stopped,
)
from mesotron.core.scheduler import Start as SchedulerStart
from mesotron.core.scheduler import Stop as SchedulerStop
from mesotron.core.sim import (
    checks_drivem,  # s18 drivem
    checks_driveo,  # s18 driveo
    checks_killm,  # s17 killm
    checks_kmast3,  # s19 kmast3
    checks_kobs,  # s16 kobs
)
from mesotron.core.sim.cgroups import Cgroups  # s14 kagent
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.disk import Disk
from mesotron.core.sim.frameworks import (  # s16 kdrive: CUSTOM_EXECUTOR_PROGRAM
    CUSTOM_EXECUTOR_PROGRAM,
    DENIED_USER,  # s18 drivem
    MISUSE_FAILOVER_TIMEOUT,  # s18 drivem
    App,
    make_app,
)
from mesotron.core.sim.health import HEALTH_CHECK, HealthOutcomes
from mesotron.core.sim.zk import ZooKeeper
from mesotron.core.values import (
    AgentInfo,
    Attribute,
    AttributeConstraint,
    Capability,
    CommandInfo,
    FrameworkInfo,
    MasterInfo,
    Source,
    TaskState,
    TaskStatus,
)

# wedged executors (see ExecutorNode.wedged): crc32(container id) % 24 -> how
_WEDGED = {0: "unregistered", 1: "deaf"}

# the simulated agents' --work_dir (sandboxes; AgentViewsAgree checks /state's directories)
SIM_WORK_DIR = "/var/lib/mesos/"
# their --gc_delay (Mesos: 1 week): short enough that removed executors' sandboxes are
# collected within a run (SandboxesCollected)
SIM_GC_DELAY = 120.0

# role weights of the simulated cluster (roles: core/sim/frameworks.py ROLES)
SIM_WEIGHTS = (("web", 2.0), ("chaos", 0.5))

# seconds within which an agent the operator shut down has stopped: the executors'
# shutdown grace period (5 s) + their kill + slack (AgentShutdownCompletes)
SHUTDOWN_WITHIN = 30.0

# what an agent sends an executor to launch tasks (ExecutorNode.drops_launch)
_LAUNCHES = (ExecutorLaunch, ExecutorLaunchGroup)

# heap entry kinds
MSG, TIMER, CALL, FN = 0, 1, 2, 3
INF = float("inf")
ZK_HOST = "zk"
_SLEEP = re.compile(r"sleep ([0-9.]+) && exit ([0-9]+)")


class Node:
    __slots__ = ("alive", "host", "inc", "kind", "machine", "name", "peers", "tcar", "tdue",
                 "timers")

    def __init__(self, name: str, host: str, kind: str) -> None:
        self.name = name
        self.host = host
        self.kind = kind
        self.alive = False
        self.inc = 0  # incarnation: bumps on every crash/restart
        self.reset_timers()
        self.peers: set[str] = set()
        self.machine: Any = None

    def reset_timers(self) -> None:
        """No timer set (a new incarnation; see World.timer for the three books)."""
        self.timers: dict[Any, int] = {}  # key -> generation of the timer set
        self.tdue: dict[Any, float] = {}  # key -> when that generation fires
        self.tcar: dict[Any, tuple[int, float, int]] = {}  # key -> its carrier (World.timer)


# seconds after an acknowledged drain (in a calm window) by which the agent's tasks have
# ended: kill grace (at most 3 s here) + executor shutdown grace (5 s) + slack
DRAIN_WITHIN = 20.0


class MasterNode(Node):
    __slots__ = ("contending", "index", "info", "leader", "seen_version", "session")
    index: int
    info: Any
    session: int
    leader: bool
    seen_version: int
    contending: bool


class AgentNode(Node):
    __slots__ = (
        "agent_id",
        "boot",
        "booted",
        "detected",
        "disk",
        "index",
        "linked",
        "mode",
        "recovering",
        "resources",
        "resubscribed",
        "shutdown_from",
        "started_at",
    )
    index: int
    disk: Disk
    # the agent's state when the operator last told it to shut down (decommission_agent),
    # None when it was not told since its last start
    shutdown_from: str | None
    # the host's boot count (its boot id is `<name>/boot<n>`: a power loss that reboots the
    # host bumps it) and the boot count the agent last started with
    boot: int
    booted: int
    started_at: float  # virtual time of its last start
    resources: str  # its --resources (the operator may change them: operator_host_tick)
    detected: str | None
    linked: str | None  # the master its last successful dial linked it to (None: no link)
    recovering: bool
    resubscribed: set[str]
    mode: str
    agent_id: str | None


def custom_launch(inp: Received) -> Received:
    """What the custom executor program makes of a launch: the task's command from its data."""
    task = inp.message.task
    cmd = CommandInfo(value=task.data.decode(errors="replace"))
    return attrs.evolve(inp, message=ExecutorLaunch(task=attrs.evolve(task, command=cmd)))


class ExecutorNode(Node):
    __slots__ = ("agent", "agent_inc", "container", "custom", "died_at", "drops_launch",
                 "framework_id", "killed_at", "launched_at", "oom_armed", "resources",
                 "shutdown_at", "shutdown_inc", "subscribed", "task_proc", "wedged")
    agent: AgentNode
    container: str
    framework_id: str
    task_proc: Any  # task id -> its running process token (many tasks per executor)
    died_at: float | None  # virtual time its process exited (None: alive or never started)
    resources: Any  # the container's resources, as the agent last told the shell
    launched_at: float  # virtual time the agent launched it
    shutdown_at: float | None  # when the agent last sent it ExecutorShutdown
    # the agent incarnation (AgentNode.inc) that first sent it ExecutorShutdown (None: never)
    shutdown_inc: int | None
    # a wedged process (with crash faults, ~1 in 12 executors, chosen by a hash of the
    # container id so the world's RNG stream is untouched): "unregistered" never
    # subscribes; "deaf" never hears ExecutorShutdown (only the agent's SIGKILL after the
    # shutdown grace period ends it); "" a normal executor
    wedged: str
    oom_armed: bool  # its whole-container memory limitation is scheduled (memory_hog)
    # ExecutorReasonsTruthful: the agent incarnation that launched it, whether an agent ever
    # answered its SUBSCRIBE (ExecutorSubscribed), when an agent first SIGKILLed it
    agent_inc: int
    subscribed: bool
    killed_at: float | None
    # its connection to the agent breaks right after the agent sends it its first launch
    # (the launch is lost with it): World.link_breaks, 1 executor in 24 by a hash
    drops_launch: bool
    # s16 kdrive: the simulated custom executor program (CUSTOM_EXECUTOR_PROGRAM): it runs
    # the command each task carries in TaskInfo.data
    custom: bool


class SchedulerNode(Node):
    __slots__ = ("app", "framework_id", "index", "streams")
    app: App
    streams: set[str]
    framework_id: str | None
    index: int


def _carries(node: Node, e: tuple) -> bool:
    """Whether heap entry `e` (a TIMER) is the carrier of its node's timer (World.timer)."""
    car = node.tcar.get(e[4])
    return car is not None and car[0] == e[5] and car[2] == e[6]


class World:
    """See the module docstring. `observer` (a Checker) is told what happens."""

    def __init__(self, config: SimConfig, observer: Any = None) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.now = 0.0
        self.heap: list[tuple] = []
        self.seq = 0
        self.timers_set = 0  # every 2048 timers the heap drops its dead timer entries
        self.events = 0
        self.counts: dict[str, int] = {}
        self.obs = observer
        self.health: HealthOutcomes | None = None  # made at the first health check (opt-in)
        self.nodes: dict[str, Node] = {}
        self.masters: list[MasterNode] = []
        self.agents: list[AgentNode] = []
        self.schedulers: list[SchedulerNode] = []
        self.executors: dict[str, ExecutorNode] = {}  # container id -> node
        self.streams: dict[str, tuple[str, str]] = {}  # stream id -> (scheduler, master)
        self.requests: dict[str, tuple[str, str]] = {}  # request -> (scheduler, master)
        self.link_epoch: dict[tuple[str, str], int] = {}
        self.link_last: dict[tuple[str, str], float] = {}
        self.blocked: set[tuple[str, str]] = set()  # directed host pairs
        self.drop_p = 0.0
        self.dup_p = 0.0
        self.reorder_p = 0.0
        self.zk = ZooKeeper(session_timeout=10.0)
        self.leader: MasterNode | None = None  # the ZooKeeper leader
        self.leader_session: int | None = None  # its session (a restarted master has a new one)
        self.registry = RegistryState()
        self.registry_holder: str | None = None  # master id holding the latest fence
        self.timeline: list[tuple[float, str]] | None = (
            [] if config.timeline or config.record else None)
        # structured records for plots (core/sim/record.py); None unless config.record
        self.record: list[dict[str, Any]] | None = [] if config.record else None
        self.rec_last_shares: Any = None
        # role weights (DrfOrder is checked weighted) and the allocator's explain mode (every
        # allocation decision is recorded for DrfOrder)
        self.master_config = MasterConfig(offer_timeout=60.0, allocator=AllocatorConfig(
            weights=SIM_WEIGHTS, explain=config.check and not config.fast_alloc),
            acls=sim_acls(config) if config.operator else None,
            # s14 kops: the operator's cluster also runs with Mesos's --roles whitelist (every
            # role the simulated frameworks and the operator use; its invalid calls include a
            # weight for a role outside it)
            roles=SIM_ROLES if config.operator else None)
        # the operator's --whitelist file (None: no whitelist), as every master reads it
        self.whitelist: frozenset[str] | None = None
        if config.operator:
            # the operator's cluster runs with Mesos's --agent_removal_rate_limit (its
            # maintenance stops agents for longer than the health checks: maintenance_tick)
            # and a --whitelist that leaves the last agent's host out at first (whitelist_tick)
            self.whitelist = frozenset(f"agent{i + 1}" for i in range(config.agents - 1))
            self.master_config = attrs.evolve(self.master_config,
                                              agent_removal_rate_limit=REMOVAL_RATE_LIMIT,
                                              whitelist=self.whitelist)
        if config.registry_gc is not None:  # s14 kmaster: --registry_gc_interval, _max_agent_age
            self.master_config = attrs.evolve(self.master_config,
                                              registry_gc_interval=config.registry_gc[0],
                                              registry_max_agent_age=config.registry_gc[1])
        # the production fast path, each cycle judged against the reference (fastpath.py)
        self.allocator_factory: Any = None
        if config.check and config.fast_alloc:
            from mesotron.core.sim.fastpath import judged_factory

            self.allocator_factory = judged_factory(self.master_config.allocator)
        if observer is not None:
            observer.weights = dict(SIM_WEIGHTS)
        self.quiescent = False
        self.tracer: Any = None
        if config.trace:
            from mesotron.core.sim.trace import Tracer

            self.tracer = Tracer()
        self.power_armed: dict[str, float] = {}  # agent -> downtime: lose power at a bad time
        # containers whose processes died in a host reboot (reboot_host): never signalled
        self.reboot_lost: set[str] = set()
        # (agent, its pending collection's checkpoint key) -> when the agent persisted it
        self.gc_at: dict[tuple[str, tuple], float] = {}
        # the isolator's nested containers: container id -> command task id -> resources
        self.nested: dict[str, dict[str, Resources]] = {}
        # s14 kagent: the cgroup files the hosts' isolators write (core/sim/cgroups.py)
        self.cgroups = Cgroups()
        # s13 magent: containers of the adversarial framework's executors whose first
        # subscription was followed by a ghost update (ghost_update)
        self.ghost_probed: set[str] = set()
        self.probing: str | None = None  # the executor ghost_update speaks for, meanwhile
        # some executors' connections break right after a launch (ExecutorNode.drops_launch):
        # from an ("executor-link-breaks",) fault on (generated with net faults, at time 0)
        self.link_breaks = False
        # tasks and executors outgrow their memory (memory_hog): from a ("memory-hogs",)
        # fault on (generated with crash faults, at time 0)
        self.hogs = False
        self.injector: Any = None
        # the agents' --resources; in the operator run (s12) each also advertises a set
        # resource (its zones), which no framework asks for: offered and given back whole
        self.agent_resources = config.agent_resources + (
            ";zones:{east,west}" if config.operator else "")
        self.build()
        if self.timeline is not None:
            self.at(60.0, FN, self.shares_tick, ())
        if self.record is not None:
            self.at(1.0, FN, self.rec_tick, ())
        self.operator_calls = 0
        self.quota_limit = 2.0
        # the operator's agent calls (SimConfig.operator, operator_agent_call): request ->
        # (call kind, agent id) awaiting an answer; agent id -> (kind, time of the 200) for
        # agents whose DEACTIVATE/DRAIN the leader acknowledged and that no REACTIVATE was
        # sent for since (NoOffersOfDeactivatedAgents, DrainEmptiesAgent read it); agents
        # touched by a call whose outcome is not settled (reactivated at quiescence)
        self.op_requests: dict[str, tuple[str, str]] = {}
        self.op_out: dict[str, tuple[str, float]] = {}
        self.op_touched: set[str] = set()
        # s14 kops: drains sent, and per agent whether its last DRAIN_AGENT asked mark_gone
        # (every other drain, the first included: the agent is marked gone once drained)
        self.op_drains = 0
        self.op_mark_gone: dict[str, bool] = {}
        self.invalid_calls = 0  # invalid operator calls sent (InvalidOperatorCallsRefused)
        self.op_pending: tuple[str, str] = ("", "")
        # OperatorViewsAgree: the max_grace_period of the operator's last DRAIN_AGENT per
        # agent; per setting it wrote (("weight", role), ("quota", role)) its calls in order
        # as [value, answer status or None], and request -> (setting, index) awaiting an answer
        self.op_grace: dict[str, float | None] = {}
        self.op_writes: dict[tuple[str, str], list[list[Any]]] = {}
        self.op_settings: dict[str, tuple[tuple[str, str], int]] = {}
        self.op_torn_down: set[str] = set()  # framework ids whose TEARDOWN was answered 200
        self.op_ticks = 0  # operator_tick's calls so far
        self.quiescent_since: float | None = None
        self.forged = 0  # forge_agent_messages calls (picks the refused version in turn)
        # planned maintenance of agent machines (SimConfig.operator, maintenance_tick)
        self.maint_count = 0
        self.maint_busy_until = 0.0
        self.maint_calm_since: float | None = None
        if config.operator:
            self.at(self.rng.uniform(5.0, 20.0), CALL, self.operator_tick, ())
            self.at(self.rng.uniform(10.0, 30.0), CALL, self.operator_agent_tick, ())
            self.at(self.rng.uniform(20.0, 40.0), CALL, self.maintenance_tick, ())
            self.at(self.rng.uniform(30.0, 60.0), CALL, self.whitelist_tick, ())
            if config.agent_calls:  # s18 driveo
                checks_driveo.start(self)  # s18 driveo
            # host maintenance draws from its own stream: the world's choices stay the same
            self.host_rng = random.Random(f"hosts/{config.seed}")
            self.at(self.host_rng.uniform(20.0, 50.0), CALL, self.operator_host_tick, ())
            # s13 mops: the operator's own reservations (RESERVE/UNRESERVE_RESOURCES), drawn
            # from a stream of their own
            self.resv_rng = random.Random(f"reservations/{config.seed}")
            self.op_reserved: dict[str, Resources] = {}
            self.op_resv_calls = 0
            self.op_resv_pre: tuple[str, str, Resources] | None = None
            self.at(self.resv_rng.uniform(30.0, 60.0), CALL, self.operator_reserve_tick, ())
            # s13 mops: rolling upgrades of the masters (a planned failover now and then)
            self.upgrade_rng = random.Random(f"master-upgrades/{config.seed}")
            self.at(self.upgrade_rng.uniform(200.0, 300.0), CALL, self.operator_upgrade_tick, ())

    # ================================================================== construction
    def build(self) -> None:
        cfg = self.config
        for i in range(cfg.masters):
            ip = f"10.0.0.{i + 1}"
            n = MasterNode(f"master@{ip}:5050", f"master@{ip}:5050", "master")
            n.index = i
            n.info = None
            n.session = 0
            n.leader = False
            n.seen_version = 0
            n.contending = False
            self.nodes[n.name] = n
            self.masters.append(n)
            self.start_master(n)
        for i in range(cfg.agents):
            ip = f"10.0.1.{i + 1}"
            a = AgentNode(f"slave(1)@{ip}:5051", f"slave(1)@{ip}:5051", "agent")
            a.index = i
            a.disk = Disk()
            a.detected = None
            a.recovering = False
            a.resubscribed = set()
            a.mode = "reconnect"
            a.agent_id = None
            a.shutdown_from = None
            a.boot = a.booted = 0
            a.started_at = 0.0
            a.resources = self.agent_resources
            self.nodes[a.name] = a
            self.agents.append(a)
            self.at(self.rng.uniform(0.0, 2.0), FN, self.start_agent, (a, "reconnect"))
        for j in range(cfg.frameworks):
            kind = cfg.kinds[j % len(cfg.kinds)]
            name = f"{kind}{j // len(cfg.kinds) + 1}"
            if cfg.multirole and j == cfg.frameworks - 1:  # s18 drivel: the last one
                kind, name = "multirole", "multirole1"
            sn = SchedulerNode(name, name, "scheduler")
            sn.index = j
            sn.app = make_app(kind, name, self.rng)
            sn.app.notes = self.timeline is not None
            if cfg.health and kind in ("service", "batch"):
                sn.app.health_check = HEALTH_CHECK
            sn.app.odd_ids = cfg.odd_ids and kind in ("service", "batch")  # s17 killa
            sn.app.misuse = cfg.sched_misuse  # s18 drivem
            sn.app.edges = cfg.master_edges  # s19 kmast3
            sn.streams = set()
            sn.framework_id = None
            self.nodes[name] = sn
            self.schedulers.append(sn)
            self.at(self.rng.uniform(0.5, 3.0), FN, self.start_scheduler, (sn,))

    # ================================================================== the loop
    def at(self, delay: float, kind: int, a: Any, b: Any = None, c: Any = None,
           d: Any = None) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (self.now + delay, self.seq, kind, a, b, c, d))

    def run_until(self, *, events: int | None = None, until: float | None = None) -> None:
        heap = self.heap
        pop = heapq.heappop
        push = heapq.heappush
        limit = self.events + events if events is not None else INF
        horizon = until if until is not None else INF
        obs = self.obs
        nodes = self.nodes
        link_epoch = self.link_epoch
        deliver = self.deliver
        while heap:
            if self.events >= limit:
                return
            if heap[0][0] > horizon:
                self.now = horizon
                return
            t, _s, kind, a, b, c, d = pop(heap)
            self.now = t
            if kind == MSG:
                node = nodes[a]
                if not node.alive or node.inc != c or (
                        d is not None and link_epoch.get(d[0], 0) != d[1]):
                    if d is not None and d[2] is not None:
                        self.tracer.drop(d[2])
                    if obs is not None:
                        obs.on_dropped(self, node, b)
                    continue
                self.events += 1
                deliver(node, b, None if d is None else d[2])
            elif kind == TIMER:
                node = nodes[a]
                if not node.alive or node.inc != d:
                    continue
                car = node.tcar.get(b)
                if car is None or car[0] != c:
                    continue  # not the carrier of this key (see timer)
                gen = node.timers.get(b)
                if gen != c:
                    if gen is None:  # cancelled
                        del node.tcar[b]
                    else:  # set again, to fire later: carry the new generation on
                        due = node.tdue[b]
                        node.tcar[b] = (gen, due, d)
                        push(heap, (due, gen, TIMER, a, b, gen, d))
                    continue
                del node.timers[b]
                del node.tcar[b]
                self.events += 1
                deliver(node, TimerFired(key=b))
            elif kind == CALL:
                self.events += 1
                a(*b)
            else:  # FN: world-internal bookkeeping, not an event
                a(*b)
            if obs is not None and obs.dirty:
                obs.after_event(self)

    def note(self, text: str) -> None:
        if self.timeline is not None:
            self.timeline.append((self.now, text))
            if self.record is not None and text.startswith(("fault:", "zk:")):
                self.rec("fault" if text.startswith("fault:") else "zk", text=text)

    def rec(self, kind: str, **fields: Any) -> None:
        """One structured record (only when config.record)."""
        if self.record is not None:
            fields["t"] = self.now
            fields["kind"] = kind
            self.record.append(fields)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    # ================================================================== network
    def link(self, a: str, b: str) -> tuple[str, str]:
        return (a, b) if a < b else (b, a)

    def send(self, src: Node, dst_name: str, inp: Any, *, local: bool = False,
             http: bool = False, tm: Any = None) -> None:
        """Carry `inp` (the input the destination will get) from src to dst over the net.

        local: a process on the same host (never partitioned, sub-millisecond). http: the
        scheduler API (requests, responses, stream events ride one TCP connection per
        request/stream: partitions stop them, but they are never dropped one by one,
        duplicated or reordered).

        Random draws, in this order: loss (lossy links with a drop probability), latency,
        reordering (lossy links with a reorder probability, only when the latency would
        overtake the link's previous message), duplication and its delay."""
        dst = self.nodes.get(dst_name)
        if dst is None or not dst.alive:
            self._dropped(dst, inp, tm)
            return
        rand = self.rng.random
        if local:
            lossy = False
            at = self.now + (0.0002 + rand() * 0.0005)
        else:
            blocked = self.blocked
            if blocked and (src.host, dst.host) in blocked:
                self._dropped(dst, inp, tm)
                return
            lossy = not http
            if lossy and self.drop_p and rand() < self.drop_p:
                self.count("messages_dropped")
                self._dropped(dst, inp, tm)
                return
            # rng.expovariate(500.0) inlined (CPython's own formula: the same draw, same value)
            at = self.now + (0.001 + -_log(1.0 - rand()) / 500.0)
        sname = src.name
        dname = dst.name
        src.peers.add(dname)
        dst.peers.add(sname)
        lk = (sname, dname)
        link_last = self.link_last
        last = link_last.get(lk, 0.0)
        if at <= last and not (lossy and self.reorder_p and rand() < self.reorder_p):
            at = last + 1e-6
        link_last[lk] = at
        seq = self.seq = self.seq + 1
        key = lk if sname < dname else (dname, sname)  # self.link(src, dst)
        tag = (key, self.link_epoch.get(key, 0), tm or None)
        heapq.heappush(self.heap, (at, seq, MSG, dname, inp, dst.inc, tag))
        if lossy and self.dup_p and rand() < self.dup_p:
            self.count("messages_duplicated")
            if tm:
                self.tracer.duplicate(tm)
            self.seq += 1
            heapq.heappush(self.heap, (at + self.rng.expovariate(100.0), self.seq, MSG,
                                       dname, inp, dst.inc, tag))

    def _dropped(self, dst: Node | None, inp: Any, tm: Any) -> None:
        if tm:
            self.tracer.drop(tm)
        if self.obs is not None:
            self.obs.on_dropped(self, dst, inp)

    def break_link(self, a: Node, b: Node) -> None:
        """The connection between a and b breaks: both live ends get Disconnected."""
        key = self.link(a.name, b.name)
        self.link_epoch[key] = self.link_epoch.get(key, 0) + 1
        for me, other in ((a, b), (b, a)):
            if me.kind == "agent" and me.linked == other.name:  # type: ignore[attr-defined]
                me.linked = None  # type: ignore[attr-defined]
        a.peers.discard(b.name)
        b.peers.discard(a.name)
        for me, other in ((a, b), (b, a)):
            if not me.alive:
                continue
            for peer in self.peer_names(me, other):
                self.at(0.001 + self.rng.random() * 0.01, MSG, me.name,
                        Disconnected(peer=peer), me.inc, None)

    def peer_names(self, me: Node, other: Node) -> list[str]:
        """How `me` names its connection(s) to `other`."""
        if me.kind == "master" and other.kind == "scheduler":
            return sorted(s for s, (sch, m) in self.streams.items()
                          if sch == other.name and m == me.name)
        if me.kind == "scheduler" and other.kind == "master":
            return sorted(s for s, (sch, m) in self.streams.items()
                          if sch == me.name and m == other.name)
        if me.kind == "agent" and other.kind == "executor":
            return []  # the agent learns of executor exits from ExecutorExited
        return [other.name]

    def timer(self, node: Node, key: Any, at: float) -> None:
        """Set (or set again) `node`'s timer `key` to fire at `at` (not before now).

        A timer fires at (due, generation) in the heap's (time, seq) order, the generation
        being the fresh sequence number of its latest setting (`node.timers[key]`, due in
        `node.tdue[key]`). One heap entry per key is its *carrier* (`node.tcar[key]`: its
        seq, time and incarnation): a timer set again to fire no earlier than its carrier
        pushes nothing; when the carrier pops before the due time, run_until pushes the
        entry (due, generation) then -- the very key a push at setting time would have had,
        and greater than the key being popped, so every entry pops in the same order as if
        each setting had pushed its own entry (timers re-armed on every message, such as a
        driver's or an agent's ping timeout, no longer fill the heap)."""
        seq = self.seq = self.seq + 1
        node.timers[key] = seq  # the generation: unique, so a stale entry never matches
        now = self.now
        due = at  # max(at, now), without the builtin call (s14 speed)
        if now > at:
            due = now
            checks_killm.on_past_timer(self, node, key, at)  # s17 killm
        node.tdue[key] = due
        inc = node.inc
        car = node.tcar.get(key)
        if car is None or car[1] > due or car[2] != inc:
            node.tcar[key] = (seq, due, inc)
            heapq.heappush(self.heap, (due, seq, TIMER, node.name, key, seq, inc))
        self.timers_set += 1
        if not self.timers_set & 2047:
            self.compact()

    def compact(self) -> None:
        """Drop the heap entries of timers that are no longer the carrier of their key (a
        timer cancelled, or set again to fire earlier: run_until would skip them without a
        trace), so that every push and pop walks a smaller heap. The other entries keep
        their (time, seq) keys: the run is the same."""
        heap = self.heap
        nodes = self.nodes
        keep = [e for e in heap if e[2] != TIMER or _carries(nodes[e[3]], e)]
        if len(keep) < len(heap):
            heapq.heapify(keep)
            heap[:] = keep  # in place: run_until holds this list

    # ================================================================== delivery
    def deliver(self, node: Node, inp: Any, tm: Any = None) -> None:
        kind = node.kind
        if kind == "scheduler":
            self.scheduler_step(node, inp, tm)  # type: ignore[arg-type]
            return
        tracer = self.tracer
        if tracer is not None and tm:
            if kind == "agent":
                tracer.agent_receive(tm)
            elif kind == "executor":
                tracer.executor_receive(tm)
        obs = self.obs
        if kind == "master" and obs is not None:
            obs.before_master_step(self, node, inp)
        if kind == "executor" and type(inp) is Received and type(inp.message) is ExecutorLaunch \
                and node.custom and inp.message.task.command is None:  # type: ignore[attr-defined]
            # s16 kdrive: the custom executor program runs the command its task carries
            inp = custom_launch(inp)
        effects = node.machine.step(self.now, inp)
        if obs is not None:
            obs.on_step(self, node, inp, effects)
        if kind == "master":
            out_tm = tracer.master_step(tm, effects) if tracer is not None and tm else None
            self.master_effects(node, effects, out_tm)  # type: ignore[arg-type]
        elif kind == "agent":
            self.agent_effects(node, effects)  # type: ignore[arg-type]
            if self.power_armed and node.disk.unsynced and node.name in self.power_armed:  # type: ignore[attr-defined]
                downtime = self.power_armed.pop(node.name)
                self.note(f"fault: power loss on {node.name} with unsynced writes")
                self.at(0.0, FN, self.crash_agent_now, (node, node.inc, downtime))
        else:
            self.executor_effects(node, effects)  # type: ignore[arg-type]
            if type(inp) is Received and type(inp.message) is ExecutorFrameworkMessage \
                    and node.alive:
                # s16: the simulated executor program answers a framework message with an
                # echo (MESSAGE on its executor API), relayed agent -> master -> framework
                x: Any = node
                self.send(x, x.agent.name, Received(sender=x.name, message=ExecutorMessage(
                    framework_id=x.framework_id, executor_id=x.machine.executor_id,
                    data=b"echo:" + inp.message.data)), local=True)

    # ------------------------------------------------------------------ master
    def start_master(self, n: MasterNode) -> None:
        n.alive = True
        n.inc += 1
        n.reset_timers()
        n.peers = set()
        n.leader = False
        ip = n.name.split("@")[1].split(":")[0]
        n.info = MasterInfo(id=f"master{n.index + 1}-{n.inc}", hostname=f"master{n.index + 1}",
                            ip=ip, port=5050)
        n.machine = Master(master_info=n.info, ids=IdSource(f"{self.config.seed}/{n.info.id}"),
                           config=self.master_config,
                           allocator_factory=self.allocator_factory)
        if self.obs is not None:
            self.obs.on_master_start(self, n)
        n.session = self.zk.open_session(n.name)
        n.contending = False
        self.maybe_contend(n)

    def maybe_contend(self, n: MasterNode) -> None:
        if not n.alive or n.contending or (n.host, ZK_HOST) in self.blocked:
            return
        if not self.zk.alive(n.session):
            return
        self.zk.create_ephemeral_sequential(n.session, n.name)
        n.contending = True
        self.elect()

    def elect(self) -> None:
        lead = self.zk.leader()
        session = lead[0] if lead is not None else None
        if session == self.leader_session:
            return
        new = self.nodes[lead[1]] if lead is not None else None
        self.leader_session = session
        self.leader = new  # type: ignore[assignment]
        if new is not None:
            self.note(f"zk: {new.name} is elected leading master")
            self.rec("leader", master=new.name)
            self.at(0.005, CALL, self.gain_leadership, (new, new.inc))
        else:
            self.note("zk: no leading master")
            self.rec("leader", master=None)
        for a in self.agents:
            if a.alive and (a.host, ZK_HOST) not in self.blocked:
                self.at(0.005 + self.rng.random() * 0.01, CALL, self.detect, (a, a.inc))

    def gain_leadership(self, n: MasterNode, inc: int) -> None:
        if not n.alive or n.inc != inc or self.leader is not n \
                or self.leader_session != n.session:
            return
        # registry recovery fences every older leader (Mesos's Registrar performs a write
        # when it recovers): the version moves, so a deposed leader's CAS fails
        self.registry = attrs.evolve(self.registry, version=self.registry.version + 1)
        self.registry_holder = n.info.id
        n.seen_version = self.registry.version
        n.leader = True
        self.count("leader_elections")
        self.deliver(n, LeadershipGained(registry=self.registry))

    def detect(self, a: AgentNode, inc: int) -> None:
        if not a.alive or a.inc != inc or a.machine is None:
            return
        pid = self.leader.name if self.leader is not None else None
        if pid == a.detected:
            return
        a.detected = pid
        # as io/daemons/agent.py follows the ZooKeeper leader: the agent is told where the
        # master is (MasterAddress) and dials it itself (DialMaster -> dial below); no leader:
        # MasterAddress(None), then NoMasterDetected
        self.deliver(a, MasterAddress(address=pid))
        if pid is None and a.alive and a.inc == inc:
            self.deliver(a, NoMasterDetected())

    def dial(self, a: AgentNode, inc: int, address: str) -> None:
        """One DialMaster attempt of agent `a`: the link comes up (MasterDetected) when the
        master at `address` is alive and reachable both ways, else DialFailed."""
        if not a.alive or a.inc != inc:
            return
        m = self.nodes.get(address)
        blocked = self.blocked
        ok = m is not None and m.kind == "master" and m.alive and not (
            blocked and ((a.host, m.host) in blocked or (m.host, a.host) in blocked))
        if ok:
            a.linked = address
            self.deliver(a, MasterDetected(pid=address, address=address))
        else:
            self.deliver(a, DialFailed(address=address, error="unreachable"))

    def master_effects(self, n: MasterNode, effects: list[Any],
                       out_tm: dict[int, Any] | None = None) -> None:
        for i, e in enumerate(effects):
            t = type(e)
            if t is Send:
                to = e.to
                tm = out_tm.get(i) if out_tm else None
                st = self.streams.get(to)
                if st is not None:
                    if st[1] == n.name:
                        self.send(n, st[0], Received(sender=to, message=e.message), http=True,
                                  tm=tm)
                    elif tm:
                        self.tracer.drop(tm)
                else:
                    if to is None and self.obs is not None:
                        self.obs.on_unaddressed_send(self, n, e)  # NoSendWithoutPeer
                    self.send(n, to, Received(sender=n.name, message=e.message), tm=tm)
            elif t is SetTimer:
                self.timer(n, e.key, e.at)
            elif t is CancelTimer:
                n.timers.pop(e.key, None)
            elif t is Respond:
                req = self.requests.pop(e.request, None)
                if req is None:
                    if self.config.agent_calls:  # s18 driveo
                        checks_driveo.answered(self, e)  # s18 driveo
                    if self.op_requests or self.op_settings:
                        self.operator_answered(e)
                    continue
                if e.stream_id is not None and 200 <= e.status < 300:
                    self.streams[e.stream_id] = (req[0], n.name)
                    sched = self.nodes[req[0]]
                    sched.streams.add(e.stream_id)  # type: ignore[attr-defined]
                self.send(n, req[0], CallResponse(request=e.request, status=e.status,
                                                  message=e.message, stream_id=e.stream_id),
                          http=True)
            elif t is RegistryWrite:
                self.at(0.002 + self.rng.random() * 0.003, CALL, self.registry_write,
                        (n, n.inc, e))
            elif t is Close:
                st = self.streams.pop(e.peer, None)
                if st is not None:
                    sched = self.nodes[st[0]]
                    sched.streams.discard(e.peer)  # type: ignore[attr-defined]
                    self.at(0.001, MSG, sched.name, Disconnected(peer=e.peer), sched.inc, None)
                else:
                    peer = self.nodes.get(e.peer)
                    if peer is not None:
                        self.break_link(n, peer)
            elif t is Abdicate:
                self.note(f"{n.name} abdicates: {e.reason}")
                self.crash_master(n, restart_after=self.rng.uniform(1.0, 5.0))
                return

    def registry_write(self, n: MasterNode, inc: int, e: RegistryWrite) -> None:
        if not n.alive or n.inc != inc:
            return
        new = registry_mod.apply(self.registry, e.op, n.seen_version)
        if new is None:
            self.count("registry_fenced")
            self.deliver(n, RegistryResult(op_id=e.op_id, ok=False, message="fenced"))
            return
        self.registry = new
        n.seen_version = new.version
        was_leader = n.info.id == self.registry_holder
        if self.obs is not None:
            self.obs.on_registry_commit(n.info.id, was_leader)
        self.count("registry_writes")
        self.deliver(n, RegistryResult(op_id=e.op_id, ok=True))

    def crash_master(self, n: MasterNode, restart_after: float | None) -> None:
        if not n.alive:
            return
        self.note(f"fault: crash {n.name}" + (" (leader)" if n.leader else ""))
        n.alive = False
        n.leader = False
        for peer_name in sorted(n.peers):
            peer = self.nodes[peer_name]
            self.break_link(n, peer)
        for s, (sch, m) in sorted(self.streams.items()):
            if m == n.name:
                del self.streams[s]
                self.nodes[sch].streams.discard(s)  # type: ignore[attr-defined]
        for r, (sch, m) in sorted(self.requests.items()):
            if m == n.name:
                del self.requests[r]
                sn = self.nodes[sch]
                self.at(0.002, MSG, sch, CallResponse(request=r, status=503,
                                                      message="master crashed"), sn.inc, None)
        n.inc += 1
        # the ZooKeeper session dies after its timeout (no more client pings)
        self.at(self.zk.session_timeout, FN, self.expire, (n.session,))
        if restart_after is not None:
            self.at(max(restart_after, 0.5), FN, self.start_master, (n,))

    def expire(self, session: int) -> None:
        if self.zk.alive(session):
            self.count("zk_expirations")
            self.note(f"zk: session {session} expired")
            if self.zk.expire(session):
                self.elect()

    # ------------------------------------------------------------------ agent
    def start_agent(self, n: AgentNode, mode: str) -> None:
        n.alive = True
        n.inc += 1
        n.reset_timers()
        n.peers = set()
        n.detected = None
        n.linked = None
        n.mode = mode
        n.resubscribed = set()
        n.shutdown_from = None
        n.started_at = self.now
        ip = n.name.split("@")[1].split(":")[0]
        # two racks (an attribute the adversarial framework's offer constraints read)
        info = AgentInfo(hostname=f"agent{n.index + 1}", port=5051,
                         resources=Resources.parse(n.resources),
                         attributes=Attribute.parse_many(f"rack:r{n.index % 2}"))
        n.machine = Agent(pid=n.name, agent_info=info,
                          ids=IdSource(f"{self.config.seed}/{n.name}/{n.inc}"),
                          config=AgentConfig(recover=mode, work_dir=SIM_WORK_DIR,
                                             gc_delay=SIM_GC_DELAY))
        del ip
        self.cgroups.agent_started(n.name, n.index)  # s14 kagent: --isolation parsed
        rec = n.disk.recovered()
        n.recovering = not rec.is_empty() and mode == "reconnect"
        if self.tracer is not None:
            self.tracer.agent_restart(n.name, mode)
        if self.obs is not None:
            self.obs.on_agent_start(self, n, rec)
        self.deliver(n, AgentStart(recovered=None if rec.is_empty() else rec,
                                   boot_id=f"{n.name}/boot{n.boot}"))
        n.booted = n.boot
        if self.obs is not None:
            self.obs.after_agent_start(self, n)
        # containers that died while the agent was down are reported (the containerizer's
        # recovery): the agent learns which checkpointed executors are gone
        for rec_key, record in sorted(rec.checkpoints.items(), key=lambda kv: kv[0]):
            if rec_key[0] != "executor" or getattr(record, "exited", False):
                continue
            cid = record.container_id
            xn = self.executors.get(cid)
            if cid in self.reboot_lost:
                continue  # the containerizer's runtime state went with the reboot
            if xn is None or not xn.alive:
                self.at(0.01, CALL, self.executor_gone, (n, n.inc, rec_key[1],
                                                         record.info.executor_id, cid, 9))
        if (n.host, ZK_HOST) not in self.blocked:
            self.at(0.01, CALL, self.detect, (n, n.inc))

    def executor_gone(self, a: AgentNode, inc: int, fw: str, ex: str, cid: str,
                      status: int) -> None:
        if not a.alive or a.inc != inc:
            return
        self.deliver(a, ExecutorExited(framework_id=fw, executor_id=ex, container_id=cid,
                                       status=status))

    def agent_resolve(self, n: AgentNode, to: str) -> str | None:
        """Where an agent's message goes: "master" is the master its dial linked it to
        (None: no link, the message is dropped, as io's transport has no connection)."""
        if to == "master":
            return n.linked
        return to

    def agent_effects(self, n: AgentNode, effects: list[Any]) -> None:
        disk = n.disk
        obs = self.obs
        tracer = self.tracer
        for e in effects:
            t = type(e)
            if t is Persist:
                disk.persist(e.key, e.record, e.append)
                if e.key[0] == GC_TIMER:
                    if e.record is not None:
                        self.gc_at[(n.name, e.key)] = self.now
                    else:
                        self.gc_at.pop((n.name, e.key), None)
                if obs is not None:
                    obs.on_persist(self, n, e)
                if tracer is not None and e.key[0] == "updates":
                    tracer.agent_persist(n.name, e.key[1], e.record)
                continue
            if disk.unsynced:
                disk.sync()
                if obs is not None:
                    obs.on_sync(self, n)
                if tracer is not None:
                    tracer.agent_synced(n.name)
            if t is Send:
                to = e.to
                tm = tracer.agent_send(n.name, e.message) if tracer is not None else None
                ex = self.executor_by_name(to)
                if ex is not None:
                    if obs is not None and type(e.message) is ExecutorAcknowledged:
                        obs.on_executor_ack(self, n, ex, e.message)
                    if type(e.message) is ExecutorSubscribed:
                        ex.subscribed = True
                        if ex.container not in self.ghost_probed \
                                and self.adversarial_framework(ex.framework_id):
                            # s13 magent
                            self.ghost_probed.add(ex.container)
                            self.at(0.01, FN, self.ghost_update, (n, n.inc, ex, ex.inc))
                    if type(e.message) is ExecutorShutdown:
                        ex.shutdown_at = self.now
                        if ex.shutdown_inc is None:
                            ex.shutdown_inc = n.inc
                        if ex.wedged == "deaf":
                            if tm:
                                tracer.drop(tm)
                            continue
                    self.send(n, to, Received(sender=n.name, message=e.message), local=True,
                              tm=tm)
                    if ex.drops_launch and type(e.message) in _LAUNCHES:
                        ex.drops_launch = False
                        self.break_executor_link(n, ex)
                else:
                    dst = self.agent_resolve(n, to)
                    if dst is not None:
                        self.send(n, dst, Received(sender=n.name, message=e.message), tm=tm)
                    elif tm:
                        tracer.drop(tm)
            elif t is SetTimer:
                self.timer(n, e.key, e.at)
            elif t is CancelTimer:
                n.timers.pop(e.key, None)
            elif t is LaunchExecutor:
                self.launch_executor(n, e)
                self.cgroup_launch(n, e)  # s14 kagent
            elif t is UpdateContainer:
                x = self.executors.get(e.container_id)
                if x is not None:
                    x.resources = e.resources
                if e.nested_add or e.nested_remove:
                    self.nest(n, e)
                self.cgroup_update(n, e, x)  # s14 kagent
                if e.nested_remove:
                    self.destroy_nested(e.container_id, e.nested_remove)
            elif t is Log:
                if obs is not None and e.event == "agent.update.superseded":
                    obs.on_superseded(dict(e.fields)["uuid"])
            elif t is KillExecutor:
                if obs is not None and e.container_id in self.reboot_lost:
                    obs.on_reboot_lost_kill(self, n, e.container_id)
                if obs is not None and n.recovering:
                    obs.on_recovery_kill(self, n, e.container_id,
                                         self._kept_alive(n, e.container_id, effects))
                kx = self.executors.get(e.container_id)
                if kx is not None and kx.alive and kx.killed_at is None \
                        and e.signal == "SIGKILL" and kx.agent_inc == n.inc:
                    kx.killed_at = self.now
                self.kill_executor(e.container_id, e.signal)
            elif t is Reject:
                # a refused SUBSCRIBE ends its connection (HTTP 4xx): the executor is told,
                # and the agent too when the refusal came after it had subscribed that name
                # (an update the SUBSCRIBE carried was refused; or a second SUBSCRIBE on a
                # live subscription, which the daemon's shell answers without closing: the
                # simulated executors never send one). The executor's next SUBSCRIBE is then
                # a new connection, as in the daemon, where every connection has a new name.
                x = self.executor_by_name(e.sender)
                if x is not None and x.alive and type(e.input) is ExecutorSubscribe \
                        and self.probing != e.sender:  # (s13 magent: ghost_update's)
                    self.at(0.001, MSG, x.name, Disconnected(peer=n.name), x.inc, None)
                    if e.sender in n.machine.by_pid:
                        self.at(0.001, MSG, n.name, Disconnected(peer=e.sender), n.inc, None)
            elif t is GarbageCollect:
                if obs is not None and hasattr(obs, "on_garbage_collect"):
                    obs.on_garbage_collect(self, n, e)
            elif t is DialMaster:
                self.at(0.005, CALL, self.dial, (n, n.inc, e.address))
            elif t is StopAgent:
                self.note(f"{n.name} stops: {e.reason}")
                self.crash_agent(n, restart_after=self.rng.uniform(5.0, 20.0), lossy=False,
                                 mode="reconnect", stopped=True)
                return

    def _kept_alive(self, n: AgentNode, cid: str, effects: list[Any]) -> bool:
        """For RecoveryKeepsTasks: the executor a recovering agent kills was alive and
        re-subscribed, or alive and still trying to (a live checkpointing executor killed for
        missing the --executor-reregistration-timeout window: its retry schedule must fit
        the window, issue 11)."""
        ex = self.executors.get(cid)
        if ex is None or not ex.alive:
            return False
        if ex.shutdown_inc is not None and ex.shutdown_inc < n.inc:
            # the agent had asked it to shut down before this restart (an idle command
            # executor, a removed framework): this SIGKILL ends that shutdown after its grace
            # period (a "deaf" executor ignores ExecutorShutdown, Mesos
            # shutdownExecutorTimeout), not a recovery decision (seed 1192)
            return False
        mn = n.machine
        if mn is not None and mn.state == "terminating":  # s18 killm3
            # the agent is shutting down (the operator's SIGUSR1, the master's ShutdownAgent)
            # while it recovers: this SIGKILL ends that shutdown after its grace period (the
            # executor waits for acknowledgements of updates the agent now ignores, Mesos
            # `Slave::statusUpdate`), not a recovery decision (s11 operator seed 12)
            return False
        if cid in n.resubscribed:
            return True
        timed_out = any(type(x) is Log and x.event == "agent.executor.reregistration_timeout"
                        for x in effects)
        mx = ex.machine
        return timed_out and mx is not None and mx.phase == "connecting" and mx.config.checkpoint

    def crash_agent(self, n: AgentNode, *, restart_after: float | None, lossy: bool,
                    mode: str = "reconnect", stopped: bool = False) -> None:
        if not n.alive:
            return
        n.alive = False
        if self.tracer is not None:
            self.tracer.before_crash(n.name, n.disk)
        if self.obs is not None and not stopped:
            self.obs.before_agent_crash(self, n)
        n.disk.crash(self.rng, lossy=lossy)
        if self.tracer is not None:
            self.tracer.agent_crash(n.name, n.disk)
        for peer_name in sorted(n.peers):
            self.break_link(n, self.nodes[peer_name])
        n.inc += 1
        if self.obs is not None:
            self.obs.on_agent_crash(self, n, stopped)
        if restart_after is not None:
            self.at(restart_after, FN, self.start_agent, (n, mode))

    def decommission_agent(self, n: AgentNode) -> None:
        """The operator stops agent `n` for good (Mesos: SIGUSR1): it unregisters from the
        master it is registered with, shuts its executors down and stops (StopAgent, then
        its supervisor starts it again: a new agent, its id forgotten).
        AgentShutdownCompletes checks the unregistration now and the stop
        SHUTDOWN_WITHIN seconds later."""
        if not n.alive or n.machine is None or n.machine.state in ("new", "stopped"):
            return
        self.note(f"fault: the operator shuts {n.name} down (SIGUSR1)")
        self.count("agent_shutdowns")
        n.shutdown_from = n.machine.state
        inc = n.inc
        self.deliver(n, AgentShutdown())
        self.at(SHUTDOWN_WITHIN, FN, self.shutdown_check, (n, inc))

    def shutdown_check(self, n: AgentNode, inc: int) -> None:
        if n.alive and n.inc == inc and self.obs is not None \
                and hasattr(self.obs, "check_shutdown_overdue"):
            self.obs.check_shutdown_overdue(self, n)

    def break_executor_link(self, a: AgentNode, x: ExecutorNode) -> None:
        """The connection between agent `a` and its executor `x` breaks (what is in flight on
        it is lost): both ends are told; the executor subscribes again on a new one."""
        self.count("executor_link_breaks")
        self.note(f"fault: the connection of executor {x.container} to {a.name} breaks")
        key = self.link(a.name, x.name)
        self.link_epoch[key] = self.link_epoch.get(key, 0) + 1
        a.peers.discard(x.name)
        x.peers.discard(a.name)
        self.at(0.001, MSG, a.name, Disconnected(peer=x.name), a.inc, None)
        self.at(0.001, MSG, x.name, Disconnected(peer=a.name), x.inc, None)

    def reboot_host(self, n: AgentNode) -> None:
        """Agent `n`'s host reboots (a power loss, with `crash_agent`): every executor process
        on it dies with it, unreported (the containerizer's runtime state is gone too, and
        their pids may be reused: the restarted agent must signal none of them), and the
        host's boot id changes."""
        n.boot += 1
        self.count("agent_reboots")
        for cid in sorted(self.executors):
            x = self.executors[cid]
            if x.agent is n and x.alive:
                x.alive = False
                x.died_at = self.now
                x.task_proc = {}
                x.inc += 1
                self.reboot_lost.add(cid)

    def crash_agent_now(self, n: AgentNode, inc: int, downtime: float) -> None:
        if n.alive and n.inc == inc:
            self.crash_agent(n, restart_after=downtime, lossy=True, mode="reconnect")
            if self.injector is not None:
                self.injector.maybe_reboot(n)

    # ------------------------------------------------------------------ executors
    def executor_by_name(self, name: str) -> ExecutorNode | None:
        node = self.nodes.get(name)
        return node if node is not None and node.kind == "executor" else None  # type: ignore

    def launch_executor(self, a: AgentNode, e: LaunchExecutor) -> None:
        cid = e.container_id
        name = f"executor({cid})@{a.host}"
        x = ExecutorNode(name, a.host, "executor")
        x.agent = a
        x.container = cid
        x.framework_id = e.framework_id
        x.task_proc = {}
        x.died_at = None
        x.resources = e.resources
        x.launched_at = self.now
        x.shutdown_at = None
        x.shutdown_inc = None
        x.wedged = ""
        x.agent_inc = a.inc
        x.subscribed = False
        x.killed_at = None
        x.drops_launch = self.link_breaks and zlib.crc32(cid.encode()) % 24 == 3
        x.oom_armed = False
        if "crash" in self.config.faults:
            x.wedged = _WEDGED.get(zlib.crc32(cid.encode()) % 24, "")
        self.nodes[name] = x
        self.executors[cid] = x
        x.custom = e.command.value == CUSTOM_EXECUTOR_PROGRAM  # s16 kdrive
        if e.command.value != COMMAND_EXECUTOR_PROGRAM and not x.custom:
            # only the built-in command executor (and the custom executor program of the
            # adversarial framework, s16) exist in the simulated world
            self.at(0.05, CALL, self.executor_gone, (a, a.inc, e.framework_id,
                                                     e.executor_info.executor_id, cid, 127))
            return
        if self.adversarial_framework(e.framework_id):
            # a task of the adversarial framework probes the agent's executor API from the
            # same host (HostileExecutorInputRefused): off the network, at fixed delays, no
            # random draw
            self.at(0.02, FN, self.hostile_executor, (a, a.inc, e.framework_id,
                                                      e.executor_info.executor_id))
        env = dict(e.env)
        x.alive = True
        x.inc = 1
        x.machine = CommandExecutor(
            pid=name, framework_id=e.framework_id, executor_id=e.executor_info.executor_id,
            agent_pid=a.name, ids=IdSource(f"{self.config.seed}/{cid}"),
            config=CommandExecutorConfig.from_env(env))
        # the containerizer reports the forked process (its pid from a hash: no random draw)
        self.at(0.001, FN, self.executor_started, (a, a.inc, e.framework_id,
                                                   e.executor_info.executor_id, cid))
        delay = 0.05 + self.rng.random() * 0.3
        if x.wedged != "unregistered":
            self.at(delay, MSG, name, ExecutorStart(), x.inc, None)

    def adversarial_framework(self, fw_id: str) -> bool:
        return any(s.app.kind == "adversarial" and s.app.framework_id == fw_id
                   for s in self.schedulers)

    def hostile_executor(self, a: AgentNode, inc: int, fw_id: str, ex_id: str) -> None:
        """A process on agent `a`'s host that is no executor of the agent (HOSTILE_EXECUTOR)
        calls its executor API: SUBSCRIBE as an unknown framework, SUBSCRIBE as an unknown
        executor of a known framework, an UPDATE in the name of a real executor without
        having subscribed, a MESSAGE from an unknown executor. The agent must refuse each
        (HostileExecutorInputRefused); its Rejects go nowhere (no such node)."""
        if not a.alive or a.inc != inc or a.machine is None \
                or a.machine.state in ("new", "stopped"):
            return
        sender = f"hostile({ex_id})@{a.host}{HOSTILE_EXECUTOR}"
        status = TaskStatus(task_id=HOSTILE_TASK, state=TaskState.TASK_RUNNING,
                            source=Source.SOURCE_EXECUTOR, uuid=bytes(range(16)))
        for msg in (ExecutorSubscribe(framework_id="sim-no-such-framework", executor_id=ex_id),
                    ExecutorSubscribe(framework_id=fw_id, executor_id="sim-no-such-executor"),
                    ExecutorUpdate(framework_id=fw_id, executor_id=ex_id, status=status),
                    ExecutorMessage(framework_id=fw_id, executor_id="sim-no-such-executor",
                                    data=b"hostile")):
            if not a.alive or a.inc != inc:
                return
            self.deliver(a, Received(sender=sender, message=msg))
        if a.alive and a.inc == inc:
            checks_kobs.hostile_run_task(self, a, fw_id)  # s16 kobs

    def ghost_update(self, a: AgentNode, inc: int, x: ExecutorNode, xinc: int) -> None:
        """s13 magent: a buggy executor of the adversarial framework, once subscribed, calls
        its agent's executor API on its own live subscription (off the network, no random
        draw): an UPDATE for a task the agent never gave it (GHOST_TASK), malformed UPDATEs
        of one of its tasks (uuid not 16 bytes, no uuid, another executor id, another
        source, TASK_STAGING), then a second SUBSCRIBE. The agent must refuse each (one Reject 400) and change nothing: the
        subscription stands (HostileExecutorInputRefused). The Rejects go nowhere (the
        daemon answers the HTTP call without closing the subscription; the executor
        ignores the answer)."""
        good = zlib.crc32(x.container.encode()).to_bytes(4, "big") * 4
        for probe in range(7):
            if not a.alive or a.inc != inc or a.machine is None or not x.alive \
                    or x.inc != xinc or x.name not in a.machine.by_pid:
                return
            fw_id, ex_id = a.machine.by_pid[x.name]
            inp: Any = ExecutorSubscribe(framework_id=fw_id, executor_id=ex_id)
            if probe < 6:
                # a ghost task; then malformed updates of one of its real tasks (a uuid that
                # is not 16 bytes, none, another executor's id, another source, STAGING)
                ex = a.machine.frameworks[fw_id].executors[ex_id]
                real = min(ex.tasks) if ex.tasks else GHOST_TASK
                status = TaskStatus(task_id=GHOST_TASK if probe == 0 else real,
                                    state=TaskState.TASK_RUNNING, source=Source.SOURCE_EXECUTOR,
                                    uuid=good)
                bad: dict[int, dict[str, Any]] = {
                    1: {"uuid": good[:4]}, 2: {"uuid": None},
                    3: {"executor_id": f"{ex_id}-other"}, 4: {"source": Source.SOURCE_AGENT},
                    5: {"state": TaskState.TASK_STAGING}}
                status = attrs.evolve(status, **bad.get(probe, {}))
                inp = ExecutorUpdate(framework_id=fw_id, executor_id=ex_id, status=status)
            self.probing = x.name
            try:
                self.deliver(a, Received(sender=x.name, message=inp))
            finally:
                self.probing = None

    def executor_started(self, a: AgentNode, inc: int, fw_id: str, ex_id: str, cid: str) -> None:
        if a.alive and a.inc == inc:
            self.deliver(a, ExecutorStarted(framework_id=fw_id, executor_id=ex_id,
                                            container_id=cid,
                                            pid=1000 + zlib.crc32(cid.encode()) % 30000))

    def executor_effects(self, x: ExecutorNode, effects: list[Any]) -> None:
        for e in effects:
            t = type(e)
            if t is Send:
                tm = (self.tracer.executor_send(x.agent.name, x.framework_id, e.message)
                      if self.tracer is not None else None)
                if type(e.message) is ExecutorSubscribe:
                    # a new connection, and a subscription the agent takes a while to handle
                    # (replayed updates persisted first, a loaded machine): 1-300 ms
                    self.at(self.rng.uniform(0.001, 0.3), FN, self.executor_subscribe,
                            (x, x.inc, x.agent.inc, e.message, tm))
                    continue
                self.send(x, x.agent.name, Received(sender=x.name, message=e.message),
                          local=True, tm=tm)
            elif t is SetTimer:
                self.timer(x, e.key, e.at)
            elif t is CancelTimer:
                x.timers.pop(e.key, None)
            elif t is StartTaskProcess:
                m = _SLEEP.search(e.command.value or "")
                dur, code = (float(m.group(1)), int(m.group(2))) if m else (1.0, 0)
                proc = x.task_proc[e.task_id] = (self.now, x.inc, e.task_id)
                if self.obs is not None:
                    self.obs.on_task_start(self, x, e.task_id)
                    if hasattr(self.obs, "check_task_cgroup"):  # s14 kagent
                        self.obs.check_task_cgroup(self, x, e.task_id)
                self.at(dur, CALL, self.task_exit, (x, proc, code, None))
                if self.hogs:
                    self.memory_hog(x, e.task_id, dur)
            elif t is SignalTaskProcess:
                for tid in ([e.task_id] if e.task_id else sorted(x.task_proc)):
                    proc = x.task_proc.get(tid)
                    if proc is not None:
                        sig = 9 if e.signal == "SIGKILL" else 15
                        delay = 0.01 if sig == 9 else self.rng.uniform(0.05, 1.0)
                        self.at(delay, CALL, self.task_exit, (x, proc, None, sig))
            elif t is RunHealthCheck:
                if self.health is None:
                    self.health = HealthOutcomes(self.rng)
                delay, result = self.health.result(self.now, x.container, e)
                self.at(delay, CALL, self.health_result, (x, x.inc, result))
            elif t is ExitExecutor:
                self.executor_exit(x, e.status)
                return

    def health_result(self, x: ExecutorNode, inc: int, result: Any) -> None:
        if not x.alive or x.inc != inc:
            return
        self.deliver(x, result)

    def executor_subscribe(self, x: ExecutorNode, inc: int, agent_inc: int, msg: Any,
                           tm: Any) -> None:
        if not x.alive or x.inc != inc:
            return
        a = x.agent
        if not a.alive or a.inc != agent_inc:
            # nobody listens on the agent's port, or the agent died meanwhile: the connection
            # ends (io/daemons/executor.py reports every end of a subscription connection)
            if tm:
                self.tracer.drop(tm)
            self.at(0.001, MSG, x.name, Disconnected(peer=a.name), x.inc, None)
            return
        self.send(x, a.name, Received(sender=x.name, message=msg), local=True, tm=tm)

    def task_exit(self, x: ExecutorNode, proc: Any, code: int | None, sig: int | None) -> None:
        tid = proc[2]
        if not x.alive or x.task_proc.get(tid) is not proc:
            return
        del x.task_proc[tid]
        self.deliver(x, TaskProcessExited(task_id=tid,
                                          exit_status=code if code is not None else 128 + (sig or 0),
                                          signal=sig))

    def executor_exit(self, x: ExecutorNode, status: int) -> None:
        if not x.alive:
            return
        x.alive = False
        x.died_at = self.now
        x.task_proc = {}
        x.inc += 1
        a = x.agent
        fw = x.framework_id
        ex_id = x.machine.executor_id
        self.at(0.01, CALL, self.executor_gone, (a, a.inc, fw, ex_id, x.container, status))

    def nest(self, a: AgentNode, e: UpdateContainer) -> None:
        """The isolator's books: the nested containers (command tasks) of each container,
        and the limits it sets (core/agent/isolation.py, as io/containers/isolator.py sets
        them), which LimitationsEnforced holds against the tasks' resources."""
        nested = self.nested.setdefault(e.container_id, {})
        for tid, r in e.nested_add:
            nested[tid] = r
        for tid in e.nested_remove:
            nested.pop(tid, None)
        if e.command_executor and self.obs is not None \
                and hasattr(self.obs, "check_container_limits"):
            lim = container_limits(e.resources, nested.values(), command_executor=True)
            self.obs.check_container_limits(self, a, e.container_id, lim, nested)

    # s14 kagent
    def cgroup_launch(self, a: AgentNode, e: LaunchExecutor) -> None:
        """The isolator creates the new container's cgroup (core/sim/cgroups.py);
        LimitationsEnforced holds its files against the container's resources."""
        where = a.machine.by_container.get(e.container_id)
        fw = a.machine.frameworks.get(where[0]) if where is not None else None
        ex = fw.executors.get(where[1]) if fw is not None and where is not None else None
        command = ex is not None and ex.command_executor
        writes = self.cgroups.launched(a.name, e.container_id, e.resources, command)
        if writes and self.obs is not None and hasattr(self.obs, "check_cgroup_files"):
            self.obs.check_cgroup_files(self, a, e.container_id, e.resources, command, {},
                                        writes, None)

    # s14 kagent
    def cgroup_update(self, a: AgentNode, e: UpdateContainer, x: Any) -> None:
        """The isolator follows an UpdateContainer: nested cgroups of the tasks added and
        removed, then the container's limits (its memory lowered only when what its running
        task processes use fits); LimitationsEnforced holds the files it writes."""
        nested = self.nested.get(e.container_id, {}) if e.command_executor else {}
        running = tuple(x.task_proc) if x is not None and x.alive else ()
        writes = self.cgroups.updated(a.name, e.container_id, e.resources, e.command_executor,
                                      nested, tuple(t for t, _ in e.nested_add),
                                      e.nested_remove, running)
        if writes and self.obs is not None and hasattr(self.obs, "check_cgroup_files"):
            self.obs.check_cgroup_files(self, a, e.container_id, e.resources,
                                        e.command_executor, nested, writes,
                                        self.cgroups.last_usage)

    def memory_hog(self, x: ExecutorNode, task_id: str, dur: float) -> None:
        """After a ("memory-hogs",) fault (generated with crash faults), 1 task in 12 (a hash of container and task id: no random draw)
        outgrows its memory: half-way through its run the kernel OOM-kills it and the
        isolator reports the limitation of its nested container (requested: its limit); 1
        command executor in 24 outgrows its whole container after its first task starts."""
        key = zlib.crc32(f"{x.container}/{task_id}".encode())
        if key % 12 == 0:
            proc = x.task_proc[task_id]
            self.at(min(dur * 0.5, 5.0), CALL, self.oom_task, (x, proc))
        elif not x.oom_armed and zlib.crc32(x.container.encode()) % 24 == 2:
            x.oom_armed = True
            self.at(min(dur * 0.5, 5.0), CALL, self.oom_container, (x, x.inc))

    def oom_task(self, x: ExecutorNode, proc: Any) -> None:
        tid = proc[2]
        if not x.alive or x.task_proc.get(tid) is not proc:
            return
        r = self.nested.get(x.container, {}).get(tid)
        if r is None:
            return
        lim = task_limits(r).mem_bytes
        self.count("oom_task")
        self.note(f"fault: task {tid} on {x.agent.name} over its memory limit (OOM-killed)")
        self.at(0.01, CALL, self.task_exit, (x, proc, None, 9))
        a = x.agent
        if a.alive:
            self.deliver(a, ContainerLimitation(container_id=x.container, task_id=tid,
                                                resource="mem", requested=lim,
                                                used=lim + (1 << 20),
                                                stats=(("rss", lim + (1 << 20)),)))

    def oom_container(self, x: ExecutorNode, inc: int) -> None:
        a = x.agent
        if not x.alive or x.inc != inc or not a.alive:
            return
        nested = self.nested.get(x.container, {})
        lim = container_limits(x.resources, nested.values(), command_executor=True).mem_bytes
        self.count("oom_container")
        self.note(f"fault: container {x.container} on {a.name} over its memory limit")
        self.deliver(a, ContainerLimitation(container_id=x.container, resource="mem",
                                            requested=lim, used=lim + (1 << 20),
                                            stats=(("rss", lim + (1 << 20)),)))

    def destroy_nested(self, cid: str, task_ids: tuple[str, ...]) -> None:
        """The shell destroys the nested containers of finished (or limited) command tasks:
        a task process still in one is killed."""
        x = self.executors.get(cid)
        if x is None or not x.alive:
            return
        for tid in task_ids:
            proc = x.task_proc.get(tid)
            if proc is not None:
                self.at(0.01, CALL, self.task_exit, (x, proc, None, 9))

    def kill_executor(self, cid: str, signal: str) -> None:
        x = self.executors.get(cid)
        if x is None or not x.alive:
            return  # already gone: its ExecutorExited was reported when it died
        if signal == "SIGKILL":
            self.executor_exit(x, -9)
        else:
            self.at(self.rng.uniform(0.05, 1.0), FN, self.executor_exit, (x, -15))

    # ------------------------------------------------------------------ schedulers
    def start_scheduler(self, s: SchedulerNode) -> None:
        s.alive = True
        s.inc += 1
        s.reset_timers()
        s.streams = set()
        app: App = s.app
        # the failover timeout changes with each scheduler incarnation (a re-subscription
        # updates the master's FrameworkInfo: SubscribeTakesInfo); gang frameworks subscribe
        # with an offer constraint every simulated agent meets (no such attribute)
        failover = 7 * 86400.0 + s.inc
        if app.misuse and app.kind == "adversarial":  # s18 drivem: a short one
            failover = MISUSE_FAILOVER_TIMEOUT + s.inc
        multi = app.kind == "multirole"  # s18 drivel: MULTI_ROLE, its roles of the moment
        info = FrameworkInfo(user="sim", name=s.name, id=app.framework_id,
                             roles=app.roles if multi else (app.role,),  # type: ignore[attr-defined]
                             failover_timeout=failover,
                             checkpoint=not (self.config.uncheckpointed  # s18 drivea
                                             and app.kind == "batch"),
                             principal=sim_claimed_principal(s),
                             capabilities=sim_capabilities(app.kind, s.inc)
                             | ({Capability.MULTI_ROLE} if multi else frozenset()))
        constraints: tuple[tuple[str, tuple[Any, ...]], ...] = ()
        if app.kind == "gang":
            constraints = ((app.role, (AttributeConstraint(attribute="sim-never",
                                                           predicate="not_exists"),)),)
        elif app.kind == "adversarial" and s.inc % 3:
            # a redeployed scheduler may come with another placement: rack r0 only, then
            # anywhere but r0, then anywhere (each incarnation re-subscribes with its own)
            constraints = ((app.role, (AttributeConstraint(
                attribute="rack", predicate="equals" if s.inc % 3 == 1 else "not_equals",
                value="r0"),)),)
        # a framework that had suppressed its offers subscribes suppressed (SUBSCRIBE's
        # suppressed_roles), as Mesos advises a framework without demand to
        s.machine = SchedulerDriver(name=f"{s.name}/{s.inc}", config=SchedulerConfig(
            framework_info=info, auto_ack=app.acks, offer_constraints=constraints,
            suppressed_roles=(app.role,) if app.suppressed else ()))
        if app.framework_id is not None:
            self.note(f"{s.name}: scheduler fails over as {app.framework_id}")
        self.scheduler_step(s, SchedulerStart())

    def scheduler_step(self, s: SchedulerNode, inp: Any, tm: Any = None) -> None:
        effects = s.machine.step(self.now, inp)
        obs = self.obs
        out_tm = self.tracer.scheduler_step(tm, effects) if tm and self.tracer else None
        if obs is not None:
            obs.on_scheduler_input(self, s, inp)
        for i, e in enumerate(effects):
            t = type(e)
            if t is Send:
                call: SchedulerCall = e.message
                ctm = out_tm.get(i) if out_tm else None
                if obs is not None:
                    obs.on_call(self, s, call)
                if self.record is not None:
                    self.rec_call(s, call.call)
                if self.timeline is not None and type(call.call) is CallAcknowledge:
                    self.note(f"{s.name} acknowledges {call.call.task_id} "
                              f"{call.call.uuid.hex()[:8]}")
                m = self.leader
                if m is None or not m.alive:
                    if ctm:
                        self.tracer.drop(ctm)
                    self.at(0.01, MSG, s.name, CallResponse(request=call.request, status=503,
                                                            message="no leading master"),
                            s.inc, None)
                    continue
                self.requests[call.request] = (s.name, m.name)
                # the shell authenticates each framework as its name (PrincipalsChecked)
                self.send(s, m.name, SchedulerCall(
                    request=call.request, stream_id=call.stream_id,
                    framework_id=call.framework_id, call=call.call, principal=s.name),
                    http=True, tm=ctm)
                if s.app.kind == "adversarial" and type(call.call) is CallSubscribe:
                    self.spoof_subscribe(s, m, call)
                    self.spoof_agent_message(s, m)
            elif t is Notify:
                ev = e.event
                if obs is not None:
                    obs.on_app_event(self, s, ev)
                if type(ev) is EventSubscribed and s.app.kind == "adversarial":
                    self.hostile_scheduler_calls(s, ev)  # s13 mops
                if self.timeline is not None:
                    self.tell(s, ev)
                if type(ev) is EventError and s.alive \
                        and ev.message == "Framework has been removed":
                    # torn down (by the operator): the framework comes back under a new id
                    s.app.torn_down()
                if type(ev) is EventError and s.alive:
                    # the driver stops on ERROR; the framework's supervisor restarts it
                    # (a failover with the same framework id)
                    self.note(f"{s.name} got ERROR '{ev.message}': exits, restarted soon")
                    self.at(0.0, FN, self.crash_scheduler, (s, self.rng.uniform(2.0, 10.0)))
                self.app_actions(s, s.app.on_event(self.now, ev))
            elif t is SetTimer:
                self.timer(s, e.key, e.at)
            elif t is CancelTimer:
                s.timers.pop(e.key, None)
            elif t is Stopped and e.status is not None and s.alive:
                # a SUBSCRIBE refused for good (4xx): the supervisor restarts the framework
                # (an ERROR event is handled with its Notify above)
                self.note(f"{s.name}: {e.reason}: exits, restarted soon")
                self.at(0.0, FN, self.crash_scheduler, (s, self.rng.uniform(2.0, 10.0)))
            elif t is Close:
                st = self.streams.pop(e.peer, None)
                s.streams.discard(e.peer)
                if st is not None:
                    mn = self.nodes[st[1]]
                    self.at(0.001, MSG, mn.name, Disconnected(peer=e.peer), mn.inc, None)

    def spoof_subscribe(self, s: SchedulerNode, m: MasterNode, call: SchedulerCall) -> None:
        """PrincipalsChecked: the adversarial framework's SUBSCRIBE also reaches the leader,
        at once and off the network, as a copy authenticated as that framework but claiming
        another principal. Its answer (a 400) goes nowhere: no request is booked for it, and
        no random draw or scheduler state changes, so the run is the one without it."""
        info = attrs.evolve(call.call.framework_info, principal="sim-intruder")
        self.deliver(m, SchedulerCall(
            request=f"{call.request}/spoof", stream_id=None, framework_id=call.framework_id,
            call=attrs.evolve(call.call, framework_info=info), principal=s.name))

    def spoof_agent_message(self, s: SchedulerNode, m: MasterNode) -> None:
        """MalformedAgentMessagesRefused: with each adversarial SUBSCRIBE, a hostile peer
        (HOSTILE_AGENT) sends the leader a RegisterAgent without an AgentInfo, at once and
        off the network. The master's Reject goes nowhere (the shell only logs it)."""
        self.deliver(m, Received(sender=s.name + HOSTILE_AGENT, message=RegisterAgent(
            agent_info="not an AgentInfo")))  # type: ignore[arg-type]
        # and a status update under a registered agent's address naming another agent id
        # (Mesos drops it: "status_update_agent_mismatch"); its task id is HOSTILE_TASK
        agents = [a for _, a in sorted(m.machine._agents.items()) if a.connected and a.pid]
        if agents:
            uuid = bytes(16)
            self.deliver(m, Received(sender=agents[0].pid, message=StatusUpdateMessage(
                update=StatusUpdate(framework_id=s.app.framework_id or min(
                                        m.machine._frameworks, default="sim-none"), uuid=uuid,
                                    status=TaskStatus(task_id=HOSTILE_TASK,
                                                      state=TaskState.TASK_RUNNING,
                                                      source=Source.SOURCE_EXECUTOR,
                                                      agent_id=s.name + HOSTILE_AGENT,
                                                      uuid=uuid)))))
        self.forge_agent_messages(s, m, agents)
        self.malformed_agent_messages(m, s.name + HOSTILE_AGENT)  # s14 kops
        checks_kobs.unexpected_agent_message(self, m, s.name + HOSTILE_AGENT)  # s16 kobs

    # s14 kops
    def malformed_agent_messages(self, m: MasterNode, sender: str) -> None:
        """MalformedAgentMessagesRefused (s14 kops): the hostile peer also sends the leader
        agent messages with ONE field broken at a time (a list where the codec gives a
        repeated field, a task record with no state or framework, an AgentInfo carrying an
        allocation role, tasks using more than the agent's resources, an empty id): each
        must be rejected 400 and change nothing. Off the network, no random draw."""
        from mesotron.core.messages import ExitedExecutor, ReregisterAgent, TaskRecord
        from mesotron.core.values import TaskInfo

        res = Resources.parse("cpus:1;mem:128")
        info = AgentInfo(hostname=f"{sender}-host", port=5051, resources=res,
                         id="sim-hostile-agent")
        task = TaskInfo(name="h", task_id=HOSTILE_TASK, agent_id=info.id,
                        resources=Resources.parse("cpus:0.5;mem:32"))
        rec = TaskRecord(framework_id="sim-hostile-fw", task=task, state=TaskState.TASK_RUNNING,
                         executor_id="e1")
        big = attrs.evolve(rec, task=attrs.evolve(task, resources=Resources.parse("cpus:2;mem:32")))
        bad: list[Any] = [
            ReregisterAgent(agent_info=info, tasks=[rec]),  # type: ignore[arg-type]
            ReregisterAgent(agent_info=info, tasks=(attrs.evolve(rec, state="TASK_RUNNING"),)),
            ReregisterAgent(agent_info=info, tasks=(attrs.evolve(rec, framework_id=""),)),
            ReregisterAgent(agent_info=info, tasks=(big,)),
            ReregisterAgent(agent_info=info, executor_infos=["e1"]),  # type: ignore[arg-type]
            ReregisterAgent(agent_info=info, frameworks=("f1",)),  # type: ignore[arg-type]
            ReregisterAgent(agent_info=attrs.evolve(info, id=None)),
            RegisterAgent(agent_info=attrs.evolve(info, id=None, resources=res.allocate("web"))),
            ExitedExecutor(agent_id=info.id, framework_id="f1", executor_id="", status=0),
            UnregisterAgent(agent_id=""),
        ]
        for msg in bad:
            self.deliver(m, Received(sender=sender, message=msg))

    def forge_agent_messages(self, s: SchedulerNode, m: MasterNode, agents: list[Any]) -> None:
        """ForgedAgentMessagesIgnored: with each adversarial SUBSCRIBE, a peer that is not an
        agent the master may take (sender `<name>` + FORGED_AGENT) sends the leader, at once
        and off the network: a well-formed RegisterAgent whose version Mesos refuses (in
        turn: unparsable, four components, older than 1.0.0: MINIMUM_AGENT_VERSION) and,
        when the leader has a connected agent, an UnregisterAgent naming that agent's id
        (Mesos ignores an unregistration from any pid but the agent's own)."""
        self.forged += 1
        version = FORGED_VERSIONS[self.forged % len(FORGED_VERSIONS)]
        info = AgentInfo(hostname=f"{s.name}-forged", port=5051,
                         resources=Resources.parse("cpus:1;mem:128"))
        self.deliver(m, Received(sender=s.name + FORGED_AGENT,
                                 message=RegisterAgent(agent_info=info, version=version)))
        if agents:
            self.deliver(m, Received(sender=s.name + FORGED_AGENT,
                                     message=UnregisterAgent(agent_id=agents[0].id)))

    # s13 mops
    def hostile_scheduler_calls(self, s: SchedulerNode, ev: Any) -> None:
        """HostileCallsRefused: as the adversarial framework hears SUBSCRIBED, a hostile HTTP
        client that knows its framework id sends the leader, at once and off the network (no
        stream id, no principal), every call of core/sim/hostile.py: each call type with one
        field broken at a time, and a well-formed twin of each non-SUBSCRIBE type. The
        answers go nowhere (no request is booked), no random draw, no scheduler state
        changes, no event is added."""
        from mesotron.core.sim.hostile import HOSTILE_CALL, hostile_calls

        m = self.live_leader()
        if m is None:
            return
        fid = ev.framework_id
        self.hostile_rounds = getattr(self, "hostile_rounds", 0) + 1
        info = s.machine.config.framework_info if s.machine is not None else None
        for i, (bad, what, c, with_id) in enumerate(hostile_calls(info, fid)):
            self.deliver(m, SchedulerCall(
                request=f"{s.name}-{self.hostile_rounds}{HOSTILE_CALL}{i}:"
                        f"{'malformed' if bad else 'well-formed'}:{what}",
                stream_id=None, framework_id=fid if with_id else None, call=c))
        if self.config.sched_misuse and info is not None:  # s18 drivem
            checks_drivem.misaddressed_calls(self, s, m, info, fid)
        if self.config.master_edges and info is not None:  # s19 kmast3
            checks_kmast3.bad_subscriptions(self, s, m, info)  # s19 kmast3

    def tell(self, s: SchedulerNode, ev: Any) -> None:
        """Timeline lines for what a framework hears."""
        t = type(ev)
        if t is EventOffers:
            for o in ev.offers:
                self.rec("offer", framework=s.name, offer=o.id, agent=o.agent_id)
                self.note(f"master offers {o.id} to {s.name}: {o.resources.unallocate()} "
                          f"on {o.agent_id}")
        elif t is EventUpdate:
            st = ev.status
            src = st.source.name.removeprefix("SOURCE_").lower() if st.source else "?"
            why = f" ({st.reason.name.removeprefix('REASON_').lower()})" if st.reason else ""
            self.note(f"{s.name} hears {st.task_id} {st.state.name} from {src}{why}")
            self.rec("update", framework=s.name, task=st.task_id, state=st.state.name,
                     agent=st.agent_id)
        elif t is EventSubscribed:
            self.note(f"{s.name} subscribed as {ev.framework_id}")
        elif t is EventRescind:
            self.note(f"master rescinds {ev.offer_id} from {s.name}")
            self.rec("rescind", framework=s.name, offer=ev.offer_id)
        else:
            self.note(f"{s.name} hears {t.__name__}")

    def shares_tick(self) -> None:
        m = self.live_leader()
        if m is not None:
            al = m.machine.allocator
            parts = []
            for sn in self.schedulers:
                fid = sn.app.framework_id
                if fid is not None and fid in al.framework_ids():
                    parts.append(f"{sn.name} {al.dominant_share(fid):.3f}")
            if parts:
                self.note("dominant shares: " + ", ".join(parts))
        self.at(60.0, FN, self.shares_tick, ())

    def rec_call(self, s: SchedulerNode, c: Any) -> None:
        name = type(c).__name__
        if name in ("CallAccept", "CallDecline"):
            offers = getattr(c, "offer_ids", ())
            ops = getattr(c, "operations", ())
            launches = 0
            for op in ops:
                tasks: Any = getattr(op, "task_infos", None) or getattr(op, "tasks", ())
                launches += len(tasks)
            kind = "accept" if name == "CallAccept" and launches else "decline"
            self.rec(kind, framework=s.name, offers=list(offers), tasks=launches)

    def rec_tick(self) -> None:
        """Shares, roles and connected agents every 2 virtual seconds, kept when changed."""
        m = self.live_leader()
        if m is not None:
            self.rec_shares(m)
        self.at(2.0, FN, self.rec_tick, ())

    def rec_shares(self, m: Any) -> None:
        al = m.machine.allocator
        fw: dict[str, float] = {}
        roles: dict[str, float] = {}
        for sn in self.schedulers:
            fid = sn.app.framework_id
            if fid is not None and fid in al.framework_ids():
                fw[sn.name] = al.dominant_share(fid)
                roles[sn.app.role] = al.role_share(sn.app.role)
        agents = sum(1 for a in m.machine.agents.values() if a.connected)
        last = self.rec_last_shares
        if last is not None and last == (fw, roles, m.name, agents):
            return
        self.rec_last_shares = (fw, roles, m.name, agents)
        self.rec("shares", frameworks=fw, roles=roles, master=m.name, agents=agents)

    def app_actions(self, s: SchedulerNode, actions: list[Any]) -> None:
        for act in actions:
            if act[0] == "call":
                if s.alive:
                    self.scheduler_step(s, Perform(call=act[1]))
            elif act[0] == "timer":
                self.at(act[1], CALL, self.app_timer, (s, s.inc, act[2]))
            elif act[0] == "note" and self.timeline is not None:
                self.note(f"{s.name} {act[1]}")
            elif act[0] == "crash":
                # a scheduler failover in the middle of what it was doing (e.g. a launch)
                self.at(0.0, FN, self.crash_scheduler, (s, act[1]))
            elif act[0] == "teardown":
                self.at(0.0, FN, self.teardown_scheduler, (s, s.inc))
            elif act[0] == "vanish":  # s18 drivem
                self.at(0.0, FN, self.vanish_scheduler, (s, act[1]))

    def app_timer(self, s: SchedulerNode, inc: int, tag: Any) -> None:
        if not s.alive or s.inc != inc:
            return
        self.app_actions(s, s.app.on_timer(self.now, tag))

    def teardown_scheduler(self, s: SchedulerNode, inc: int) -> None:
        """The framework tears itself down and comes back later as a new framework (a new
        id, no tasks). It sends TEARDOWN on its subscription and exits half a second later
        (after the 202), as a framework's client library does: a TEARDOWN sent as the
        stream closes (the driver's Stop(teardown=True)) reaches the master after the
        disconnection and is refused 403 "Framework is not subscribed", so no simulated
        framework was ever removed (the master's removal path went unchecked)."""
        if not s.alive or s.inc != inc:
            return
        self.note(f"{s.name} tears down framework {s.app.framework_id}")
        self.scheduler_step(s, Perform(call=CallTeardown()))
        s.app.torn_down()
        self.at(0.5, FN, self.exit_after_teardown, (s, s.inc, self.rng.uniform(5.0, 30.0)))

    def exit_after_teardown(self, s: SchedulerNode, inc: int, restart_after: float) -> None:
        if s.alive and s.inc == inc:
            self.crash_scheduler(s, restart_after)

    def crash_scheduler(self, s: SchedulerNode, restart_after: float) -> None:
        if not s.alive:
            return
        self.note(f"fault: crash scheduler {s.name}")
        s.machine.step(self.now, SchedulerStop(teardown=False))
        s.alive = False
        for peer_name in sorted(s.peers):
            self.break_link(s, self.nodes[peer_name])
        for st in sorted(s.streams):
            sm = self.streams.pop(st, None)
            if sm is not None:
                m = self.nodes[sm[1]]
                self.at(0.001, MSG, m.name, Disconnected(peer=st), m.inc, None)
        s.streams = set()
        s.inc += 1
        s.app.subscribed = False
        if s.app.kind == "multirole":  # s18 drivel: it comes back with other roles
            s.app.failed_over()
        self.at(restart_after, FN, self.start_scheduler, (s,))

    def vanish_scheduler(self, s: SchedulerNode, restart_after: float) -> None:
        """s18 drivem (SimConfig.sched_misuse): the scheduler process dies but its connection
        stays half-open: the master does not notice (no Disconnected; what it sends there is
        lost) until the restarted scheduler subscribes again with the same framework id, a
        failover onto a new connection (Mesos Master::failoverFramework: ERROR "Framework
        failed over" on the old one, which it closes; its offers are withdrawn)."""
        if not s.alive:
            return
        self.note(f"fault: scheduler {s.name} dies, its connection stays half-open")
        s.machine.step(self.now, SchedulerStop(teardown=False))
        s.alive = False
        s.streams = set()
        s.inc += 1
        s.app.subscribed = False
        self.at(restart_after, FN, self.start_scheduler, (s,))

    def operator_tick(self) -> None:
        """An operator's write through the operator API: a role's weight, or a role's quota
        (guarantee, and a limit that only grows: lowering one is not revocation, Mesos
        leaves what is held)."""
        from mesotron.core.master import operator as op
        from mesotron.core.master.operator import OperatorCall
        from mesotron.core.sim.frameworks import ROLES

        self.at(self.rng.uniform(20.0, 80.0), CALL, self.operator_tick, ())
        m = self.live_leader()
        if m is None:
            return
        roles = sorted(set(ROLES.values()))
        role = self.rng.choice(roles)
        self.operator_calls += 1
        pick = self.rng.random()
        self.op_ticks += 1
        if pick > 0.8:
            # a call the operator knows to be invalid (InvalidOperatorCallsRefused)
            what, bad = self.invalid_operator_call()
            self.op_requests[f"operator-{self.operator_calls}"] = ("invalid", what)
            self.note(f"operator sends an invalid call: {what}")
            self.deliver(m, OperatorCall(request=f"operator-{self.operator_calls}", call=bad,
                                         principal=OPERATOR if type(bad) is op.ReserveResources
                                         else None))
            if type(bad) is op.ReserveResources:  # s14 kops
                self.invalid_agent_calls(m, bad.agent_id)
            return
        if self.op_ticks % 8 == 6 and self.master_config.acls is not None:
            # s12: someone the ACLs (sim_acls) do not allow to write weights tries to
            # (UnauthorizedOperatorCallsRefused: answered 403, nothing changes)
            req = f"operator-{self.operator_calls}"
            self.op_requests[req] = ("forbidden", role)
            self.note(f"{INTRUDER} tries to set the weight of {role}: {INTRUDER_WEIGHT:g}")
            self.deliver(m, OperatorCall(request=req, principal=INTRUDER, call=op.UpdateWeights(
                weights=((role, INTRUDER_WEIGHT),))))
            return
        if self.op_ticks % 8 == 3:
            # on its 3rd write and every 8th after, the operator tears down the misbehaving
            # (adversarial) framework: Mesos's TEARDOWN; its scheduler hears "Framework has
            # been removed" and comes back as a new framework (WhyExplains: the id is answered
            # completed from then on)
            fid = next((s.app.framework_id for s in self.schedulers
                        if s.app.kind == "adversarial" and s.app.framework_id in m.machine._frameworks),
                       None)
            if fid is not None:
                req = f"operator-{self.operator_calls}"
                self.op_requests[req] = ("teardown", fid)
                self.note(f"operator tears down framework {fid}")
                self.deliver(m, OperatorCall(request=req, call=op.Teardown(framework_id=fid)))
                return
        if pick < 0.5:
            call: Any = op.UpdateWeights(weights=((role, self.rng.choice((0.5, 1.0, 2.0, 3.0))),))
            # s14 kalloc: on every second weight tick, a role whose weight in force is not
            # the default (its last write, else the configured one) is set back to 1
            # (AllocatorSettingsAgree: the allocator drops the role's weight)
            w_writes = self.op_writes.get(("weight", role))
            in_force = w_writes[-1][0] if w_writes else dict(SIM_WEIGHTS).get(role, 1.0)
            if self.op_ticks % 2 == 0 and in_force != 1.0:
                call = op.UpdateWeights(weights=((role, 1.0),))
            self.note(f"operator sets weight of {role}: {call.weights[0][1]:g}")
        else:
            self.quota_limit = min(self.quota_limit + self.rng.choice((0.0, 1.0)), 12.0)
            # limits on cpus and on memory, sized to the role's tasks (128 MB per cpu): both
            # cut at once (an allocation left with neither is not allocatable)
            call = op.UpdateQuota(force=True, configs=(op.QuotaConfig(
                role="resv", guarantees=(("cpus", 1.0),), limits=(
                    ("cpus", self.quota_limit), ("mem", 128.0 * self.quota_limit))),))
            if len(self.op_writes.get(("quota", "resv"), ())) % 2 == 1:
                # s14 kalloc: every second quota write of the operator removes the role's
                # quota (an empty config: no guarantee, no limit); the next sets it again
                # (AllocatorSettingsAgree: the allocator forgets both)
                call = op.UpdateQuota(force=True, configs=(op.QuotaConfig(
                    role="resv", guarantees=(), limits=()),))
                self.note("operator removes the quota of resv")
            else:
                self.note(f"operator sets quota of resv: cpus guarantee 1, limit cpus "
                          f"{self.quota_limit:g} mem {128 * self.quota_limit:g}")
        req = f"operator-{self.operator_calls}"
        if isinstance(call, op.UpdateWeights):
            key, value = ("weight", role), call.weights[0][1]
        else:
            key, value = ("quota", "resv"), (call.configs[0].guarantees, call.configs[0].limits)
            if value == ((), ()):
                value = None  # s14 kalloc: a removed quota (the master reports none)
        writes = self.op_writes.setdefault(key, [])
        self.op_settings[req] = (key, len(writes))
        writes.append([value, None])
        self.deliver(m, OperatorCall(request=req, call=call))

    def operator_agent_tick(self) -> None:
        """Now and then an operator's call about an agent (operator_agent_call)."""
        from mesotron.core.master.operator import OperatorCall

        self.at(self.rng.uniform(15.0, 45.0), CALL, self.operator_agent_tick, ())
        m = self.live_leader()
        if m is None:
            return
        call = self.operator_agent_call(m)
        if call is not None:
            self.operator_calls += 1
            self.op_requests[f"operator-{self.operator_calls}"] = self.op_pending
            self.deliver(m, OperatorCall(request=f"operator-{self.operator_calls}", call=call))

    def operator_agent_call(self, m: MasterNode) -> Any:
        """An operator's call about an agent (None: nothing to do now): DEACTIVATE_AGENT or
        DRAIN_AGENT of one agent of the leader's /state (at most one agent out at a time),
        REACTIVATE_AGENT of an agent out. From a quarter of the calm after the faults on,
        the operator settles: every agent out but a drained one (an answer lost included)
        is reactivated, so the liveness checks see the cluster whole."""
        from mesotron.core.master import operator as op

        if self.quiescent and self.quiescent_since is None:
            self.quiescent_since = self.now
        # the first quarter of the calm goes on as before; then the operator settles
        if self.quiescent and self.now >= self.quiescent_since + self.config.quiesce / 4:
            unsure = sorted(self.op_touched - {a for a, (k, _t) in self.op_out.items()
                                                if k == "drain"})
            if not unsure:
                return None
            aid = unsure[0]
            self.op_out.pop(aid, None)
            self.note(f"operator reactivates agent {aid}")
            return self.op_call("reactivate", aid, op.ReactivateAgent(agent_id=aid))
        if self.op_touched:
            aid = min(self.op_touched)
            if self.rng.random() < 0.3:
                return None
            self.op_out.pop(aid, None)  # offers of it are fine from this call on
            self.note(f"operator reactivates agent {aid}")
            return self.op_call("reactivate", aid, op.ReactivateAgent(agent_id=aid))
        agents = sorted(a for a, v in m.machine._agents.items() if v.connected)
        # an operator drains a busy agent (/state: it runs tasks), or deactivates any
        busy = [a for a in agents if any(not t.state.is_terminal
                                         for t in m.machine._agents[a].tasks.values())]
        # (s14 kops: the first call about a busy agent always drains it: the drain paths
        # must run in every operator run, the mutation judge's one included)
        drain = bool(busy) and (self.rng.random() < 0.6 or self.op_drains == 0)
        if drain:
            agents = busy
        if not agents:
            return None
        aid = self.rng.choice(agents)
        self.op_touched.add(aid)
        if not drain:
            self.note(f"operator deactivates agent {aid}")
            return self.op_call("deactivate", aid, op.DeactivateAgent(agent_id=aid))
        grace = self.rng.choice((None, 0.0, 2.0))
        self.op_grace[aid] = grace
        # s14 kops: every other drain, the first included, marks the agent gone once drained
        # (no random draw)
        self.op_drains += 1
        gone = self.op_drains % 2 == 1
        self.op_mark_gone[aid] = gone
        self.note(f"operator drains agent {aid} (max grace {grace})" + (", then gone" if gone else ""))
        return self.op_call("drain", aid, op.DrainAgent(agent_id=aid, max_grace_period=grace,
                                                         mark_gone=gone))

    def maintenance_tick(self) -> None:
        """SimConfig.operator: planned maintenance of agents, in turn: (a) an agent restarted
        for maintenance (SIGUSR1: Mesos's agent unregisters, its executors are killed, it
        forgets its id, and its supervisor starts it again 5-20 s later: a new agent); (b)
        one or two agents (neighbours) stopped for an upgrade for 100-160 s, longer than the
        master's health checks allow (agent_ping_timeout x max_agent_ping_timeouts), their
        executors running on: the master marks them unreachable, one removal permit at a
        time (REMOVAL_RATE_LIMIT), and they recover and come back with their tasks
        (readmitted).
        UnresponsiveAgentsRemoved is judged as each comes back. One maintenance at a time,
        agents the operator's agent calls hold are left alone; none from a quarter of the
        calm after the faults on (the cluster settles for the liveness checks)."""
        if self.quiescent:
            if self.maint_calm_since is None:
                self.maint_calm_since = self.now
            if self.now >= self.maint_calm_since + self.config.quiesce / 4:
                return
        self.at(self.rng.uniform(40.0, 80.0), CALL, self.maintenance_tick, ())
        m = self.live_leader()
        if m is None or self.now < self.maint_busy_until:
            return
        held = m.machine._agents
        nodes = [n for n in self.agents if n.alive and n.machine is not None
                 and n.machine.agent_id in held and held[n.machine.agent_id].connected
                 and n.machine.agent_id not in self.op_touched]
        if not nodes:
            return
        self.maint_count += 1
        n = self.rng.choice(nodes)
        if self.maint_count % 2:
            self.note(f"operator restarts agent {n.machine.agent_id} for maintenance "
                      "(SIGUSR1: it unregisters)")
            self.maint_busy_until = self.now + 30.0
            self.decommission_agent(n)
            return
        rack = [n, *[x for x in nodes if x.index == n.index + 1]]
        down = round(self.rng.uniform(100.0, 160.0), 3)
        self.maint_busy_until = self.now + down + 30.0
        for x in rack:
            aid = x.machine.agent_id
            self.note(f"operator stops agent {x.name} ({aid}) for an upgrade for {down:g} s")
            self.crash_agent(x, restart_after=down, lossy=False, mode="reconnect")
            self.at(down - 0.001, FN, self.maintenance_over,
                    (aid, self.now, (m, m.inc, m.machine.elected_time)))

    def whitelist_tick(self) -> None:
        """SimConfig.operator: the operator edits the --whitelist file every masters reads
        (Mesos watches it: WhitelistChanged to each live master; a master started later
        reads the new file): in turn every agent's host, and all but one (a host kept out
        of offers). From a quarter of the calm after the faults on the file is removed (no
        whitelist: every agent is offered, for the liveness checks). NoOffersOutsideWhitelist
        reads `self.whitelist`, the file as the operator wrote it."""
        from mesotron.core.master.base import WhitelistChanged

        hosts: frozenset[str] | None
        if self.quiescent and self.maint_calm_since is not None \
                and self.now >= self.maint_calm_since + self.config.quiesce / 4:
            if self.whitelist is None:
                return
            hosts = None
            self.note("operator removes the --whitelist file")
        else:
            self.at(self.rng.uniform(60.0, 120.0), CALL, self.whitelist_tick, ())
            every = frozenset(f"agent{i + 1}" for i in range(self.config.agents))
            if self.whitelist != every:
                hosts = every
                self.note("operator whitelists every agent's host")
            else:
                out = f"agent{self.rng.randrange(self.config.agents) + 1}"
                hosts = every - {out}
                self.note(f"operator takes {out} off the --whitelist")
        self.whitelist = hosts
        self.master_config = attrs.evolve(self.master_config, whitelist=hosts)
        for m in self.masters:
            if m.alive:
                self.deliver(m, WhitelistChanged(hosts=hosts))

    def maintenance_over(self, aid: str, since: float, term: tuple[Any, int, Any]) -> None:
        """An agent stopped at `since` is about to come back: when the leader of then led
        throughout, UnresponsiveAgentsRemoved and AgentsHealthChecked."""
        m, inc, elected = term
        if self.obs is None or not hasattr(self.obs, "check_unresponsive_removed"):
            return
        mc: Any = m.machine
        if m.alive and m.inc == inc and self.leader is m and mc.leader \
                and mc.elected_time == elected:
            self.obs.check_unresponsive_removed(self, m, aid, self.now - since)

    def operator_host_tick(self) -> None:
        """Host maintenance by an operator (SimConfig.operator), every 30-90 s until a
        quarter of the calm: one agent (of those that run) is either RETIRED (SIGUSR1: the
        agent unregisters, kills its tasks, removes its checkpoints and exits; the host
        comes back 5-20 s later as a new agent, StopAgent) or RESTARTED in reconnect mode
        with changed --resources (one more cpu and 1 GB more memory, or back to the
        original: the master admits the new total when it still holds what runs there,
        else refuses the change and keeps the old one)."""
        rng = self.host_rng
        if self.quiescent:
            if self.quiescent_since is None:
                self.quiescent_since = self.now
            if self.now >= self.quiescent_since + self.config.quiesce / 4:
                return
        self.at(rng.uniform(30.0, 90.0), CALL, self.operator_host_tick, ())
        up = [n for n in self.agents if n.alive and n.machine is not None
              and n.machine.state == "running"]
        if not up:
            return
        n = rng.choice(up)
        if rng.random() < 0.4:
            self.note(f"operator retires {n.name} (agent {n.machine.agent_id}): SIGUSR1")
            self.count("agents_retired")
            self.decommission_agent(n)
            return
        base = self.agent_resources
        # a grown total is recovered in place (Mesos's --reconfiguration_policy=additive);
        # a shrunk one needs the agent's checkpoints cleaned (a new agent, the old one's
        # tasks killed), as a Mesos agent refuses to recover with fewer resources
        mode = "reconnect"
        if n.resources == base:
            n.resources = str(Resources.parse(base) + Resources.parse("cpus:1;mem:1024"))
        else:
            n.resources = base
            mode = "cleanup"
        self.note(f"operator restarts {n.name} ({mode}) with resources {n.resources}")
        self.count("agents_resized")
        self.crash_agent(n, restart_after=rng.uniform(0.5, 3.0), lossy=False, mode=mode)

    # s13 mops
    def operator_upgrade_tick(self) -> None:
        """SimConfig.operator: every 250-400 s of the faulty phase the operator upgrades the
        leading master (a rolling upgrade: it stops, another master is elected, it comes
        back 5-15 s later), so that every run with operator settings, reservations and
        operations also recovers them after a failover (the registry's settings, the
        unacknowledged operations, drains in progress). Its own random stream."""
        if self.quiescent:
            return
        rng = self.upgrade_rng
        self.at(rng.uniform(250.0, 400.0), CALL, self.operator_upgrade_tick, ())
        m = self.live_leader()
        if m is None:
            return
        self.note(f"operator upgrades the leading master {m.name}")
        self.crash_master(m, restart_after=rng.uniform(5.0, 15.0))

    # s13 mops
    def operator_reserve_tick(self) -> None:
        """SimConfig.operator: every 40-100 s the operator RESERVEs `OP_RESERVATION` (role
        `resv`, its own principal) on a connected agent of the leader's, or UNRESERVEs what it
        reserved there before (Mesos's RESERVE_RESOURCES / UNRESERVE_RESOURCES operator calls;
        OperatorReservationsApplied judges each step). From a quarter of the calm after the
        faults on it gives every reservation back at once and stops (the liveness checks see
        the cluster unreserved)."""
        from mesotron.core.master import operator as op
        from mesotron.core.master.operator import OperatorCall

        rng = self.resv_rng
        m = self.live_leader()
        settle = False
        if self.quiescent:
            if self.quiescent_since is None:
                self.quiescent_since = self.now
            settle = self.now >= self.quiescent_since + self.config.quiesce / 4
        if not settle:
            self.at(rng.uniform(40.0, 100.0), CALL, self.operator_reserve_tick, ())
        if m is None:
            return
        if settle:
            todo = sorted(self.op_reserved)
        else:
            agents = sorted(a for a, v in m.machine._agents.items() if v.connected)
            if not agents:
                return
            todo = [rng.choice(agents)]
        for aid in todo:
            held = self.op_reserved.pop(aid, None)
            reserve = held is None and not settle
            res = Resources.parse(OP_RESERVATION).push_reservation(
                Reservation(type="DYNAMIC", role="resv", principal=OPERATOR)) if reserve else held
            if res is None:
                continue
            if reserve:
                self.op_reserved[aid] = res
            self.op_resv_calls += 1
            req = f"{OP_RESV_REQUEST}{self.op_resv_calls}"
            self.note(f"operator {'reserves' if reserve else 'unreserves'} {res} on agent {aid}")
            a = m.machine._agents.get(aid)
            self.op_resv_pre = (req, aid, a.info.resources if a is not None else Resources())
            self.deliver(m, OperatorCall(request=req, principal=OPERATOR, call=op.ReserveResources(
                agent_id=aid, resources=res, reserve=reserve)))
            self.op_resv_pre = None

    def invalid_operator_call(self) -> tuple[str, Any]:
        """(what is wrong, the call): calls Mesos's operator API refuses (400)."""
        from mesotron.core.master import operator as op

        k = (self.invalid_calls + 5) % 7  # each kind in turn (a TEARDOWN first)
        self.invalid_calls += 1
        if k == 0:
            return ("quota guarantee above the cluster's capacity without force", op.UpdateQuota(
                configs=(op.QuotaConfig(role="resv", guarantees=(("cpus", 1000.0),)),)))
        if k == 1:
            return ("quota guarantee above its limit", op.UpdateQuota(force=True, configs=(
                op.QuotaConfig(role="resv", guarantees=(("cpus", 3.0),), limits=(("cpus", 1.0),)),)))
        if k == 2:
            role, w = self.rng.choice((("web", 0.0), ("web", -1.0), ("*", 2.0)))
            return (f"weight {w:g} for role {role}", op.UpdateWeights(weights=((role, w),)))
        if k == 3:
            return ("drain with a negative max_grace_period",
                    op.DrainAgent(agent_id=self.rng.choice(sorted(self.op_known_agents()) or ["x"]),
                                  max_grace_period=-1.0))
        if k == 4:
            return ("deactivate an unknown agent", op.DeactivateAgent(agent_id="no-such-agent"))
        if k == 5:
            return ("tear down an unknown framework", op.Teardown(framework_id="no-such-framework"))
        # (sent authenticated as OPERATOR: Mesos checks the reservation's principal)
        res = Resources.parse("cpus:0.25").push_reservation(
            Reservation(type="DYNAMIC", role="resv", principal="someone-else"))
        return ("a RESERVE_RESOURCES naming another principal than the caller's",
                op.ReserveResources(agent_id=self.rng.choice(sorted(self.op_known_agents()) or ["x"]),
                                    resources=res))

    # s14 kops
    def invalid_agent_calls(self, m: MasterNode, aid: str) -> None:
        """InvalidOperatorCallsRefused (s14 kops): with its invalid RESERVE_RESOURCES the
        operator sends, at once, more calls Mesos's operator API refuses 400: a RESERVE of a
        reservation that is not dynamic (STATIC), an UNRESERVE of resources with an allocation
        role, a MARK_AGENT_GONE of an unknown agent, a DRAIN_AGENT with a negative grace
        period, a weight and a quota for a role outside
        the masters' --roles (SIM_ROLES). Authenticated as the operator,
        booked as invalid; no random draw, no event (the master refuses them: nothing
        changes)."""
        from mesotron.core.master import operator as op
        from mesotron.core.master.operator import OperatorCall

        calls = [
            ("a RESERVE_RESOURCES of a STATIC reservation", op.ReserveResources(
                agent_id=aid, resources=Resources.parse("cpus:0.25").push_reservation(
                    Reservation(type="STATIC", role="resv", principal=OPERATOR)))),
            ("an UNRESERVE_RESOURCES of resources with an allocation role", op.ReserveResources(
                agent_id=aid, reserve=False, resources=Resources.parse("cpus:0.25").push_reservation(
                    Reservation(type="DYNAMIC", role="resv", principal=OPERATOR)).allocate("resv"))),
            ("a MARK_AGENT_GONE of an unknown agent", op.MarkAgentGone(agent_id="no-such-agent")),
            ("a DRAIN_AGENT with a negative max_grace_period",
             op.DrainAgent(agent_id=aid, max_grace_period=-1.0)),
            ("a weight for a role outside --roles", op.UpdateWeights(weights=(("qa", 2.0),))),
            ("a quota for a role outside --roles", op.UpdateQuota(force=True, configs=(
                op.QuotaConfig(role="qa", guarantees=(("cpus", 1.0),)),))),
        ]
        for i, (what, call) in enumerate(calls):
            req = f"operator-{self.operator_calls}-invalid{i}"
            self.op_requests[req] = ("invalid", what)
            self.note(f"operator sends an invalid call: {what}")
            self.deliver(m, OperatorCall(request=req, call=call, principal=OPERATOR))
        checks_kobs.mark_gone_again(self, m)  # s16 kobs

    def op_known_agents(self) -> set[str]:
        m = self.live_leader()
        return set(m.machine._agents) if m is not None else set()

    def op_call(self, kind: str, aid: str, call: Any) -> Any:
        self.op_pending = (kind, aid)  # recorded under its request id by the caller
        return call

    def operator_answered(self, e: Any) -> None:
        """The leader's answer to an operator call (op_requests): a 200 settles the agent's
        state as the operator knows it."""
        setting = self.op_settings.pop(e.request, None)
        if setting is not None:
            self.op_writes[setting[0]][setting[1]][1] = e.status
            return
        got = self.op_requests.pop(e.request, None)
        if got is None:
            return
        kind, aid = got
        if kind == "forbidden":
            if self.obs is not None and hasattr(self.obs, "check_forbidden_answer"):
                self.obs.check_forbidden_answer(self, aid, e.status, e.message)
            return
        if kind == "teardown":
            if e.status == 200:
                self.op_torn_down.add(aid)  # (a framework id)
            return
        if kind == "invalid":
            if self.obs is not None and hasattr(self.obs, "check_invalid_answer"):
                self.obs.check_invalid_answer(self, aid, e.status, e.message)
            return
        if e.status != 200:
            if kind == "reactivate" and e.status == 400:
                self.op_touched.discard(aid)  # unknown agent (removed): nothing to undo
            return
        if kind == "reactivate":
            self.op_touched.discard(aid)
            self.op_out.pop(aid, None)
        elif aid in self.op_touched and ("reactivate", aid) not in self.op_requests.values():
            self.op_out[aid] = (kind, self.now)  # (no REACTIVATE sent since)
            live = self.agent_live_tasks(aid)
            if kind == "drain" and live:
                self.at(DRAIN_WITHIN, FN, self.drain_check, (aid, live, self.calm_marker(aid)))

    def agent_live_tasks(self, aid: str) -> frozenset[str]:
        """The live tasks the agent with this id runs, by its own books."""
        for n in self.agents:
            if n.alive and n.machine is not None and n.machine.agent_id == aid:
                return frozenset(f"{fw.id}/{t.info.task_id}" for fw in n.machine.frameworks.values()
                                 for ex in fw.executors.values() for t in ex.tasks.values()
                                 if not t.state.is_terminal)
        return frozenset()

    def calm_marker(self, aid: str) -> Any:
        """What must stay the same over a window for a drain to be judged (None: not calm
        now): the same leader and agent incarnations, their connection not broken, no lossy
        network and no cut link from or to either of them."""
        m = self.live_leader()
        n = next((n for n in self.agents if n.alive and n.machine is not None
                  and n.machine.agent_id == aid), None)
        if m is None or n is None or self.drop_p:
            return None
        hosts = {m.host, n.host}
        if any(a in hosts or b in hosts for a, b in self.blocked):
            return None
        return (m.name, m.inc, n.inc, self.link_epoch.get(self.link(m.name, n.name), 0))

    def drain_check(self, aid: str, live: frozenset[str], marker: Any) -> None:
        """DrainEmptiesAgent: DRAIN_WITHIN seconds after the leader acknowledged a drain (or
        after the last fault since), the tasks the agent ran then have ended. A window with
        a fault in it is not judged: the check moves to the next window."""
        if self.op_out.get(aid, ("", 0.0))[0] != "drain":
            return  # reactivated since
        live = live & self.agent_live_tasks(aid)
        if not live:
            if self.op_mark_gone.get(aid) and self.obs is not None \
                    and hasattr(self.obs, "check_drained_gone"):  # s14 kops
                self.obs.check_drained_gone(self, aid)
            return
        now_marker = self.calm_marker(aid)
        if marker is None or now_marker != marker:
            self.at(DRAIN_WITHIN, FN, self.drain_check, (aid, live, now_marker))
            return
        if self.obs is not None and hasattr(self.obs, "check_drain"):
            self.obs.check_drain(self, aid, live)

    # ------------------------------------------------------------------ queries
    def live_leader(self) -> MasterNode | None:
        m = self.leader
        return m if m is not None and m.alive and m.leader else None


# s12: the operator run's --acls (permissive): the operator (OPERATOR) and the reserving
# frameworks may reserve for roles resv and web only (not resv/sub), nobody else may
# reserve; INTRUDER may write
# neither weights nor quota (its attempts: UnauthorizedOperatorCallsRefused)
OPERATOR = "ops"
# s14 kops: the operator run's --roles (every role its frameworks and its operator use)
SIM_ROLES = ("analytics", "chaos", "ml", "resv", "web")
INTRUDER = "intruder"
INTRUDER_WEIGHT = 7.0  # a weight the operator never sets


def sim_acls(config: Any) -> Any:
    from mesotron.core.authorizer import parse_acls

    reservers = [f"{k}{j // len(config.kinds) + 1}" for j in range(config.frameworks)
                 if (k := config.kinds[j % len(config.kinds)]) == "reserver"]
    misuse: dict[str, Any] = {}
    if config.sched_misuse:  # s18 drivem: nobody may run tasks as DENIED_USER
        misuse["run_tasks"] = [{"principals": {"type": "NONE"},
                                "users": {"values": [DENIED_USER]}}]
    return parse_acls({
        **misuse,
        "permissive": True,
        "update_weights": [{"principals": {"values": [INTRUDER]}, "roles": {"type": "NONE"}}],
        "update_quotas": [{"principals": {"values": [INTRUDER]}, "roles": {"type": "NONE"}}],
        "reserve_resources": [
            {"principals": {"values": [OPERATOR, *reservers]}, "roles": {"values": ["resv", "web"]}},
            {"principals": {"type": "ANY"}, "roles": {"type": "NONE"}}],
        **(checks_driveo.JUNIOR_ACLS if config.agent_calls else {}),  # s18 driveo
    })


HOSTILE_AGENT = "/hostile-agent"  # the sender name suffix of spoof_agent_message
# s13 mops: what the operator reserves on an agent (operator_reserve_tick), its requests' prefix
OP_RESERVATION = "cpus:0.25;mem:32"
OP_RESV_REQUEST = "operator-reservation-"
# the operator runs' --agent_removal_rate_limit (1 per 2 minutes: Mesos's "1/2mins")
REMOVAL_RATE_LIMIT = (1, 120.0)
FORGED_AGENT = "/forged-agent"  # the sender name suffix of forge_agent_messages
# agent versions the master must refuse (core/master/agents.py agent_version_ok)
FORGED_VERSIONS = ("1.x.0", "1.0.0.1", "0.28.2")
HOSTILE_TASK = "sim-hostile-task"  # the task id of its spoofed status update
HOSTILE_EXECUTOR = "/hostile-executor"  # the sender name suffix of hostile_executor
GHOST_TASK = "sim-ghost-executor-task"  # s13 magent: ghost_update's task id


def sim_claimed_principal(s: Any) -> str | None:
    """The FrameworkInfo.principal a simulated scheduler incarnation claims; the shell
    authenticates every framework as its name (PrincipalsChecked). By the parity of the
    incarnation number plus the name's length, an incarnation claims that name or nothing
    (the master fills in the authenticated one)."""
    return s.name if (s.inc + len(s.name)) % 2 else None


def sim_capabilities(kind: str, inc: int) -> frozenset[Capability]:
    """(s17 killm) The capabilities a simulated scheduler incarnation subscribes with: every
    one is PARTITION_AWARE and TASK_KILLING_STATE but each second failover of a batch or
    adversarial framework (incarnations 3, 7, 11...: a redeployed old build), which is shown
    TASK_LOST for what it may not see (lifecycle.visible_state: UNREACHABLE, DROPPED,
    GONE...) and TASK_RUNNING for TASK_KILLING, as Mesos shows a framework without those
    capabilities."""
    if kind in ("batch", "adversarial") and inc % 4 == 3:
        return frozenset()
    return frozenset({Capability.PARTITION_AWARE, Capability.TASK_KILLING_STATE})
