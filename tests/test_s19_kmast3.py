"""s19 kmast3 (mutation campaign, the master's offer calls): each property is shown failing
on a planted bug of its own (core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import pytest
import test_sim_bugs
from mesotron.core import invariants as inv

# (bug, SimConfig options, the property that must fire by name)
CASES_S19_KMAST3 = [
    # a DECLINE of an offer the master no longer holds is ignored without a warning
    ("decline_of_stale_offer_silent", {"faults": "all"}, "DeclinesAsMesos"),
]

NAMES = ("DeclinesAsMesos",)


@pytest.mark.parametrize("bug,options,expected", CASES_S19_KMAST3,
                         ids=[c[0] for c in CASES_S19_KMAST3])
def test_s19_kmast3_planted_bug_fires_its_property(bug, options, expected):
    test_sim_bugs.test_s11_planted_bug_fires_its_property(bug, options, expected)


def test_the_properties_are_in_the_catalog() -> None:
    for name in NAMES:
        assert inv.SAFETY[name] is getattr(inv, name)
        snap = inv.ClusterSnapshot(s17_killa=((name, "m1", "did it"),))
        assert inv.CATALOG[name](snap) == [f"{name}: master m1 did it"]
        assert inv.CATALOG[name](inv.ClusterSnapshot()) == []
