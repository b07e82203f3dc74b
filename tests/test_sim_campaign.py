"""Smoke campaign: 200 seeds x 2,000 faulty events, every fault kind, then quiescence with
the liveness and total-queue checks (what `make fuzz` does at a larger scale). A failure
names each failing seed, the violated property and the command that replays it."""

from __future__ import annotations

from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import replay_command, simulate

SEEDS = range(1000, 1200)


def test_smoke_campaign_all_faults():
    failures = []
    events = 0
    for seed in SEEDS:
        cfg = SimConfig(seed=seed, events=2000, agents=4, frameworks=4, faults="all",
                        quiesce=900.0)
        res = simulate(cfg)
        events += res.events
        if res.failure is not None:
            failures.append(f"seed {seed}: {res.failure}\n  replay: {replay_command(cfg)}")
    assert not failures, "\n".join(failures)
    assert events > len(SEEDS) * 2000
