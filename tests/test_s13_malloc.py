"""s13 malloc: the allocator's running books against a recount (AllocatorLedgersAgree)."""

from __future__ import annotations

from mesotron.core import invariants as inv
from mesotron.core.sim import bugs
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate
from simkit import clean_failure

BUDGET = 15  # seeds per bug


def _config(seed: int) -> SimConfig:
    return SimConfig(seed=seed, events=3000, agents=5, frameworks=4, quiesce=700.0,
                     faults="all")


def test_allocator_ledgers_agree_reports_each_differing_book():
    assert inv.AllocatorLedgersAgree(inv.ClusterSnapshot()) == []
    out = inv.AllocatorLedgersAgree(inv.ClusterSnapshot(
        allocator_ledgers=(("framework F in role r", "cpus:2", "cpus:1"),)))
    assert out == [("AllocatorLedgersAgree: framework F in role r: the allocator books "
                    "cpus:2 but its allocations give cpus:1")]


def test_planted_recovery_keeps_framework_total_fires_allocator_ledgers_agree():
    caught = None
    with bugs.BUGS["recovery_keeps_framework_total"]():
        for seed in range(BUDGET):
            res = simulate(_config(seed))
            if res.failure is not None:
                caught = (seed, res)
                break
    assert caught is not None, f"not caught in {BUDGET} seeds"
    seed, res = caught
    assert res.failure_name == "AllocatorLedgersAgree", res.failure
    assert "(all roles)" in res.failure
    assert clean_failure(_config(seed)) is None


def test_drf_order_exempts_only_role_choices_of_the_quota_stage():
    from mesotron.core.invariants import AllocationDecision

    elig = (("f1", 0.1), ("f2", 0.5))
    role_choice = AllocationDecision(agent_id="a1", role="", chosen="r2",
                                     eligible=(("r1", 0.1), ("r2", 0.5)), quota=True)
    fw_choice = AllocationDecision(agent_id="a1", role="r2", chosen="f1", eligible=elig,
                                   quota=True)
    assert inv.DrfOrder(inv.ClusterSnapshot(allocations=(role_choice,))) == []
    out = inv.DrfOrder(inv.ClusterSnapshot(allocations=(fw_choice,)))
    assert len(out) == 1 and "exempt from DRF order" in out[0]


def test_planted_quota_stage_exempts_frameworks_fires_drf_order():
    with bugs.BUGS["quota_stage_exempts_frameworks"]():
        res = simulate(_config(0))
    assert res.failure_name == "DrfOrder", res.failure
    assert "exempt from DRF order" in res.failure
    assert clean_failure(_config(0)) is None
