"""Abstract traces of simulator runs for trace validation against tla/MasterFailover.tla and
tla/Allocator.tla (tla/tracecheck.py, `make tla`), as core/sim/trace.py does for
StatusUpdates.tla.

Both tracers are *observers*: they wrap the simulator's Checker (every hook is passed on, so
the invariant catalog is still checked) and translate what the real machines did into the
spec's actions, one event per spec step. They keep a shadow of the few spec variables they
need to name events (epochs, which agents a master knows); they never decide whether a step
is allowed: TLC does.

What a spec does not describe is cut out soundly: the trace STOPS at the first such step (a
prefix of a behaviour is a behaviour), and the reason is recorded (`stopped`).

MasterFailover (one trace per run; run it with one framework):
- Elect/Recover/Fence when a master gains leadership (the simulator's election and its
  registry recovery write, which fences older leaders); ZkExpire first when ZooKeeper had
  another leader, StepDown for every earlier leader that crashed or restarted;
- Fenced when a registry write of a master fails (compare-and-set refused);
- AgentRegister / AgentRegisterRemoved / MarkUnreachable when the master's registry write
  commits (an `admit` of a new agent, an `admit` or `reachable` of an agent that was
  removed, an `unreachable`); `gone`, `remove`, `prune` are not in the spec: stop;
- AgentReregister when a master answers a re-registration; Partition/Heal when the master
  lost contact with an agent it marks unreachable, or an agent re-registers with a master
  it was registered with (a broken connection is a partition of the abstract model);
- AgentRestart (reconnect mode; cleanup mode: stop); Subscribe when a master sends
  SUBSCRIBED to the framework with a newer epoch; Launch when a master sends RunTask;
  AgentRunTask when the agent receives it (with the sender's epoch).

Allocator (one trace per run; the leading master's books, read after each of its steps):
- units: 1 unit = 0.05 cpus (every task and executor size in the simulator is a multiple);
- Allocate(a, f, units) for a new offer: `n` real units, `units` the shadow's free units;
- Accept(o, S) when an offer goes away on the framework's ACCEPT and its used units grow;
  Decline on a DECLINE (or an accept that launched nothing), with the filter's expiry time;
- Rescind for any other offer that goes away; AgentRemove when the master removes an agent;
  AgentAdd when it admits one with nothing in use; TaskFinish with the units a framework
  stops using; Expire(f, a) when a decline filter's time has passed before the next offer;
- a second leader (failover), an agent that comes back with tasks, an offer to a filtered
  framework of resources outside what it declined (the spec's filters are all-or-nothing):
  stop.
"""

from __future__ import annotations

from typing import Any

from mesotron.core.effects import Log, Received, RegistryResult, RegistryWrite, Send
from mesotron.core.master.base import LeadershipGained
from mesotron.core.messages import (
    AgentReregistered,
    CallAccept,
    CallDecline,
    CallRevive,
    CallSubscribe,
    EventOffers,
    EventSubscribed,
    RunTask,
    SchedulerCall,
)
from mesotron.core.sim.checker import Checker

UNIT = 0.05  # cpus per Allocator.tla unit


class _Tracer(Checker):
    """A Checker that also records one abstract trace."""

    def __init__(self, *, fail_fast: bool = True) -> None:
        super().__init__(fail_fast=fail_fast)
        self.events: list[dict[str, Any]] = []
        self.stopped: str | None = None
        self.marked: int | None = None  # index of the event a planted bug produced

    def emit(self, action: str, **kw: Any) -> None:
        if self.stopped is None:
            self.events.append({"action": action, **kw})

    def stop(self, why: str) -> None:
        if self.stopped is None:
            self.stopped = why


