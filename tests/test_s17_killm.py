"""s17 killm: master-side properties where the mutation judge was blind (timers set in the
past, explicit reconciliation answers, the registry GC's selection, the leader's /state and
/metrics, the `why` answer's agents and filters); each shown failing on a planted bug of its
own (core/sim/bugs.py) and passing on the same seed without it."""

from __future__ import annotations

import pytest
import test_sim_bugs
from mesotron.core.sim import checks_killm
from mesotron.core.sim.checker import Checker
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.world import World

GC = {"faults": "all", "operator": True, "fast_alloc": True, "registry_gc": (20.0, 40.0)}

CASES_S17_KILLM = [
    # a new leader arms its timers from its reset clock (0), not its election time
    ("election_timers_from_reset_clock", {"faults": "all"}, "TimersNotInPast"),
    # an explicit reconciliation naming an unknown agent is answered TASK_GONE
    ("reconcile_unknown_agent_gone", {"faults": "all"}, "ReconcileAnswersAsMesos"),
    # the registry GC prunes every entry whatever its age
    ("registry_gc_prunes_all", GC, "RegistryGcSelects"),
    # /metrics leaves the master's counters out
    ("metrics_drop_counters", {"faults": "all"}, "LeaderViewsAgree"),
    # the why answer leaves out the framework's filters
    ("why_json_drops_filters", {"faults": "all"}, "WhyExplains"),
    # a known agent that re-registers is not told its dynamic reservations
    ("reservations_not_resent_on_reconnect", {"faults": "all", "operator": True},
     "ReservationsResent"),
    # an agent due for removal waits for a removal permit that is free
    ("removal_permit_waits_when_free", {"faults": "all", "operator": True},
     "RemovalPermitsPaced"),
    # the master shows every framework the raw task state
    ("visible_state_ignores_capabilities", {"faults": "all"}, "UpdatesVisible"),
]


@pytest.mark.parametrize("bug,options,expected", CASES_S17_KILLM,
                         ids=[c[0] for c in CASES_S17_KILLM])
def test_s17_killm_planted_bug_fires_its_property(bug, options, expected):
    test_sim_bugs.test_s11_planted_bug_fires_its_property(bug, options, expected)


def test_reconciliations_and_gc_are_judged():
    """The properties have something to judge in a run of the judge's shapes: explicit
    reconciliations answered about agents the master does not book, registry GCs that
    prune, elections."""
    calls: dict[str, int] = {"rec": 0, "gc": 0, "elect": 0}
    orig = (checks_killm.check_reconcile_states, checks_killm.after_gc,
            checks_killm.after_election)

    def rec(*a):
        calls["rec"] += 1
        return orig[0](*a)

    def gc(*a):
        calls["gc"] += 1
        return orig[1](*a)

    def elect(*a):
        calls["elect"] += 1
        return orig[2](*a)

    mp = pytest.MonkeyPatch()
    mp.setattr(checks_killm, "check_reconcile_states", rec)
    mp.setattr(checks_killm, "after_gc", gc)
    mp.setattr(checks_killm, "after_election", elect)
    try:
        config = SimConfig(seed=3, events=3000, agents=5, frameworks=4, quiesce=700.0,
                           **{**GC, "kinds": test_sim_bugs.s11_config(0, {"operator": True}).kinds})
        checker = Checker()
        world = World(config, observer=checker)
        checker.world = world
        world.run_until(events=config.events)
        assert not checker.violations
    finally:
        mp.undo()
    assert calls["rec"] and calls["gc"] and calls["elect"], calls
