"""Simulator benchmark: simulated events per second on one core, and seeds per hour.

    .venv/bin/python bench/sim.py                      # the reference run + a small campaign
    .venv/bin/python bench/sim.py --seeds 40 --profile # also print the hottest functions

Prints one JSON line: the reference run (`mesotron sim --seed 7 --events 50000 --agents 20
--frameworks 5 --faults all`: events, wall seconds, events/s, best of --repeat runs) and a
smoke campaign like the one in `make test` (seeds x 2,000 faulty events, 4 agents, 4
frameworks, all faults, 900 s of quiescence): seeds/hour. Also reports CPU time and the
host's load average, since a loaded host makes wall-clock figures meaningless.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import time

from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import Result, simulate
from mesotron.io.cli.gcpause import paused


def run(cfg: SimConfig) -> Result:
    """One run as `mesotron sim` makes it: the collector paused during the run
    (io/cli/gcpause.py), the previous run's world (reference cycles) collected before."""
    gc.collect()
    with paused(collect=False):
        return simulate(cfg)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--events", type=int, default=50000)
    p.add_argument("--agents", type=int, default=20)
    p.add_argument("--frameworks", type=int, default=5)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seeds", type=int, default=20, help="campaign size for seeds/hour")
    p.add_argument("--profile", action="store_true")
    a = p.parse_args()
    ref = SimConfig(seed=7, events=a.events, agents=a.agents, frameworks=a.frameworks)
    best = None
    for _ in range(a.repeat):
        r = run(ref)
        if best is None or r.wall < best.wall:
            best = r
    assert best is not None
    c0 = time.process_time()
    events = 0
    failures = 0
    for seed in range(1000, 1000 + a.seeds):
        r = run(SimConfig(seed=seed, events=2000, agents=4, frameworks=4, quiesce=900.0))
        events += r.events
        failures += r.failure is not None
    cpu = time.process_time() - c0
    print(json.dumps({
        "reference": ref.command(),
        "events": best.events,
        "virtual_seconds": round(best.virtual_time, 1),
        "wall_s": round(best.wall, 3),
        "events_per_s": round(best.events / best.wall),
        "campaign_seeds": a.seeds,
        "campaign_events": events,
        "campaign_failures": failures,
        "campaign_cpu_s": round(cpu, 2),
        "seeds_per_hour": round(a.seeds / cpu * 3600),
        "campaign_events_per_cpu_s": round(events / cpu),
        "load_average": os.getloadavg()[0],
    }))
    if a.profile:
        prof = cProfile.Profile()
        prof.runcall(simulate, ref)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
