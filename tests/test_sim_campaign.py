"""Smoke campaign: 200 seeds x 2,000 faulty events, every fault kind, then quiescence with
the liveness and total-queue checks (what `make fuzz` does at a larger scale). A failure
names each failing seed, the violated property and the command that replays it. The seeds
run two at a time in spawned interpreters (testkit.sim_campaign): each is a pure function
of its configuration, so the verdicts are those of a serial run."""

from __future__ import annotations

from mesotron.core.sim.config import SimConfig
from testkit import sim_campaign

SEEDS = range(1000, 1200)


def test_smoke_campaign_all_faults():
    configs = [SimConfig(seed=seed, events=2000, agents=4, frameworks=4, faults="all",
                         quiesce=900.0) for seed in SEEDS]
    outcomes = sim_campaign(configs)
    assert len(outcomes) == len(SEEDS)
    failures = [f for _events, f in outcomes if f is not None]
    assert not failures, "\n".join(failures)
    assert sum(e for e, _f in outcomes) > len(SEEDS) * 2000
