"""DRF as in the paper: the worked example of Ghodsi et al., "Dominant Resource Fairness:
Fair Allocation of Multiple Resource Types" (NSDI 2011), section 4, on mesotron's real
allocator (core/allocator/, the same machine the master runs).

A cluster of 9 CPUs and 18 GB. User A runs tasks of <1 CPU, 4 GB>, user B tasks of
<3 CPU, 1 GB>. Each user is a framework in its own role; the cluster is one agent. Mesos
offers the whole free agent to the framework with the lowest dominant share (DRF); the
framework launches ONE task and gives the rest back with no filter, so the next offer goes
to whoever is now the lowest, exactly the paper's progressive filling. A framework whose
task does not fit declines with a long filter. The paper's answer: A gets 3 tasks
<3 CPU, 12 GB>, B gets 2 tasks <6 CPU, 2 GB>; both dominant shares are 2/3.

    python examples/drf_paper.py                    # the paper's table
    python examples/drf_paper.py --weight b=2       # the same with role b weighted 2

Ties (both shares 0 at the start) go to the lower framework id, so A is served first here
where the paper starts with B; the final allocation is the same.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction

from mesotron.core.allocator.machine import Allocator
from mesotron.core.allocator.values import (
    AddAgent,
    AddFramework,
    Allocate,
    AllocatorConfig,
    RecoverResources,
)
from mesotron.core.resources import Resources

CLUSTER = "cpus:9;mem:18432"
DEMANDS = {"A": "cpus:1;mem:4096", "B": "cpus:3;mem:1024"}
ROLES = {"A": "a", "B": "b"}


def run(weights: dict[str, float] | None = None, cluster: str = CLUSTER,
        demands: dict[str, str] | None = None) -> list[dict]:
    """Progressive filling on the real allocator. Returns one row per launched task:
    {"step", "user", "tasks" {user: n}, "shares" {user: dominant share}, "cpus", "mem"}."""
    demands = demands or DEMANDS
    w = tuple(sorted((weights or {}).items()))
    al = Allocator(AllocatorConfig(weights=w))
    total = Resources.parse(cluster)
    al.step(0, AddAgent(agent_id="agent", hostname="cluster", total=total))
    for user in sorted(demands):
        al.step(0, AddFramework(framework_id=user, roles=(ROLES.get(user, user.lower()),)))
    tasks = {u: 0 for u in demands}
    used = {u: Resources() for u in demands}
    rows: list[dict] = []
    now = 0.0
    for _ in range(1000):  # bounded: a task or a decline per round
        now += 1.0
        effects = al.step(now, Allocate())
        if not effects:
            break
        for a in effects:
            user = a.framework_id
            task = Resources.parse(demands[user]).allocate(a.role)
            if a.resources.contains(task):
                tasks[user] += 1
                used[user] = used[user] + task
                al.step(now, RecoverResources(framework_id=user, agent_id=a.agent_id,
                                              resources=a.resources - task,
                                              refuse_seconds=0.0))
                rows.append({
                    "step": len(rows) + 1, "user": user, "tasks": dict(tasks),
                    "shares": {u: al.dominant_share(u) for u in sorted(demands)},
                    "cpus": sum(used[u].scalar("cpus") for u in used),
                    "mem": sum(used[u].scalar("mem") for u in used),
                })
            else:  # it cannot use this offer: decline for a long time
                al.step(now, RecoverResources(framework_id=user, agent_id=a.agent_id,
                                              resources=a.resources, refuse_seconds=1e6))
    return rows


def frac(x: float, denominators: tuple[int, ...] = (9, 18, 3, 2, 6)) -> str:
    f = Fraction(x).limit_denominator(36)
    return f"{f.numerator}/{f.denominator}" if f.denominator != 1 else str(f.numerator)


def table(rows: list[dict], cluster: str = CLUSTER) -> list[str]:
    total = Resources.parse(cluster)
    cpus, mem = total.scalar("cpus"), total.scalar("mem")
    users = sorted(rows[0]["shares"]) if rows else []
    head = f"{'schedule':>9} | " + " | ".join(f"{u}: tasks, dominant share" for u in users) + \
        f" | {'CPU total':>9} | {'RAM total':>9}"
    out = [head, "-" * len(head)]
    for r in rows:
        cells = " | ".join(f"{r['tasks'][u]:>2} tasks, {frac(r['shares'][u]):>5}".ljust(
            len(f"{u}: tasks, dominant share")) for u in users)
        out.append(f"{'user ' + r['user']:>9} | {cells} | "
                   f"{frac(r['cpus'] / cpus):>9} | {frac(r['mem'] / mem):>9}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weight", action="append", default=[], metavar="ROLE=W",
                   help="role weight (roles: a for user A, b for user B)")
    args = p.parse_args(argv)
    weights = {}
    for item in args.weight:
        role, _, val = item.partition("=")
        try:
            weights[role] = float(val)
        except ValueError:
            print(f"drf_paper: bad --weight {item!r} (want ROLE=NUMBER)")
            return 2
    rows = run(weights)
    print(f"DRF on {CLUSTER} (9 CPUs, 18 GB); A: <1 CPU, 4 GB>, B: <3 CPU, 1 GB>"
          + (f"; weights {weights}" if weights else ""))
    for line in table(rows):
        print(line)
    last = rows[-1] if rows else None
    if last:
        print("final: " + ", ".join(f"{u} {last['tasks'][u]} tasks, dominant share "
                                    f"{frac(last['shares'][u])}" for u in sorted(last["tasks"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
