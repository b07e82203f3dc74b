"""Running a simulation: the faulty phase, quiescence, liveness checks, the summary, and
shrinking a failing run to a shortest fault schedule (delta debugging).

`simulate(config) -> Result` is a pure function of `config` (apart from the wall-clock
figures in `Result.wall`).
"""

from __future__ import annotations

import json
import time
from typing import Any

import attrs
from mesotron.core import invariants as inv
from mesotron.core.invariants import ClusterSnapshot
from mesotron.core.resources import forget_derived
from mesotron.core.sim import faults as faults_mod
from mesotron.core.sim.checker import (  # s13 mmaster
    Checker,
    Violation,
    agent_counter_rows,
    agent_total_rows,
    agent_view_rows,
    checkpoint_rows,
    describe_rows,
    executor_book_rows,
    executor_held_rows,
    master_describe_row,
    master_executor_rows,
    master_index_rows,  # s14 kmaster
    operator_calls_unanswered,
    operator_view_rows,
    reconciliation_rows,
    registry_gc_rows,  # s14 kmaster
    reservation_total_rows,  # s14 kops
    sandbox_rows,
    settings_rows,
    silently_taken_offer_rows,
    task_state_rows,
    unreregistered_agent_rows,  # s14 kmaster
    why_rows,
)
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.world import World


@attrs.define(kw_only=True)
class Result:
    config: SimConfig
    events: int = 0
    faulty_events: int = 0
    virtual_time: float = 0.0
    wall: float = 0.0
    launched: int = 0
    finished: int = 0
    lost: int = 0
    faults: dict[str, int] = attrs.Factory(dict)
    injected: list[tuple[float, tuple]] = attrs.Factory(list)
    checks: int = 0
    violation: Violation | None = None
    liveness: list[str] = attrs.Factory(list)
    queue: dict[str, list[str]] = attrs.Factory(dict)
    counts: dict[str, int] = attrs.Factory(dict)
    timeline: list[tuple[float, str]] | None = None
    shares: dict[str, float] = attrs.Factory(dict)
    world: Any = None

    @property
    def ok(self) -> bool:
        return self.violation is None and not self.liveness and not self.queue.get("lost") \
            and not self.queue.get("unexpected") and not self.queue.get("out_of_order")

    @property
    def failure(self) -> str | None:
        if self.violation is not None:
            return f"{self.violation.name}: {self.violation.message}"
        if self.liveness:
            return self.liveness[0]
        for k in ("lost", "unexpected", "out_of_order"):
            if self.queue.get(k):
                return f"TotalQueue: {k} {self.queue[k][:5]}"
        return None

    @property
    def failure_name(self) -> str | None:
        f = self.failure
        return f.split(":", 1)[0] if f else None

    @property
    def events_per_second(self) -> float:
        return self.events / self.wall if self.wall > 0 else 0.0

    def summary(self) -> list[str]:
        """Deterministic lines (no wall-clock figures) followed by the speed lines."""
        c = self.config
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items())) or "none"
        lines = [
            f"mesotron sim: {c.describe()}",
            (f"events: {self.events} ({self.faulty_events} with faults, "
            f"{self.events - self.faulty_events} in quiescence)"),
            f"virtual time: {self.virtual_time:.3f} s",
            f"tasks: launched {self.launched}, finished {self.finished}, lost {self.lost}",
            f"faults injected: {sum(self.faults.values())} ({faults})",
            f"invariants checked: {self.checks}",
        ]
        q = self.queue
        if q:
            lines.append(
                f"status updates (total queue): lost {len(q['lost'])}, duplicated "
                f"{len(q['duplicated'])} tasks, unexpected {len(q['unexpected'])}, "
                f"out of order {len(q['out_of_order'])}")
        if self.shares:
            lines.append("dominant shares: " + ", ".join(
                f"{k} {v:.3f}" for k, v in sorted(self.shares.items())))
        failure = self.failure
        lines.append(f"violations: {0 if failure is None else 1}")
        if failure is not None:
            lines.append(f"  {failure}")
            if self.violation is not None:
                lines.append(f"  at event {self.violation.event}, virtual time "
                             f"{self.violation.time:.3f}")
        return lines

    def speed(self) -> list[str]:
        return [f"wall: {self.wall:.2f}", f"{self.events_per_second:,.0f} events/s"]


