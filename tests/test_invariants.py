"""The invariant catalog: names agree with docs and TLA+, and each property can fail."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest
from mesotron.core import invariants as inv
from mesotron.core.resources import Resources
from mesotron.core.values import TaskState

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["NoOvercommit", "OfferExclusive", "LegalTaskTransitions", "UpdatesInOrder",
         "NoLostAckedWork", "SingleLaunch", "OneLeaderWrites", "RecoveryKeepsTasks",
         "EventuallyAcked", "EventuallyOffered", "EventuallyReregistered", "DrfOrder",
         "ExecutorUpdatesDelivered", "ReconciliationAgrees",
         # issue 12 (Python and simulator only)
         "OffersRespectFilters", "AgentRunsWithinTotal", "AllocationBooksAgree",
         "TaskBooksAgree", "NoResourceLeak", "FrameworkViewAgrees",
         "TerminalReachesFramework", "KillsTakeEffect",
         # s10: health checks (Python and simulator only)
         "HealthChecksKill",
         # the mutation campaign (s10; Python and simulator only)
         "WellFormedCallsAccepted", "AgentActivityAgrees", "NoOffersToInactive",
         # s11 mut-master (Python and simulator only)
         "ReconcileAnswered", "TaskStatesAgree", "InvalidOffersRefused", "SubscribeTakesInfo",
         "MalformedCallsRefused", "NoRescindOfReturnedOffers", "AgentDisconnectionNoticed",
         # s11: the operator's agent calls (Python and simulator only)
         "NoOffersOfDeactivatedAgents", "DrainEmptiesAgent", "InvalidOperatorCallsRefused",
         # the mutation campaign, agent side (s11; Python and simulator only)
         "CheckpointAgrees", "ExecutorBooksAgree", "AgentUpdatesTruthful",
         # s11 mut-master2 (Python and simulator only)
         "PrincipalsChecked", "MalformedAgentMessagesRefused", "NoSendWithoutPeer",
         # s12 mm1 (Python and simulator only)
         "ForgedAgentMessagesIgnored", "UnresponsiveAgentsRemoved", "MasterUpdatesSent",
         "RemovalsRateLimited", "AgentsHealthChecked", "RemovedAgentsForgotten",
         "OffersNeedACause", "NoOffersOutsideWhitelist",
         # s12 mm2: the operator's views (Python and simulator only)
         "OperatorViewsAgree", "WhyExplains", "OperationFeedbackAgrees",
         "UnauthorizedOperatorCallsRefused",
         # s12: the mutation campaign, agent side (Python and simulator only)
         "AgentViewsAgree", "HostileExecutorInputRefused", "AgentShutdownCompletes",
         "RebootRecovery", "LimitationsEnforced", "SandboxesCollected",
         "ExecutorReasonsTruthful",
         # s12 mut-alloc (Python and simulator only)
         "AckedTerminalTaskRemoved", "DescribeAgrees",
         # s13 mmaster (Python and simulator only)
         "AgentTotalsAgree", "HeldOffersAgree", "NoOffersOfDisconnectedAgents",
         "RegistryCountersAgree", "MasterExecutorsAgree",
         # s13 mops (Python and simulator only)
         "HostileCallsRefused", "MasterDescribeAgrees", "OperatorReservationsApplied",
         "OperatorCallsAnswered", "SettingsAgree", "WithdrawnOffersRescinded",
         # s13 malloc (Python and simulator only)
         "AllocatorLedgersAgree",
         # s14 kalloc (Python and simulator only)
         "AllocatorSettingsAgree", "NothingLeftOfferable",
         # s14 kmaster (Python and simulator only)
         "AnsweringAgentsKept", "TornDownFrameworksClosed", "MasterBooksIndexed",
         "RegistryGcPrunes", "UnreregisteredAgentsMarked",
         # s14 kagent (Python and simulator only)
         "UpdateRetriesBackOff", "ExecutorLaunchesAgree", "MessagesRelayed",
         # s16 kproto (Python and simulator only)
         "ExecutorAcksCheckpointed", "ExecutorDisconnectionsTolerated",
         "ImplicitReconcileAnswered", "RemovedFrameworksRefused", "ExitedExecutorsReported",
         "CompletedTasksTerminal",
         # s16 kobs (Python and simulator only)
         "MetricsAgree", "LogsRecord", "AnswersAsMesos",
         # s16 kdrive (Python and simulator only)
         "ExecutorShutdownsHonoured", "KillsReachTheirAgent", "CustomExecutorsRun",
         # s17 killa (Python and simulator only)
         "TasksLaunchedOnce", "CommandExecutorsUnreported", "TaskSandboxNames",
         "CommandTasksRun", "KillSparesOtherTasks", "AgentFrameworksUpdated",
         # s18 driveo (Python and simulator only)
         "OperatorAgentCallsHold",
         # s18 drivem (Python and simulator only)
         "MisaddressedCallsRefused", "UnauthorizedLaunchesRefused", "FailoverTimeoutsRemove",
         "IncompatibleExecutorsRefused", "FailedOverStreamsClosed",
         # s18 drivel (Python and simulator only)
         "AllocationRolesAgree", "FiltersCleared", "OffersInSubscribedRoles",
         # s17 killm (Python and simulator only)
         "TimersNotInPast", "UpdatesVisible", "ReservationsResent", "RemovalPermitsPaced",
         "ReconcileAnswersAsMesos", "RegistryGcSelects", "LeaderViewsAgree",
         # s18 drivea (Python and simulator only)
         "TerminatedExecutorsRemoved", "MasterPingTimeoutHonoured", "RegistrationBackoffResets",
         # s19 kalloc (Python and simulator only)
         "AllocatorFrameworksAgree",
         # s19 kmast3 (Python and simulator only)
         "DeclinesAsMesos", "InvalidSubscriptionsRefused", "SuppressionBooksAgree",
         # s19 kmast2 (Python and simulator only)
         "ResubscriptionsUpdateFramework",
         # s19 kagent (Python and simulator only)
         "RegistersOnlyWhenDisconnected", "RegistrationRetriesBounded",
         "KillsOnlyLiveExecutors",
         # s19 kmast1 (Python and simulator only)
         "KnownAgentsReconciled", "RecoveredAgentsDeadline", "SilentAgentsMarked"]
KINDS = {"safety": inv.SAFETY, "policy": inv.POLICY, "quiescence": inv.QUIESCENT,
         "liveness": inv.LIVENESS}


def _table() -> dict[str, list[str]]:
    """docs/invariants.md's table: name -> its cells."""
    text = (ROOT / "docs" / "invariants.md").read_text()
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| (\w+) \|(.*)\|$", line)
        if m and m.group(1) != "name":
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


