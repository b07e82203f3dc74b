"""Trace validation: simulator runs are behaviours of tla/StatusUpdates.tla.

At least 200 per-agent traces from runs with every fault kind (partitions, lossy links,
connection breaks, master/agent/executor/scheduler crashes, power loss, ZooKeeper faults)
are checked by TLC in ONE batched JVM run (tla/tracecheck.py); a trace of a run with a
planted bug (the agent acks an executor before persisting) is in the same batch and must be
the only one rejected, at the acknowledgement.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest
from mesotron.core.sim import bugs
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate
from mesotron.core.sim.trace import traces_of

TLA = Path(__file__).resolve().parents[1] / "tla"
KINDS = ("net", "crash", "disk", "zk", "all")
WANT = 200
MAX_EVENTS = 200  # a prefix of a behaviour is a behaviour: keeps TLC well under 2 minutes


def config(seed: int, faults: str) -> SimConfig:
    # few long-running tasks per agent, frequent faults: traces are mostly about faults
    return SimConfig(seed=seed, events=600, agents=3, frameworks=2, kinds=("service", "gang"),
                     faults=faults, fault_interval=4.0, quiesce=30.0, liveness=False,
                     trace=True)


def collect() -> tuple[list[list[dict]], Counter, Counter]:
    traces: list[list[dict]] = []
    by_kind: Counter = Counter()
    actions: Counter = Counter()
    seed = 0
    while len(traces) < WANT:
        faults = KINDS[seed % len(KINDS)]
        res = simulate(config(seed, faults))
        assert res.failure is None, res.failure
        for t in traces_of(res):
            t = t[:MAX_EVENTS]
            traces.append(t)
            by_kind[faults] += 1
            actions.update(e["action"] for e in t)
        seed += 1
    return traces, by_kind, actions


@pytest.mark.skipif(shutil.which("java") is None, reason="TLC needs a JRE (make sysdeps)")
def test_simulator_traces_are_spec_behaviours_and_a_bug_is_not():
    sys.path.insert(0, str(TLA))
    import tracecheck

    traces, by_kind, actions = collect()
    assert len(traces) >= WANT and all(by_kind[k] > 0 for k in KINDS), by_kind
    for a in ("Drop", "Duplicate", "AgentCrash", "AgentRestart", "SchedulerReceive",
              "AgentReceiveAck"):
        assert actions[a] > 0, (a, actions)
    with bugs.ack_before_persist():
        res = simulate(SimConfig(seed=1, events=300, agents=2, frameworks=2, faults="none",
                                 quiesce=30.0, trace=True, check=False))
    bad = traces_of(res)[0][:MAX_EVENTS]
    results = tracecheck.check_traces([*traces, bad])
    rejected = [r for r in results if not r.accepted]
    assert [r.index for r in rejected] == [len(traces)], [r.describe() for r in rejected[:3]]
    assert rejected[0].first_bad_event["action"] == "AgentAckExecutor"
