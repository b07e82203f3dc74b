"""Health checks in the simulator (core/sim/health.py): the real CommandExecutor runs them as
timers, the world draws their outcomes from the seed, and the checker's reference model
fires `HealthChecksKill` (core/invariants.py) when a planted bug in the executor's
health-check logic kills a task too early or counts failures inside the grace period."""

from __future__ import annotations

import pytest
from mesotron.core import invariants as inv
from mesotron.core.sim import bugs
from mesotron.core.sim.checker import Checker
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate
from simkit import clean_failure

BUDGET = 6  # seeds


def config(seed: int) -> SimConfig:
    return SimConfig(seed=seed, events=6000, agents=3, frameworks=4, health=True)


def test_health_checks_run_kill_sick_tasks_and_keep_the_catalog() -> None:
    """Under the default faults, tasks turn sick, fail their checks and are killed (TASK_KILLING,
    TASK_KILLED with healthy=false); every property of the catalog holds throughout."""
    chk = Checker()
    res = simulate(config(0), checker=chk)
    assert res.failure is None, res.failure
    assert chk.health.results > 100 and chk.health.kills > 0, (chk.health.results, chk.health.kills)
    assert "--health-checks" in config(0).command()


def test_health_checks_are_opt_in() -> None:
    """Without SimConfig.health no task carries a check (existing seeds replay unchanged)."""
    chk = Checker()
    res = simulate(SimConfig(seed=0, events=3000, agents=3, frameworks=4), checker=chk)
    assert res.failure is None and chk.health.results == 0


@pytest.mark.parametrize("bug", ["health_kills_one_failure_early", "health_ignores_grace_period"])
def test_planted_health_bug_fires_health_checks_kill(bug: str) -> None:
    caught = None
    with bugs.BUGS[bug]():
        for seed in range(BUDGET):
            res = simulate(config(seed))
            if res.failure is not None:
                caught = (seed, res)
                break
    assert caught is not None, f"{bug} not caught in {BUDGET} seeds"
    seed, res = caught
    assert res.failure_name == "HealthChecksKill", res.failure
    assert clean_failure(config(seed)) is None  # the bug, not the machines


def test_health_checks_kill_property() -> None:
    ok = inv.ClusterSnapshot(health_checks=((("f", "t"), 3, 3, True), (("f", "u"), 1, 3, False)))
    assert inv.HealthChecksKill(ok) == []
    early = inv.ClusterSnapshot(health_checks=((("f", "t"), 2, 3, True),))
    late = inv.ClusterSnapshot(health_checks=((("f", "t"), 3, 3, False),))
    assert [m.split(":")[0] for m in inv.HealthChecksKill(early) + inv.HealthChecksKill(late)] == \
        ["HealthChecksKill", "HealthChecksKill"]
