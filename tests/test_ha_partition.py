"""PartitionTest.* with real daemons and a REAL ZooKeeper (issue 5).

A partition is a SIGSTOP of the agent process (tests/testkit.paused): it neither reads nor
answers, so the master's pings go unanswered and after --max-agent-ping-timeouts x
--agent-ping-timeout the master marks it unreachable in the registry (in ZooKeeper). The
partition heals with SIGCONT; the agent's ZooKeeper session is expired from outside while it
is stopped (as a real partition from ZooKeeper longer than the session would), so on waking
it sees no leader, then the leader again, and re-registers (ReregisterAgent of an agent this
master holds as unreachable). Every wait polls or blocks with a deadline; "no update" is
checked with a barrier (a later reconciliation answer on the same stream), never a timeout.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from typing import Any

import pytest
import trio
from mesotron.core.messages import (
    CallAccept,
    CallReconcile,
    CallTeardown,
    EventFailure,
    EventOffers,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.resources import Resources
from mesotron.core.values import Capability, CommandInfo, FrameworkInfo, Reason, TaskInfo, TaskState
from mesotron.io.daemons.master import read_zk_session
from mesotron.io.wire.scheduler_client import SchedulerClient
from mesotron.io.zk.bridge import expire_session
from mesotron.io.zk.server import ZkServer
from testkit import EventRecorder, HaCluster, blocking, kill_leader, paused, wait_for

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

RES = Resources.parse("cpus:0.1;mem:16")
SESSION = 1.5
# 3 missed pings of 300 ms: unreachable ~1 s after the SIGSTOP
PINGS = ("--allocation-interval", "50ms", "--agent-ping-timeout", "300ms", "--max-agent-ping-timeouts", "3")
PA = frozenset({Capability.PARTITION_AWARE})
S = TaskState


@pytest.fixture(autouse=True)
def _collect_streams() -> Iterator[None]:
    yield
    gc.collect()


async def launch(s: SchedulerClient, rec: EventRecorder, task_id: str) -> None:
    """Launch `task_id` (sleep 300) on the first offer."""
    ev = rec.events[await rec.wait_for(lambda e: isinstance(e, EventOffers))]
    o = ev.offers[0]
    t = TaskInfo(name=task_id, task_id=task_id, agent_id=o.agent_id, resources=RES,
                 command=CommandInfo(value="sleep 300"))
    assert await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=(t,)),))) == 202


async def reconciled(s: SchedulerClient, rec: EventRecorder, task_id: str, agent_id: str) -> TaskState:
    """Explicit reconciliation of one task: the state answered."""
    first = len(rec.events)
    assert await s.call(CallReconcile(tasks=((task_id, agent_id),))) == 202
    i = await rec.wait_for(lambda e: isinstance(e, EventUpdate) and e.status.task_id == task_id
                           and e.status.reason is Reason.REASON_RECONCILIATION, first)
    return rec.events[i].status.state  # type: ignore[no-any-return]


def is_failure(agent_id: str) -> Any:
    return lambda e: isinstance(e, EventFailure) and e.agent_id == agent_id and e.executor_id is None


def agent_tasks(c: HaCluster, i: int = 0) -> list[tuple[str, str]]:
    st = c.agents[i].get_json("/state")
    return sorted((t["id"], t["state"]) for f in st["frameworks"] for e in f["executors"] for t in e["tasks"])


def master_task_states(c: HaCluster, i: int) -> dict[str, str]:
    st = c.masters[i].get_json("/master/state")
    return {t["id"]: t["state"] for f in st["frameworks"] for t in f["tasks"]}


async def expire_agent_session(c: HaCluster, i: int = 0) -> None:
    hosts, client_id = read_zk_session(os.path.join(c.tmp, f"agent{i}"))
    await expire_session(hosts, client_id)


class Two:
    """A partition-aware framework and a non-partition-aware one, each with one task
    ("pa" / "npa") running on the cluster's single agent."""

    pa: SchedulerClient
    npa: SchedulerClient
    rp: EventRecorder
    rn: EventRecorder

    @classmethod
    async def start(cls, zk: str, nursery: trio.Nursery, stack: Any) -> Two:
        self = cls()
        self.pa = await stack.enter_async_context(SchedulerClient.connect(
            zk, FrameworkInfo(user="t", name="pa", failover_timeout=3600.0, capabilities=PA),
            zk_session_timeout=SESSION))
        self.npa = await stack.enter_async_context(SchedulerClient.connect(
            zk, FrameworkInfo(user="t", name="npa", failover_timeout=3600.0), zk_session_timeout=SESSION))
        self.rp, self.rn = EventRecorder(self.pa), EventRecorder(self.npa)
        await nursery.start(self.rp.run)
        await nursery.start(self.rn.run)
        await launch(self.pa, self.rp, "pa")
        await launch(self.npa, self.rn, "npa")
        await self.rp.wait_update("pa", S.TASK_RUNNING)
        await self.rn.wait_update("npa", S.TASK_RUNNING)
        return self


