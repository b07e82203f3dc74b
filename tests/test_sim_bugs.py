"""Planted bugs: the simulator's checker must catch each deliberately wrong behaviour
(core/sim/bugs.py) within a stated seed budget. This is how we know it can fail.

Each case: the bug, the fault kinds that provoke it, the property expected to catch it, and
the budget (seeds 0..budget-1, small clusters, 3,000 faulty events each). The first failing
seed must report the expected property; a clean run of that seed (bug disabled) must pass.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
from mesotron.core.sim import bugs
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate
from simkit import clean_failure

BUDGET = 15  # seeds per bug

# (s19 suite) The seed that first catches a bug when it is not seed 0 (measured on the code
# of the s19 branch point, 0c4d60c): the loops below run it FIRST, then the rest of the
# budget in order (budget_seeds). Each run is a pure function of its configuration and the
# code, so the seeds before it, which pass with the bug planted, cost the same CPU for the
# same answer on every `make test`. When a change moves the catch, the other seeds of the
# budget still run: the bug must still be caught within the same BUDGET seeds.
FIRST_CATCH: dict[str, int] = {
    "no_rescind_on_agent_removal": 9,  # CASES (net faults): RemovedAgentsForgotten
    "deposed_leader_writes": 1,  # CASES
    "fenced_master_keeps_leading": 1,  # CASES_12
    "deactivate_keeps_offers": 5,  # CASES_12
    "drain_kills_nothing": 2,  # CASES_S11 (operator)
    "removal_rate_ignored": 3,  # CASES_S11
    "removal_permit_timer_lost": 3,  # CASES_S11
    "resubscribe_resets_registered_time": 2,  # CASES_S11
    "reserve_role_unchecked": 1,  # CASES_S12_OPS (seed 0: the allocator's guard raises)
    "task_group_never_sent": 1,  # CASES_S12_OPS
    # the planted-bug tests of other modules that call test_s11_planted_bug_fires_its_property
    "unreported_executors_kept": 4,  # tests/test_s16_lead.py (disk faults, operator)
    "framework_disconnect_unlogged": 2,  # tests/test_s16_kobs.py
    "launches_resent_on_resubscribe": 2,  # tests/test_s17_killa.py
    "framework_updates_ignored": 5,  # tests/test_s17_killa.py
    "reconcile_unknown_agent_gone": 2,  # tests/test_s17_killm.py
    "uncheckpointed_executors_kept": 1,  # tests/test_s18_drivea.py
    "canceled_removals_uncounted": 3,  # tests/test_s23_kobs.py (operator)
}


# s19: planted bugs of older properties that a property added in s19 catches first (the same
# fault seen earlier or from another side; the s19 make-test run that failed on them named
# the catch). Their tests mute the s19 property, as test_s13_mmaster mutes
# WithdrawnOffersRescinded, so that the older property is still shown catching its bug alone.
SHADOWED_BY: dict[str, tuple[str, ...]] = {
    "executor_removal_keeps_framework_books": ("KnownAgentsReconciled",),  # s19 kmast1
    "unreported_executors_kept": ("KnownAgentsReconciled",),  # s19 kmast1
    "reregister_timeout_ignored": ("RecoveredAgentsDeadline",),  # s19 kmast1
    "election_timers_from_reset_clock": ("RecoveredAgentsDeadline",),  # s19 kmast1
    "pings_never_missed": ("SilentAgentsMarked",),  # s19 kmast1
    "suppress_ignored": ("SuppressionBooksAgree", "AllocatorFrameworksAgree"),  # s19 kmast3, kalloc
}


@contextlib.contextmanager
def planted(bug: str) -> Iterator[None]:
    """bugs.BUGS[bug]() with the s19 properties that shadow it (SHADOWED_BY) muted."""
    from unittest import mock

    from mesotron.core import invariants as inv

    with contextlib.ExitStack() as stack:
        for name in SHADOWED_BY.get(bug, ()):
            stack.enter_context(mock.patch.object(inv, name, lambda s: []))
        stack.enter_context(bugs.BUGS[bug]())
        yield


def budget_seeds(bug: str) -> list[int]:
    """The seeds a planted-bug loop tries, in order: the bug's FIRST_CATCH seed, then the
    rest of range(BUDGET)."""
    first = FIRST_CATCH.get(bug, 0)
    return [first, *(s for s in range(BUDGET) if s != first)]

CASES = [
    # bug, faults, properties that may catch it
    # the agent loses an update it acked: lost (NoLostAckedWork) or, when the executor
    # still holds it and the restarted agent refuses it as unknown on every re-SUBSCRIBE,
    # stuck in the executor (ExecutorUpdatesDelivered; seed 0 since s10's agent fix)
    # s16 kproto: ExecutorAcksCheckpointed sees the acknowledgement that precedes the
    # checkpoint itself (NoLostAckedWork / ExecutorUpdatesDelivered only the loss it risks)
    ("ack_before_persist", "disk", {"NoLostAckedWork", "ExecutorUpdatesDelivered",
                                    "ExecutorAcksCheckpointed"}),
    ("forget_retries_after_restart", "crash", {"NoLostAckedWork", "EventuallyAcked"}),
    ("ack_ignores_uuid", "all", {"NoLostAckedWork", "UpdatesInOrder", "EventuallyAcked"}),
    ("allocator_double_offer", "none", {"NoOvercommit", "OfferExclusive"}),
    # (since s12 the removal step itself is checked: RemovedAgentsForgotten, no offer left)
    ("no_rescind_on_agent_removal", "net",
     {"NoOvercommit", "OfferExclusive", "RemovedAgentsForgotten"}),
    ("deposed_leader_writes", "zk", {"OneLeaderWrites"}),
    ("ack_before_delivery", "none", {"AckAfterDelivery"}),
]


# issue 12: one bug per added property; the first failing seed must report exactly it
CASES_12 = [
    ("drf_reverse_order", "none", "DrfOrder"),
    ("share_index_not_updated", "none", "DrfOrder"),
    ("decline_filter_ignored", "none", "OffersRespectFilters"),
    ("suppress_ignored", "none", "OffersRespectFilters"),
    ("fenced_master_keeps_leading", "zk", "OneLeaderWrites"),
    ("recover_skips_allocator", "none", "AllocationBooksAgree"),
    ("run_task_doubles_resources", "none", "AgentRunsWithinTotal"),
    ("master_forgets_reported_tasks", "all", "AgentRunsWithinTotal"),
    ("allocator_leaks_recovered", "all", "NoResourceLeak"),
    ("master_keeps_finished_tasks", "all", "TaskBooksAgree"),
    # s16 kproto: caught at the implicit reconciliation itself (was FrameworkViewAgrees, at
    # quiescence)
    ("reconcile_answers_staging", "all", "ImplicitReconcileAnswered"),
    ("agent_ignores_kill", "none", "KillsTakeEffect"),
    ("lifecycle_table_allows_regression", "none", "LegalTaskTransitions"),
    # issue 17: the lab's AcksAreForSeen in real processes; here the driver's own property
    ("driver_acks_on_arrival", "none", "AckAfterDelivery"),
    # s10 (mutation campaign)
    ("allocator_ignores_activate", "net", "AgentActivityAgrees"),
    ("validation_refuses_kills", "none", "WellFormedCallsAccepted"),
    ("validation_rejects_valid_tasks", "none", "WellFormedCallsAccepted"),
    # s16 kdrive: was KillsTakeEffect (at quiescence); the step-local KillsReachTheirAgent now
    # sees the missing KillTask at the KILL itself (agent_ignores_kill keeps KillsTakeEffect's)
    ("master_ignores_kill", "none", "KillsReachTheirAgent"),
    ("deactivate_keeps_offers", "all", "NoOffersToInactive"),
    # s11 mut-master
    ("reconcile_defers_unknown_tasks", "none", "ReconcileAnswered"),
    ("master_never_books_running", "none", "TaskStatesAgree"),
    # EventuallyReregistered now counts live agents no master ever admitted (no id yet)
    ("registry_results_ignored", "none", "EventuallyReregistered"),
    ("offers_of_two_agents_accepted", "none", "InvalidOffersRefused"),
    # the adversarial framework now aggregates held offers of one agent (valid in Mesos)
    ("aggregated_offers_refused", "none", "WellFormedCallsAccepted"),
    # needs a master failover (faults all): agents re-register from the recovered books
    ("reregistered_agent_stays_recovering", "all", "ReconcileAnswered"),
    # simulated schedulers change their failover timeout with each incarnation
    ("resubscribe_keeps_old_info", "none", "SubscribeTakesInfo"),
    # the adversarial framework sends malformed LAUNCH / LAUNCH_GROUP ACCEPTs now and then
    ("malformed_calls_accepted", "none", "MalformedCallsRefused"),
    ("decline_rescinds_offers", "none", "NoRescindOfReturnedOffers"),
    ("agent_disconnection_ignored", "all", "AgentDisconnectionNoticed"),
    # a copy of an agent's terminal update with another state under the same uuid (the
    # lab's OneTerminal / NoTerminalThenRunning planted bugs)
    ("master_forwards_conflicting_terminal", "none", "UpdatesInOrder"),
    ("master_forwards_running_after_terminal", "none", "UpdatesInOrder"),
    # s11: the mutation campaign, agent side
    ("ack_not_checkpointed", "all", "CheckpointAgrees"),
    ("recovery_fails_live_tasks", "crash", "AgentUpdatesTruthful"),
    ("agent_updates_without_agent_id", "crash", "AgentUpdatesTruthful"),
    # wedged executors (crash faults): one never subscribes, one never hears its shutdown
    ("agent_never_escalates_shutdown", "crash", "ExecutorBooksAgree"),
    ("agent_never_times_out_registration", "crash", "ExecutorBooksAgree"),
    # s11 mut-master2: the simulated shell authenticates each framework as its name; some
    # incarnations claim it, some claim nothing; the adversarial's SUBSCRIBEs come with a
    # spoofed copy claiming another principal
    ("principal_claims_ignored", "none", "PrincipalsChecked"),
    ("authenticated_principal_not_booked", "none", "PrincipalsChecked"),
    # with each adversarial SUBSCRIBE a hostile peer sends a RegisterAgent without AgentInfo
    ("malformed_agent_messages_dropped", "none", "MalformedAgentMessagesRefused"),
    # ... and a status update from a registered agent naming another agent id
    ("status_update_agent_mismatch_relayed", "none", "MalformedAgentMessagesRefused"),
    ("events_to_disconnected_frameworks", "none", "NoSendWithoutPeer"),
    # s12 mm1: with each adversarial SUBSCRIBE a forged peer sends a RegisterAgent with a
    # refused version and an UnregisterAgent naming a registered agent
    ("old_agents_admitted", "none", "ForgedAgentMessagesIgnored"),
    ("unregister_from_any_pid", "none", "ForgedAgentMessagesIgnored"),
    ("allocation_on_pongs", "none", "OffersNeedACause"),
    # s12: the mutation campaign, agent side
    ("agent_state_drops_ranges", "none", "AgentViewsAgree"),
    # the adversarial framework's tasks call their agent's executor API as no executor
    ("executor_api_trusts_names", "none", "HostileExecutorInputRefused"),
    # with crash faults the operator shuts one agent down in each run (SIGUSR1)
    ("agent_shutdown_skips_unregister", "crash", "AgentShutdownCompletes"),
    # a power loss reboots the host for half the agent incarnations (disk faults)
    ("agent_ignores_reboots", "disk", "RebootRecovery"),
    # with crash faults 1 task in 12 outgrows its memory (OOM-killed, limitation reported)
    ("agent_ignores_task_limitations", "crash", "LimitationsEnforced"),
    # the simulated agents collect removed executors' sandboxes after 120 s (--gc_delay)
    ("agent_never_collects_sandboxes", "none", "SandboxesCollected"),
    # a wedged executor (crash faults) never subscribes: killed at the registration timeout
    ("registration_timeout_reason_lost", "crash", "ExecutorReasonsTruthful"),
]


def config(seed: int, faults: str) -> SimConfig:
    return SimConfig(seed=seed, events=3000, agents=5, frameworks=4, faults=faults,
                     quiesce=700.0)


@pytest.mark.parametrize("bug,faults,expected", CASES, ids=[c[0] for c in CASES])
def test_planted_bug_is_caught(bug, faults, expected):
    caught = None
    with planted(bug):
        for seed in budget_seeds(bug):
            res = simulate(config(seed, faults))
            if res.failure is not None:
                caught = (seed, res)
                break
    assert caught is not None, f"{bug} not caught in {BUDGET} seeds (faults={faults})"
    seed, res = caught
    assert res.failure_name in expected, res.failure
    # the same seed without the bug is clean: the checker blamed the bug, not the machines
    clean = clean_failure(config(seed, faults))
    assert clean is None, clean


@pytest.mark.parametrize("bug,faults,expected", CASES_12, ids=[c[0] for c in CASES_12])
def test_issue12_planted_bug_fires_its_property(bug, faults, expected):
    caught = None
    with planted(bug):
        for seed in budget_seeds(bug):
            res = simulate(config(seed, faults))
            if res.failure is not None:
                caught = (seed, res)
                break
    assert caught is not None, f"{bug} not caught in {BUDGET} seeds (faults={faults})"
    seed, res = caught
    assert res.failure_name == expected, res.failure
    clean = clean_failure(config(seed, faults))
    assert clean is None, clean


# bugs that an existing property catches first: the run goes on (fail_fast off) and the
# property must be among those reported
CASES_12_ALSO = [
    ("terminal_update_swallowed", "none", "TerminalReachesFramework"),
    # s12: the operator's agent shutdown (crash faults) now often notices first that the
    # agent never learns its executor died (AgentShutdownCompletes: it never stops)
    ("agent_ignores_executor_exit", "all", "ExecutorBooksAgree"),
    # s18 drivel: FiltersCleared now notices at the REVIVE itself that the framework's
    # filters stay (the starvation EventuallyOffered reports comes later)
    ("revive_ignored", "none", "EventuallyOffered"),
]


@pytest.mark.parametrize("bug,faults,expected", CASES_12_ALSO, ids=[c[0] for c in CASES_12_ALSO])
def test_issue12_planted_bug_also_fires_its_property(bug, faults, expected):
    from mesotron.core.sim.checker import Checker

    with bugs.BUGS[bug]():
        chk = Checker(fail_fast=False)
        res = simulate(config(0, faults), checker=chk)
    names = {v.name for v in chk.violations} | {x.split(":")[0] for x in res.liveness}
    assert expected in names, names
    assert clean_failure(config(0, faults)) is None


def test_old_checker_tables_would_miss_the_lifecycle_bug():
    """LegalTaskTransitions reads its own table: the code's table (edited by the bug)
    accepts the regression that the independent one rejects."""
    from mesotron.core import invariants as inv
    from mesotron.core import lifecycle
    from mesotron.core.values import TaskState as S

    steps = ((S.TASK_STAGING, "agent"), (S.TASK_RUNNING, "executor"),
             (S.TASK_STARTING, "executor"))
    snap = inv.ClusterSnapshot(transitions={("f", "t"): steps})
    with bugs.BUGS["lifecycle_table_allows_regression"]():
        assert lifecycle.is_legal(S.TASK_RUNNING, S.TASK_STARTING, "executor")
        assert [v.split(":")[0] for v in inv.LegalTaskTransitions(snap)] == \
            ["LegalTaskTransitions"]


def test_bugs_are_reachable_only_through_the_teaching_flag(capsys):
    """`mesotron sim --bug NAME` plants one bug for a lesson; without the flag the CLI runs
    the real machines (the planted module is imported only by `planted`)."""
    import ast
    import inspect

    from mesotron.io.cli import sim as sim_main
    from mesotron.io.cli.main import main

    tree = ast.parse(inspect.getsource(sim_main))
    users = [f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
             and any(isinstance(n, ast.ImportFrom) and n.module == "mesotron.core.sim"
                     and any(a.name == "bugs" for a in n.names) for n in ast.walk(f))]
    assert users == ["planted"]
    assert len(bugs.BUGS) >= 7 + len(CASES_12) + len(CASES_12_ALSO)
    # the lesson: the same seed is clean without the bug and caught with it
    argv = ["sim", "--seed", "0", "--events", "3000", "--agents", "5", "--frameworks", "4",
            "--faults", "none", "--quiesce", "700", "--no-shrink"]
    assert main(argv) == 0
    capsys.readouterr()
    assert main([*argv, "--bug", "allocator_double_offer"]) == 1
    out = capsys.readouterr().out
    assert "PLANTED BUG" in out and ("NoOvercommit" in out or "OfferExclusive" in out)
    assert main(["sim", "--bug", "list"]) == 0 and "ack_before_persist" in capsys.readouterr().out
    assert main(["sim", "--bug", "nonsense"]) == 2


# s11 (mutation campaign): the allocator's production path and the operator's agent calls;
# (bug, the run's SimConfig options, the property that must fire by name)
CASES_S11 = [
    # the fast path (explain mode off) judged against reference_cycle on a copy
    ("fast_path_roles_by_name", {"faults": "none", "fast_alloc": True}, "DrfOrder"),
    ("deactivated_agent_offered", {"faults": "all", "operator": True}, "NoOffersOfDeactivatedAgents"),
    ("drain_kills_nothing", {"faults": "all", "operator": True}, "DrainEmptiesAgent"),
    ("quota_capacity_unchecked", {"faults": "all", "operator": True},
     "InvalidOperatorCallsRefused"),
    # s12 mm1: the operator switches agent machines off for maintenance
    ("pings_never_missed", {"faults": "all", "operator": True}, "UnresponsiveAgentsRemoved"),
    ("removed_agent_tasks_untold", {"faults": "all", "operator": True}, "MasterUpdatesSent"),
    ("removal_rate_ignored", {"faults": "all", "operator": True}, "RemovalsRateLimited"),
    ("removal_permit_timer_lost", {"faults": "all", "operator": True}, "AgentsHealthChecked"),
    ("agent_removals_uncounted", {"faults": "all", "operator": True}, "RemovedAgentsForgotten"),
    # ... and edits its --whitelist file
    ("whitelist_changes_ignored", {"faults": "all", "operator": True},
     "NoOffersOutsideWhitelist"),
    # SubscribeTakesInfo also reads the registration time now (schedulers fail over)
    ("resubscribe_resets_registered_time", {"faults": "all"}, "SubscribeTakesInfo"),
]


def s11_config(seed: int, options: dict) -> SimConfig:
    from mesotron.core.sim.mutate import OPERATOR_KINDS

    extra = {"kinds": OPERATOR_KINDS} if options.get("operator") else {}
    return SimConfig(seed=seed, events=3000, agents=5, frameworks=4, quiesce=700.0,
                     **options, **extra)


@pytest.mark.parametrize("bug,options,expected", CASES_S11, ids=[c[0] for c in CASES_S11])
def test_s11_planted_bug_fires_its_property(bug, options, expected, guard=()):
    """`guard`: exception types whose raise passes over a seed (a machine's own guard
    refusing the planted bug's effect first)."""
    caught = None
    guarded = []
    with planted(bug):
        for seed in budget_seeds(bug):
            try:
                res = simulate(s11_config(seed, options))
            except guard as e:
                assert "does not hold" in str(e), e
                guarded.append(seed)
                continue
            if res.failure is not None:
                caught = (seed, res)
                break
    assert caught is not None, f"{bug} not caught in {BUDGET} seeds ({options}; guard raised at {guarded})"
    seed, res = caught
    assert res.failure_name == expected, res.failure
    assert clean_failure(s11_config(seed, options)) is None


def planted_bug_test(cases: list[tuple[str, dict, str]]) -> Callable[..., None]:
    """The planted-bug test of a list of cases (bug, SimConfig options, the property that
    must fire by name): test_s11_planted_bug_fires_its_property, one test per case (the
    module binds it to a test_ name)."""

    @pytest.mark.parametrize("bug,options,expected", cases, ids=[c[0] for c in cases])
    def test(bug: str, options: dict, expected: str) -> None:
        test_s11_planted_bug_fires_its_property(bug, options, expected)

    return test


# s12 (mutation campaign, allocator): the production path's allocations with the operator's
# quota limits on cpus and memory; (bug, SimConfig options, the property that must fire)
CASES_S12_ALLOC = [
    ("quota_cap_drops_unlimited", {"faults": "all", "operator": True, "fast_alloc": True},
     "WholeOffers"),
    ("min_allocatable_ignored", {"faults": "all", "operator": True, "fast_alloc": True},
     "WholeOffers"),
    ("why_ignores_filters", {"faults": "all", "operator": True, "fast_alloc": True},
     "WhyAgrees"),
    ("acked_terminal_task_kept", {"faults": "all"}, "AckedTerminalTaskRemoved"),
    ("describe_hides_inactive", {"faults": "all"}, "DescribeAgrees"),
    ("offer_constraints_ignored", {"faults": "all"}, "OffersRespectFilters"),
]


test_s12_alloc_planted_bug_fires_its_property = planted_bug_test(CASES_S12_ALLOC)


def test_the_fast_path_bug_is_invisible_to_the_explain_mode():
    """Why the judge runs the production path: the explain mode (what DrfOrder read alone
    before s11) never runs `_allocate_agent`, so the same seed passes there."""
    with bugs.BUGS["fast_path_roles_by_name"]():
        assert simulate(s11_config(0, {"faults": "none"})).failure is None
        assert simulate(s11_config(0, {"faults": "none", "fast_alloc": True})).failure_name \
            == "DrfOrder"


def test_checkpoint_agrees_is_checked_before_an_agent_crash():
    """CheckpointAgrees runs on the agent about to crash (not only at quiescence): with the
    liveness phase off, the crash-time check alone catches an acknowledgement that never
    reached the stream's log."""
    cfg = SimConfig(seed=0, events=3000, agents=5, frameworks=4, faults="crash", quiesce=700.0,
                    liveness=False)
    with bugs.BUGS["ack_not_checkpointed"]():
        res = simulate(cfg)
    assert res.failure_name == "CheckpointAgrees", res.failure
    assert "streams" in res.failure
    assert simulate(cfg).failure is None


def test_agent_updates_truthful_is_checked_as_an_agent_ends_a_task():
    """AgentUpdatesTruthful runs during the run: with the liveness phase off, a task ended
    for its executor's termination while the executor's process still runs it is caught as
    the agent ends it."""
    for seed in range(BUDGET):
        cfg = SimConfig(seed=seed, events=3000, agents=5, frameworks=4, faults="crash",
                        quiesce=700.0, liveness=False)
        with bugs.BUGS["recovery_fails_live_tasks"]():
            res = simulate(cfg)
        if res.failure is not None:
            break
    assert res.failure_name == "AgentUpdatesTruthful", res.failure
    assert "while the executor runs it" in res.failure
    assert simulate(cfg).failure is None


# s12 mm2: the operator's views (bug, the run's SimConfig options, the property by name)
CASES_S12_VIEWS = [
    ("metrics_forget_completed_tasks", {"faults": "none"}, "OperatorViewsAgree"),
    ("why_ignores_held_offers", {"faults": "none"}, "WhyExplains"),
    ("weights_view_ignores_operator", {"faults": "all", "operator": True}, "OperatorViewsAgree"),
    # s14 kalloc: teardown_keeps_framework re-seated in tests/test_s14_kalloc.py (the
    # operator's weight resets / quota removals moved its first catch to NoResourceLeak)
]


test_s12_views_planted_bug_fires_its_property = planted_bug_test(CASES_S12_VIEWS)


# s12 mm2: operation feedback (the reserver's reconciliations, acknowledgements, its invalid RESERVE)
CASES_S12_OPS = [
    ("operation_ack_ignored", {"faults": "all", "operator": True}, "OperationFeedbackAgrees"),
    ("reconcile_operations_unreachable", {"faults": "all", "operator": True},
     "OperationFeedbackAgrees"),
    ("reserve_role_unchecked", {"faults": "all", "operator": True}, "OperationFeedbackAgrees"),
    ("operator_acls_ignored", {"faults": "all", "operator": True}, "UnauthorizedOperatorCallsRefused"),
    # the reserver's pods (LAUNCH_GROUP); TaskBooksAgree compares every task not in flight
    ("task_group_never_sent", {"faults": "all", "operator": True}, "TaskBooksAgree"),
]


@pytest.mark.parametrize("bug,options,expected", CASES_S12_OPS, ids=[c[0] for c in CASES_S12_OPS])
def test_s12_operations_planted_bug_fires_its_property(bug, options, expected):
    # reserve_role_unchecked lets a RESERVE of another role through to the allocator, whose
    # own guard may refuse the conversion first (LocalError: the machine raises, which the
    # mutation judge counts as a kill): such a seed is passed over; the property must still
    # fire on one of the budget's seeds, and that seed must be clean without the bug
    from mesotron.core.errors import LocalError

    guard = (LocalError,) if bug == "reserve_role_unchecked" else ()
    test_s11_planted_bug_fires_its_property(bug, options, expected, guard)
