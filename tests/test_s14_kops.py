"""s14 kops: properties added from the mutation campaign of core/master/{operator,
operations,queries,validation,why}.py, each failing on a planted bug of its own
(core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import pytest
from mesotron.core.sim import bugs
from mesotron.core.sim.checker import framework_view_rows
from mesotron.core.sim.config import OPERATOR_KINDS, SimConfig
from mesotron.core.sim.run import simulate
from simkit import clean_failure


def config(seed: int, faults: str = "none", operator: bool = False) -> SimConfig:
    if operator:  # the mutation judge's operator run (core/sim/mutate.py Judge.configs)
        return SimConfig(seed=seed, events=3000, agents=5, frameworks=4, faults=faults,
                         quiesce=700.0, fast_alloc=True, operator=True, kinds=OPERATOR_KINDS)
    return SimConfig(seed=seed, events=3000, agents=5, frameworks=4, faults=faults)


@pytest.mark.parametrize(("bug", "faults", "expected", "seed", "operator"), [
    ("deactivation_keeps_offers", "none", "NoOffersOfDeactivatedAgents", 1, True),
    ("state_framework_used_omits_staging", "none", "OperatorViewsAgree", 0, False),
    ("reservations_not_applied_on_reregistration", "all", "SettingsAgree", 1, True),
    ("finished_operations_lose_conversion", "none", "OperationFeedbackAgrees", 1, True),
    ("pending_operations_forgotten", "none", "OperationFeedbackAgrees", 1, True),
    ("static_reservations_reserved", "none", "InvalidOperatorCallsRefused", 1, True),
    ("why_ranks_from_zero", "none", "WhyExplains", 0, False),
    ("why_lists_connected_agents", "none", "WhyExplains", 0, False),
    ("why_hides_drf_tables", "none", "WhyExplains", 0, False),
    ("roles_whitelist_ignored", "none", "InvalidOperatorCallsRefused", 1, True),
    ("agent_task_records_unchecked", "none", "MalformedAgentMessagesRefused", 0, False),
    ("users_of_ignores_completed", "none", "OperatorViewsAgree", 0, False),
    ("drained_agents_never_gone", "all", "DrainEmptiesAgent", 1, True),
])
def test_planted_bug_fires_its_property(bug: str, faults: str, expected: str, seed: int,
                                        operator: bool) -> None:
    with bugs.BUGS[bug]():
        res = simulate(config(seed, faults, operator))
    assert res.failure_name == expected, res.failure
    assert clean_failure(config(seed, faults, operator)) is None


def _fw(**kw: object) -> dict[str, object]:
    f: dict[str, object] = {
        "id": "f1", "recovered": False, "connected": True, "registered_time": 2.0,
        "unregistered_time": 0, "tasks": [
            {"state": "TASK_RUNNING", "resources": {"cpus": 1.0, "mem": 128.0}},
            {"state": "TASK_FINISHED", "resources": {"cpus": 4.0, "mem": 4.0}}],
        "offers": [{"resources": {"cpus": 0.5, "mem": 64.0, "ports": "[31000-31000]"}}],
        "used_resources": {"cpus": 1.0, "mem": 128.0, "gpus": 0.0, "disk": 0.0},
        "offered_resources": {"cpus": 0.5, "mem": 64.0, "ports": "[31000-31000]"},
        "resources": {"cpus": 1.5, "mem": 192.0}}
    f.update(kw)
    return f


def test_framework_view_rows_see_each_field() -> None:
    """The /master/state framework check passes a consistent entry and names each broken
    field: used below the live tasks, offered not the offers, resources not the sum, a
    registration time of 0 or in the future, a connected framework with an unregistration
    time, a disconnected one without."""
    assert framework_view_rows("m", {"frameworks": [_fw()], "completed_frameworks": []}, 10.0) == []
    assert framework_view_rows("m", {"frameworks": [_fw(recovered=True, registered_time=0,
                                                        connected=False)],
                                     "completed_frameworks": []}, 10.0) == []
    broken = {
        "used_resources": _fw(used_resources={"cpus": 0.0, "mem": 0.0},
                              resources={"cpus": 0.5, "mem": 64.0}),
        "offered_resources": _fw(offered_resources={"cpus": 0.0}, resources={"cpus": 1.0, "mem": 128.0}),
        "resources": _fw(resources={"cpus": 1.0, "mem": 128.0}),
        "registered_time 0": _fw(registered_time=0),
        "registered_time 11": _fw(registered_time=11.0),
        "unregistered_time 3": _fw(unregistered_time=3.0),
        "unregistered_time 0": _fw(connected=False),
    }
    for what, f in broken.items():
        rows = framework_view_rows("m", {"frameworks": [f], "completed_frameworks": []}, 10.0)
        assert rows and what.split()[0] in rows[0][1], (what, rows)
    assert framework_view_rows("m", {"frameworks": [], "completed_frameworks": [
        _fw(connected=False, unregistered_time=0)]}, 10.0)
