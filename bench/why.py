"""`why` at scale: the allocator's explain mode for one framework (core/allocator/why.py) on
the allocator benchmark's cluster (bench/allocator.py shape), after a few cycles.

    .venv/bin/python bench/why.py --agents 10000 --frameworks 1000 [--roles 10]

Times `why.explain` for the framework ranked first and the one ranked last (the last scans
the most frameworks ahead of it). `GET /master/why` runs it on the master's loop, so this is
how long such a request holds the master. Prints ONE JSON line."""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import allocator as shape
from mesotron.core.allocator import why


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--agents", type=int, default=10000)
    p.add_argument("--frameworks", type=int, default=1000)
    p.add_argument("--roles", type=int, default=1)
    p.add_argument("--cycles", type=int, default=3)
    a = p.parse_args()
    args = argparse.Namespace(agents=a.agents, frameworks=a.frameworks, roles=a.roles, demand=None,
                              slice="cpus:1;mem:512", refuse_seconds=5.0)
    al, wl = shape.build(args)
    shape.run(al, wl, a.cycles, 0, None)
    out = {"agents": a.agents, "frameworks": a.frameworks, "roles": a.roles}
    for label, fid in (("first", "fw00000"), ("last", f"fw{a.frameworks - 1:05d}")):
        t0 = time.perf_counter()
        e = why.explain(al, a.cycles + 0.5, fid)
        out[f"{label}_ms"] = round((time.perf_counter() - t0) * 1000.0, 1)
        out[f"{label}_reasons"] = dict(collections.Counter(r.kind for r in e.agents))
    out["load_1min"] = os.getloadavg()[0]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
