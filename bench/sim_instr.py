"""Instructions per simulated event, counted by cachegrind (independent of the host's load).

    .venv/bin/python bench/sim_instr.py                # the reference command, checked and not
    .venv/bin/python bench/sim_instr.py --events 10000 --agents 20 --frameworks 5

Runs the issue's reference configuration (`mesotron sim --seed 7 --events 50000 --faults
all`: 5 agents, 4 frameworks) in a child Python under
`valgrind --tool=cachegrind --cache-sim=no` three times: checked (as the command runs it),
with `SimConfig.check` off (the world and the machines alone, no allocator explain mode),
and the imports alone; prints the instructions per event of the first two (the run minus the
imports) and, from a timed checked run of the same configuration in this process, the host's
throughput in instructions/s and the instructions per event that 50,000 events/s would
allow at that throughput. PYTHONHASHSEED=0 and the collector off in the children, as in
bench/cython_trial/ir.py. Needs valgrind (apt-get install valgrind); takes ~80 s.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
import time

CHILD = r"""
import gc, sys
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate
gc.disable()
mode, events, agents, frameworks = sys.argv[1], *map(int, sys.argv[2:5])
if mode != "imp":
    r = simulate(SimConfig(seed=7, events=events, agents=agents, frameworks=frameworks,
                           faults="all", check=(mode == "run")))
    print("EVENTS", r.events)
"""


def count(mode: str, args: argparse.Namespace) -> tuple[int, int]:
    """(instructions, events) of one child run under cachegrind."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, "-c", CHILD, mode, str(args.events), str(args.agents),
         str(args.frameworks)],
        env=env, capture_output=True, text=True, check=True)
    refs = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if refs is None:
        raise SystemExit(f"no instruction count from cachegrind:\n{out.stderr[-2000:]}")
    ev = re.search(r"EVENTS (\d+)", out.stdout)
    return int(refs.group(1).replace(",", "")), int(ev.group(1)) if ev else 0


def timed(args: argparse.Namespace) -> tuple[int, float]:
    from mesotron.core.sim.config import SimConfig
    from mesotron.core.sim.run import simulate

    gc.disable()
    t0 = time.perf_counter()
    r = simulate(SimConfig(seed=7, events=args.events, agents=args.agents,
                           frameworks=args.frameworks, faults="all"))
    wall = time.perf_counter() - t0
    gc.enable()
    return r.events, wall


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=50000)
    p.add_argument("--agents", type=int, default=5)
    p.add_argument("--frameworks", type=int, default=4)
    p.add_argument("--target", type=float, default=50000.0, help="events/s (default 50,000)")
    args = p.parse_args()
    if shutil.which("valgrind") is None:
        print("bench/sim_instr.py: valgrind is not installed (apt-get install valgrind)")
        return 2
    imp, _ = count("imp", args)
    run, events = count("run", args)
    bare, bare_events = count("nochk", args)
    per = (run - imp) / events
    per_bare = (bare - imp) / bare_events
    print(f"config: seed 7, {args.events} events asked, {args.agents} agents, "
          f"{args.frameworks} frameworks, all faults")
    print(f"checked:   {events:,} events, {per:,.0f} instructions/event")
    print(f"unchecked: {bare_events:,} events, {per_bare:,.0f} instructions/event "
          f"(the world and the machines alone)")
    print(f"the checker: {per - per_bare:,.0f} instructions/event "
          f"({100 * (per - per_bare) / per:.0f} % of a checked event)")
    ev, wall = timed(args)
    rate = ev / wall
    ips = rate * per
    print(f"timed checked run here: {ev:,} events in {wall:.2f} s = {rate:,.0f} events/s "
          f"-> {ips / 1e9:.2f} G instructions/s (load {os.getloadavg()[0]:.2f})")
    budget = ips / args.target
    print(f"{args.target:,.0f} events/s at that throughput allows {budget:,.0f} "
          f"instructions/event: {per / budget:.2f}x fewer than checked, "
          f"{per_bare / budget:.2f}x fewer than unchecked")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
