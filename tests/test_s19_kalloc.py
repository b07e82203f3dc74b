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


def test_the_fast_comparison_gives_the_full_rows_on_agreeing_and_perturbed_books() -> None:
    """(s22 speed) checks_kalloc.framework_rows compares in one unsorted pass and hands any
    difference to framework_rows_full: on the leader of a real run (books agree) both give
    [], and on each perturbation of one compared field of the allocator's copy both give the
    same non-empty rows (so the fast pass can only say "agree" where the full one does)."""
    import copy

    from mesotron.core.sim import checks_kalloc as k
    from mesotron.core.sim.config import SimConfig
    from mesotron.core.sim.run import simulate

    res = simulate(SimConfig(seed=3, events=3000, agents=4, frameworks=4, faults="none",
                             quiesce=30.0))
    lead = res.world.live_leader()
    assert lead is not None
    m = lead.machine
    assert k.framework_rows(m) == k.framework_rows_full(m) == []
    fids = sorted(m.allocator._frameworks)
    assert len(fids) >= 2

    def roles(fw):
        fw.roles = (*fw.roles, "extra")

    def active(fw):
        fw.active = not fw.active

    def suppressed(fw):
        fw.suppressed = set(fw.suppressed) | {"not-suppressed-by-the-master"}

    def constraints(fw):
        fw.constraints = {fw.roles[0]: ()}

    def no_constraints(fw):
        fw.constraints = None

    perturbations = [roles, active, suppressed, constraints, no_constraints]
    seen = 0
    for fid in fids:
        for perturb in perturbations:
            mc = copy.deepcopy(m)
            perturb(mc.allocator._frameworks[fid])
            full = k.framework_rows_full(mc)
            assert full, (fid, perturb.__name__)
            assert k.framework_rows(mc) == full
            seen += 1

    def books(al):
        role = min(al._role_members)
        al._role_members[role] = set(al._role_members[role]) | {"ghost"}

    def sorter(al):
        del al._fw_index[min(al._fw_index)]

    def extra(al):
        al._frameworks["ghost"] = copy.deepcopy(al._frameworks[fids[0]])

    def missing(al):
        del al._frameworks[fids[-1]]

    for perturb in (books, sorter, extra, missing):
        mc = copy.deepcopy(m)
        perturb(mc.allocator)
        full = k.framework_rows_full(mc)
        assert full, perturb.__name__
        assert k.framework_rows(mc) == full
        seen += 1
    assert seen == len(fids) * len(perturbations) + 4
