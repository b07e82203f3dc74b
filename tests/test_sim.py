"""The deterministic simulator (core/sim): determinism, replay, shrinking, the disk and
ZooKeeper models, the `mesotron sim` command."""

from __future__ import annotations

import itertools
import random
from typing import Any

import attrs
import pytest
from mesotron.core.effects import Persist
from mesotron.core.sim import bugs
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.disk import Disk
from mesotron.core.sim.run import parse_schedule, schedule_json, shrink, simulate
from mesotron.core.sim.zk import ZooKeeper
from mesotron.core.status_updates import AckRecord


def small(seed: int, faults: str = "all", events: int = 1500) -> SimConfig:
    return SimConfig(seed=seed, events=events, agents=4, frameworks=4, faults=faults,
                     quiesce=700.0)


# ------------------------------------------------------------------ determinism, replay
def test_same_seed_same_run():
    a = simulate(small(11))
    b = simulate(small(11))
    assert a.summary() == b.summary()
    assert a.injected == b.injected
    assert a.events == b.events and a.virtual_time == b.virtual_time
    c = simulate(small(12))
    assert c.summary() != a.summary()


def test_run_is_clean_and_checks_things():
    r = simulate(small(5))
    assert r.failure is None, r.failure
    assert r.checks > 0 and r.launched > 0 and sum(r.faults.values()) > 0
    assert r.faulty_events == 1500 and r.events > r.faulty_events  # quiescence ran
    assert r.queue["lost"] == [] and r.queue["unexpected"] == []


def test_replaying_the_injected_schedule_reproduces_the_run():
    a = simulate(small(3))
    cfg = attrs.evolve(small(3), schedule=parse_schedule(schedule_json(a.injected)))
    b = simulate(cfg)
    assert b.summary() == a.summary()


def test_failure_report_and_shrinking():
    with bugs.allocator_double_offer():
        r = simulate(small(1, faults="net"))
        assert r.failure_name in ("NoOvercommit", "OfferExclusive")
        lines = "\n".join(r.summary())
        assert "violations: 1" in lines and r.failure_name in lines
        cfg, sr = shrink(r)
        assert sr.failure_name == r.failure_name
        assert len(cfg.schedule or ()) <= len(r.injected)
        assert len(cfg.schedule or ()) == 0  # this bug needs no fault at all


def test_liveness_snapshot_is_filled():
    r = simulate(small(2, faults="none"))
    w = r.world
    from mesotron.core.sim.run import liveness_snapshot

    snap = liveness_snapshot(w, w.obs, set(), set())
    assert snap.live_agents and snap.live_agents == snap.registered_agents
    assert snap.live_frameworks and snap.live_frameworks == snap.subscribed_frameworks
    assert snap.produced and snap.seen and snap.launches


# ------------------------------------------------------------------ the disk model
def test_disk_loses_only_unsynced_writes_and_may_tear():
    d = Disk()
    d.persist(("agent",), "info", False)
    d.sync()
    d.persist(("updates", "f", "t"), "u1", True)
    d.sync()
    d.persist(("updates", "f", "t"), AckRecord(uuid=b"1" * 16), True)
    d.persist(("updates", "f", "t"), "u2", True)
    for seed in range(20):
        dd = Disk()
        dd.checkpoints = dict(d.checkpoints)
        dd.logs = {k: list(v) for k, v in d.logs.items()}
        dd.unsynced = list(d.unsynced)
        dd.crash(random.Random(seed))
        log = dd.logs[("updates", "f", "t")]
        assert log[0] == "u1" and dd.checkpoints[("agent",)] == "info"  # synced: kept
        assert log in (["u1"], ["u1", AckRecord(uuid=b"1" * 16)],
                       ["u1", AckRecord(uuid=b"1" * 16), "u2"])  # a prefix survives
    assert d.recovered().agent() is None  # "info" is not an AgentRecord: only the raw view
    assert d.recovered().checkpoints[("agent",)] == "info"


def test_disk_crash_reverts_unsynced_replacements_and_deletions():
    d = Disk()
    d.persist(("task", "f", "e", "t"), "v1", False)
    d.persist(("updates", "f", "t"), "u1", True)
    d.sync()
    d.persist(("task", "f", "e", "t"), "v2", False)
    d.persist(("updates", "f", "t"), None, False)  # delete the log
    d.crash(random.Random(0), lossy=True)
    kept = d.checkpoints[("task", "f", "e", "t")]
    assert kept in ("v1", "v2")
    if kept == "v1":
        assert d.logs[("updates", "f", "t")] == ["u1"]
    clean = Disk()
    clean.persist(("a",), 1, False)
    clean.crash(random.Random(0), lossy=False)
    assert clean.checkpoints == {("a",): 1}


