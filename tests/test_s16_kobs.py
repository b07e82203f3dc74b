"""s16 kobs (mutation campaign: what operators observe): the metrics, transition logs and
answer codes the simulator now recounts (core/sim/checks_kobs.py), each shown failing on a
planted bug of its own (core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import test_sim_bugs
from mesotron.core import invariants as inv
from mesotron.core.effects import Received, Reject
from mesotron.core.messages import Ping, RunTask
from mesotron.core.sim import checker as sim_checker
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate

# (bug, SimConfig options, the property that must fire by name)
CASES_S16_KOBS = [
    # the agent refuses a malformed executor UPDATE without counting it
    ("invalid_updates_uncounted", {"faults": "none"}, "MetricsAgree"),
    # the master deactivates a framework whose stream broke without logging it
    ("framework_disconnect_unlogged", {"faults": "all"}, "LogsRecord"),
    # the agent refuses a malformed RunTask 401 instead of 400
    ("run_task_refused_unauthorized", {"faults": "none"}, "AnswersAsMesos"),
]


test_s16_kobs_planted_bug_fires_its_property = test_sim_bugs.planted_bug_test(CASES_S16_KOBS)


def test_properties_report_only_what_they_are_given():
    assert inv.MetricsAgree(inv.ClusterSnapshot()) == []
    assert inv.LogsRecord(inv.ClusterSnapshot()) == []
    assert inv.AnswersAsMesos(inv.ClusterSnapshot()) == []
    [m] = inv.MetricsAgree(inv.ClusterSnapshot(metrics_recounted=(
        ("a1", "invalid_status_updates", 1.0, 2.0, "refused updates"),)))
    assert m.startswith("MetricsAgree: a1 invalid_status_updates is 1 but the checker recounts 2")
    [m] = inv.LogsRecord(inv.ClusterSnapshot(transition_logs=(("m1", "no log"),)))
    assert m == "LogsRecord: m1: no log"
    [m] = inv.AnswersAsMesos(inv.ClusterSnapshot(answer_codes=(("a1", "RunTask", "401"),)))
    assert m == "AnswersAsMesos: a1: RunTask 401"
    for name in ("MetricsAgree", "LogsRecord", "AnswersAsMesos"):
        assert inv.CATALOG[name] is inv.SAFETY[name] is getattr(inv, name)


def test_hostile_inputs_reach_the_answers_judged(monkeypatch):
    """The hostile executor's RunTask (from the agent's master, for another agent) and the
    hostile agent peer's Ping reach the code that refuses them, each refused 400 as the only
    effect, and the checks count the refused updates and the transition logs they judge (a
    check that never runs cannot fail)."""
    seen: dict[str, list[int]] = {"RunTask": [], "Ping": []}
    orig = sim_checker.Checker.on_step

    def on_step(self, world, node, inp, effects):
        msg = getattr(inp, "message", None)
        if type(inp) is Received and (
                (type(msg) is Ping and node.kind == "master")
                or (type(msg) is RunTask and msg.task.task_id == "sim-hostile-run-task")):
            assert len(effects) == 1 and type(effects[0]) is Reject, effects
            seen[type(inp.message).__name__].append(effects[0].status)
        return orig(self, world, node, inp, effects)

    monkeypatch.setattr(sim_checker.Checker, "on_step", on_step)
    res = simulate(SimConfig(seed=0, events=3000, agents=5, frameworks=4, faults="all",
                             quiesce=700.0))
    assert res.failure is None
    assert seen["RunTask"] and set(seen["RunTask"]) == {400}
    assert seen["Ping"] and set(seen["Ping"]) == {400}


def test_operator_marks_a_gone_agent_gone_again(monkeypatch):
    """In an operator run the simulated operator marks gone again an agent the leader holds
    gone (with its invalid agent calls): the master answers 200, Mesos's answer, and the run
    stays clean (AnswersAsMesos judges the answer)."""
    from mesotron.core.effects import Respond
    from mesotron.core.master.operator import OperatorCall
    from mesotron.core.sim.mutate import OPERATOR_KINDS

    answers: list[int] = []
    orig = sim_checker.Checker.on_step

    def on_step(self, world, node, inp, effects):
        if type(inp) is OperatorCall and inp.request.endswith("-gone-again"):
            answers.extend(e.status for e in effects if type(e) is Respond)
        return orig(self, world, node, inp, effects)

    monkeypatch.setattr(sim_checker.Checker, "on_step", on_step)
    res = simulate(SimConfig(seed=1, events=3000, agents=5, frameworks=4, faults="all",
                             quiesce=700.0, fast_alloc=True, operator=True, kinds=OPERATOR_KINDS))
    assert res.failure is None
    assert answers and set(answers) == {200}