def simulate(config: SimConfig, *, checker: Checker | None = None,
             stop_at_event: int | None = None) -> Result:
    """Run one simulation (see the module docstring)."""
    # memos of derived values start empty (resources.derived: a mutant installed after
    # other runs must not be answered by values rendered before it)
    forget_derived()
    chk = checker if checker is not None else (Checker() if config.check else None)
    t0 = time.perf_counter()
    world = World(config, observer=chk)
    world.quiescent = False
    if chk is not None:
        chk.world = world
    injector = faults_mod.Injector(world)
    world.injector = injector
    if config.schedule is not None:
        schedule = [(float(t), tuple(f)) for t, f in config.schedule]
    else:
        schedule = faults_mod.generate(
            config.seed, config.faults, n_agents=config.agents, n_masters=config.masters,
            n_frameworks=config.frameworks, interval=config.fault_interval,
            horizon=_horizon(config))
    injector.schedule(schedule)
    res = Result(config=config)
    try:
        budget = config.events if stop_at_event is None else min(config.events, stop_at_event)
        world.run_until(events=budget)
        res.faulty_events = world.events
        if stop_at_event is None or stop_at_event > config.events:
            quiesce(world, config, chk, res)
    except Violation as v:
        res.violation = v
        if not res.faulty_events:
            res.faulty_events = world.events
    res.wall = time.perf_counter() - t0
    res.events = world.events
    res.virtual_time = world.now
    res.injected = list(injector.injected)
    res.faults = {}
    for _, f in injector.injected:
        k = _fault_kind(f[0])
        res.faults[k] = res.faults.get(k, 0) + 1
    res.counts = dict(world.counts)
    res.timeline = world.timeline
    res.world = world
    if chk is not None:
        res.checks = chk.checks
        res.launched = chk.launched_tasks
        res.finished = chk.finished_tasks
        res.lost = chk.lost_tasks
    res.shares = shares(world)
    return res


def _horizon(config: SimConfig) -> float:
    # faults are generated lazily up to a generous virtual horizon; the run stops at its
    # event budget (the quiescent flag disables the rest)
    return max(600.0, config.events / max(1.0, 2.0 * (config.agents + config.frameworks)))


def _fault_kind(name: str) -> str:
    if name in ("partition", "lossy", "break", "executor-link-breaks"):
        return "net"
    if name == "power-agent":
        return "disk"
    if name == "oom":
        return "oom"
    if name.startswith("zk"):
        return "zk"
    return "crash"


def shares(world: World) -> dict[str, float]:
    m = world.live_leader()
    if m is None:
        return {}
    al = m.machine.allocator
    out = {}
    for s in world.schedulers:
        fid = s.app.framework_id
        if fid is not None and fid in al.framework_ids():
            out[s.name] = round(al.dominant_share(fid), 6)
    return out


