"""CPU cost of the authorization decisions (core/authorizer.py, core/master/operator.py) on
the paths that run them often: one `authorized()` decision, `filter_state()` of a master
state (what every /master/state, GET_STATE and operator SUBSCRIBE snapshot costs with
--acls), `event_visible()` per operator SUBSCRIBE event and subscriber, and an operator
write's `operator_action` + decisions. In-process, CPU seconds (time.process_time).

    nice .venv/bin/python bench/authz_cost.py [--frameworks 100 --tasks 10 --n 20000]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from mesotron.core.authorizer import authorized, event_visible, filter_state, parse_acls
from mesotron.core.master import operator as op

ACLS = parse_acls({
    "permissive": False,
    "view_frameworks": [{"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
                        {"principals": {"values": ["dev"]}, "users": {"values": ["dev", "u3"]}}],
    "view_tasks": [{"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
                   {"principals": {"values": ["dev"]}, "users": {"values": ["dev"]}}],
    "view_executors": [{"principals": {"type": "ANY"}, "users": {"type": "ANY"}}],
    "view_roles": [{"principals": {"values": ["dev"]}, "roles": {"values": ["eng", "eng/%"]}}],
    "update_weights": [{"principals": {"values": ["ops"]}, "roles": {"type": "ANY"}}],
})


def state(frameworks: int, tasks: int) -> dict[str, Any]:
    return {
        "frameworks": [{"id": f"f{i}", "user": f"u{i % 7}" if i % 3 else "dev",
                        "tasks": [{"id": f"t{j}", "user": None} for j in range(tasks)],
                        "completed_tasks": [], "executors": [{"executor_id": "e"}]}
                       for i in range(frameworks)],
        "slaves": [{"id": f"a{i}", "reserved_resources": {"eng": {}, "ops": {}}} for i in range(frameworks)],
        "flags": {"x": "y"},
    }


def cpu(fn: Any, n: int) -> float:
    t0 = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t0) / n * 1e6


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--frameworks", type=int, default=100)
    p.add_argument("--tasks", type=int, default=10)
    p.add_argument("--n", type=int, default=20000)
    a = p.parse_args()
    s = state(a.frameworks, a.tasks)
    print(f"authorized(view_frameworks):      {cpu(lambda: authorized(ACLS, 'view_frameworks', 'dev', 'u3'), a.n):8.2f} us")
    print(f"event_visible(TASK_UPDATED):      {cpu(lambda: event_visible(ACLS, 'dev', 'TASK_UPDATED', 'dev', None), a.n):8.2f} us")
    call = op.UpdateWeights(weights=(("eng", 2.0), ("dev", 1.0)))
    print("operator write (2 roles):         "
          f"{cpu(lambda: [authorized(ACLS, x, 'ops', o) for x, o in op.operator_action(call)], a.n):8.2f} us")
    k = max(1, a.n // 200)
    print(f"filter_state({a.frameworks} fw x {a.tasks} tasks):  {cpu(lambda: filter_state(ACLS, 'dev', s), k):8.0f} us")


if __name__ == "__main__":
    main()