def test_partitioned_agent_is_unreachable_and_its_tasks_run_on_after_heal(zk_server: ZkServer,
                                                                           tmp_path: Any) -> None:
    """PartitionTest.PartitionedSlave + ReregisterSlavePartitionAware +
    ReregisterSlaveNotPartitionAware: the agent is SIGSTOPped past the ping limit; the master
    marks it unreachable (registry, /master/state), the partition-aware framework gets
    TASK_UNREACHABLE, the other TASK_LOST, both the agent-lost FAILURE. SIGCONT: the agent
    re-registers with the same id; both tasks were never killed and reconcile as TASK_RUNNING
    for both frameworks (Mesos >= 1.5), and the master shows them running again."""
    zk = zk_server.url("/partitioned")
    with HaCluster(str(tmp_path), zk, masters=1, agents=1, session_timeout=SESSION, master_flags=PINGS) as c:
        agent_id = c.agents[0].agent_id()

        async def main() -> None:
            with trio.fail_after(45):
                async with trio.open_nursery() as bg, contextlib.AsyncExitStack() as stack:
                    two = await Two.start(zk, bg, stack)
                    with paused(c.agents[0]):
                        i = await two.rp.wait_update("pa", S.TASK_UNREACHABLE)
                        st = two.rp.events[i].status
                        assert st.reason is Reason.REASON_AGENT_REMOVED and st.unreachable_time is not None
                        await two.rn.wait_update("npa", S.TASK_LOST)
                        await two.rp.wait_for(is_failure(agent_id))
                        await two.rn.wait_for(is_failure(agent_id))
                        state = await blocking(c.state, 0)
                        assert state["slaves"] == [] and state["unreachable_slaves"] == 1
                        assert await reconciled(two.pa, two.rp, "pa", agent_id) is S.TASK_UNREACHABLE
                        assert await reconciled(two.npa, two.rn, "npa", agent_id) is S.TASK_LOST
                        await expire_agent_session(c)
                    await blocking(c.wait_agents, 1, 30.0)
                    assert await reconciled(two.pa, two.rp, "pa", agent_id) is S.TASK_RUNNING
                    assert await reconciled(two.npa, two.rn, "npa", agent_id) is S.TASK_RUNNING
                    assert two.pa.resubscriptions == two.npa.resubscriptions == 0
                    bg.cancel_scope.cancel()

        trio.run(main)
        state = c.state(0)
        assert [s["id"] for s in state["slaves"]] == [agent_id] and state["unreachable_slaves"] == 0
        assert master_task_states(c, 0) == {"pa": "TASK_RUNNING", "npa": "TASK_RUNNING"}
        assert agent_tasks(c) == [("npa", "TASK_RUNNING"), ("pa", "TASK_RUNNING")]


