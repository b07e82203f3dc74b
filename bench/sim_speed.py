"""Speed of the checked reference run, as `mesotron sim` prints it, with CPU time and load.

    .venv/bin/python bench/sim_speed.py                   # 3 runs of the reference command
    .venv/bin/python bench/sim_speed.py --runs 5 --no-check  # the same without the checker

Runs `mesotron sim --seed 7 --events 50000 --faults all` (the issue's reference command) as a
child process --runs times and prints per run the events/s the command reports, its wall
time, and the child's CPU time (user + sys, from getrusage: less sensitive to a shared host's
load than wall time), then the median of each and the load average before and after.
--no-check runs the same configuration in-process with `SimConfig.check` off (no checker,
no allocator explain mode), the collector paused as the command pauses it, for the floor.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time

REFERENCE = ["sim", "--seed", "7", "--events", "50000", "--faults", "all"]


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def one_cli(exe: str) -> tuple[float, float, float]:
    """(events/s printed, wall s printed, child CPU s) of one `mesotron sim` run."""
    c0 = child_cpu()
    out = subprocess.run([exe, *REFERENCE], capture_output=True, text=True, check=False).stdout
    cpu = child_cpu() - c0
    eps = float(re.search(r"^([\d,]+) events/s", out, re.MULTILINE).group(1).replace(",", ""))  # type: ignore[union-attr]
    wall = float(re.search(r"^wall: ([\d.]+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    return eps, wall, cpu


def one_unchecked() -> tuple[float, float, float]:
    import gc

    from mesotron.core.sim.config import SimConfig
    from mesotron.core.sim.run import simulate
    from mesotron.io.cli.gcpause import paused

    gc.collect()
    t0 = os.times()
    with paused(collect=False):
        res = simulate(SimConfig(seed=7, events=50000, frameworks=4, faults="all", check=False))
    t1 = os.times()
    return res.events / res.wall, res.wall, (t1.user - t0.user) + (t1.system - t0.system)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--no-check", action="store_true", help="in-process, SimConfig.check off")
    a = p.parse_args()
    exe = os.path.join(os.path.dirname(sys.executable), "mesotron")
    load0 = os.getloadavg()
    print(f"load before: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}  "
          f"({time.strftime('%H:%M:%S', time.gmtime())} UTC)")
    rows = []
    for i in range(a.runs):
        eps, wall, cpu = one_unchecked() if a.no_check else one_cli(exe)
        rows.append((eps, wall, cpu))
        print(f"run {i + 1}: {eps:,.0f} events/s  wall {wall:.2f} s  cpu {cpu:.2f} s", flush=True)
    load1 = os.getloadavg()
    print(f"median: {statistics.median(r[0] for r in rows):,.0f} events/s  "
          f"wall {statistics.median(r[1] for r in rows):.2f} s  "
          f"cpu {statistics.median(r[2] for r in rows):.2f} s")
    print(f"load after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")


if __name__ == "__main__":
    main()