def _tla_defs() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p in (ROOT / "tla").glob("*.tla"):
        names = set(re.findall(r"^(\w+)\s*(?:\(.*\))?\s*==", p.read_text(), flags=re.MULTILINE))
        out[f"tla/{p.name}"] = names
    return out


def test_catalog_names_exact() -> None:
    assert sorted(inv.CATALOG) == sorted(NAMES)


def test_docs_table_lists_every_name() -> None:
    assert set(_table()) == set(NAMES)


def test_docs_table_agrees_with_python_simulator_and_tla() -> None:
    """One table, three checkers: kind and Python function (core/invariants.py), when the
    simulator evaluates it (core/sim/checker.py WHEN), the TLA+ operator and its spec (or
    "—": defined in no spec)."""
    from mesotron.core.sim.checker import WHEN

    tla = _tla_defs()
    every_tla_name = set().union(*tla.values())
    assert set(WHEN) == set(NAMES)
    for name, (kind, _meaning, py, sim, op, model) in _table().items():
        assert name in KINDS[kind], (name, kind)
        assert py == f"`invariants.{name}`", (name, py)
        assert getattr(inv, name) is inv.CATALOG[name]
        assert sim == WHEN[name], (name, sim, WHEN[name])
        if op.startswith("—"):
            assert model == "—", name
            assert name not in every_tla_name, f"{name} is in a spec: fill in the table"
        else:
            assert op.split()[0] == f"`{name}`", (name, op)
            spec = model.strip("`")
            assert name in tla[spec], f"{spec} does not define {name}"


def test_tla_specs_define_every_name_the_table_gives_them() -> None:
    specs = list((ROOT / "tla").glob("*.tla"))
    if not specs:
        pytest.skip("no TLA+ specs yet")
    text = "\n".join(p.read_text() for p in specs)
    modelled = [n for n, cells in _table().items() if not cells[4].startswith("—")]
    assert len(modelled) >= 12
    missing = [n for n in modelled
               if not re.search(rf"^{n}\s*(\(.*\))?\s*==", text, flags=re.MULTILINE)]
    assert not missing, f"TLA+ specs lack operators {missing}"


R = Resources.parse


def test_empty_snapshot_holds() -> None:
    assert inv.check(inv.ClusterSnapshot(), inv.CATALOG) == []


def test_no_overcommit_fails_on_overcommit() -> None:
    a = inv.AgentLedger(agent_id="a1", total=R("cpus:2;mem:1024"),
                        offered=(("o1", "f1", R("cpus:1.5")),), used=(("f2", R("cpus:1")),))
    assert inv.NoOvercommit(inv.ClusterSnapshot(agents=(a,)))
    ok = inv.AgentLedger(agent_id="a1", total=R("cpus:2;mem:1024"),
                         offered=(("o1", "f1", R("cpus:1")),), used=(("f2", R("cpus:1")),))
    assert inv.NoOvercommit(inv.ClusterSnapshot(agents=(ok,))) == []


def test_offer_exclusive_fails_on_shared_port() -> None:
    a = inv.AgentLedger(agent_id="a1", total=R("cpus:2;ports:[1000-2000]"),
                        offered=(("o1", "f1", R("ports:[1000-1010]")),
                                 ("o2", "f2", R("ports:[1010-1020]"))))
    assert any("ports" in v for v in inv.OfferExclusive(inv.ClusterSnapshot(agents=(a,))))
    b = inv.AgentLedger(agent_id="a1", total=R("cpus:2;ports:[1000-2000]"),
                        offered=(("o1", "f1", R("ports:[1000-1010]")),
                                 ("o2", "f2", R("ports:[1011-1020]"))))
    assert inv.OfferExclusive(inv.ClusterSnapshot(agents=(b,))) == []


U1, U2, U3 = b"1" * 16, b"2" * 16, b"3" * 16
K = ("f1", "t1")
RUN, FIN = TaskState.TASK_RUNNING, TaskState.TASK_FINISHED


