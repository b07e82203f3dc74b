"""s19 kmast3 (mutation campaign, the master's offer and subscription calls and its
describe() in its registry windows): each property is shown failing on a planted bug of its
own (core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

from typing import Any

import pytest
from mesotron.core import invariants as inv
from mesotron.core.sim import bugs, mutate
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate

# (bug, short SimConfig options, the property): caught in the first seconds of a run (the
# first agents' registrations, the adversarial framework's first SUBSCRIBE), so a short run
# shows it and the same short run passes on the real code
SHORT = {"events": 300, "quiesce": 60.0, "agents": 3, "frameworks": 4, "faults": "all"}
CASES_S19_KMAST3_SHORT = [
    # a DECLINE of an offer the master no longer holds (rescinded, expired) is ignored
    # without a warning
    ("decline_of_stale_offer_silent", {}, "DeclinesAsMesos"),
    # the master takes a role outside its --roles (the judge's seed-43 varied run:
    # SimConfig.master_edges, with the operator's --roles)
    ("subscribe_roles_whitelist_ignored", {"master_edges": True, "operator": True, "fast_alloc": True,
                                 "kinds": mutate.OPERATOR_KINDS}, "InvalidSubscriptionsRefused"),
    # the master's describe() hides the agents being registered (judged in the registry
    # windows)
    ("describe_hides_registering", {}, "MasterDescribeAgrees"),
    # /master/state's unreserved_resources_full without role '*' (Mesos's endpoint format)
    ("unreserved_full_without_role", {}, "OperatorViewsAgree"),
    # the master does not book a SUPPRESS it passes to its allocator
    ("suppress_not_booked", {}, "SuppressionBooksAgree"),
]

NAMES = ("DeclinesAsMesos", "InvalidSubscriptionsRefused", "SuppressionBooksAgree")


@pytest.mark.parametrize("bug,options,expected", CASES_S19_KMAST3_SHORT,
                         ids=[c[0] for c in CASES_S19_KMAST3_SHORT])
def test_s19_kmast3_planted_bug_fires_early(bug: str, options: dict[str, Any],
                                            expected: str) -> None:
    caught = None
    with bugs.BUGS[bug]():
        for seed in range(5):
            res = simulate(SimConfig(seed=seed, **SHORT, **options))
            if res.failure is not None:
                caught = (seed, res)
                break
    assert caught is not None, f"{bug} not caught in 5 short runs"
    seed, res = caught
    assert res.failure_name == expected, res.failure
    assert simulate(SimConfig(seed=seed, **SHORT, **options)).failure is None


def test_the_properties_are_in_the_catalog() -> None:
    for name in NAMES:
        assert inv.SAFETY[name] is getattr(inv, name)
        snap = inv.ClusterSnapshot(s17_killa=((name, "m1", "did it"),))
        assert inv.CATALOG[name](snap) == [f"{name}: master m1 did it"]
        assert inv.CATALOG[name](inv.ClusterSnapshot()) == []


def test_master_edges_are_judged() -> None:
    """The judge runs one `master_edges` run (a varied run), and `mesotron sim` names the
    option."""
    (v,) = [v for v in mutate.VARIETY if v.get("master_edges")]
    assert v.get("master_edges") is True and v.get("operator") is True
    cfg = SimConfig(seed=v["seed"], master_edges=True)
    assert cfg.command().endswith(" --master-edges")
    assert "--master-edges" not in SimConfig(seed=v["seed"]).command()