def quiesce(world: World, config: SimConfig, chk: Checker | None, res: Result) -> None:
    """Faults stop, the network heals; after enough virtual time the liveness properties
    must hold and the status-update queue must be complete."""
    world.quiescent = True
    world.injector.heal_all()
    world.note("quiescence: faults stop, the network heals")
    start = world.now
    half = start + config.quiesce / 2
    world.run_until(until=half)
    hungry = {s.name for s in world.schedulers if s.alive and s.app.hungry()
              and _fits_somewhere(world, s.app)}
    offers_before = {s.name: s.app.offers_received for s in world.schedulers}
    world.run_until(until=start + config.quiesce)
    if chk is None or not config.liveness:
        return
    hungry = {n for n in hungry
              if _fits_somewhere(world, world.nodes[n].app) and world.nodes[n].app.hungry()}
    offered = {s.name for s in world.schedulers
               if s.app.offers_received > offers_before.get(s.name, 0)}
    snap = liveness_snapshot(world, chk, hungry, offered)
    books, views = chk.quiescence_books(world, GRACE)
    snap = attrs.evolve(snap, task_books=books, framework_views=views,
                        kills=chk.quiescence_kills(world, KILL_WITHIN),
                        agent_activity=chk.agent_activity(world),
                        task_states=task_state_rows(world, chk, GRACE),
                        executor_books=executor_book_rows(world),
                        agent_counters=agent_counter_rows(world, chk),
                        agent_views=agent_view_rows(world),
                        sandbox_collections=sandbox_rows(world),
                        describes=describe_rows(world),
                        # s13 mmaster
                        agent_totals=agent_total_rows(world),
                        silently_taken_offers=silently_taken_offer_rows(world, chk),
                        master_executors=master_executor_rows(world),
                        settings_books=settings_rows(world)  # s13 mops
                        + reservation_total_rows(world),  # s14 kops
                        registry_gc_overdue=registry_gc_rows(world),  # s14 kmaster
                        unreregistered_agents=unreregistered_agent_rows(world))
    out: list[str] = []
    # the books first: a leak or a disagreement explains a starvation, not the other way
    for fn in inv.QUIESCENT.values():
        chk.checks += 1
        out += fn(snap)
    for fn in inv.LIVENESS.values():
        chk.checks += 1
        out += fn(snap)
    full = attrs.evolve(chk.snapshot(world), checkpoint_books=tuple(
        row for n in world.agents for row in checkpoint_rows(n)))
    lead = world.live_leader()
    if lead is not None:  # s12 mm2: the operator's views, the operator's calls settled
        full = attrs.evolve(full, operator_views=operator_view_rows(world, lead, settled=True),
                            why_answers=why_rows(world, lead, settled=True),
                            master_describes=(master_describe_row(lead),))  # s13 mops
    full = attrs.evolve(full, operator_answers=operator_calls_unanswered(chk, world, GRACE))
    full = attrs.evolve(full, master_indexes=master_index_rows(world))  # s14 kmaster
    for fn in (*inv.SAFETY.values(), *inv.RESOURCE_SAFETY.values(), *inv.RESOURCE_LIVENESS.values()):
        chk.checks += 1
        out += fn(full)
    res.liveness = out
    acking = frozenset(s.app.framework_id for s in world.schedulers
                       if s.app.acks and s.app.framework_id)
    res.queue = chk.total_queue(acking, horizon=world.now - GRACE)


def _fits_somewhere(world: World, app: Any) -> bool:
    m = world.live_leader()
    if m is None:
        return False
    need = app.need.unallocate()
    for v in m.machine.agents.values():
        if not v.connected or not v.active:
            continue
        used = v.total.unallocate()
        for _fw, r in v.used:
            used = used - r.unallocate() if used.contains(r.unallocate()) else used
        if used.contains(need):
            return True
    return False


KILL_WITHIN = 20.0  # seconds: kill grace (3 s) + executor shutdown grace (5 s) + slack
GRACE = 60.0  # seconds: a healed cluster acknowledges an update within milliseconds


