"""s19 kagent (mutation campaign, agent side): an agent's registration with its master (who
it registers with, in which state, how fast its retries back off). Each property is shown
failing on a planted bug of its own (core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import test_sim_bugs
from mesotron.core import invariants as inv
from mesotron.core.sim import bugs
from mesotron.core.sim.run import simulate
from simkit import clean_failure

# (bug, SimConfig options, the property that must fire by name)
CASES_S19_KAGENT = [
    # an agent whose recovery finishes before a master is detected registers with none
    ("registration_without_master", {"faults": "all", "fault_interval": 6.0},
     "RegistersOnlyWhenDisconnected"),
    # the registration backoff triples per retry
    ("registration_backoff_tripled", {"faults": "all"}, "RegistrationRetriesBounded"),
]

NAMES = ("RegistersOnlyWhenDisconnected", "RegistrationRetriesBounded", "KillsOnlyLiveExecutors")


test_s19_kagent_planted_bug_fires_its_property = test_sim_bugs.planted_bug_test(CASES_S19_KAGENT)


def test_exited_executor_killed_again_is_caught():
    """An executor that dies while its restarted agent recovers is still awaited: the
    re-registration timeout kills its container again (KillsOnlyLiveExecutors). Dense agent
    crashes with lost unsynced writes reach it (an executor checkpointed live, found dead at
    the restart, its tasks' failures unacknowledged while the agent recovers) first on seed 2
    (seeds 0 and 1 would cost 4 s of CPU for nothing)."""
    cfg = test_sim_bugs.s11_config(2, {"faults": "crash,disk", "fault_interval": 6.0})
    with bugs.BUGS["exited_executor_still_awaited"]():
        res = simulate(cfg)
    assert res.failure_name == "KillsOnlyLiveExecutors", res.failure
    assert clean_failure(cfg) is None


def test_the_properties_are_in_the_catalog() -> None:
    for name in NAMES:
        assert inv.SAFETY[name] is getattr(inv, name)
        snap = inv.ClusterSnapshot(s17_killa=((name, "a1", "did it"),))
        assert inv.CATALOG[name](snap) == [f"{name}: agent a1 did it"]
        assert inv.CATALOG[name](inv.ClusterSnapshot()) == []
