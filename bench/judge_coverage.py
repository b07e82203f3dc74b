"""Line coverage of the mutation judge's unmutated runs (s18): which population mutants sit on
lines the judge's simulations never execute (such a mutant cannot be killed until the world
drives that code).

    pip install coverage   # not a pinned dependency: a lead's analysis tool
    python bench/judge_coverage.py [--json OUT]

Runs every config of `mutate.Judge(seeds=(0, 1, 2), events=3000, variety=all)` (the judge of
`make mutate`) under coverage.py, restricted to core/, and prints per file how many mutants of
`mutate.discover()` sit on never-executed lines.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", type=Path, default=None, help="write lines and uncovered mutants")
    a = p.parse_args()
    try:
        import coverage
    except ImportError:
        print("judge_coverage: needs coverage.py (pip install coverage)", file=sys.stderr)
        return 2
    import importlib.util

    spec = importlib.util.find_spec("mesotron.core.sim.mutate")
    assert spec is not None and spec.origin is not None
    core = str(Path(spec.origin).resolve().parents[1])  # the real core/, as coverage sees it
    cov = coverage.Coverage(include=[core + "/*"])
    cov.start()
    from mesotron.core.sim import mutate
    from mesotron.core.sim.run import simulate

    judge = mutate.Judge(seeds=(0, 1, 2), events=3000, variety=len(mutate.VARIETY))
    for cfg in judge.configs():
        res = simulate(cfg)
        print(res.summary()[0], file=sys.stderr)
    cov.stop()
    data = cov.get_data()
    lines: dict[str, set[int]] = {}
    for f in data.measured_files():
        rel = str(Path(f).resolve()).removeprefix(core + "/")
        lines[rel] = set(data.lines(f) or [])
    uncovered: dict[str, list[list[object]]] = collections.defaultdict(list)
    allm = mutate.discover()
    for m in allm:
        if m.line not in lines.get(m.path, set()):
            uncovered[m.path].append([m.line, m.scope, m.op, m.snippet[:60]])
    n = sum(len(v) for v in uncovered.values())
    print(f"mutants {len(allm)}, on never-executed lines {n} ({n / len(allm):.1%})")
    for path in sorted(uncovered, key=lambda q: -len(uncovered[q])):
        print(f"{len(uncovered[path]):5d} {path}")
    if a.json is not None:
        a.json.write_text(json.dumps({"lines": {k: sorted(v) for k, v in lines.items()},
                                      "uncovered_mutants": uncovered}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
