"""s18 compile trial: the run whose instructions cachegrind counts (pure vs compiled tree):

    PYTHONHASHSEED=0 PYTHONPATH=PKG valgrind --tool=cachegrind --cache-sim=no \\
        --cachegrind-out-file=/dev/null python bench/cython_trial/ir.py run [20x5|nochk]

minus `ir.py imp` (the imports alone). PKG holds mesotron/{core,io,spec} of the tree measured.
"""
import gc
import sys

import mesotron.core.sim.checker
import mesotron.io.cli.gcpause  # noqa: F401
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate

gc.disable()
if sys.argv[1] == "run":
    kw = {"seed": 7, "events": 10000, "frameworks": 4, "faults": "all"}
    if len(sys.argv) > 2 and sys.argv[2] == "20x5":
        kw.update(agents=20, frameworks=5)
    if len(sys.argv) > 2 and sys.argv[2] == "nochk":
        kw.update(check=False)
    r = simulate(SimConfig(**kw))
    print("events", r.events, "violation", r.violation)