def test_updates_in_order() -> None:
    produced = {K: ((U1, RUN), (U2, FIN))}
    good = inv.ClusterSnapshot(produced=produced, seen={K: ((U1, RUN), (U1, RUN), (U2, FIN))})
    assert inv.UpdatesInOrder(good) == []
    bad = inv.ClusterSnapshot(produced=produced, seen={K: ((U2, FIN), (U1, RUN))})
    assert inv.UpdatesInOrder(bad)



def test_updates_in_order_keeps_each_update_state() -> None:
    """A terminal update's uuid seen under another state than the agent produced fires; the
    LOST Mesos shows a framework without PARTITION_AWARE does not (non-terminal updates are
    not compared)."""
    produced = {K: ((U1, RUN), (U2, FIN))}
    bad = inv.ClusterSnapshot(produced=produced, seen={K: ((U1, RUN), (U2, FIN), (U2, TaskState.TASK_FAILED))})
    assert [p.split(":")[0] for p in inv.UpdatesInOrder(bad)] == ["UpdatesInOrder"]
    bad = inv.ClusterSnapshot(produced=produced, seen={K: ((U1, RUN), (U2, FIN), (U2, RUN))})
    assert inv.UpdatesInOrder(bad)
    shown = {K: ((U1, TaskState.TASK_KILLING), (U2, TaskState.TASK_UNREACHABLE))}
    ok = inv.ClusterSnapshot(produced=shown, seen={K: ((U1, RUN), (U2, TaskState.TASK_LOST))})
    assert inv.UpdatesInOrder(ok) == []
    assert inv.UpdatesInOrder(ok) == []


def test_no_lost_acked_work() -> None:
    produced = {K: ((U1, RUN), (U2, FIN))}
    assert inv.NoLostAckedWork(inv.ClusterSnapshot(
        produced=produced, acked=frozenset({("f1", "t1", U1)}), pending={K: (U2,)})) == []
    assert inv.NoLostAckedWork(inv.ClusterSnapshot(
        produced=produced, acked=frozenset({("f1", "t1", U1)})))
    assert inv.NoLostAckedWork(inv.ClusterSnapshot(produced=produced, abandoned=frozenset({K}))) == []


def test_single_launch_one_leader_recovery_kills_drf() -> None:
    assert inv.SingleLaunch(inv.ClusterSnapshot(launches={K: ("a1", "a2")}))
    assert inv.SingleLaunch(inv.ClusterSnapshot(launches={K: ("a1",)})) == []
    assert inv.OneLeaderWrites(inv.ClusterSnapshot(registry_commits=(("m1", True), ("m2", False))))
    assert inv.RecoveryKeepsTasks(inv.ClusterSnapshot(recovery_kills=(("a1", "c1", True),)))
    assert inv.RecoveryKeepsTasks(inv.ClusterSnapshot(recovery_kills=(("a1", "c1", False),))) == []
    d = inv.AllocationDecision(agent_id="a1", role="*", chosen="f2",
                               eligible=(("f1", 0.1), ("f2", 0.5)))
    assert inv.DrfOrder(inv.ClusterSnapshot(allocations=(d,)))
    d_ok = inv.AllocationDecision(agent_id="a1", role="*", chosen="f1",
                                  eligible=(("f1", 0.1), ("f2", 0.5)))
    assert inv.DrfOrder(inv.ClusterSnapshot(allocations=(d_ok,))) == []


def test_liveness() -> None:
    s = inv.ClusterSnapshot(produced={K: ((U1, RUN),)}, acking_frameworks=frozenset({"f1"}))
    assert inv.EventuallyAcked(s)
    assert inv.EventuallyOffered(inv.ClusterSnapshot(hungry_frameworks=frozenset({"f1"})))
    assert inv.EventuallyReregistered(inv.ClusterSnapshot(live_agents=frozenset({"a1"})))
    assert inv.EventuallyReregistered(inv.ClusterSnapshot(
        live_agents=frozenset({"a1"}), registered_agents=frozenset({"a1"}))) == []


def test_legal_task_transitions() -> None:
    STA, STG = TaskState.TASK_STARTING, TaskState.TASK_STAGING
    good = {K: ((STG, "master"), (STA, "executor"), (RUN, "executor"), (FIN, "executor"))}
    assert inv.LegalTaskTransitions(inv.ClusterSnapshot(transitions=good)) == []
    bad = {K: ((RUN, "executor"), (FIN, "executor"), (RUN, "executor"))}
    assert inv.LegalTaskTransitions(inv.ClusterSnapshot(transitions=bad))


# ---------------------------------------------------------------- issue 12 properties
def test_offers_respect_filters() -> None:
    o = inv.OfferMade(offer_id="o1", framework_id="f", agent_id="a", role="r",
                      resources=R("cpus:1;mem:128"), filtered=R("cpus:2;mem:256"))
    assert inv.OffersRespectFilters(inv.ClusterSnapshot(offers_made=(o,)))
    bigger = inv.OfferMade(offer_id="o2", framework_id="f", agent_id="a", role="r",
                           resources=R("cpus:3;mem:128"), filtered=R("cpus:2;mem:256"))
    assert inv.OffersRespectFilters(inv.ClusterSnapshot(offers_made=(bigger,))) == []
    sup = inv.OfferMade(offer_id="o3", framework_id="f", agent_id="a", role="r",
                        resources=R("cpus:1"), suppressed=True)
    assert "suppressed" in inv.OffersRespectFilters(inv.ClusterSnapshot(offers_made=(sup,)))[0]


