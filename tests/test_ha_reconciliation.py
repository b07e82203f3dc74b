"""ReconciliationTest.RecoveredAgent* with real daemons, a REAL ZooKeeper and a real master
failover (SIGKILL of the leader, the standby takes over) (issue 5).

An agent is held back across the failover by SIGSTOP (tests/testkit.paused): the new leader has
recovered it from the registry in ZooKeeper but it has not re-registered. Mesos then sends
NO update for a task on that agent, neither to explicit nor to implicit reconciliation, until
the agent re-registers; then the true state. Past agent_reregister_timeout the agent is
unreachable and reconciliation answers TASK_UNREACHABLE (partition-aware) / TASK_LOST; when it
comes back, reconciliation answers TASK_RUNNING again.

For RecoveredAgentReregistrationInProgress the new leader's link to ZooKeeper is stalled (a
frozen TCP relay, tests/testkit.TcpProxy) while the agent re-registers, so that its registry
write is in flight when the reconciliation arrives.

"No update" is checked with a barrier, never with a timeout: in the same call (or a later
call on the same stream) a task on a re-registered agent is reconciled too; the master
processes calls and answers tasks in order, so when that answer arrives any answer for the
held-back task would already have arrived.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
import trio
from mesotron.core.messages import (
    CallAccept,
    CallReconcile,
    EventFailure,
    EventOffers,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.resources import Resources
from mesotron.core.values import Capability, CommandInfo, FrameworkInfo, Reason, TaskInfo, TaskState
from mesotron.io.wire.scheduler_client import SchedulerClient
from mesotron.io.zk.server import ZkServer
from testkit import (
    EventRecorder,
    HaCluster,
    TcpProxy,
    blocking,
    kill_leader,
    paused,
    wait_for,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

RES = Resources.parse("cpus:0.1;mem:16")
SESSION = 1.5
FAST = ("--allocation-interval", "50ms")
PA = frozenset({Capability.PARTITION_AWARE})
S = TaskState


@pytest.fixture(autouse=True)
def _collect_streams() -> Iterator[None]:
    yield
    gc.collect()


def agent_ids(c: HaCluster) -> list[str]:
    """Agent ids, in the order of c.agents."""
    return [a.agent_id() for a in c.agents]


async def launch_on(s: SchedulerClient, rec: EventRecorder, agent_id: str, *task_ids: str,
                    used: set[str]) -> None:
    """Launch `task_ids` (sleep 300) on an offer for `agent_id` not used before."""
    def fits(e: Any) -> bool:
        return isinstance(e, EventOffers) and any(o.agent_id == agent_id and o.id not in used for o in e.offers)

    ev = rec.events[await rec.wait_for(fits)]
    o = next(o for o in ev.offers if o.agent_id == agent_id and o.id not in used)
    used.add(o.id)
    ts = tuple(TaskInfo(name=t, task_id=t, agent_id=agent_id, resources=RES, command=CommandInfo(value="sleep 300"))
               for t in task_ids)
    assert await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=ts),))) == 202


async def reconcile(s: SchedulerClient, rec: EventRecorder, tasks: tuple[tuple[str, str | None], ...],
                    barrier: tuple[str, str]) -> tuple[int, int]:
    """Reconcile `tasks`, then reconcile `barrier` (a task on a registered agent) and wait for
    that answer. Returns (first, last) event indexes: events[first:last] hold every answer
    to the `tasks` call."""
    first = len(rec.events)
    assert await s.call(CallReconcile(tasks=tasks)) == 202
    assert await s.call(CallReconcile(tasks=(barrier,))) == 202
    def answer(e: Any) -> bool:
        return (isinstance(e, EventUpdate) and e.status.task_id == barrier[0]
                and e.status.reason is Reason.REASON_RECONCILIATION)

    # the barrier's answer is the LAST reconciliation answer for it since `first`
    # (an implicit call answers it too): wait until two have arrived when `tasks` is empty
    i = await rec.wait_for(answer, first)
    if tasks == () or barrier in tasks:
        i = await rec.wait_for(answer, i + 1)
    return first, i


def answers(rec: EventRecorder, task_id: str, first: int, last: int) -> list[TaskState]:
    return [st.state for st in rec.updates(task_id, first, last) if st.reason is Reason.REASON_RECONCILIATION]


def test_recovered_agent_gets_no_reconciliation_answer_until_it_reregisters(zk_server: ZkServer,
                                                                              tmp_path: Any) -> None:
    """ReconciliationTest.RecoveredAgent (+ implicit): t0 runs on agent A, t1 on agent B. A is
    SIGSTOPped, the leader SIGKILLed; the new leader recovered A from the registry (listed in
    recovered_slaves), B re-registered, the framework re-subscribed. Explicit reconciliation
    of t0 (with A's id) and implicit reconciliation get NO update for t0 (t1 answered
    TASK_RUNNING). A is resumed and re-registers: then t0 is answered TASK_RUNNING, both ways."""
    zk = zk_server.url("/recovered")
    with HaCluster(str(tmp_path), zk, masters=2, agents=2, session_timeout=SESSION, master_flags=FAST) as c:
        a_id, b_id = agent_ids(c)
        info = FrameworkInfo(user="t", name="recovered", failover_timeout=3600.0)

        async def main() -> None:
            with trio.fail_after(60):
                async with SchedulerClient.connect(zk, info, zk_session_timeout=SESSION) as s, \
                        trio.open_nursery() as bg:
                    rec = EventRecorder(s)
                    await bg.start(rec.run)
                    used: set[str] = set()
                    await launch_on(s, rec, a_id, "t0", used=used)
                    await launch_on(s, rec, b_id, "t1", used=used)
                    await rec.wait_update("t0", S.TASK_RUNNING)
                    await rec.wait_update("t1", S.TASK_RUNNING)
                    fid = s.framework_id
                    with paused(c.agents[0]):
                        _old, new = await blocking(kill_leader, c)
                        await blocking(c.wait_agents, 1, 30.0, {_old})
                        state = await blocking(c.state, new)
                        assert [r["id"] for r in state["recovered_slaves"]] == [a_id], state["recovered_slaves"]
                        while s.resubscriptions < 1 or s.leader.port != c.masters[new].port:
                            await trio.sleep(0.02)
                        # explicit: no answer for t0 on the recovered agent
                        first, last = await reconcile(s, rec, (("t0", a_id),), ("t1", b_id))
                        assert answers(rec, "t0", first, last + 1) == []
                        assert answers(rec, "t1", first, last + 1) == [S.TASK_RUNNING]
                        # explicit without an agent id: deferred too while agents are recovering
                        first, last = await reconcile(s, rec, (("t0", None),), ("t1", b_id))
                        assert answers(rec, "t0", first, last + 1) == []
                        # implicit: t1 only
                        first, last = await reconcile(s, rec, (), ("t1", b_id))
                        assert answers(rec, "t0", first, last + 1) == []
                        assert answers(rec, "t1", first, last + 1) == [S.TASK_RUNNING, S.TASK_RUNNING]
                        assert (await blocking(c.state, new))["recovered_slaves"], "A came back while stopped"
                    # A resumes, re-registers with the new leader
                    await blocking(c.wait_agents, 2, 30.0, {_old})
                    first, last = await reconcile(s, rec, (("t0", a_id),), ("t1", b_id))
                    assert answers(rec, "t0", first, last + 1) == [S.TASK_RUNNING]
                    first, last = await reconcile(s, rec, (), ("t1", b_id))
                    assert answers(rec, "t0", first, last + 1) == [S.TASK_RUNNING]
                    assert s.framework_id == fid
                    bg.cancel_scope.cancel()

        trio.run(main)
        tasks = [t for f in c.agents[0].get_json("/state")["frameworks"] for e in f["executors"] for t in e["tasks"]]
        assert [(t["id"], t["state"]) for t in tasks] == [("t0", "TASK_RUNNING")]


def test_recovered_agent_past_reregister_timeout_is_unreachable(zk_server: ZkServer, tmp_path: Any) -> None:
    """ReconciliationTest.RecoveredAgent, timeout half (Mesos MasterTest.UnreachableTaskAfterFailover):
    agent A (tasks of a partition-aware and of a non-partition-aware framework) is SIGSTOPped
    across the failover and misses --agent-reregister-timeout: the new leader marks it
    unreachable, both frameworks get the agent-lost FAILURE, and explicit reconciliation
    answers TASK_UNREACHABLE (partition-aware) / TASK_LOST (not). A is resumed and re-registers:
    both tasks are TASK_RUNNING again (they were never killed)."""
    zk = zk_server.url("/rereg-timeout")
    flags = (*FAST, "--agent-reregister-timeout", "1secs")
    with HaCluster(str(tmp_path), zk, masters=2, agents=2, session_timeout=SESSION, master_flags=flags) as c:
        a_id, b_id = agent_ids(c)

        async def main() -> None:
            with trio.fail_after(60):
                async with SchedulerClient.connect(zk, FrameworkInfo(user="t", name="pa", failover_timeout=3600.0,
                                                                     capabilities=PA),
                                                   zk_session_timeout=SESSION) as pa, \
                        SchedulerClient.connect(zk, FrameworkInfo(user="t", name="npa", failover_timeout=3600.0),
                                                zk_session_timeout=SESSION) as npa, \
                        trio.open_nursery() as bg:
                    rp, rn = EventRecorder(pa), EventRecorder(npa)
                    await bg.start(rp.run)
                    await bg.start(rn.run)
                    await launch_on(pa, rp, a_id, "p0", used=set())
                    await launch_on(pa, rp, b_id, "p1", used=set())
                    await launch_on(npa, rn, a_id, "n0", used=set())
                    await launch_on(npa, rn, b_id, "n1", used=set())
                    for r, t in ((rp, "p0"), (rp, "p1"), (rn, "n0"), (rn, "n1")):
                        await r.wait_update(t, S.TASK_RUNNING)
                    with paused(c.agents[0]):
                        old, new = await blocking(kill_leader, c)
                        for r in (rp, rn):
                            await r.wait_for(lambda e: isinstance(e, EventFailure) and e.agent_id == a_id)
                        state = await blocking(c.state, new)
                        assert state["recovered_slaves"] == [] and state["unreachable_slaves"] == 1
                        first, last = await reconcile(pa, rp, (("p0", a_id),), ("p1", b_id))
                        assert answers(rp, "p0", first, last + 1) == [S.TASK_UNREACHABLE]
                        first, last = await reconcile(npa, rn, (("n0", a_id),), ("n1", b_id))
                        assert answers(rn, "n0", first, last + 1) == [S.TASK_LOST]
                    await blocking(c.wait_agents, 2, 30.0, {old})
                    first, last = await reconcile(pa, rp, (("p0", a_id),), ("p1", b_id))
                    assert answers(rp, "p0", first, last + 1) == [S.TASK_RUNNING]
                    first, last = await reconcile(npa, rn, (("n0", a_id),), ("n1", b_id))
                    assert answers(rn, "n0", first, last + 1) == [S.TASK_RUNNING]
                    bg.cancel_scope.cancel()

        trio.run(main)
        tasks = [t for f in c.agents[0].get_json("/state")["frameworks"] for e in f["executors"] for t in e["tasks"]]
        assert sorted((t["id"], t["state"]) for t in tasks) == [("n0", "TASK_RUNNING"), ("p0", "TASK_RUNNING")]


class StalledMasters(HaCluster):
    """Masters reach ZooKeeper through `proxy` (so their link can be stalled); agents and
    schedulers talk to ZooKeeper directly."""

    proxy_url: str

    def master(self, i: int, port: int | None = None) -> Any:
        d = super().master(i, port)
        d.argv[d.argv.index("--zk") + 1] = self.proxy_url
        return d


def test_reconciliation_while_agent_reregistration_is_in_progress(zk_server: ZkServer, tmp_path: Any) -> None:
    """ReconciliationTest.RecoveredAgentReregistrationInProgress: after the failover the
    held-back agent A re-registers while the new leader's link to ZooKeeper is stalled (a TCP
    relay, tests/testkit.TcpProxy, frozen well within the session timeout): its registry write
    (MarkSlaveReachable) is in flight, A is neither recovered nor registered. Explicit
    reconciliation of t0 on A gets NO answer meanwhile (t1 on B is answered); once the link
    thaws the write commits, A is back, and t0 reconciles TASK_RUNNING."""
    session = 4.0  # the stall (~0.5 s) must stay well under 2/3 of the masters' session
    path = "/in-progress"
    host, port = zk_server.hosts.split(":")
    with TcpProxy(host, int(port)) as proxy:
        c = StalledMasters(str(tmp_path), zk_server.url(path), masters=2, agents=2, session_timeout=session,
                           master_flags=FAST)
        c.proxy_url = f"zk://127.0.0.1:{proxy.port}{path}"
        with c:
            a_id, b_id = agent_ids(c)
            zk = zk_server.url(path)
            info = FrameworkInfo(user="t", name="in-progress", failover_timeout=3600.0)

            def in_progress(i: int) -> bool:
                st = c.state(i)
                return a_id not in [r["id"] for r in st["recovered_slaves"]] and \
                    a_id not in [s["id"] for s in st["slaves"]]

            async def main() -> None:
                with trio.fail_after(60):
                    async with SchedulerClient.connect(zk, info, zk_session_timeout=session) as s, \
                            trio.open_nursery() as bg:
                        rec = EventRecorder(s)
                        await bg.start(rec.run)
                        used: set[str] = set()
                        await launch_on(s, rec, a_id, "t0", used=used)
                        await launch_on(s, rec, b_id, "t1", used=used)
                        await rec.wait_update("t0", S.TASK_RUNNING)
                        await rec.wait_update("t1", S.TASK_RUNNING)
                        with paused(c.agents[0]):
                            old, new = await blocking(kill_leader, c)
                            await blocking(c.wait_agents, 1, 30.0, {old})
                            while s.resubscriptions < 1 or s.leader.port != c.masters[new].port:
                                await trio.sleep(0.02)
                            proxy.freeze()
                        try:
                            await blocking(wait_for, lambda: in_progress(new), 5.0, "A's re-registration to start")
                            first, last = await reconcile(s, rec, (("t0", a_id),), ("t1", b_id))
                            assert answers(rec, "t0", first, last + 1) == []
                            assert in_progress(new)  # the answer was deferred, not raced past the write
                        finally:
                            proxy.thaw()
                        await blocking(c.wait_agents, 2, 30.0, {old})
                        first, last = await reconcile(s, rec, (("t0", a_id),), ("t1", b_id))
                        assert answers(rec, "t0", first, last + 1) == [S.TASK_RUNNING]
                        assert await blocking(c.leader_index) == new
                        bg.cancel_scope.cancel()

            trio.run(main)
