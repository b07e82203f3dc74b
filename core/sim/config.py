"""Simulation configuration: everything a run depends on besides the code (a run is a pure
function of its `SimConfig`)."""

from __future__ import annotations

import attrs

FAULT_KINDS = ("net", "crash", "disk", "zk")
# opt-in kinds, not part of "all" (so that the schedules of existing seeds stay the same):
# oom = a container limitation (a task's nested container, or a whole executor container,
# over its memory or disk), as the agent's isolators report it
EXTRA_FAULT_KINDS = ("oom",)


# the framework kinds of `--operator` runs (a `reserver` among the first three, so any
# cluster of 3+ frameworks has one): the CLI and the mutation judge's operator run
OPERATOR_KINDS = ("batch", "service", "reserver", "adversarial", "gang")


def _faults(value: object) -> frozenset[str]:
    if isinstance(value, str):
        if value == "all":
            return frozenset(FAULT_KINDS)
        if value in ("none", ""):
            return frozenset()
        value = value.split(",")
    out = frozenset(str(v) for v in value)  # type: ignore[attr-defined]
    bad = out - set(FAULT_KINDS) - set(EXTRA_FAULT_KINDS)
    if bad:
        raise ValueError(f"unknown fault kinds {sorted(bad)} (use none|net|crash|disk|zk|oom|all)")
    return out


@attrs.frozen(kw_only=True, slots=True)
class SimConfig:
    seed: int = 0
    events: int = 20_000  # events of the faulty phase (quiescence adds more)
    agents: int = 5
    frameworks: int = 3
    masters: int = 3
    faults: frozenset[str] = attrs.field(default=frozenset(FAULT_KINDS), converter=_faults)
    # mean virtual seconds between two faults (when any fault kind is enabled)
    fault_interval: float = 20.0
    # virtual seconds of calm after the faulty phase before the liveness checks
    quiesce: float = 1500.0
    agent_resources: str = "cpus:4;mem:4096;disk:8192;ports:[31000-32000]"
    kinds: tuple[str, ...] = ("batch", "service", "gang", "adversarial")
    check: bool = True
    liveness: bool = True
    # an operator changes weights and quota (guarantees, limits only raised) now and then
    # through the operator API (issue 18's workload; with the `reserver` framework kind)
    operator: bool = False
    # the allocator runs its production fast path (`_allocate_agent`, explain mode off, as in
    # every daemon) instead of the explain mode; DrfOrder then compares every cycle's
    # Allocations with `reference_cycle` run on a copy of the allocator (core/sim/fastpath.py)
    fast_alloc: bool = False
    # the service and batch frameworks' tasks carry a health check whose outcomes the world
    # draws from the seed (a task may turn sick and be killed): core/sim/health.py
    health: bool = False
    timeline: bool = False
    trace: bool = False
    # structured records of the run (shares, offers, calls, task states, leaders, faults) for
    # `mesotron sim --plot` (core/sim/record.py); implies the timeline
    record: bool = False
    # an explicit fault schedule ((time, fault), ...) replaces the generated one (replay,
    # shrinking); None: generated from the seed
    schedule: tuple[tuple[float, tuple], ...] | None = None
    # s14 kmaster: the masters' registry GC (Mesos --registry_gc_interval,
    # --registry_max_agent_age), (interval, max age) in seconds; None: Mesos's defaults (15
    # min, 2 weeks: never due in a simulated run)
    registry_gc: tuple[float, float] | None = None
    # s17 killa: every third task of the service and batch frameworks gets an odd id from a
    # fixed ladder (exactly 200 and 201 bytes, 230 bytes, non-ASCII, spaces and punctuation:
    # ids Mesos's validateID admits) so the agents' name rules (TaskSandboxNames) meet them
    odd_ids: bool = False
    # s18 driveo: with `operator`, the operator also makes the agent calls it has not made
    # before (core/sim/checks_driveo.py): a DEACTIVATE_AGENT sent again, a REACTIVATE_AGENT of
    # an active agent, a MARK_AGENT_GONE of a running agent (and again), a second DRAIN_AGENT
    # of a draining agent, a call to a standby master (OperatorAgentCallsHold)
    agent_calls: bool = False

    # s18 drivem: scheduler API misuse Mesos users show (core/sim/checks_drivem.py): calls
    # misaddressed at the front door (unknown framework, another principal, a wrong or an
    # unexpected Mesos-Stream-Id), launches under a user the ACLs deny (with `operator`), and
    # an adversarial scheduler with a short failover timeout that now and then stays away
    # longer than it (the master removes it)
    sched_misuse: bool = False
    # s18 drivel: the last framework is a MULTI_ROLE one (core/sim/frameworks.py MultiRole):
    # tasks under several roles on one agent, roles changed on re-subscription, per-role
    # revives, declines with a negative refuse_seconds
    multirole: bool = False
    # s18 drivea: the batch frameworks subscribe with checkpoint=False (FrameworkInfo's
    # default in Mesos): their executors are shut down when their connection to the agent
    # breaks, their updates are held in memory only
    uncheckpointed: bool = False
    # s19 kmast3: the master's edges of the offer and subscription calls (core/sim/
    # checks_kmast3.py): with each adversarial SUBSCRIBE, delivered off the network,
    # well-formed SUBSCRIBEs whose FrameworkInfo breaks one rule of Mesos's framework
    # validation each (refused with an ERROR event), status updates of a hostile peer with
    # one field broken each, and (with `operator`) a RESERVE_RESOURCES with no resources;
    # the reserving framework reconciles an unknown operation on each agent it reserved on
    # as soon as it is SUBSCRIBED
    master_edges: bool = False

    def describe(self) -> str:
        faults = ",".join(sorted(self.faults)) or "none"
        return (f"seed={self.seed} events={self.events} agents={self.agents} "
                f"frameworks={self.frameworks} masters={self.masters} faults={faults}")

    def command(self) -> str:
        faults = ",".join(sorted(self.faults)) or "none"
        if self.faults == frozenset(FAULT_KINDS):
            faults = "all"
        cmd = (f"mesotron sim --seed {self.seed} --events {self.events} --agents {self.agents}"
               f" --frameworks {self.frameworks} --faults {faults}")
        if self.masters != 3:
            cmd += f" --masters {self.masters}"
        if self.fault_interval != 20.0:
            cmd += f" --fault-interval {self.fault_interval:g}"
        if self.quiesce != 1500.0:
            cmd += f" --quiesce {self.quiesce:g}"
        if self.operator:
            cmd += " --operator"
        if self.health:
            cmd += " --health-checks"
        if self.fast_alloc:
            cmd += " --fast-alloc"
        if self.odd_ids:  # s17 killa
            cmd += " --odd-task-ids"
        if self.agent_calls:  # s18 driveo
            cmd += " --agent-calls"
        if self.sched_misuse:  # s18 drivem
            cmd += " --sched-misuse"
        if self.multirole:  # s18 drivel
            cmd += " --multi-role"
        if self.uncheckpointed:  # s18 drivea
            cmd += " --uncheckpointed"
        if self.master_edges:  # s19 kmast3
            cmd += " --master-edges"
        if self.registry_gc is not None:  # s14 kmaster
            cmd += f" --registry-gc {self.registry_gc[0]:g},{self.registry_gc[1]:g}"
        return cmd
