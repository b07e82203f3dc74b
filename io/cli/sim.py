"""`mesotron sim`: the deterministic cluster simulator (fuzzing in CI, teaching).

    mesotron sim --seed 7 --events 50000 --agents 20 --frameworks 5 --faults all
    mesotron sim --seed 3 --events 3000 --faults none --timeline
    mesotron sim --seeds 1000 --events 20000 --faults all --progress      (a campaign)

Exit status 0 only when no property was violated. A failing run prints the seed, the
configuration, the violated property, and a shortest fault schedule reproducing it
(delta debugging), as one command to replay.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from typing import Any

from mesotron.io.cli.gcpause import paused


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="run seed (campaigns: the first seed)")
    p.add_argument("--events", type=int, default=20000, help="events of the faulty phase")
    p.add_argument("--agents", type=int, default=5)
    p.add_argument("--frameworks", type=int, default=4)
    p.add_argument("--masters", type=int, default=3)
    p.add_argument("--faults", default="all", help="none|net|crash|disk|zk|all (comma list)")
    p.add_argument("--fault-interval", type=float, default=20.0,
                   help="mean virtual seconds between faults")
    p.add_argument("--quiesce", type=float, default=1500.0,
                   help="virtual seconds of calm before the liveness checks")
    p.add_argument("--timeline", action="store_true", help="print the story of the run")
    p.add_argument("--plot", metavar="DIR",
                   help="write charts of the run (PNG and SVG) and its record to DIR")
    p.add_argument("--trace", metavar="FILE", help="write the run's abstract events (TLA+)")
    p.add_argument("--seeds", type=int, default=None, help="run a campaign of K seeds")
    p.add_argument("--progress", action="store_true", help="progress bar (campaigns)")
    p.add_argument("--schedule", default=None,
                   help="replay an explicit fault schedule (JSON, as printed by a failure)")
    p.add_argument("--no-shrink", action="store_true", help="do not shrink a failing run")
    p.add_argument("--bug", default=None, metavar="NAME",
                   help="TEACHING: run with one planted bug of core/sim/bugs.py (see --bug list)")
    p.add_argument("--operator", action="store_true",
                   help="add a reserver framework (dynamic reservations with operation ids) and an "
                        "operator changing weights and quota")
    p.add_argument("--fast-alloc", action="store_true",
                   help="run the allocator's production fast path (no explain mode); DrfOrder "
                        "compares each cycle with the reference cycle (core/sim/fastpath.py)")
    p.add_argument("--health-checks", action="store_true",
                   help="the service and batch tasks carry health checks whose outcomes are drawn "
                        "from the seed (sick tasks get killed; property HealthChecksKill)")
    p.add_argument("--odd-task-ids", action="store_true",
                   help="every third service/batch task gets an odd (long, non-ASCII, punctuated) "
                        "id (property TaskSandboxNames)")
    p.add_argument("--agent-calls", action="store_true",  # s18 driveo
                   help="with --operator, the operator also sends a DEACTIVATE_AGENT twice, a "
                        "REACTIVATE_AGENT of an active agent, a MARK_AGENT_GONE twice, a second "
                        "DRAIN_AGENT and calls to a standby master (property OperatorAgentCallsHold)")
    p.add_argument("--sched-misuse", action="store_true",
                   help="scheduler API misuse: misaddressed calls, launches the ACLs deny (with "
                        "--operator), short failover timeouts outlived (core/sim/checks_drivem.py)")
    p.add_argument("--multi-role", action="store_true",
                   help="the last framework is a MULTI_ROLE one: tasks under several roles, roles "
                        "changed on re-subscription, per-role revives (s18)")
    p.add_argument("--uncheckpointed", action="store_true",  # s18 drivea
                   help="the batch frameworks do not checkpoint (FrameworkInfo.checkpoint=false: "
                        "their executors go with a broken agent connection)")
    p.add_argument("--master-edges", action="store_true",  # s19 kmast3
                   help="invalid SUBSCRIBEs, operation reconciliations on subscription, an "
                        "empty RESERVE_RESOURCES (s19)")
    p.add_argument("--registry-gc", default=None, metavar="INTERVAL,AGE",
                   help="the masters' --registry_gc_interval and --registry_max_agent_age in "
                        "seconds (default Mesos's 15 min and 2 weeks; property RegistryGcPrunes)")


def _config(args: argparse.Namespace, seed: int) -> Any:
    from mesotron.core.sim.config import SimConfig
    from mesotron.core.sim.run import parse_schedule

    return SimConfig(seed=seed, events=args.events, agents=args.agents,
                     frameworks=args.frameworks, masters=args.masters, faults=args.faults,
                     fault_interval=args.fault_interval, quiesce=args.quiesce,
                     timeline=args.timeline, trace=bool(args.trace),
                     record=bool(getattr(args, "plot", None)),
                     schedule=parse_schedule(args.schedule) if args.schedule else None,
                     health=bool(getattr(args, "health_checks", False)),
                     odd_ids=bool(getattr(args, "odd_task_ids", False)),
                     agent_calls=bool(getattr(args, "agent_calls", False)),  # s18 driveo
                     sched_misuse=bool(getattr(args, "sched_misuse", False)),
                     multirole=bool(getattr(args, "multi_role", False)),
                     uncheckpointed=bool(getattr(args, "uncheckpointed", False)),  # s18 drivea
                     master_edges=bool(getattr(args, "master_edges", False)),  # s19 kmast3
                     fast_alloc=bool(getattr(args, "fast_alloc", False)), **_operator(args),
                     registry_gc=_registry_gc(getattr(args, "registry_gc", None)))


def _registry_gc(value: str | None) -> tuple[float, float] | None:
    if not value:
        return None
    interval, age = (float(x) for x in value.split(","))
    return (interval, age)


def _operator(args: argparse.Namespace) -> dict[str, Any]:
    if not getattr(args, "operator", False):
        return {}
    from mesotron.core.sim.config import OPERATOR_KINDS

    # the same kinds as the mutation judge's operator run, so its reproducer replays it
    return {"operator": True, "kinds": OPERATOR_KINDS}


def run(args: argparse.Namespace) -> int:
    if getattr(args, "bug", None):
        return planted(args)
    if args.seeds:
        return campaign(args)
    return single(args)


def planted(args: argparse.Namespace) -> int:
    """`--bug NAME` (teaching): the same run with one machine deliberately broken, so a
    student sees which invariant catches it. Never used by anything but this flag."""
    from mesotron.core.sim import bugs as planted_bugs

    if args.bug == "list" or args.bug not in planted_bugs.BUGS:
        if args.bug != "list":
            print(f"mesotron sim: no planted bug {args.bug!r}")
        for name, fn in sorted(planted_bugs.BUGS.items()):
            doc = " ".join((fn.__doc__ or "").split())
            print(f"  {name}: {doc}")
        return 0 if args.bug == "list" else 2
    print(f"PLANTED BUG (teaching): {args.bug} — the machines below are deliberately wrong")
    with planted_bugs.BUGS[args.bug]():
        return campaign(args) if args.seeds else single(args)


def single(args: argparse.Namespace) -> int:
    from mesotron.core.sim.run import replay_command, shrink, simulate

    cfg = _config(args, args.seed)
    # the collector paused during the run (io/cli/gcpause.py); on again for the shrinking,
    # whose runs each leave a world of reference cycles behind
    with paused(collect=False):
        res = simulate(cfg)
    if args.timeline and res.timeline is not None:
        for t, text in res.timeline:
            print(f"{t:10.3f}  {text}")
        print()
    if args.trace:
        from mesotron.core.sim.trace import dumps_traces

        text, n = dumps_traces(res)
        with open(args.trace, "w") as f:
            f.write(text)
        print(f"trace: {n} agent traces written to {args.trace}")
    for line in res.summary():
        print(line)
    if getattr(args, "plot", None):
        from mesotron.io.cli.plot import dump, plot_all

        os.makedirs(args.plot, exist_ok=True)
        dump(res.world.record or [], os.path.join(args.plot, "record.jsonl"))
        for path in plot_all(res.world.record or [], args.plot, title=cfg.describe()):
            print(f"plot: {path}")
    if res.failure is not None:
        bug = f" --bug {args.bug}" if getattr(args, "bug", None) else ""
        print(f"  replay: {replay_command(cfg)}{bug}")
        if not args.no_shrink and res.injected:
            small, sres = shrink(res, budget=60)
            n = len(small.schedule or ())
            print(f"  shortest reproducer ({n} of {len(res.injected)} faults): "
                  f"{replay_command(small)}{bug}")
            del sres
    for line in res.speed():
        print(line)
    return 0 if res.failure is None else 1


def campaign(args: argparse.Namespace) -> int:
    from mesotron.core.sim.run import replay_command, shrink, simulate
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    failures: list[tuple[int, str, str]] = []
    total_events = 0
    t0 = time.perf_counter()
    seeds = range(args.seed, args.seed + args.seeds)
    progress = Progress(TextColumn("sim"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
                        console=console, disable=not args.progress)
    with progress:
        task = progress.add_task("seeds", total=len(seeds), status="")
        for seed in seeds:
            cfg = _config(args, seed)
            with paused(collect=False):  # io/cli/gcpause.py; on again for the shrinking
                res = simulate(cfg)
            total_events += res.events
            if res.failure is not None:
                cmd = replay_command(cfg)
                if not args.no_shrink and res.injected:
                    small, _ = shrink(res, budget=20)
                    cmd = replay_command(small)
                failures.append((seed, res.failure, cmd))
            del res  # its world is a web of reference cycles (nodes, bound methods in the
            gc.collect()  # event heap, the checker): freed now, not at the next threshold
            el = time.perf_counter() - t0
            progress.update(task, advance=1, status=(
                f"{len(failures)} failing, {total_events / max(el, 1e-9):,.0f} events/s"))
    wall = time.perf_counter() - t0
    n = len(seeds)
    print(f"mesotron sim campaign: {n} seeds from {args.seed}, {args.events} events each, "
          f"faults={args.faults}, agents={args.agents}, frameworks={args.frameworks}")
    print(f"events: {total_events}")
    print(f"failing seeds: {len(failures)}")
    for seed, failure, cmd in failures:
        print(f"  seed {seed}: {failure}")
        print(f"    replay: {cmd}")
    print(f"wall: {wall:.1f}")
    print(f"{total_events / wall if wall else 0:,.0f} events/s")
    print(f"{n / wall * 3600 if wall else 0:,.0f} seeds/hour")
    sys.stdout.flush()
    return 0 if not failures else 1
