"""s19 kmast2 (mutation campaign, master side): a framework's re-subscription (its books
and the FrameworkInfo its agents are told). The property is shown failing on a planted bug
of its own (core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import test_sim_bugs
from mesotron.core import invariants as inv

# (bug, SimConfig options, the property that must fire by name)
CASES_S19_KMAST2 = [
    # a re-subscription's changed FrameworkInfo is never sent to the agents (the MULTI_ROLE
    # framework of SimConfig.multirole, the judge's seed-41 varied run, changes its roles)
    ("framework_update_not_broadcast",
     {"faults": "crash,zk,net", "multirole": True, "fault_interval": 6.0},
     "ResubscriptionsUpdateFramework"),
]

NAMES = ("ResubscriptionsUpdateFramework",)


test_s19_kmast2_planted_bug_fires_its_property = test_sim_bugs.planted_bug_test(CASES_S19_KMAST2)


def test_the_properties_are_in_the_catalog() -> None:
    for name in NAMES:
        assert inv.SAFETY[name] is getattr(inv, name)
        snap = inv.ClusterSnapshot(s17_killa=((name, "f1", "did it"),))
        assert inv.CATALOG[name](snap) == [f"{name}: framework f1 did it"]
        assert inv.CATALOG[name](inv.ClusterSnapshot()) == []
