"""s16 kdrive: scheduler API paths the simulated adversarial framework now drives (a SHUTDOWN
of one of its executors, a KILL naming an agent, tasks under a custom executor of their
own), each judged by a property of its own (core/sim/checks_kdrive.py), shown failing on a
planted bug of its own (core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import pytest
import test_sim_bugs
from mesotron.core.sim import checks_kdrive
from mesotron.core.sim.checker import Checker
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.world import World

CASES_S16_KDRIVE = [
    # the agent shuts down every executor of the framework on a SHUTDOWN of one of them
    ("shutdown_executor_whole_framework", {"faults": "none"}, "ExecutorShutdownsHonoured"),
    # the master kills a task even when the KILL names another agent
    ("kill_agent_id_ignored", {"faults": "none"}, "KillsReachTheirAgent"),
    # the agent runs a task launched with a custom executor as a command task
    ("custom_executor_run_as_command", {"faults": "none"}, "CustomExecutorsRun"),
]


@pytest.mark.parametrize("bug,options,expected", CASES_S16_KDRIVE,
                         ids=[c[0] for c in CASES_S16_KDRIVE])
def test_s16_kdrive_planted_bug_fires_its_property(bug, options, expected):
    test_sim_bugs.test_s11_planted_bug_fires_its_property(bug, options, expected)


def test_new_paths_are_driven_and_judged():
    """In a default-shaped run the adversarial framework sends SHUTDOWN calls, KILLs naming
    an agent and launches tasks under custom executors, every one judged, and none flagged;
    the custom executors run their tasks (updates come from the executor named)."""
    from mesotron.core.messages import EventUpdate

    seen: dict[str, int] = {}
    wrapped = {}
    for name in ("check_shutdown_call", "check_shutdown_at_agent", "check_kill_call",
                 "check_run_task_at_agent"):
        orig = getattr(checks_kdrive, name)

        def wrap(*a, _o=orig, _n=name):
            inp = a[3]
            tag = _n
            if _n == "check_kill_call" and inp.call.agent_id is not None:
                tag = "kill_naming_agent"
            elif _n == "check_run_task_at_agent" and inp.message.task.executor is not None:
                tag = "custom_launch"
            seen[tag] = seen.get(tag, 0) + 1
            return _o(*a)
        wrapped[name] = orig
        setattr(checks_kdrive, name, wrap)
    custom_running = []
    try:
        config = SimConfig(seed=7, events=20000, frameworks=4, faults="all")
        checker = Checker()
        world = World(config, observer=checker)
        checker.world = world
        on_app_event = checker.on_app_event

        def hear(w, s, ev):
            st = getattr(ev, "status", None)
            if type(ev) is EventUpdate and st.executor_id and st.executor_id.endswith(".x") \
                    and st.state.name == "TASK_FINISHED" and st.source.name == "SOURCE_EXECUTOR":
                custom_running.append(st.task_id)
            return on_app_event(w, s, ev)
        checker.on_app_event = hear
        world.run_until(events=config.events)
    finally:
        for name, orig in wrapped.items():
            setattr(checks_kdrive, name, orig)
    assert not checker.violations, checker.violations[:3]
    for tag in ("check_shutdown_call", "check_shutdown_at_agent", "kill_naming_agent",
                "custom_launch"):
        assert seen.get(tag, 0) > 0, (tag, seen)
    assert custom_running, "no task finished under its custom executor"