def test_partitioned_agent_reregisters_after_master_failover(zk_server: ZkServer, tmp_path: Any) -> None:
    """PartitionTest.PartitionedSlaveReregistrationMasterFailover: the agent is marked
    unreachable by the first leader, which is then SIGKILLed; the standby recovers the
    unreachable list from the registry in ZooKeeper (not a recovered agent awaiting
    re-registration). The partition heals: the agent re-registers with the NEW leader, the
    frameworks re-subscribe with their ids, both tasks reconcile TASK_RUNNING."""
    zk = zk_server.url("/partition-failover")
    with HaCluster(str(tmp_path), zk, masters=2, agents=1, session_timeout=SESSION, master_flags=PINGS) as c:
        agent_id = c.agents[0].agent_id()

        leaders: list[int] = []

        async def main() -> None:
            with trio.fail_after(45):
                async with trio.open_nursery() as bg, contextlib.AsyncExitStack() as stack:
                    two = await Two.start(zk, bg, stack)
                    with paused(c.agents[0]):
                        await two.rp.wait_update("pa", S.TASK_UNREACHABLE)
                        await two.rn.wait_update("npa", S.TASK_LOST)
                        old, new = await blocking(kill_leader, c)
                        leaders.append(new)
                        state = await blocking(wait_for, lambda: c.state(new) if c.state(new)["elected_time"]
                                               else None, 30.0, "the new leader's state")
                        assert state["unreachable_slaves"] == 1 and state["recovered_slaves"] == []
                        for s in (two.pa, two.npa):
                            while s.resubscriptions < 1 or s.leader.port != c.masters[new].port:
                                await trio.sleep(0.02)
                        # the new leader answers from the unreachable list it recovered
                        assert await reconciled(two.pa, two.rp, "pa", agent_id) is S.TASK_UNREACHABLE
                        assert await reconciled(two.npa, two.rn, "npa", agent_id) is S.TASK_LOST
                        await expire_agent_session(c)
                    await blocking(c.wait_agents, 1, 30.0, {old})
                    assert await reconciled(two.pa, two.rp, "pa", agent_id) is S.TASK_RUNNING
                    assert await reconciled(two.npa, two.rn, "npa", agent_id) is S.TASK_RUNNING
                    bg.cancel_scope.cancel()

        trio.run(main)
        new = leaders[0]
        state = c.state(new)
        assert [s["id"] for s in state["slaves"]] == [agent_id] and state["unreachable_slaves"] == 0
        assert master_task_states(c, new) == {"pa": "TASK_RUNNING", "npa": "TASK_RUNNING"}
        assert agent_tasks(c) == [("npa", "TASK_RUNNING"), ("pa", "TASK_RUNNING")]


def test_agent_zookeeper_session_flap_kills_no_task(zk_server: ZkServer, tmp_path: Any) -> None:
    """PartitionTest.SpuriousSlaveReregistration: the agent's ZooKeeper session expires (a
    flap) while the master still holds it as registered; the agent re-detects the same
    leader and re-registers. No task is killed: neither framework gets any status update or
    an agent-lost FAILURE (checked up to a later reconciliation answer), nobody
    re-subscribes, the agent keeps its id and both tasks run on."""
    zk = zk_server.url("/spurious")
    with HaCluster(str(tmp_path), zk, masters=1, agents=1, session_timeout=SESSION, master_flags=PINGS) as c:
        agent_id = c.agents[0].agent_id()

        def reregistrations() -> int:
            with open(c.agents[0].log_path) as f:
                return f.read().count("agent.reregistered")

        async def main() -> None:
            with trio.fail_after(45):
                async with trio.open_nursery() as bg, contextlib.AsyncExitStack() as stack:
                    two = await Two.start(zk, bg, stack)
                    marks = len(two.rp.events), len(two.rn.events)
                    before = reregistrations()
                    await expire_agent_session(c)
                    while reregistrations() <= before:
                        await trio.sleep(0.02)
                    assert await reconciled(two.pa, two.rp, "pa", agent_id) is S.TASK_RUNNING
                    assert await reconciled(two.npa, two.rn, "npa", agent_id) is S.TASK_RUNNING
                    for r, mark, tid in ((two.rp, marks[0], "pa"), (two.rn, marks[1], "npa")):
                        # a retry of an update sent before the flap (its ack may have been in
                        # flight) carries the same uuid: not a new state
                        before = {e.status.uuid for e in r.events[:mark] if isinstance(e, EventUpdate)}
                        seen = [e for e in r.events[mark:]
                                if isinstance(e, EventFailure) or (
                                    isinstance(e, EventUpdate) and e.status.reason is not Reason.REASON_RECONCILIATION
                                    and e.status.uuid not in before)]
                        assert seen == [], seen
                    assert two.pa.resubscriptions == two.npa.resubscriptions == 0
                    bg.cancel_scope.cancel()

        trio.run(main)
        state = c.state(0)
        assert [s["id"] for s in state["slaves"]] == [agent_id] and state["unreachable_slaves"] == 0
        assert agent_tasks(c) == [("npa", "TASK_RUNNING"), ("pa", "TASK_RUNNING")]


