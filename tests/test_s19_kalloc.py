"""s19 kalloc (mutation campaign, allocator side): the leader's allocator knows each
framework as the leader books it (roles, active, suppressed roles, offer constraints) and
each role's sorter holds exactly that role's frameworks. The property is shown failing on a
planted bug of its own (core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import test_sim_bugs
from mesotron.core import invariants as inv

# (bug, SimConfig options, the property that must fire by name)
CASES_S19_KALLOC = [
    # the master deactivates a disconnected framework without telling the allocator
    ("allocator_not_told_of_deactivation", {"faults": "net", "fault_interval": 8.0},
     "AllocatorFrameworksAgree"),
]

NAMES = ("AllocatorFrameworksAgree",)


test_s19_kalloc_planted_bug_fires_its_property = test_sim_bugs.planted_bug_test(CASES_S19_KALLOC)


def test_the_property_is_in_the_catalog() -> None:
    for name in NAMES:
        assert inv.SAFETY[name] is getattr(inv, name)
        snap = inv.ClusterSnapshot(s17_killa=((name, "m1", "m1: did it"),))
        assert inv.CATALOG[name](snap) == [f"{name}: m1: did it"]
        assert inv.CATALOG[name](inv.ClusterSnapshot()) == []
