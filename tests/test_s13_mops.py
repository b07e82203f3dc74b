"""s13 mops: properties added from the mutation campaign of core/master/{operator,
validation,operations,queries,why,model}.py, each failing on a planted bug of its own
(core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import pytest
from mesotron.core import invariants as inv
from mesotron.core.effects import Respond, Send
from mesotron.core.master.validation import validate_call
from mesotron.core.messages import CallKill, SchedulerCall
from mesotron.core.sim import bugs
from mesotron.core.sim.config import OPERATOR_KINDS, SimConfig
from mesotron.core.sim.hostile import HOSTILE_CALL, hostile_answer_error, hostile_calls
from mesotron.core.sim.run import simulate
from mesotron.core.values import FrameworkInfo
from simkit import clean_failure


def config(seed: int, faults: str = "none", operator: bool = False) -> SimConfig:
    if operator:  # the mutation judge's operator run (core/sim/mutate.py Judge.configs)
        return SimConfig(seed=seed, events=3000, agents=5, frameworks=4, faults=faults,
                         quiesce=700.0, fast_alloc=True, operator=True, kinds=OPERATOR_KINDS)
    return SimConfig(seed=seed, events=3000, agents=5, frameworks=4, faults=faults)


@pytest.mark.parametrize(("bug", "faults", "expected", "seed", "operator"), [
    # the hostile client's malformed calls (MalformedCallsRefused), well-formed twins
    # (WellFormedCallsAccepted) and calls without a stream (HostileCallsRefused)
    ("kill_agent_id_unchecked", "none", "MalformedCallsRefused", 0, False),
    ("well_formed_messages_refused", "none", "WellFormedCallsAccepted", 0, False),
    ("calls_without_stream_taken", "none", "HostileCallsRefused", 0, False),
    # (s16 kdrive: seed 0 -> 1: the adversarial framework's new traffic moved seed 0;
    # s18 killm3: 1 -> 2, the agent's ignored updates of terminating frameworks moved it)
    ("master_describe_hides_inactive", "all", "MasterDescribeAgrees", 2, False),
    ("operator_reservation_not_checkpointed", "none", "OperatorReservationsApplied", 1, True),
    ("operator_setting_never_answered", "none", "OperatorCallsAnswered", 1, True),
    # (SettingsAgree's planted bug reservations_not_resent_on_registration fired on operator
    # seed 1 at 8801ebb; after the master upgrades and reserver changes it fires on none of
    # seeds 1, 3, 5, 7: its case needs a new seed, see /work/notes/s13/mops-report.md)
    ("valid_quota_refused", "all", "OperatorCallsAnswered", 1, True),
    ("deactivation_rescinds_silently", "all", "WithdrawnOffersRescinded", 1, True),
])
def test_planted_bug_fires_its_property(bug: str, faults: str, expected: str, seed: int,
                                        operator: bool) -> None:
    with bugs.BUGS[bug]():
        res = simulate(config(seed, faults, operator))
    assert res.failure_name == expected, res.failure
    assert clean_failure(config(seed, faults, operator)) is None


def test_hostile_calls_are_what_they_claim() -> None:
    """Every malformed call of the hostile client fails Mesos's structural validation and
    every well-formed twin passes it (the property's expectations are right)."""
    info = FrameworkInfo(name="adv", user="u", roles=("web",), id="f1")
    calls = hostile_calls(info, "f1")
    assert sum(1 for bad, *_ in calls if bad) >= 30 and sum(1 for bad, *_ in calls if not bad) >= 12
    for bad, what, call, with_id in calls:
        err = validate_call(SchedulerCall(request="r", stream_id=None,
                                          framework_id="f1" if with_id else None, call=call))
        assert (err is not None) == bad, (what, err)


def test_answer_judgement() -> None:
    refused = Respond(request="r", status=400, message="Failed to validate scheduler::Call: x")
    no_stream = Respond(request="r", status=400, message="All non-subscribe calls should ...")
    assert hostile_answer_error(True, [refused]) is None
    assert hostile_answer_error(False, [no_stream]) is None
    assert hostile_answer_error(False, [Respond(request="r", status=503, message="x")]) is None
    assert hostile_answer_error(True, [no_stream])[0] == "MalformedCallsRefused"  # type: ignore[index]
    assert hostile_answer_error(False, [refused])[0] == "WellFormedCallsAccepted"  # type: ignore[index]
    assert hostile_answer_error(True, [refused, Send(to="a", message=CallKill(task_id="t"))]) \
        == ("HostileCallsRefused", "also Send")
    assert hostile_answer_error(False, [Respond(request="r", status=202)]) \
        == ("HostileCallsRefused", "answered 202 without a stream")
    snap = inv.ClusterSnapshot(hostile_call_answers=(("f1", "well-formed KILL", "answered 202"),))
    assert inv.HostileCallsRefused(snap) and not inv.HostileCallsRefused(inv.ClusterSnapshot())
    assert HOSTILE_CALL not in "an ordinary request"


def test_master_describe_agrees_on_crafted_rows() -> None:
    row = ("m", "master x leader=yes\nagent a1 h pid=p connected total=- used=- offered=-",
           ("master x leader=yes",), ("  kills pending:",))
    assert inv.MasterDescribeAgrees(inv.ClusterSnapshot(master_describes=(row,))) == []
    missing = (row[0], row[1], ("framework f1 fw connected active roles=web",), ())
    assert inv.MasterDescribeAgrees(inv.ClusterSnapshot(master_describes=(missing,)))
    banned = (row[0], row[1] + "\n  kills pending: t1", (), ("  kills pending:",))
    assert inv.MasterDescribeAgrees(inv.ClusterSnapshot(master_describes=(banned,)))
    twice = (row[0], row[1] + "\nmaster x leader=yes", (), ())
    assert inv.MasterDescribeAgrees(inv.ClusterSnapshot(master_describes=(twice,)))
    assert inv.SettingsAgree(inv.ClusterSnapshot(settings_books=(("settings", "m", "a", "b"),)))
    assert inv.OperatorCallsAnswered(inv.ClusterSnapshot(operator_answers=(("r", "twice"),)))
    assert inv.OperatorReservationsApplied(inv.ClusterSnapshot(
        operator_reservations=(("a1", "RESERVE x: total y"),)))


def test_settings_agree_catches_a_master_that_never_sends_operation_statuses() -> None:
    """SettingsAgree's planted bug (s13 lead, at merge): with operation statuses never sent
    the agents never checkpoint the leader's reservations (operator run, seed 1); the same
    seed is clean without the bug. (s19 suite: the judge's operator run exactly, quiescence
    700 s instead of SimConfig's default 1,500: the bug fires SettingsAgree there too, in half
    the CPU, and the clean run is the one the operator cases above and tests/test_s14_kops.py
    share through simkit.clean_failure instead of one of its own.)"""
    cfg = config(1, "all", operator=True)
    with bugs.BUGS["operation_status_never_sent"]():
        r = simulate(cfg)
    assert r.failure_name == "SettingsAgree", r.failure
    assert clean_failure(cfg) is None