class MasterFailoverTracer(_Tracer):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.leader: str | None = None
        self.epoch = 0
        self.phase: dict[str, str] = {}
        self.m_epoch: dict[str, int] = {}
        self.m_agents: dict[str, set[str]] = {}
        self.m_inc: dict[str, int] = {}
        self.agent_epoch: dict[str, int] = {}
        self.partitioned: set[str] = set()
        self.admitted: set[str] = set()
        self.removed: set[str] = set()
        self.fw_epoch = 0
        self.ops: dict[tuple[str, int], Any] = {}
        self.hosts: dict[str, str] = {}  # agent id -> agent node name
        self.tasks: set[str] = set()
        self.agents: set[str] = set()
        self.masters: set[str] = set()
        self.just_admitted: set[str] = set()
        self.delivered: set[tuple[str, str, int]] = set()

    # ------------------------------------------------------------------ helpers
    def _agent(self, world: Any, aid: str | None, host: str | None = None) -> str | None:
        """The agent node (the spec's agent) of an agent id or hostname ("agentN")."""
        if host is not None and host.startswith("agent") and host[5:].isdigit():
            name = world.agents[int(host[5:]) - 1].name
            if aid is not None:
                self.hosts[aid] = name
            return name
        return self.hosts.get(aid) if aid is not None else None

    def _partition(self, a: str) -> None:
        if a not in self.partitioned:
            self.emit("Partition", a=a)
            self.partitioned.add(a)
            self.agent_epoch[a] = 0

    def _heal(self, a: str) -> None:
        if a in self.partitioned:
            self.emit("Heal", a=a)
            self.partitioned.discard(a)

    # ------------------------------------------------------------------ hooks
    def on_master_start(self, world: Any, n: Any) -> None:
        super().on_master_start(world, n)
        self.masters.add(n.name)
        self.phase.setdefault(n.name, "follower")
        if self.phase[n.name] != "follower" and self.leader != n.name:
            self.emit("StepDown", m=n.name)
            self.phase[n.name] = "follower"
        self.m_inc[n.name] = n.inc

    def on_agent_start(self, world: Any, n: Any, rec: Any) -> None:
        super().on_agent_start(world, n, rec)
        self.agents.add(n.name)
        if n.inc > 1:
            if n.mode != "reconnect":
                self.stop(f"agent {n.name} restarted in cleanup mode")
            else:
                self.emit("AgentRestart", a=n.name)
                self.agent_epoch[n.name] = 0

    def on_step(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        if node.kind == "master":
            self.master_step(world, node, inp, effects)
        elif node.kind == "agent" and type(inp) is Received and type(inp.message) is RunTask:
            sender = inp.sender
            key = (inp.message.task.task_id, node.name, self.m_epoch.get(sender, 0))
            # a copy the lossy network duplicated is the same message of the spec's set
            # (the simulator's SingleLaunch judges what a duplicate does)
            if sender in self.m_epoch and self.stopped is None and key not in self.delivered:
                self.delivered.add(key)
                self._heal(node.name)
                self.emit("AgentRunTask", t=key[0], a=key[1], e=key[2])
        super().on_step(world, node, inp, effects)

    def master_step(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        m = node.name
        t = type(inp)
        self.just_admitted = set()
        if t is LeadershipGained:
            if self.leader is not None:
                self.emit("ZkExpire")
                old = self.leader
                self.leader = None
                onode = world.nodes[old]
                if old != m and (not onode.alive or onode.inc != self.m_inc.get(old)) \
                        and self.phase.get(old) != "follower":
                    self.emit("StepDown", m=old)
                    self.phase[old] = "follower"
            if self.phase.get(m, "follower") != "follower":
                self.emit("StepDown", m=m)
            self.epoch += 1
            self.leader = m
            self.m_epoch[m] = self.epoch
            self.m_agents[m] = set()
            self.m_inc[m] = node.inc
            self.emit("Elect", m=m)
            self.emit("Recover", m=m)
            self.emit("Fence", m=m)
            self.phase[m] = "leading"
        elif t is RegistryResult:
            op = self.ops.pop((m, inp.op_id), None)
            if not inp.ok:
                self.emit("Fenced", m=m)
                self.phase[m] = "follower"
            elif op is not None:
                ops = op[1] if op[0] == "batch" else (op,)
                for o in ops:
                    self.commit(world, m, o)
        for e in effects:
            te = type(e)
            if te is RegistryWrite:
                self.ops[(m, e.op_id)] = e.op
            elif te is Send and type(e.message) is AgentReregistered:
                # the master accepted a re-registration (at once, or once its registry
                # write committed); an agent it (re-)admitted in this step is done
                a = e.to if e.to in world.nodes else None
                if a is not None and a not in self.just_admitted:
                    self._heal(a)
                    if self.agent_epoch.get(a, 0) >= self.m_epoch.get(m, 0):
                        self._partition(a)
                        self._heal(a)
                    self.emit("AgentReregister", a=a, m=m)
                    self.agent_epoch[a] = self.m_epoch.get(m, 0)
                    self.m_agents.setdefault(m, set()).add(a)
            elif te is Send:
                msg = e.message
                if type(msg) is EventSubscribed and self.fw_epoch < self.m_epoch.get(m, 0):
                    self.emit("Subscribe", m=m)
                    self.fw_epoch = self.m_epoch[m]
                elif type(msg) is RunTask:
                    a = self._agent(world, msg.task.agent_id)
                    if a is not None:
                        self.tasks.add(msg.task.task_id)
                        self.emit("Launch", t=msg.task.task_id, a=a, m=m)

    def commit(self, world: Any, m: str, op: tuple[Any, ...]) -> None:
        kind = op[0]
        holder = world.registry_holder
        if kind in ("admit", "reachable"):
            # "reachable": a partition-aware agent comes back with its tasks; the spec has
            # it shut down and re-admitted (AgentRegisterRemoved); no trace event observes
            # the tasks it keeps
            info = op[1]
            a = self._agent(world, info.id, info.hostname)
            deposed = holder != world.nodes[m].info.id
            if a is None:
                return
            if a in self.admitted and not deposed:
                if kind == "admit":
                    self.stop(f"admit of {info.id}: a second id for a registered agent")
                return  # "reachable" of an admitted agent: a write that changes nothing
            self._heal(a)
            if deposed and self.marked is None and self.stopped is None:
                self.marked = len(self.events)  # what the planted bug looks like
            self.emit("AgentRegisterRemoved" if a in self.removed else "AgentRegister",
                      a=a, m=m)
            self.admitted.add(a)
            self.just_admitted.add(a)
            self.removed.discard(a)
            self.agent_epoch[a] = self.m_epoch.get(m, 0)
            self.m_agents.setdefault(m, set()).add(a)
        elif kind == "unreachable":
            a = self._agent(world, op[1])
            if a is None:
                return
            if a in self.m_agents.get(m, set()):
                self._partition(a)
            if holder != world.nodes[m].info.id and self.marked is None \
                    and self.stopped is None:
                self.marked = len(self.events)
            self.emit("MarkUnreachable", a=a, m=m)
            self.admitted.discard(a)
            self.removed.add(a)
            self.m_agents.get(m, set()).discard(a)
        else:
            self.stop(f"registry op {kind} is not in MasterFailover.tla")


class AllocatorTracer(_Tracer):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.leader: str | None = None
        self.cap: dict[str, int] = {}
        self.up: set[str] = set()
        # oid -> (fw, agent, units, the offer's real resources)
        self.offers: dict[str, tuple[str, str, frozenset[int], Any]] = {}
        self.alloc: dict[tuple[str, str], set[int]] = {}
        # (fw, agent) -> [(until, declined resources)]: the real filters behind the spec's one
        self.filters: dict[tuple[str, str], list[tuple[float, Any]]] = {}
        self.frameworks: set[str] = set()
        self.agents: set[str] = set()

    @staticmethod
    def units(r: Any) -> int:
        return round(float(r.scalar("cpus")) / UNIT)

    def free(self, a: str) -> set[int]:
        used: set[int] = set()
        us: Any
        for (_f, ag), us in self.alloc.items():
            if ag == a:
                used |= us
        for _f, ag, us, _r in self.offers.values():
            if ag == a:
                used |= us
        return set(range(1, self.cap.get(a, 0) + 1)) - used

    def on_step(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        super().on_step(world, node, inp, effects)
        if node.kind != "master" or self.stopped is not None:
            return
        if type(inp) is LeadershipGained:
            if self.leader is not None:
                self.stop("master failover (the allocator spec has one master)")
                return
            self.leader = node.name
        if node.name != self.leader:
            return
        self.diff(world, node.machine, inp, effects)

    def diff(self, world: Any, m: Any, inp: Any, effects: list[Any]) -> None:
        now = world.now
        call: Any = inp.call if type(inp) is SchedulerCall else None
        removed = {dict(e.fields).get("agent_id", "") for e in effects
                   if type(e) is Log and e.event == "agent_removed"}
        ledgers = {lg.agent_id: lg for lg in m.agent_ledgers()}
        if type(call) in (CallRevive, CallSubscribe):
            # a revive (or a re-subscription) clears the framework's decline filters
            fid = inp.framework_id
            for key in sorted(k for k in self.filters if k[0] == fid):
                self.emit("Expire", f=key[0], a=key[1])
                del self.filters[key]
        # agents removed
        for a in sorted(self.up):
            if a in removed or a not in ledgers:
                self.emit("AgentRemove", a=a)
                self.up.discard(a)
                for oid in [o for o, v in self.offers.items() if v[1] == a]:
                    del self.offers[oid]
                for k in [k for k in self.alloc if k[1] == a]:
                    del self.alloc[k]
        # offers that went away
        current = {oid for lg in ledgers.values() for oid, _f, _r in lg.offered}
        for oid in sorted(set(self.offers) - current):
            f, a, us, _res = self.offers.pop(oid)
            used = dict(ledgers[a].used).get(f) if a in ledgers else None
            have = self.alloc.get((f, a), set())
            grew = (self.units(used) if used is not None else 0) - len(have)
            if type(call) is CallAccept and oid in call.offer_ids and grew > 0:
                s = set(sorted(us)[:grew])
                self.emit("Accept", f=f, a=a, units=sorted(us), s=sorted(s))
                self.alloc.setdefault((f, a), set()).update(s)
            elif type(call) in (CallAccept, CallDecline) and oid in call.offer_ids:
                self.emit("Decline", f=f, a=a, units=sorted(us))
                # the filter the allocator installed (one per framework, role and agent;
                # refuse_seconds clamped): its expiry and resources
                for fid, _role, aid, fres, exp in m.allocator.filters(now):
                    if fid == f and aid == a:
                        self.filters[(f, a)] = [(exp, fres)]
            else:
                self.emit("Rescind", f=f, a=a, units=sorted(us))
        # agents added, tasks finished, used growing unexplained
        for a, lg in sorted(ledgers.items()):
            used = {f: self.units(r) for f, r in lg.used}
            if a not in self.up:
                if any(used.values()):
                    self.stop(f"agent {a} (re-)admitted with tasks in use")
                    return
                self.cap[a] = self.units(lg.total)
                self.up.add(a)
                self.agents.add(a)
                self.emit("AgentAdd", a=a, cap=self.cap[a])
                continue
            for f in sorted(set(used) | {k[0] for k in self.alloc if k[1] == a}):
                have = self.alloc.get((f, a), set())
                n = used.get(f, 0)
                if n > len(have):
                    self.stop(f"framework {f} uses more on {a} than it accepted")
                    return
                done = sorted(have)[: len(have) - n]
                if done:
                    self.emit("TaskFinish", f=f, a=a, s=done)
                    have.difference_update(done)
        # new offers
        for e in effects:
            if type(e) is not Send or type(e.message) is not EventOffers:
                continue
            for o in e.message.offers:
                if o.id in self.offers or o.agent_id not in self.up or not self.units(o.resources):
                    continue  # offers without cpus are outside the model (not tracked)
                f, a = o.framework_id, o.agent_id
                self.frameworks.add(f)
                filt = self.filters.get((f, a))
                if filt is not None:
                    live = [x for x in filt if now < x[0]]
                    if not live:
                        self.emit("Expire", f=f, a=a)
                        del self.filters[(f, a)]
                    elif not any(r.contains(o.resources) for _u, r in live):
                        # the real filters refuse only resources they cover; the spec's
                        # filter refuses the agent: not a behaviour the spec describes
                        self.stop(f"offer of {a} to {f} outside its filters")
                        return
                    # else: an offer the real filters refuse (TLC rejects it)
                free = self.free(a)
                n = self.units(o.resources)
                if n != len(free) and self.marked is None:
                    self.marked = len(self.events)  # what a planted bug looks like
                self.emit("Allocate", f=f, a=a, units=sorted(free), n=n)
                self.offers[o.id] = (f, a, frozenset(free), o.resources)


# ---------------------------------------------------------------- collecting traces
def run_traced(spec: str, config: Any, *, fail_fast: bool = True
               ) -> tuple[list[dict[str, Any]], _Tracer, Any]:
    """Simulate `config` under the tracer of `spec`; (trace, tracer, result)."""
    from mesotron.core.sim.run import simulate

    tracer: _Tracer = (MasterFailoverTracer(fail_fast=fail_fast) if spec == "MasterFailover"
                       else AllocatorTracer(fail_fast=fail_fast))
    res = simulate(config, checker=tracer)
    return list(tracer.events), tracer, res


def trace_config(spec: str, seed: int, faults: str, *, events: int = 1500) -> Any:
    """The simulator configuration the `make tla` / test trace batches use."""
    from mesotron.core.sim.config import SimConfig

    if spec == "MasterFailover":
        return SimConfig(seed=seed, events=events, agents=3, frameworks=1, kinds=("service",),
                         faults=faults, fault_interval=8.0, quiesce=5.0, liveness=False)
    return SimConfig(seed=seed, events=events, agents=3, frameworks=3,
                     kinds=("batch", "service", "gang"), faults=faults, fault_interval=8.0,
                     quiesce=5.0, liveness=False,
                     agent_resources="cpus:2;mem:4096;disk:8192;ports:[31000-32000]")


KINDS = ("none", "net", "crash", "disk", "zk", "all")


def collect(spec: str, count: int, *, seed: int = 0, max_events: int = 150,
            events: int = 1500) -> tuple[list[list[dict[str, Any]]], dict[str, int]]:
    """`count` traces (cut to `max_events`) from runs over every fault kind in turn."""
    traces: list[list[dict[str, Any]]] = []
    by_kind: dict[str, int] = {}
    s = seed
    while len(traces) < count:
        kind = KINDS[s % len(KINDS)]
        t, _tr, _res = run_traced(spec, trace_config(spec, s, kind, events=events))
        s += 1
        if len(t) < 3:
            continue
        traces.append(t[:max_events])
        by_kind[kind] = by_kind.get(kind, 0) + 1
    return traces, by_kind


PLANTED = {"MasterFailover": ("deposed_leader_writes", "zk"),
           "Allocator": ("allocator_double_offer", "none")}


def planted_bug_trace(spec: str, *, seeds: int = 60, events: int = 1500
                      ) -> tuple[list[dict[str, Any]], int, str]:
    """A trace of a run with the spec's planted bug (core/sim/bugs.py) active, and the index
    of the event the bug produced (a commit by a deposed master; an offer of resources that
    are not free): (trace, index, bug name). The first seed whose run exercises the bug."""
    from mesotron.core.sim import bugs

    name, faults = PLANTED[spec]
    for seed in range(seeds):
        with bugs.BUGS[name]():
            t, tracer, _res = run_traced(spec, trace_config(spec, seed, faults, events=events),
                                         fail_fast=False)
        if tracer.marked is not None and tracer.marked < len(t):
            return t[: tracer.marked + 5], tracer.marked, name
    raise RuntimeError(f"no run in {seeds} seeds exercised {name}")
