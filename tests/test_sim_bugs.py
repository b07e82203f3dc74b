"""Planted bugs: the simulator's checker must catch each deliberately wrong behaviour
(core/sim/bugs.py) within a stated seed budget. This is how we know it can fail.

Each case: the bug, the fault kinds that provoke it, the property expected to catch it, and
the budget (seeds 0..budget-1, small clusters, 3,000 faulty events each). The first failing
seed must report the expected property; a clean run of that seed (bug disabled) must pass.
"""

from __future__ import annotations

import pytest
from mesotron.core.sim import bugs
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate

BUDGET = 15  # seeds per bug

CASES = [
    # bug, faults, properties that may catch it
    ("ack_before_persist", "disk", {"NoLostAckedWork"}),
    ("forget_retries_after_restart", "crash", {"NoLostAckedWork", "EventuallyAcked"}),
    ("ack_ignores_uuid", "all", {"NoLostAckedWork", "UpdatesInOrder", "EventuallyAcked"}),
    ("allocator_double_offer", "none", {"NoOvercommit", "OfferExclusive"}),
    ("no_rescind_on_agent_removal", "net", {"NoOvercommit", "OfferExclusive"}),
    ("deposed_leader_writes", "zk", {"OneLeaderWrites"}),
    ("ack_before_delivery", "none", {"AckAfterDelivery"}),
]


def config(seed: int, faults: str) -> SimConfig:
    return SimConfig(seed=seed, events=3000, agents=5, frameworks=4, faults=faults,
                     quiesce=700.0)


@pytest.mark.parametrize("bug,faults,expected", CASES, ids=[c[0] for c in CASES])
def test_planted_bug_is_caught(bug, faults, expected):
    caught = None
    with bugs.BUGS[bug]():
        for seed in range(BUDGET):
            res = simulate(config(seed, faults))
            if res.failure is not None:
                caught = (seed, res)
                break
    assert caught is not None, f"{bug} not caught in {BUDGET} seeds (faults={faults})"
    seed, res = caught
    assert res.failure_name in expected, res.failure
    # the same seed without the bug is clean: the checker blamed the bug, not the machines
    clean = simulate(config(seed, faults))
    assert clean.failure is None, clean.failure


def test_bugs_are_reachable_only_through_the_teaching_flag(capsys):
    """`mesotron sim --bug NAME` plants one bug for a lesson; without the flag the CLI runs
    the real machines (the planted module is imported only by `planted`)."""
    import ast
    import inspect

    from mesotron.io.cli import sim as sim_main
    from mesotron.io.cli.main import main

    tree = ast.parse(inspect.getsource(sim_main))
    users = [f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
             and any(isinstance(n, ast.ImportFrom) and n.module == "mesotron.core.sim"
                     and any(a.name == "bugs" for a in n.names) for n in ast.walk(f))]
    assert users == ["planted"]
    assert len(bugs.BUGS) >= 7
    # the lesson: the same seed is clean without the bug and caught with it
    argv = ["sim", "--seed", "0", "--events", "3000", "--agents", "5", "--frameworks", "4",
            "--faults", "none", "--quiesce", "700", "--no-shrink"]
    assert main(argv) == 0
    capsys.readouterr()
    assert main([*argv, "--bug", "allocator_double_offer"]) == 1
    out = capsys.readouterr().out
    assert "PLANTED BUG" in out and ("NoOvercommit" in out or "OfferExclusive" in out)
    assert main(["sim", "--bug", "list"]) == 0 and "ack_before_persist" in capsys.readouterr().out
    assert main(["sim", "--bug", "nonsense"]) == 2
