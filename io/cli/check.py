"""`mesotron check --exhaustive`: bounded exhaustive exploration of the real machines.

    mesotron check --exhaustive                       # the CI configuration
    mesotron check --exhaustive --agents 2 --tasks 2 --horizon 8 --max-states 500000

Visits every state reachable in a small configuration (core/sim/explore.py): master (with
a standby taking over on a failover), agents, command executors and a scheduler driver,
with bounded message loss, duplication and delays, one master failover and one agent power
loss. Prints the distinct states, the depth, the time; on a violation the shortest
counterexample as a list of steps that `mesotron.core.sim.explore.replay` re-executes.
Exit status 0 only when no invariant was violated.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from mesotron.core.sim.explore import CI_CONFIG, ExploreConfig, Explorer


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = CI_CONFIG
    p.add_argument("--exhaustive", action="store_true", required=True,
                   help="explore every reachable state (the only mode)")
    p.add_argument("--agents", type=int, default=d.agents)
    p.add_argument("--tasks", type=int, default=d.tasks)
    p.add_argument("--masters", type=int, default=d.masters)
    p.add_argument("--failovers", type=int, default=d.failovers,
                   help="crashes of the leading master")
    p.add_argument("--agent-restarts", type=int, default=d.agent_restarts,
                   help="agent power losses (restart in reconnect mode)")
    p.add_argument("--drops", type=int, default=d.drops, help="master<->agent messages lost")
    p.add_argument("--dups", type=int, default=d.dups, help="master<->agent messages duplicated")
    p.add_argument("--delays", type=int, default=d.delays,
                   help="deliveries out of the canonical (oldest first) order")
    p.add_argument("--early-timers", action="store_true",
                   help="a delay may also fire a timer before the messages in flight")
    p.add_argument("--horizon", type=float, default=d.horizon,
                   help="virtual seconds: timers due later never fire")
    p.add_argument("--max-states", type=int, default=None, help="stop after N states")
    p.add_argument("--max-depth", type=int, default=None, help="stop at depth N")
    p.add_argument("--counterexample", metavar="FILE",
                   help="write a violation's steps (JSON) for replay()")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--describe", action="store_true",
                   help="also count the classes of states with local states compared by describe() "
                   "and shell state only (coarser, unsound; for comparison)")


def _config(args: argparse.Namespace) -> ExploreConfig:
    for name in ("agents", "tasks", "masters", "failovers", "agent_restarts", "drops", "dups",
                 "delays"):
        if getattr(args, name) < 0:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 0")
    if args.agents < 1 or args.masters < 1:
        raise ValueError("--agents and --masters must be >= 1")
    if args.horizon <= 0:
        raise ValueError("--horizon must be > 0")
    return ExploreConfig(agents=args.agents, tasks=args.tasks, masters=args.masters,
                         failovers=args.failovers, agent_restarts=args.agent_restarts,
                         drops=args.drops, dups=args.dups, delays=args.delays,
                         early_timers=args.early_timers, horizon=args.horizon,
                         max_states=args.max_states, max_depth=args.max_depth)


def run(args: argparse.Namespace) -> int:
    try:
        cfg = _config(args)
    except ValueError as e:
        print(f"mesotron check: {e}", file=sys.stderr)
        return 2
    if os.environ.get("PYTHONHASHSEED") != "0" and not os.environ.get("MESOTRON_NO_REEXEC"):
        # the counts do not depend on the string-hash seed (states are compared by a
        # canonical key that ignores set order); a fixed seed also keeps which snapshot
        # represents a state, hence the run, byte-identical between processes
        env = dict(os.environ, PYTHONHASHSEED="0")
        argv = [sys.executable, "-m", "mesotron.io.cli.main", "check", *sys.argv[2:]]
        if sys.argv[1:2] == ["check"]:
            os.execve(sys.executable, argv, env)
    last = [time.monotonic()]

    def progress(depth: int, states: int, secs: float) -> None:
        if not args.quiet and time.monotonic() - last[0] > 5.0:
            last[0] = time.monotonic()
            print(f"  depth {depth}: {states:,} states, {secs:.0f} s", flush=True)

    res = Explorer(cfg).explore(progress=progress, count_describe=args.describe)
    for line in res.summary():
        print(line)
    if res.violation is not None and args.counterexample:
        with open(args.counterexample, "w") as f:
            json.dump({"config": cfg.describe(), "violation": res.violation.name,
                       "steps": res.violation.labels}, f, indent=1)
    return 1 if res.violation is not None else 0