def test_world_syncs_before_the_effects_that_follow_a_persist():
    """Ordering rule 2: the Persist in [Persist, Send] is durable before the Send."""
    from mesotron.core.sim.world import World

    w = World(small(0, faults="none"))
    a = w.agents[0]
    w.start_agent(a, "reconnect")
    a.disk.sync()
    w.agent_effects(a, [Persist(key=("x",), record=1)])
    assert a.disk.unsynced  # trailing: not yet durable
    w.agent_effects(a, [Persist(key=("y",), record=2), Persist(key=("z",), record=3)])
    assert len(a.disk.unsynced) == 3
    from mesotron.core.effects import SetTimer

    w.agent_effects(a, [SetTimer(key=("k",), at=5.0)])
    assert not a.disk.unsynced


# ------------------------------------------------------------------ the ZooKeeper model
def test_zookeeper_election_and_expiry():
    zk = ZooKeeper(session_timeout=10.0)
    s1, s2 = zk.open_session("m1"), zk.open_session("m2")
    assert zk.create_ephemeral_sequential(s2, "m2") == "/mesos/json.info_0000000001"
    zk.create_ephemeral_sequential(s1, "m1")
    assert zk.leader() == (s2, "m2")  # lowest sequence leads
    assert zk.expire(s2) is True
    assert zk.leader() == (s1, "m1")
    assert not zk.alive(s2)
    with pytest.raises(ValueError):
        zk.create_ephemeral_sequential(s2, "m2")
    assert zk.children() == ["json.info_0000000002"]


def test_deposed_leader_is_fenced_in_the_world():
    """A zk fault deposes leaders; every registry commit came from the fence holder."""
    for seed in range(6):
        r = simulate(small(seed, faults="zk", events=2500))
        assert r.failure is None, r.failure
        commits = r.world.obs.registry_commits
        assert all(ok for _w, ok in commits)


# ------------------------------------------------------------------ the command line
def test_cli_single_run_and_campaign(capsys):
    from mesotron.io.cli.main import main

    rc = main(["sim", "--seed", "4", "--events", "800", "--agents", "3", "--frameworks", "2",
               "--faults", "all", "--quiesce", "700"])
    out = capsys.readouterr().out
    assert rc == 0, out
    for word in ("events:", "virtual time:", "tasks: launched", "faults injected:",
                 "invariants checked:", "violations: 0", "events/s"):
        assert word in out
    rc = main(["sim", "--seeds", "2", "--events", "500", "--agents", "3", "--frameworks",
               "2", "--faults", "net", "--quiesce", "700"])
    out = capsys.readouterr().out
    assert rc == 0 and "failing seeds: 0" in out and "seeds/hour" in out


def test_cli_timeline_tells_the_story(capsys):
    from mesotron.io.cli.main import main

    rc = main(["sim", "--seed", "3", "--events", "600", "--agents", "3", "--frameworks", "3",
               "--faults", "none", "--timeline", "--quiesce", "700"])
    out = capsys.readouterr().out
    assert rc == 0
    for word in ("is elected leading master", "master offers", "declines", "launches",
                 "hears", "acknowledges", "dominant shares:"):
        assert word in out, word


def test_cli_rejects_unknown_fault_kind():
    with pytest.raises(ValueError):
        SimConfig(faults="meteor")


def test_oom_faults_keep_the_catalog():
    """The opt-in `oom` fault kind: isolators report container limitations (a task's nested
    container, or an executor's whole container, over memory or disk) while agents crash;
    the invariant catalog still holds, and some limitations hit running tasks."""
    hit = 0
    for seed in (0, 4, 7):
        r = simulate(small(seed, faults="crash,oom"))
        assert r.failure is None, (seed, r.failure)
        assert r.faults.get("oom", 0) > 0
        hit += r.counts.get("oom_task", 0)
    assert hit > 0
    with pytest.raises(ValueError, match="unknown fault kinds"):
        SimConfig(faults="crash,ooms")


SEED35_SCHEDULE = (
    '[[28.653172,["crash-master","leader",39.286]],[47.90784,["lossy",0.11,0.082,0.295,'
    '36.472]],[62.731483,["break","leader","scheduler:1"]],[62.780934,["zk-expire","leader"]],'
    '[62.921633,["crash-scheduler",0,2.404]]]')


