"""s23 (mutation campaign, fresh sample seed 26): what no property saw. Two master counters
no property recounted, and a terminal task that leaves the master's books without becoming a
completed task (each view of the completed list was only ever compared with another view of
the same list).
MetricsAgree now recounts the master's `valid_status_updates` / `invalid_status_updates`
(one of the two grows by 1 for each agent status update a leader takes, `valid` only for a
task it had booked on that agent) and `slave_unreachable_canceled` (one per removal a permit's
step cancels), each shown failing on a planted bug of its own (core/sim/bugs.py) and passing
on the real code (core/sim/checks_kobs.py). AckedTerminalTaskRemoved now also holds a task
the leader took off its books on a scheduler's acknowledgement to be its framework's newest
completed task (core/sim/checker.py check_acked_terminal_removed)."""

from __future__ import annotations

import test_sim_bugs
from mesotron.core.effects import TimerFired
from mesotron.core.messages import StatusUpdateMessage
from mesotron.core.sim import checks_kobs
from mesotron.core.sim.run import simulate

# (bug, SimConfig options, the property that must fire by name)
CASES_S23_KOBS = [
    # the master forwards an update of a task it books without counting it valid
    ("valid_updates_uncounted", {"faults": "none"}, "MetricsAgree"),
    # the master cancels a pending agent removal without counting it
    ("canceled_removals_uncounted", {"faults": "all", "operator": True}, "MetricsAgree"),
    # the master takes a terminal task off its books without completing it
    ("completed_tasks_dropped", {"faults": "none"}, "AckedTerminalTaskRemoved"),
]

test_s23_kobs_planted_bug_fires_its_property = test_sim_bugs.planted_bug_test(CASES_S23_KOBS)


def test_the_recounts_judge_every_update_and_permit(monkeypatch):
    """Both recounts run on the real code: every leader step on an agent's status update
    and on a removal permit reaches its judge with the counters of that step (a check that
    never runs cannot fail), and the run is clean."""
    seen = {"updates": 0, "permits": 0}
    after_su, after_rp = checks_kobs.after_status_update, checks_kobs.after_removal_permit

    def after_status_update(chk, world, node, effects):
        pre = chk.kobs["pre"]
        assert pre is not None and pre[0] is StatusUpdateMessage
        seen["updates"] += 1
        return after_su(chk, world, node, effects)

    def after_removal_permit(chk, world, node, effects):
        pre = chk.kobs["pre"]
        assert pre is not None and pre[0] is TimerFired
        seen["permits"] += 1
        return after_rp(chk, world, node, effects)

    monkeypatch.setattr(checks_kobs, "after_status_update", after_status_update)
    monkeypatch.setattr(checks_kobs, "after_removal_permit", after_removal_permit)
    cfg = test_sim_bugs.s11_config(3, {"faults": "all", "operator": True})
    res = simulate(cfg)
    assert res.failure is None, res.failure
    assert seen["updates"] > 100 and seen["permits"] > 0, seen


def test_the_completed_task_half_reads_what_it_is_given():
    from mesotron.core import invariants as inv

    assert inv.AckedTerminalTaskRemoved(inv.ClusterSnapshot()) == []
    [m] = inv.AckedTerminalTaskRemoved(inv.ClusterSnapshot(
        acked_terminal_uncompleted=(("f1", "t1", "a1"),)))
    assert m == ("AckedTerminalTaskRemoved: task t1 of framework f1 on agent a1 left the "
                 "master's books on its acknowledgement but is not among the framework's "
                 "completed tasks")


def test_an_update_a_standby_drops_or_a_refusal_counts_nothing():
    """The recount's other half, which the simulated world never builds (agents send their
    updates to the leader only; malformed ones are judged by MalformedAgentMessagesRefused
    first): a master that does not lead, or a step that refused the update, must move
    neither counter, and one that does is reported."""
    from types import SimpleNamespace

    from mesotron.core.effects import Log, Reject

    update = SimpleNamespace(framework_id="f1", status=SimpleNamespace(task_id="t1"))
    inp = SimpleNamespace(sender="agent-pid", message=SimpleNamespace(update=update))

    def judge(leader, effects, counts):
        machine = SimpleNamespace(counters={}, leader=leader, _agents={}, _pids={})
        node = SimpleNamespace(name="m1", machine=machine)
        reported = []
        chk = SimpleNamespace(kobs=checks_kobs.new_state(),
                              run=lambda world, prop, snap: reported.append(snap))
        checks_kobs.before_status_update(chk, node, inp)
        machine.counters.update(counts)
        checks_kobs.after_status_update(chk, None, node, effects)
        return [r.metrics_recounted for r in reported]

    dropped = [Log(level="info", event="message_dropped_not_leader")]
    refused = [Reject(sender="agent-pid", status=400, message="bad", input=None)]
    assert judge(False, dropped, {}) == []
    assert judge(True, refused, {}) == []
    assert judge(False, dropped, {checks_kobs.SU_INVALID: 1}) != []
    assert judge(True, refused, {checks_kobs.SU_VALID: 1}) != []
    # a leader that took it: exactly one counter, `valid` only for a booked task
    assert judge(True, [], {checks_kobs.SU_INVALID: 1}) == []
    assert judge(True, [], {}) != []
    assert judge(True, [], {checks_kobs.SU_VALID: 1}) != []  # t1 was not booked
