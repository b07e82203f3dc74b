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


def test_bugs_are_not_reachable_from_the_cli():
    import inspect

    from mesotron.io.cli import sim as sim_main

    assert "bugs" not in inspect.getsource(sim_main)
    assert len(bugs.BUGS) >= 7