def test_seed_35_a_late_running_copy_after_failed_leaves_no_ghost_task():
    """Regression (s10 lab note): the network delivered a copy of adversarial1.t10's RUNNING
    after its FAILED; the master booked RUNNING as the last forwarded update, the FAILED ack
    removed nothing, and reconciliation answered TASK_RUNNING for a task no agent knew
    (ReconciliationAgrees). The shrunk schedule of `mesotron sim --seed 35 --events 3000
    --agents 5 --frameworks 4 --faults all`."""
    cfg = SimConfig(seed=35, events=3000, agents=5, frameworks=4, faults="all",
                    schedule=parse_schedule(SEED35_SCHEDULE))
    r = simulate(cfg)
    assert r.failure is None, r.failure
    m = r.world.live_leader().machine
    assert ("adversarial1.t10" not in
            {t for fw in m._frameworks.values() for t in fw.tasks})


def test_seed_38_a_task_of_an_agent_that_never_came_back_stays_unreachable():
    """Found as seed 38; now pinned by an explicit fault schedule (seed 38 only chooses the
    workload), so a trajectory change elsewhere cannot move it off its scenario: an agent
    restarted in cleanup mode (as a new agent) across a master failover; the new leader never
    learnt its tasks, marked the old agent unreachable after agent_reregister_timeout and
    answers its tasks TASK_UNREACHABLE (as Mesos does until the registry forgets the agent).
    TerminalReachesFramework took that for a lost terminal update; it now accepts UNREACHABLE
    for a task whose agent the leader holds unreachable (TaskView.agent_abandoned_unreachable).
    The agent crashed is the one running the most tasks at the crash: a fault-free run of
    the same config up to then says which (a run is a pure function of its config, and a
    fault acts only from its time on). The asserts say when the run leaves the scenario."""
    from mesotron.core import invariants as inv
    from mesotron.core.sim.checker import Checker, unreachable_at_leader
    from mesotron.core.sim.faults import Injector
    from mesotron.core.sim.run import GRACE
    from mesotron.core.sim.world import World
    from mesotron.core.values import TaskState
    from testkit import busiest_agent

    base = SimConfig(seed=38, events=3000, agents=5, frameworks=4, faults="all", schedule=())
    crash_at = 40.0  # well inside the faulty phase (3000 events last > 70 virtual seconds)
    probe = World(base, observer=Checker())
    probe.injector = Injector(probe)
    probe.run_until(until=crash_at)
    i = busiest_agent(probe)
    old_id, old_leader = probe.agents[i].machine.agent_id, probe.leader.host
    schedule = ((crash_at, ("crash-agent", i, "cleanup", 5.0)),
                (crash_at + 1.0, ("crash-master", "leader", 30.0)))
    chk = Checker()
    r = simulate(attrs.evolve(base, schedule=schedule), checker=chk)
    assert r.failure is None, r.failure
    assert r.injected == list(schedule), f"left the scenario: injected {r.injected}"
    assert r.world.live_leader().host != old_leader, "left the scenario: no failover"
    _books, views = chk.quiescence_books(r.world, GRACE)
    abandoned = [v for v in views if v.agent_abandoned_unreachable]
    unreachable = [v for v in abandoned if v.framework_state is TaskState.TASK_UNREACHABLE]
    apps = {s.app.framework_id: s.app for s in r.world.schedulers}
    assert unreachable and all(
        v.agent_state is None and apps[v.key[0]].task_agent.get(v.key[1]) == old_id
        and unreachable_at_leader(r.world, v.key, old_id) for v in abandoned), \
        f"left the scenario: abandoned views {abandoned}"
    # and the property fires on exactly those views without the exemption
    plain = tuple(attrs.evolve(v, agent_abandoned_unreachable=False) for v in views)
    fired = inv.TerminalReachesFramework(inv.ClusterSnapshot(framework_views=plain))
    assert len(fired) == len(unreachable) and all("still TASK_UNREACHABLE" in f for f in fired)


def test_operator_views_are_sampled_ten_times_across_the_quiescence(monkeypatch) -> None:
    """(s21) During quiescence the leader's operator views are sampled VIEWS_SAMPLES times
    spread over its virtual time (docs/invariants.md, OperatorViewsAgree's "when"), not every
    events/VIEWS_SAMPLES world events: samples at least quiesce/VIEWS_SAMPLES seconds apart."""
    from mesotron.core.sim import checker

    at: list[float] = []
    sample = checker.check_operator_views

    def counted(chk: Any, world: Any, node: Any) -> None:
        if world.quiescent:
            at.append(world.now)
        sample(chk, world, node)

    monkeypatch.setattr(checker, "check_operator_views", counted)
    quiet = 200.0
    res = simulate(SimConfig(seed=1, events=300, agents=2, frameworks=2, faults="none",
                             quiesce=quiet))
    assert res.failure is None, res.failure
    n = checker.VIEWS_SAMPLES
    assert n - 1 <= len(at) <= n + 1, at
    assert all(b - a >= quiet / n - 1e-6 for a, b in itertools.pairwise(at)), at