def test_partitioned_agent_orphaned_task_is_shut_down_on_heal(zk_server: ZkServer, tmp_path: Any) -> None:
    """PartitionTest.PartitionedSlaveOrphanedTask: while the agent is partitioned
    (unreachable), its partition-aware framework tears down (the scheduler is gone for good).
    When the agent re-registers, its task belongs to a completed framework: the master shuts
    that framework down on the agent, the task is killed; the other framework's task runs on."""
    zk = zk_server.url("/orphaned")
    with HaCluster(str(tmp_path), zk, masters=1, agents=1, session_timeout=SESSION, master_flags=PINGS) as c:
        agent_id = c.agents[0].agent_id()

        async def main() -> None:
            with trio.fail_after(45):
                async with trio.open_nursery() as bg, contextlib.AsyncExitStack() as stack:
                    two = await Two.start(zk, bg, stack)
                    with paused(c.agents[0]):
                        await two.rp.wait_update("pa", S.TASK_UNREACHABLE)
                        assert await two.pa.call(CallTeardown()) == 202
                        await blocking(wait_for, lambda: not any(f["name"] == "pa" for f in c.state(0)["frameworks"]),
                                       20.0, "the torn-down framework to be completed")
                        await expire_agent_session(c)
                    await blocking(c.wait_agents, 1, 30.0)
                    assert await reconciled(two.npa, two.rn, "npa", agent_id) is S.TASK_RUNNING
                    bg.cancel_scope.cancel()

        trio.run(main)
        # the orphan is shut down on the agent (its executor is killed), the other runs on
        wait_for(lambda: ("pa", "TASK_RUNNING") not in agent_tasks(c), 20.0, "the orphaned task to be shut down")
        assert ("npa", "TASK_RUNNING") in agent_tasks(c)
        assert master_task_states(c, 0) == {"npa": "TASK_RUNNING"}


def test_partitioned_agent_reregisters_on_its_own_ping_timeout(zk_server: ZkServer, tmp_path: Any) -> None:
    """OneWayPartitionTest.MasterToSlave / PartitionTest.PartitionedSlave heal without a
    ZooKeeper flap: the agent is SIGSTOPped just long enough to be marked unreachable (~1 s),
    well within its 10 s ZooKeeper session. After SIGCONT no ping reaches it any more (the
    master does not ping unreachable agents), so it must notice the silence after the
    master's total ping timeout (3 x 300 ms) and re-register, as a Mesos agent does; its
    tasks reconcile TASK_RUNNING again."""
    zk = zk_server.url("/one-way")
    with HaCluster(str(tmp_path), zk, masters=1, agents=1, session_timeout=10.0, master_flags=PINGS) as c:
        agent_id = c.agents[0].agent_id()

        async def main() -> None:
            with trio.fail_after(45):
                async with trio.open_nursery() as bg, contextlib.AsyncExitStack() as stack:
                    two = await Two.start(zk, bg, stack)
                    with paused(c.agents[0]):
                        await two.rp.wait_update("pa", S.TASK_UNREACHABLE)
                    # 15 s: ~15 x the total ping timeout, and far below the agent's 75 s default
                    await blocking(c.wait_agents, 1, 15.0)
                    assert await reconciled(two.pa, two.rp, "pa", agent_id) is S.TASK_RUNNING
                    assert await reconciled(two.npa, two.rn, "npa", agent_id) is S.TASK_RUNNING
                    bg.cancel_scope.cancel()

        trio.run(main)
        with open(c.agents[0].log_path) as f:
            assert "agent.no_master" not in f.read()  # no ZooKeeper flap helped
        assert agent_tasks(c) == [("npa", "TASK_RUNNING"), ("pa", "TASK_RUNNING")]