def test_books() -> None:
    snap = inv.ClusterSnapshot(agent_runs=(("a", R("cpus:2"), R("cpus:2.5")),))
    assert inv.AgentRunsWithinTotal(snap)
    assert inv.AgentRunsWithinTotal(inv.ClusterSnapshot(
        agent_runs=(("a", R("cpus:2"), R("cpus:2")),))) == []
    assert inv.AllocationBooksAgree(inv.ClusterSnapshot(
        allocation_books=(("a", R("cpus:2"), R("cpus:1")),)))
    assert inv.AllocationBooksAgree(inv.ClusterSnapshot(
        allocation_books=(("a", R("cpus:2").allocate("r"), R("cpus:2")),))) == []
    b = inv.TaskBooks(agent_id="a", master_tasks=frozenset({("f", "t1")}),
                      agent_tasks=frozenset(), total=R("cpus:2"), pooled=R("cpus:1"),
                      master_used=R("cpus:1"), agent_running=R(""))
    assert inv.TaskBooksAgree(inv.ClusterSnapshot(task_books=(b,)))
    assert len(inv.NoResourceLeak(inv.ClusterSnapshot(task_books=(b,)))) == 2
    ok = inv.TaskBooks(agent_id="a", master_tasks=frozenset({("f", "t1")}),
                       agent_tasks=frozenset({("f", "t1")}), total=R("cpus:2"),
                       pooled=R("cpus:2"), master_used=R("cpus:1"), agent_running=R("cpus:1"))
    assert inv.check(inv.ClusterSnapshot(task_books=(ok,)), inv.QUIESCENT) == []


def test_framework_views() -> None:
    S = TaskState
    views = (inv.TaskView(key=("f", "t1"), framework_state=S.TASK_RUNNING, agent_state=None),
             inv.TaskView(key=("f", "t2"), framework_state=S.TASK_RUNNING,
                          agent_state=S.TASK_FINISHED),
             inv.TaskView(key=("f", "t3"), framework_state=S.TASK_STAGING,
                          agent_state=S.TASK_RUNNING),
             inv.TaskView(key=("f", "t4"), framework_state=S.TASK_UNKNOWN, agent_state=None),
             inv.TaskView(key=("f", "t5"), framework_state=S.TASK_LOST, agent_state=None))
    snap = inv.ClusterSnapshot(framework_views=views)
    assert [v.split()[2] for v in inv.TerminalReachesFramework(snap)] == ["t1", "t2"]
    assert [v.split()[2] for v in inv.FrameworkViewAgrees(snap)] == ["t3"]


def test_kills_take_effect() -> None:
    S = TaskState
    snap = inv.ClusterSnapshot(kills=((("f", "t1"), S.TASK_RUNNING), (("f", "t2"), S.TASK_KILLED)))
    assert [v.split()[2] for v in inv.KillsTakeEffect(snap)] == ["t1"]


def test_fenced_master_and_share_books() -> None:
    assert inv.OneLeaderWrites(inv.ClusterSnapshot(fenced_actions=(("m1", "Send"),)))
    assert inv.DrfOrder(inv.ClusterSnapshot(share_books=(("role r", 0.1, 0.3),)))
    assert inv.DrfOrder(inv.ClusterSnapshot(share_books=(("role r", 0.3, 0.3),))) == []


def test_drf_order_on_the_fast_path_and_the_operator_agent_properties() -> None:
    """s11: DrfOrder's reference comparison (the production path against reference_cycle),
    NoOffersOfDeactivatedAgents, DrainEmptiesAgent: each fails on its input and holds on
    a clean one."""
    a = "a1/r->f1 cpus:1"
    out = inv.DrfOrder(inv.ClusterSnapshot(reference_cycles=(("cycle 3", a, "a1/r->f2 cpus:1"),)))
    assert [v.split(":")[0] for v in out] == ["DrfOrder"] and "cycle 3" in out[0]
    assert inv.DrfOrder(inv.ClusterSnapshot(reference_cycles=(("cycle 3", a, a),))) == []
    # a choice not among the eligible it recorded (e.g. an explain mode that lost the chosen
    # role from its role-level list) fails, quota stage included; an empty list too
    for elig in ((("r2", 0.1),), ()):
        d = inv.AllocationDecision(agent_id="a1", role="", chosen="r1", eligible=elig, quota=True)
        assert [v.split(":")[0] for v in inv.DrfOrder(inv.ClusterSnapshot(allocations=(d,)))] \
            == ["DrfOrder"]
    out = inv.NoOffersOfDeactivatedAgents(inv.ClusterSnapshot(
        offers_of_deactivated=(("m1", "o1", "a1", "drain"),)))
    assert [v.split(":")[0] for v in out] == ["NoOffersOfDeactivatedAgents"]
    out = inv.DrainEmptiesAgent(inv.ClusterSnapshot(drained_agents=(("a1", ("f/t1",)),)))
    assert [v.split(":")[0] for v in out] == ["DrainEmptiesAgent"] and "f/t1" in out[0]
    assert inv.DrainEmptiesAgent(inv.ClusterSnapshot(drained_agents=(("a1", ()),))) == []
    bad = inv.ClusterSnapshot(invalid_operator_answers=(("weight 0", 200, ""),
                                                        ("weight -1", 400, "")))
    assert [v.split(":")[0] for v in inv.InvalidOperatorCallsRefused(bad)] == \
        ["InvalidOperatorCallsRefused"] * 2
    ok = inv.ClusterSnapshot(invalid_operator_answers=(("weight 0", 400, "must be positive"),
                                                       ("weight 0", 503, "Not the leader")))
    assert inv.InvalidOperatorCallsRefused(ok) == []