def liveness_snapshot(world: World, chk: Checker, hungry: set[str],
                      offered: set[str]) -> ClusterSnapshot:
    base = chk.snapshot(world)
    # EventuallyAcked concerns updates that had time to travel: those produced in the last
    # GRACE seconds (new tasks keep starting during quiescence) may still be on their way
    horizon = world.now - GRACE
    base = attrs.evolve(base, produced={
        k: tuple(x for x in v if chk.produced_at.get(x[0], 0.0) <= horizon)
        for k, v in base.produced.items()})
    m = world.live_leader()
    registered: set[str] = set()
    subscribed: set[str] = set()
    if m is not None:
        registered = {v.id for v in m.machine.agents.values() if v.connected and v.active}
        subscribed = {v.id for v in m.machine.frameworks.values() if v.connected}
    # a live agent that never got an id (its registrations all refused or lost) counts
    # too, by its node name: it is live and not registered
    live_agents = {a.machine.agent_id or a.name for a in world.agents
                   if a.alive and a.machine is not None
                   and (a.machine.agent_id or a.machine.state not in ("new", "stopped"))}
    live_fws = {s.app.framework_id for s in world.schedulers
                if s.alive and s.app.framework_id is not None}
    acking = frozenset(s.app.framework_id for s in world.schedulers
                       if s.app.acks and s.app.framework_id)
    return attrs.evolve(
        base,
        acking_frameworks=acking,
        hungry_frameworks=frozenset(hungry),
        offered_frameworks=frozenset(offered),
        live_agents=frozenset(live_agents),
        registered_agents=frozenset(registered),
        live_frameworks=frozenset(live_fws),
        subscribed_frameworks=frozenset(subscribed),
        executor_held=executor_held_rows(world, horizon),
        reconciliation=reconciliation_rows(world),
    )


# ====================================================================== shrinking
def reproduces(config: SimConfig, schedule: list[tuple[float, tuple]], name: str,
               until: int | None) -> Result | None:
    cfg = attrs.evolve(config, schedule=tuple(schedule), timeline=False)
    r = simulate(cfg, stop_at_event=until)
    return r if r.failure_name == name else None


def shrink(result: Result, *, budget: int = 40) -> tuple[SimConfig, Result]:
    """Delta debugging (ddmin) over the injected fault schedule: the smallest sub-schedule
    that still violates the same property. Returns the shrunk config and its result."""
    name = result.failure_name
    assert name is not None
    faults = list(result.injected)
    until = None
    if result.violation is not None:
        until = result.violation.event + 1
    best = result
    tries = 0
    # first: no faults at all?
    r = reproduces(result.config, [], name, until)
    tries += 1
    if r is not None:
        return attrs.evolve(result.config, schedule=()), r
    # then: the shortest failing prefix (binary search). Dropping a suffix keeps the run
    # identical up to the last kept fault, so prefixes reproduce far more often than
    # arbitrary subsets; ddmin then works on that prefix.
    lo, hi = 0, len(faults)  # prefix of length hi fails; of length lo is not known to
    while hi - lo > 1 and tries < budget // 2:
        mid = (lo + hi) // 2
        tries += 1
        r = reproduces(result.config, faults[:mid], name, until)
        if r is not None:
            hi, best = mid, r
        else:
            lo = mid
    faults = faults[:hi]
    n = 2
    while len(faults) >= 2 and tries < budget:
        chunk = max(1, len(faults) // n)
        parts = [faults[i:i + chunk] for i in range(0, len(faults), chunk)]
        reduced = False
        for i in range(len(parts)):
            if tries >= budget:
                break
            complement = [f for j, p in enumerate(parts) if j != i for f in p]
            tries += 1
            r = reproduces(result.config, complement, name, until)
            if r is not None:
                faults, best = complement, r
                n = max(n - 1, 2)
                reduced = True
                break
        if not reduced:
            if n >= len(faults):
                break
            n = min(len(faults), n * 2)
    return attrs.evolve(result.config, schedule=tuple(faults)), best


def schedule_json(schedule: Any) -> str:
    return json.dumps([[t, list(f)] for t, f in schedule], separators=(",", ":"))


def parse_schedule(text: str) -> tuple[tuple[float, tuple], ...]:
    data = json.loads(text)
    return tuple((float(t), tuple(f)) for t, f in data)


def replay_command(config: SimConfig) -> str:
    cmd = config.command()
    if config.schedule is not None:
        cmd += f" --schedule '{schedule_json(config.schedule)}'"
    return cmd
