"""s18 driveo (mutation campaign, the master's operator side): the operator's agent calls the
simulated operator did not make before (SimConfig.agent_calls, a varied run of the judge)
and OperatorAgentCallsHold, which judges their answers. The property is shown failing on
planted bugs of its own (core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import pytest
import test_sim_bugs
from mesotron.core import invariants as inv
from mesotron.core.sim import mutate
from mesotron.core.sim.config import SimConfig

OPTS = {"faults": "all", "operator": True, "fast_alloc": True, "agent_calls": True}

# (bug, SimConfig options, the property that must fire by name)
CASES_S18_DRIVEO = [
    # MARK_AGENT_GONE removes the agent without telling it to shut down
    ("gone_agent_not_told", OPTS, "OperatorAgentCallsHold"),
    # DEACTIVATE_AGENT answers 200 without deactivating the agent
    ("deactivation_answered_unwritten", OPTS, "OperatorAgentCallsHold"),
    # the `why` JSON leaves out the share of a framework that holds nothing (a WhyExplains row)
    ("why_share_omitted_when_zero", {"faults": "all"}, "WhyExplains"),
]


@pytest.mark.parametrize("bug,options,expected", CASES_S18_DRIVEO,
                         ids=[c[0] for c in CASES_S18_DRIVEO])
def test_s18_driveo_planted_bug_fires_its_property(bug, options, expected):
    test_sim_bugs.test_s11_planted_bug_fires_its_property(bug, options, expected)


def test_the_property_is_in_the_catalog() -> None:
    name = "OperatorAgentCallsHold"
    assert inv.SAFETY[name] is getattr(inv, name)
    snap = inv.ClusterSnapshot(s18_driveo=(("m1", "did it"),))
    assert inv.CATALOG[name](snap) == [f"{name}: master m1 did it"]
    assert inv.CATALOG[name](inv.ClusterSnapshot()) == []


def test_the_judge_runs_the_agent_calls() -> None:
    runs = [v for v in mutate.VARIETY if v.get("agent_calls")]
    assert len(runs) == 1 and runs[0].get("operator")
    assert "--agent-calls" in SimConfig(operator=True, agent_calls=True).command()
    assert "--agent-calls" not in SimConfig(operator=True).command()