def _tla_legal_step() -> set[tuple[str, str]]:
    """tla/StatusUpdates.tla's LegalStep, evaluated from its text (states, Terminal, Rank)."""
    text = (ROOT / "tla" / "StatusUpdates.tla").read_text()
    states = re.findall(r'"(TASK_\w+)"', re.search(r"TaskStates ==(.*?)\n\S", text,
                                                   flags=re.DOTALL).group(1))
    terminal = set(re.findall(r'"(TASK_\w+)"', re.search(r"Terminal ==(.*)", text).group(1)))
    rank_text = re.search(r"Rank\(s\) ==(.*?)LegalStep", text, flags=re.DOTALL).group(1)
    ranks = {s: int(r) for s, r in re.findall(r'"(TASK_\w+)" -> (\d+)', rank_text)}
    other = int(re.search(r"OTHER -> (\d+)", rank_text).group(1))
    assert "Rank(to) > Rank(from)" in text and 'from = "TASK_RUNNING" /\\ to = "TASK_RUNNING"' in text

    def legal(f: str, t: str) -> bool:
        return f not in terminal and (t in terminal or ranks.get(t, other) > ranks.get(f, other)
                                      or (f == "TASK_RUNNING" and t == "TASK_RUNNING"))
    return {(f, t) for f in states for t in states if legal(f, t)}, set(states)


def test_independent_state_graph_agrees_with_tla() -> None:
    """On the TLA+ spec's states, the graph allows exactly LegalStep's moves, except the
    self-loops of non-terminal states other than RUNNING (a repeated update: the spec's
    executor only repeats RUNNING)."""
    tla, states = _tla_legal_step()
    graph = {(f.name, t.name) for f, ts in inv.TASK_STATE_GRAPH.items() for t in ts
             if f.name in states and t.name in states}
    assert graph - tla == {("TASK_STARTING", "TASK_STARTING")}
    assert tla - graph == set()


def test_code_lifecycle_table_stays_inside_the_independent_graph() -> None:
    """Every move core/lifecycle.py allows from a known state (any producer) is in the
    documented graph; the graph's moves that no producer makes are listed below."""
    from mesotron.core import lifecycle

    outside = [(p, f.name, t.name) for p, rows in lifecycle.TRANSITIONS.items()
               for f, ts in rows.items() if f is not None for t in ts
               if t not in inv.TASK_STATE_GRAPH[f]]
    assert outside == []
    # and the graph has no move no producer may make, apart from documented ones
    allowed = {(f, t) for rows in lifecycle.TRANSITIONS.values() for f, ts in rows.items()
               if f is not None for t in ts}
    extra = sorted((f.name, t.name) for f, ts in inv.TASK_STATE_GRAPH.items() for t in ts
                   if (f, t) not in allowed)
    assert extra == EXTRA_IN_GRAPH, extra


# moves the documented diagram allows that no producer of core/lifecycle.py makes: repeated
# partition states (a repeated update is no move), and an unreachable task the master
# forgot (its agent pruned from the registry) later answered TASK_UNKNOWN
EXTRA_IN_GRAPH: list[tuple[str, str]] = [("TASK_UNKNOWN", "TASK_UNKNOWN"),
                                         ("TASK_UNREACHABLE", "TASK_UNKNOWN"),
                                         ("TASK_UNREACHABLE", "TASK_UNREACHABLE")]


def test_terminal_reaches_framework_accepts_only_a_truthful_unreachable() -> None:
    """TASK_UNREACHABLE is accepted only for a task no live agent runs whose agent the master
    books unreachable after that agent abandoned its id; RUNNING/STAGING views of such tasks,
    and UNREACHABLE ones without the flag, still fire."""
    S = inv.TaskState
    views = (inv.TaskView(key=("f", "ok"), framework_state=S.TASK_UNREACHABLE, agent_state=None,
                          agent_abandoned_unreachable=True),
             inv.TaskView(key=("f", "u"), framework_state=S.TASK_UNREACHABLE, agent_state=None),
             inv.TaskView(key=("f", "r"), framework_state=S.TASK_RUNNING, agent_state=None,
                          agent_abandoned_unreachable=True),
             inv.TaskView(key=("f", "s"), framework_state=S.TASK_STAGING, agent_state=None,
                          agent_abandoned_unreachable=True))
    fired = inv.TerminalReachesFramework(inv.ClusterSnapshot(framework_views=views))
    assert [v.split()[2] for v in fired] == ["u", "r", "s"]


