"""Trace validation of simulator runs against tla/MasterFailover.tla and tla/Allocator.tla
(core/sim/spectrace.py, tla/tracecheck.py). `make tla` checks 200 runs per spec; here a
smaller batch per spec over every fault kind, in ONE TLC run with a trace of a run with the
spec's planted bug, which must be the only one rejected, exactly at the event the bug
produced."""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest
from mesotron.core.sim import spectrace

TLA = Path(__file__).resolve().parents[1] / "tla"
N = 12  # two runs per fault kind

pytestmark = pytest.mark.skipif(shutil.which("java") is None,
                                reason="TLC needs a JRE (make sysdeps)")


@pytest.mark.parametrize("spec,must_see", [
    ("MasterFailover", ("Elect", "Fence", "AgentRegister", "AgentReregister", "AgentRestart",
                        "Launch", "AgentRunTask", "ZkExpire")),
    ("Allocator", ("Allocate", "Accept", "Decline", "TaskFinish", "AgentAdd", "Expire")),
])
def test_simulator_runs_are_spec_behaviours_and_a_planted_bug_is_not(spec, must_see):
    sys.path.insert(0, str(TLA))
    import tracecheck

    traces, by_kind = spectrace.collect(spec, N, events=600, max_events=80)
    assert set(by_kind) == set(spectrace.KINDS), by_kind
    actions = Counter(e["action"] for t in traces for e in t)
    for a in must_see:
        assert actions[a] > 0, (a, actions)
    bad, bad_index, _bug = spectrace.planted_bug_trace(spec)
    results = tracecheck.check_spec_traces(spec, [*traces, bad])
    rejected = [r for r in results if not r.accepted]
    assert [r.index for r in rejected] == [len(traces)], [r.describe()[:300] for r in rejected]
    assert rejected[0].first_bad_index == bad_index, rejected[0].describe()[:300]


def test_malformed_events_are_refused_before_tlc():
    sys.path.insert(0, str(TLA))
    import tracecheck

    with pytest.raises(tracecheck.TraceFormatError):
        tracecheck.write_spec_traces_module("Allocator", "X", [[{"action": "Bogus"}]])
