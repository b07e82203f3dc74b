"""s13 magent (mutation campaign, agent side): what the simulator sees more of, each shown
failing on a planted bug of its own (core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import test_sim_bugs

# (bug, SimConfig options, the property that must fire by name)
CASES_S13_AGENT = [
    # a subscribed executor of the adversarial framework sends an UPDATE for a task the
    # agent never gave it, then a second SUBSCRIBE on its live subscription
    ("agent_forwards_ghost_updates", {"faults": "all"}, "HostileExecutorInputRefused"),
    ("agent_resubscribes_live_executor", {"faults": "all"}, "HostileExecutorInputRefused"),
    # the agent claims a task its executor runs was killed before it reached the executor
    ("agent_kills_launched_tasks_itself", {"faults": "none"}, "AgentUpdatesTruthful"),
    # a restarted agent collects the sandboxes pending collection at once
    ("sandboxes_collected_early", {"faults": "all"}, "SandboxesCollected"),
]


test_s13_agent_planted_bug_fires_its_property = test_sim_bugs.planted_bug_test(CASES_S13_AGENT)