def test_task_states_agree_and_reconcile_answered_fail_on_their_input() -> None:
    S = TaskState
    ok = inv.ClusterSnapshot(task_states=((("f", "t"), "a1", S.TASK_RUNNING, S.TASK_RUNNING),))
    assert inv.TaskStatesAgree(ok) == []
    bad = inv.ClusterSnapshot(task_states=((("f", "t"), "a1", S.TASK_STAGING, S.TASK_RUNNING),))
    (msg,) = inv.TaskStatesAgree(bad)
    assert msg.startswith("TaskStatesAgree:") and "TASK_STAGING" in msg
    assert inv.ReconcileAnswered(inv.ClusterSnapshot()) == []
    (msg,) = inv.ReconcileAnswered(inv.ClusterSnapshot(reconcile_unanswered=(("f", "t", None),)))
    assert msg.startswith("ReconcileAnswered:") and "task t" in msg
    assert inv.InvalidOffersRefused(inv.ClusterSnapshot()) == []
    (msg,) = inv.InvalidOffersRefused(inv.ClusterSnapshot(invalid_accepts=(("f", "x"),)))
    assert msg == "InvalidOffersRefused: framework f: x"
    assert inv.SubscribeTakesInfo(inv.ClusterSnapshot()) == []
    (msg,) = inv.SubscribeTakesInfo(inv.ClusterSnapshot(stale_infos=(("f", "name", "'a'", "'b'"),)))
    assert msg.startswith("SubscribeTakesInfo: framework f subscribed with name='b'")
    assert inv.MalformedCallsRefused(inv.ClusterSnapshot()) == []
    (msg,) = inv.MalformedCallsRefused(inv.ClusterSnapshot(
        malformed_answers=(("f", "CallAccept", "answered 202"),)))
    assert msg == "MalformedCallsRefused: framework f's malformed CallAccept was answered 202"
    assert inv.NoRescindOfReturnedOffers(inv.ClusterSnapshot()) == []
    (msg,) = inv.NoRescindOfReturnedOffers(inv.ClusterSnapshot(rescinded_returned=(("f", "o1"),)))
    assert msg.startswith("NoRescindOfReturnedOffers: offer o1 rescinded from framework f")
    assert inv.AgentDisconnectionNoticed(inv.ClusterSnapshot()) == []
    (msg,) = inv.AgentDisconnectionNoticed(inv.ClusterSnapshot(
        unnoticed_disconnections=(("a1", "still counts it connected"),)))
    assert msg.startswith("AgentDisconnectionNoticed: agent a1 lost its connection")


def test_checkpoint_agrees_fails_when_the_disk_differs_from_the_books() -> None:
    same = ("a1", "tasks", frozenset({("f", "e", "t")}), frozenset({("f", "e", "t")}))
    assert inv.CheckpointAgrees(inv.ClusterSnapshot(checkpoint_books=(same,))) == []
    acked = ("a1", "streams", frozenset({(("f", "t"), ("u2",))}),
             frozenset({(("f", "t"), ("u1", "u2"))}))
    out = inv.CheckpointAgrees(inv.ClusterSnapshot(checkpoint_books=(same, acked)))
    assert len(out) == 1 and out[0].startswith("CheckpointAgrees: agent a1 streams")


def test_executor_books_agree_fails_on_each_disagreement() -> None:
    ok = inv.ExecutorBook(agent="a1", container="c1", state="running", in_by_container=True,
                          pid=True, in_by_pid=True, process="alive", open_tasks=1)
    assert inv.ExecutorBooksAgree(inv.ClusterSnapshot(executor_books=(ok,))) == []
    dead_just_now = attrs.evolve(ok, process="dead", dead_for=0.5)
    assert inv.ExecutorBooksAgree(inv.ClusterSnapshot(executor_books=(dead_just_now,))) == []
    bad = [attrs.evolve(ok, in_by_container=False),
           attrs.evolve(ok, in_by_pid=False),
           attrs.evolve(ok, state="registering"),
           attrs.evolve(ok, state="terminating", process="dead", dead_for=30.0),
           attrs.evolve(ok, state="terminated", process="dead", dead_for=30.0),
           attrs.evolve(ok, closed_tasks=1),
           attrs.evolve(ok, idle_unarmed=True),
           attrs.evolve(ok, running_booked_ended=("t1",)),
           attrs.evolve(ok, container_resources=False),
           attrs.evolve(ok, overdue=12.0),
           attrs.evolve(ok, state=None, pid=False, in_by_pid=False),
           attrs.evolve(ok, state=None, in_by_container=False, pid=False, in_by_pid=False)]
    for b in bad:
        out = inv.ExecutorBooksAgree(inv.ClusterSnapshot(executor_books=(b,)))
        assert out and all(v.startswith("ExecutorBooksAgree: agent a1") for v in out), b

    counters = inv.ClusterSnapshot(agent_counters=(("a1", "executors_terminated", 2, 3),))
    assert inv.ExecutorBooksAgree(counters)[0].startswith("ExecutorBooksAgree: agent a1 counter")
    same = inv.ClusterSnapshot(agent_counters=(("a1", "executors_terminated", 3, 3),))
    assert inv.ExecutorBooksAgree(same) == []


