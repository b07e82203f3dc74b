"""Where a simulation's time goes, per delivered input kind (a profiling aid, not a test).

    .venv/bin/python bench/sim_bytype.py                        # seed 7, 50k events, 20/5
    .venv/bin/python bench/sim_bytype.py --events 20000 --top 20

Times every top-level `World.deliver` (the receiving machine's step, the checker's hooks on
it, the world's handling of its effects and whatever those deliver at once) and prints, per
(node kind, input type, message/timer/call kind), the share of the run's wall time, the
count and the mean cost. Deliveries made inside another delivery are counted in the outer
one. Wall-clock figures: compare kinds within one run, not runs on a loaded machine.
"""

from __future__ import annotations

import argparse
import collections
import gc
import time
from typing import Any

from mesotron.core.sim import world as world_mod
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate


def kind_of(node: Any, inp: Any) -> str:
    k = type(inp).__name__
    if k == "Received":
        k += ":" + type(inp.message).__name__
    elif k == "TimerFired":
        k += ":" + str(inp.key[0] if inp.key else "")
    elif k == "SchedulerCall":
        k += ":" + type(inp.call).__name__
    return f"{node.kind} {k}"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--events", type=int, default=50000)
    p.add_argument("--agents", type=int, default=20)
    p.add_argument("--frameworks", type=int, default=5)
    p.add_argument("--top", type=int, default=30)
    a = p.parse_args()
    spent: collections.Counter[str] = collections.Counter()
    count: collections.Counter[str] = collections.Counter()
    orig = world_mod.World.deliver
    depth = [0]
    clock = time.perf_counter

    def deliver(self: Any, node: Any, inp: Any, tm: Any = None) -> None:
        if depth[0]:
            orig(self, node, inp, tm)
            return
        depth[0] = 1
        t0 = clock()
        try:
            orig(self, node, inp, tm)
        finally:
            depth[0] = 0
            k = kind_of(node, inp)
            spent[k] += clock() - t0
            count[k] += 1

    world_mod.World.deliver = deliver  # type: ignore[method-assign]
    cfg = SimConfig(seed=a.seed, events=a.events, agents=a.agents, frameworks=a.frameworks)
    gc.disable()  # as `mesotron sim` runs (io/cli/gcpause.py)
    try:
        res = simulate(cfg)
    finally:
        gc.enable()
        world_mod.World.deliver = orig  # type: ignore[method-assign]
    total = res.wall
    print(f"{res.events} events in {total:.2f} s wall (timed: {sum(spent.values()) / total:.0%})")
    for k, v in spent.most_common(a.top):
        print(f"{100 * v / total:5.1f} % {count[k]:7d} x {1e6 * v / count[k]:7.1f} us  {k}")


if __name__ == "__main__":
    main()
