"""Regenerate the tutorial's pictures (docs/tutorial/img/): `python docs/tutorial/pictures.py [DIR]`.

Each picture is drawn from a deterministic simulator run (same seed, same picture) with the
same code as `mesotron sim --plot` (io/cli/plot.py); tests/test_tutorial.py runs this script
so the pictures cannot rot.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate
from mesotron.io.cli.plot import plot_all

HERE = os.path.dirname(os.path.abspath(__file__))

# picture name -> (simulator configuration, chart it shows)
RUNS = {
    "offers": (SimConfig(seed=3, events=3000, agents=3, frameworks=2, masters=1, faults="none",
                         kinds=("batch", "service"), quiesce=200.0, record=True), "offers-timeline"),
    "drf-shares": (SimConfig(seed=1, events=6000, agents=3, frameworks=2, masters=1, faults="none",
                             kinds=("batch", "service"), quiesce=200.0, record=True), "dominant-shares"),
    "faults-gantt": (SimConfig(seed=7, events=5000, agents=3, frameworks=3, faults="crash,net",
                               record=True), "tasks-gantt"),
    "failover": (SimConfig(seed=7, events=5000, agents=3, frameworks=3, faults="all",
                           record=True), "failover-timeline"),
}


def main(argv: list[str]) -> int:
    out = argv[0] if argv else os.path.join(HERE, "img")
    os.makedirs(out, exist_ok=True)
    for name, (cfg, chart) in RUNS.items():
        res = simulate(cfg)
        if res.failure is not None:
            print(f"{name}: the run failed ({res.failure}); no picture")
            return 1
        with tempfile.TemporaryDirectory() as tmp:
            plot_all(res.world.record or [], tmp, title=cfg.command())
            shutil.copy(os.path.join(tmp, f"{chart}.png"), os.path.join(out, f"{name}.png"))
        print(os.path.join(out, f"{name}.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
