"""Digest of the simulator's deterministic output, to prove a speed change alters nothing.

    .venv/bin/python bench/sim_digest.py                 # 50 runs: seeds 0-9 x 5 shapes
    .venv/bin/python bench/sim_digest.py --events 2000 --seeds 3 --verbose

Runs seeds 0..K-1 in each shape (default; 20 agents / 5 frameworks; --operator;
--health-checks; faults oom) and prints, per run, a digest of every deterministic summary line
(all but `wall:` and `events/s`) together with the run's event-kind counts, then one digest
of all runs. Two commits produce the same final line iff every run's summary and event
counts are identical.
"""

from __future__ import annotations

import argparse
import hashlib

from mesotron.core.sim.config import OPERATOR_KINDS, SimConfig
from mesotron.core.sim.run import simulate

SHAPES: dict[str, dict[str, object]] = {
    "default": {},
    "20x5": {"agents": 20, "frameworks": 5},
    "operator": {"operator": True, "kinds": OPERATOR_KINDS},
    "health": {"health": True},
    "oom": {"faults": "oom"},
}


def run_digest(cfg: SimConfig) -> tuple[str, list[str]]:
    res = simulate(cfg)
    lines = res.summary()  # the speed lines are in res.speed(), not here
    lines.append("counts: " + repr(sorted(res.counts.items())))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16], lines


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--events", type=int, default=10000)
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--shapes", default=",".join(SHAPES))
    p.add_argument("--verbose", action="store_true", help="print each run's summary too")
    a = p.parse_args()
    total = hashlib.sha256()
    for shape in a.shapes.split(","):
        for seed in range(a.seeds):
            cfg = SimConfig(seed=seed, events=a.events, **SHAPES[shape])  # type: ignore[arg-type]
            d, lines = run_digest(cfg)
            total.update(d.encode())
            print(f"{shape:8} seed {seed}: {d}", flush=True)
            if a.verbose:
                for line in lines:
                    print("    " + line)
    print(f"all: {total.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