async def launch_on(s: SchedulerClient, rec: EventRecorder, task_id: str, agent_id: str, used: set[str]) -> None:
    """Launch `task_id` (sleep 300) on an offer of `agent_id` not used yet (an accepted
    offer's rest comes back as a new offer; unused offers stay outstanding)."""
    def fresh(e: Any) -> Any:
        return isinstance(e, EventOffers) and any(o.agent_id == agent_id and o.id not in used for o in e.offers)

    ev = rec.events[await rec.wait_for(fresh)]
    o = next(o for o in ev.offers if o.agent_id == agent_id and o.id not in used)
    used.add(o.id)
    t = TaskInfo(name=task_id, task_id=task_id, agent_id=agent_id, resources=RES,
                 command=CommandInfo(value="sleep 300"))
    assert await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=(t,)),))) == 202


def test_registry_gc_prunes_the_oldest_unreachable_agent(zk_server: ZkServer, tmp_path: Any) -> None:
    """PartitionTest.RegistryGcByCount with --registry-max-agent-count 1: two agents are
    partitioned one after the other; the next registry GC (every 0.5 s here) prunes the OLDER
    one from the registry and the master's books. Its tasks then reconcile as on an unknown
    agent (TASK_UNKNOWN for the partition-aware framework, TASK_LOST for the other) and
    /master/state counts one unreachable agent whose task is the only unreachable task; the
    newer agent's task is still TASK_UNREACHABLE. When the partition heals the pruned agent
    re-registers like an unknown agent (readmitted): its task is TASK_RUNNING again."""
    zk = zk_server.url("/registry-gc")
    flags = (*PINGS, "--registry-gc-interval", "500ms", "--registry-max-agent-count", "1")
    with HaCluster(str(tmp_path), zk, masters=1, agents=2, session_timeout=10.0, master_flags=flags) as c:
        a0, a1 = (c.agents[i].agent_id() for i in range(2))

        def unreachable_tasks() -> list[tuple[str, str]]:
            st = c.state(0)
            return sorted((t["id"], t["slave_id"]) for f in st["frameworks"] for t in f["unreachable_tasks"])

        async def main() -> None:
            with trio.fail_after(45):
                async with trio.open_nursery() as bg, contextlib.AsyncExitStack() as stack:
                    pa = await stack.enter_async_context(SchedulerClient.connect(
                        zk, FrameworkInfo(user="t", name="pa", failover_timeout=3600.0, capabilities=PA),
                        zk_session_timeout=SESSION))
                    rp = EventRecorder(pa)
                    await bg.start(rp.run)
                    used: set[str] = set()
                    await launch_on(pa, rp, "t0", a0, used)
                    await launch_on(pa, rp, "t1", a1, used)
                    npa = await stack.enter_async_context(SchedulerClient.connect(
                        zk, FrameworkInfo(user="t", name="npa", failover_timeout=3600.0), zk_session_timeout=SESSION))
                    rn = EventRecorder(npa)
                    await bg.start(rn.run)
                    await launch_on(npa, rn, "n0", a0, used)
                    for r, tid in ((rp, "t0"), (rp, "t1"), (rn, "n0")):
                        await r.wait_update(tid, S.TASK_RUNNING)
                    with paused(c.agents[0]):
                        await rp.wait_update("t0", S.TASK_UNREACHABLE)
                        with paused(c.agents[1]):
                            await rp.wait_update("t1", S.TASK_UNREACHABLE)
                            await blocking(wait_for, lambda: unreachable_tasks() == [("t1", a1)], 10.0,
                                           "the older unreachable agent to be pruned")
                            state = await blocking(c.state, 0)
                            assert state["unreachable_slaves"] == 1 and state["slaves"] == []
                            assert await reconciled(pa, rp, "t0", a0) is S.TASK_UNKNOWN
                            assert await reconciled(npa, rn, "n0", a0) is S.TASK_LOST
                            assert await reconciled(pa, rp, "t1", a1) is S.TASK_UNREACHABLE
                    await blocking(c.wait_agents, 2, 15.0)
                    assert await reconciled(pa, rp, "t0", a0) is S.TASK_RUNNING
                    assert await reconciled(npa, rn, "n0", a0) is S.TASK_RUNNING
                    bg.cancel_scope.cancel()

        trio.run(main)
        state = c.state(0)
        assert sorted(s["id"] for s in state["slaves"]) == sorted([a0, a1]) and state["unreachable_slaves"] == 0