def test_agent_updates_truthful_fails_on_a_wrong_agent_id_or_a_false_exit() -> None:
    ok = ("n1", "t1", "S1", "S1", False)
    assert inv.AgentUpdatesTruthful(inv.ClusterSnapshot(agent_updates=(ok,))) == []
    for bad in (("n1", "t1", None, "S1", False), ("n1", "t1", "S1", "S1", True)):
        out = inv.AgentUpdatesTruthful(inv.ClusterSnapshot(agent_updates=(bad,)))
        assert len(out) == 1 and out[0].startswith("AgentUpdatesTruthful: agent n1"), bad


def test_principals_checked_names_the_framework_and_what_went_wrong():
    assert inv.PrincipalsChecked(inv.ClusterSnapshot()) == []
    (msg,) = inv.PrincipalsChecked(inv.ClusterSnapshot(
        principal_answers=(("fw", "p", "a SUBSCRIBE claiming 'q' was answered 200"),)))
    assert msg == ("PrincipalsChecked: framework fw authenticated as 'p': a SUBSCRIBE "
                   "claiming 'q' was answered 200")


def test_malformed_agent_messages_refused_names_the_sender():
    assert inv.MalformedAgentMessagesRefused(inv.ClusterSnapshot()) == []
    (msg,) = inv.MalformedAgentMessagesRefused(inv.ClusterSnapshot(
        malformed_agent_answers=(("x/hostile-agent", "RegisterAgent", "answered with Reject 401"),)))
    assert msg == ("MalformedAgentMessagesRefused: x/hostile-agent's malformed RegisterAgent: "
                   "answered with Reject 401")


def test_no_send_without_peer_names_the_master_and_message():
    assert inv.NoSendWithoutPeer(inv.ClusterSnapshot()) == []
    (msg,) = inv.NoSendWithoutPeer(inv.ClusterSnapshot(unaddressed_sends=(("m1", "EventUpdate"),)))
    assert msg == "NoSendWithoutPeer: m1 sent a EventUpdate to no one (a disconnected framework?)"


def test_forged_agent_messages_ignored_names_the_sender_and_message():
    assert inv.ForgedAgentMessagesIgnored(inv.ClusterSnapshot()) == []
    (msg,) = inv.ForgedAgentMessagesIgnored(inv.ClusterSnapshot(forged_agent_answers=(
        ("x/forged-agent", "UnregisterAgent (agent m-S0)", "answered with RegistryWrite"),)))
    assert msg == ("ForgedAgentMessagesIgnored: x/forged-agent's UnregisterAgent (agent m-S0): "
                   "answered with RegistryWrite")


def test_unresponsive_agents_removed_names_the_agent():
    assert inv.UnresponsiveAgentsRemoved(inv.ClusterSnapshot()) == []
    (msg,) = inv.UnresponsiveAgentsRemoved(inv.ClusterSnapshot(
        unremoved_agents=(("m-S1", 120.0, "registered (missed pings 0)"),)))
    assert msg == ("UnresponsiveAgentsRemoved: agent m-S1 silent for 120.0s but the leader "
                   "holds it registered (missed pings 0)")


def test_master_updates_sent_names_agent_task_and_framework():
    assert inv.MasterUpdatesSent(inv.ClusterSnapshot()) == []
    (msg,) = inv.MasterUpdatesSent(inv.ClusterSnapshot(unsent_master_updates=(
        ("m-S1", "m-0001", "t1", "removed without an update"),)))
    assert msg == "MasterUpdatesSent: agent m-S1: task t1 of m-0001 removed without an update"


def test_removals_rate_limited_names_the_master_and_interval():
    assert inv.RemovalsRateLimited(inv.ClusterSnapshot()) == []
    (msg,) = inv.RemovalsRateLimited(inv.ClusterSnapshot(fast_removals=(("m1", 3.5, 120.0),)))
    assert msg == ("RemovalsRateLimited: m1 marked an agent unreachable 3.500s after the "
                   "previous one (limit: one per 120s)")


def test_agents_health_checked_names_the_agent():
    assert inv.AgentsHealthChecked(inv.ClusterSnapshot()) == []
    (msg,) = inv.AgentsHealthChecked(inv.ClusterSnapshot(unchecked_agents=(
        ("m-S2", "is connected but its ping timer is not armed"),)))
    assert msg == "AgentsHealthChecked: agent m-S2 is connected but its ping timer is not armed"


def test_removed_agents_forgotten_names_the_agent():
    assert inv.RemovedAgentsForgotten(inv.ClusterSnapshot()) == []
    (msg,) = inv.RemovedAgentsForgotten(inv.ClusterSnapshot(
        unforgotten_agents=(("m-S3", "still has executors of m-0001"),)))
    assert msg == "RemovedAgentsForgotten: agent m-S3 still has executors of m-0001"


def test_offers_need_a_cause_names_the_input():
    assert inv.OffersNeedACause(inv.ClusterSnapshot()) == []
    (msg,) = inv.OffersNeedACause(inv.ClusterSnapshot(uncaused_offers=(("m1", "Pong", 2),)))
    assert msg == "OffersNeedACause: m1 made 2 offer(s) handling a Pong"


def test_no_offers_outside_whitelist_names_the_host():
    assert inv.NoOffersOutsideWhitelist(inv.ClusterSnapshot()) == []
    (msg,) = inv.NoOffersOutsideWhitelist(inv.ClusterSnapshot(
        unlisted_offers=(("m1", "m1-O4", "agent5"),)))
    assert msg == ("NoOffersOutsideWhitelist: m1 offered m1-O4 of host agent5, which the "
                   "--whitelist leaves out")


