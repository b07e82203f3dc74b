"""s18 drivea (mutation campaign, agent side): an agent's executor books, its master-link
timers (ping timeout, registration backoff) and its describe() text. Each property is shown
failing on a planted bug of its own (core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import pytest
import test_sim_bugs
from mesotron.core import invariants as inv
from mesotron.core.sim import mutate
from mesotron.core.sim.config import SimConfig

# (bug, SimConfig options, the property that must fire by name)
CASES_S18_DRIVEA = [
    # a terminated executor stays booked after its last task's terminal update is acked
    ("executors_kept_after_last_ack", {"faults": "all"}, "TerminatedExecutorsRemoved"),
    # the agent gives its master up after one ping interval, not the total ping timeout
    ("ping_timer_too_short", {"faults": "all"}, "MasterPingTimeoutHonoured"),
    # a new registration round keeps the backoff the last one grew to
    ("registration_backoff_kept", {"faults": "all"}, "RegistrationBackoffResets"),
    # the agent's describe() hides the executors' completed tasks (a DescribeAgrees row)
    ("agent_describe_hides_completed", {"faults": "all"}, "DescribeAgrees"),
    # with frameworks that do not checkpoint (SimConfig.uncheckpointed, the judge's seed-40
    # varied run): the agent keeps their executors when the connection breaks
    ("uncheckpointed_executors_kept", {"faults": "all", "uncheckpointed": True},
     "ExecutorDisconnectionsTolerated"),
]

NAMES = ("TerminatedExecutorsRemoved", "MasterPingTimeoutHonoured", "RegistrationBackoffResets")


@pytest.mark.parametrize("bug,options,expected", CASES_S18_DRIVEA,
                         ids=[c[0] for c in CASES_S18_DRIVEA])
def test_s18_drivea_planted_bug_fires_its_property(bug, options, expected):
    test_sim_bugs.test_s11_planted_bug_fires_its_property(bug, options, expected)


def test_the_properties_are_in_the_catalog() -> None:
    for name in NAMES:
        assert inv.SAFETY[name] is getattr(inv, name)
        snap = inv.ClusterSnapshot(s17_killa=((name, "a1", "did it"),))
        assert inv.CATALOG[name](snap) == [f"{name}: agent a1 did it"]
        assert inv.CATALOG[name](inv.ClusterSnapshot()) == []


def test_uncheckpointed_frameworks_are_judged() -> None:
    """The batch frameworks of an `uncheckpointed` run subscribe with checkpoint=False, the
    judge runs one (the last varied run), and `mesotron sim` names the option."""
    v = next(v for v in mutate.VARIETY if v.get("uncheckpointed"))  # (s19: not the last)
    assert v.get("uncheckpointed") is True and v["seed"] >= 40
    cfg = SimConfig(seed=v["seed"], uncheckpointed=True)
    assert cfg.command().endswith(" --uncheckpointed")
    assert not SimConfig(seed=v["seed"]).command().endswith(" --uncheckpointed")