def test_operator_views_and_why_messages() -> None:
    assert inv.OperatorViewsAgree(inv.ClusterSnapshot()) == []
    (msg,) = inv.OperatorViewsAgree(inv.ClusterSnapshot(operator_views=(
        ("m1", "master/cpus_percent is None, the agents in /master/state sum to 0.5"),)))
    assert msg == ("OperatorViewsAgree: m1: master/cpus_percent is None, the agents in "
                   "/master/state sum to 0.5")
    assert inv.WhyExplains(inv.ClusterSnapshot()) == []
    (msg,) = inv.WhyExplains(inv.ClusterSnapshot(why_answers=(("f1", "blocked", "expected holds_offers"),)))
    assert msg == "WhyExplains: framework f1 answered blocked: expected holds_offers"

    assert inv.OperationFeedbackAgrees(inv.ClusterSnapshot()) == []
    (msg,) = inv.OperationFeedbackAgrees(inv.ClusterSnapshot(operation_feedback=(
        ("f1", "ACCEPT", "invalid operation x answered OPERATION_FINISHED"),)))
    assert msg == ("OperationFeedbackAgrees: framework f1 ACCEPT: invalid operation x answered "
                   "OPERATION_FINISHED")
    assert inv.UnauthorizedOperatorCallsRefused(inv.ClusterSnapshot()) == []
    (msg,) = inv.UnauthorizedOperatorCallsRefused(inv.ClusterSnapshot(forbidden_answers=("x",)))
    assert msg == "UnauthorizedOperatorCallsRefused: x"


def test_agent_views_agree_fails_when_a_view_differs() -> None:
    same = ("a1", "task metrics", "[('running', 1)]", "[('running', 1)]")
    assert inv.AgentViewsAgree(inv.ClusterSnapshot(agent_views=(same,))) == []
    doubled = ("a1", "task metrics", "[('running', 1)]", "[('running', 2)]")
    out = inv.AgentViewsAgree(inv.ClusterSnapshot(agent_views=(same, doubled)))
    assert len(out) == 1 and out[0].startswith("AgentViewsAgree: agent a1 task metrics")


def test_hostile_executor_input_refused_reports_each_answer() -> None:
    assert inv.HostileExecutorInputRefused(inv.ClusterSnapshot()) == []
    (msg,) = inv.HostileExecutorInputRefused(inv.ClusterSnapshot(hostile_executor_answers=(
        ("a1", "ExecutorUpdate", "answered with Persist, expected one Reject 403"),)))
    assert msg.startswith("HostileExecutorInputRefused: agent a1: a hostile ExecutorUpdate")


def test_agent_shutdown_completes_reports_each_row() -> None:
    assert inv.AgentShutdownCompletes(inv.ClusterSnapshot()) == []
    (msg,) = inv.AgentShutdownCompletes(inv.ClusterSnapshot(agent_shutdowns=(
        ("a1", "still terminating 30 s after it was told to shut down"),)))
    assert msg.startswith("AgentShutdownCompletes: agent a1 still terminating")


def test_reboot_recovery_reports_each_row() -> None:
    assert inv.RebootRecovery(inv.ClusterSnapshot()) == []
    (msg,) = inv.RebootRecovery(inv.ClusterSnapshot(reboot_recoveries=(
        ("a1", "signals container c1, whose executor died in a host reboot"),)))
    assert msg.startswith("RebootRecovery: agent a1 signals container c1")


def test_limitations_enforced_reports_each_row() -> None:
    assert inv.LimitationsEnforced(inv.ClusterSnapshot()) == []
    (msg,) = inv.LimitationsEnforced(inv.ClusterSnapshot(limitations=(
        ("a1", "task t1 over its memory limit still TASK_RUNNING"),)))
    assert msg.startswith("LimitationsEnforced: agent a1 task t1")


def test_parse_bytes_reads_mesos_byte_counts() -> None:
    from mesotron.core.agent.isolation import format_bytes
    from mesotron.core.sim.checker import parse_bytes

    assert parse_bytes("64MB") == 64 << 20 and parse_bytes("1025B") == 1025
    assert parse_bytes("2GB") == 2 << 30 and parse_bytes("x") is None
    for n in (1, 1024, 65 << 20, (64 << 20) + 1, 3 << 30, 5 << 40):
        assert parse_bytes(format_bytes(n)) == n


def test_sandboxes_collected_reports_each_row() -> None:
    assert inv.SandboxesCollected(inv.ClusterSnapshot()) == []
    (msg,) = inv.SandboxesCollected(inv.ClusterSnapshot(sandbox_collections=(
        ("a1", "the sandbox of container c1 is still pending collection 30 s after it was due"),)))
    assert msg.startswith("SandboxesCollected: agent a1 the sandbox of container c1")


def test_executor_reasons_truthful_reports_each_row() -> None:
    assert inv.ExecutorReasonsTruthful(inv.ClusterSnapshot()) == []
    (msg,) = inv.ExecutorReasonsTruthful(inv.ClusterSnapshot(executor_reasons=(
        ("a1", "task t1 ended REASON_EXECUTOR_TERMINATED, its executor killed unregistered"),)))
    assert msg.startswith("ExecutorReasonsTruthful: agent a1 task t1")
