"""Master failover with real daemons and a REAL ZooKeeper (docs/ha.md, issue 5).

Masters (`mesotron master --zk zk://.../mesos`), agents (`--master zk://...`) are separate
processes (tests/testkit.HaCluster); our Trio scheduler client follows `zk://` in-process.
ZooKeeper is a private server on a free loopback port (io/zk/server.py), stopped by its PID.
Every scenario runs under an absolute deadline; waits poll with deadlines.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import trio
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallDecline,
    EventOffers,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.resources import Resources
from mesotron.core.values import CommandInfo, Filters, FrameworkInfo, TaskInfo, TaskState
from mesotron.io.daemons.master import read_zk_session
from mesotron.io.wire.scheduler_client import SchedulerClient
from mesotron.io.zk.bridge import expire_session, open_zk
from mesotron.io.zk.election import leader_child
from mesotron.io.zk.registry import decode_registry
from mesotron.io.zk.server import ZkServer, running_zookeeper, zookeeper_available
from testkit import HaCluster, blocking

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

RES = Resources.parse("cpus:0.1;mem:16")
FAST = ("--allocation-interval", "50ms")


@pytest.fixture(autouse=True)
def _collect_streams() -> Iterator[None]:
    yield
    gc.collect()


def url(server: ZkServer, name: str) -> str:
    return server.url(f"/{name}")  # one group per test: no interference


async def launch_one(s: SchedulerClient, cmd: str, also: tuple[tuple[str, str], ...] = ()) -> TaskInfo:
    """Launch task t0 running `cmd` (and (task_id, cmd) pairs `also`) on the first offer."""
    async for ev in s.events():
        if isinstance(ev, EventOffers):
            o = ev.offers[0]
            ts = tuple(TaskInfo(name=tid, task_id=tid, agent_id=o.agent_id, resources=RES,
                                command=CommandInfo(value=c)) for tid, c in (("t0", cmd), *also))
            await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=ts),)))
            for other in ev.offers[1:]:
                await s.call(CallDecline(offer_ids=(other.id,), filters=Filters(refuse_seconds=60)))
            return ts[0]
    raise AssertionError("stream ended")


async def until_state(s: SchedulerClient, task_id: str, state: TaskState, *more: str) -> None:
    """Acknowledge updates until `task_id` (and every task in `more`) reached `state`."""
    waiting = {task_id, *more}
    async for ev in s.events():
        if isinstance(ev, EventUpdate):
            st = ev.status
            if st.uuid:
                await s.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid))
            if st.state is state:
                waiting.discard(st.task_id)
                if not waiting:
                    return
            assert not st.state.is_terminal, st


async def until_running(s: SchedulerClient, task_id: str) -> None:
    await until_state(s, task_id, TaskState.TASK_RUNNING)


def task_state_on(c: HaCluster, i: int, task_id: str) -> str | None:
    for f in c.masters[i].get_json("/master/state").get("frameworks", []):
        for t in f.get("tasks", []):
            if t.get("id") == task_id:
                return t.get("state")
    return None


def frameworks_on(c: HaCluster, i: int) -> list[str]:
    return [f["id"] for f in c.masters[i].get_json("/master/state").get("frameworks", []) if f.get("active", True)]


def log_of(d: Any) -> str:
    with open(d.log_path) as f:
        return f.read()


def test_sigkill_leader_standby_leads_agents_and_framework_follow(zk_server: ZkServer, tmp_path: Any) -> None:
    """FaultToleranceTest.MasterFailover: the leader is SIGKILLed; after the session
    timeout a standby leads, both agents re-register, the framework re-subscribes with the
    same id and its running task keeps running (same executor process); a task that
    finished while no master led (its update unacknowledged at the crash) reaches the
    scheduler through the new leader."""
    zk = url(zk_server, "failover")
    with HaCluster(str(tmp_path), zk, masters=3, agents=2, session_timeout=1.5, master_flags=FAST) as c:
        info = FrameworkInfo(user="t", name="ha", failover_timeout=3600.0)

        async def main() -> tuple[str, float]:
            with trio.fail_after(60):
                async with SchedulerClient.connect(zk, info, zk_session_timeout=1.5) as s:
                    gate = tmp_path / "go"
                    gated = f"while [ ! -e {gate} ]; do sleep 0.02; done"
                    t = await launch_one(s, "sleep 300", also=(("gated", gated),))
                    await until_state(s, t.task_id, TaskState.TASK_RUNNING, "gated")
                    fid = s.framework_id
                    old = await blocking(c.leader_index)
                    t0 = time.monotonic()
                    c.masters[old].kill9()
                    gate.write_text("")  # "gated" finishes while no master leads
                    new = await blocking(c.wait_agents, 2, 30.0, {old})
                    agents_back = time.monotonic() - t0
                    while s.resubscriptions < 1 or fid not in await blocking(frameworks_on, c, new):
                        await trio.sleep(0.02)
                    assert s.framework_id == fid
                    assert c.masters[new].port == s.leader.port
                    state = await blocking(task_state_on, c, new, t.task_id)
                    assert state == "TASK_RUNNING", state
                    t1 = time.monotonic()
                    await until_state(s, "gated", TaskState.TASK_FINISHED)
                    print(f"\nTASK_FINISHED of 'gated' reached the scheduler {time.monotonic() - t1:.2f}s "
                          "after the re-subscription")
                    return fid, agents_back

        _fid, agents_back = trio.run(main)
        print(f"\nSIGKILL -> 2 agents re-registered with the new leader in {agents_back:.2f}s (1.5 s sessions)")
        # the task's executor survived the failover: the agent still runs it
        agent_state = c.agents[0].get_json("/state")
        running = [t for f in agent_state.get("frameworks", []) for e in f.get("executors", [])
                   for t in e.get("tasks", [])] + \
                  [t for f in c.agents[1].get_json("/state").get("frameworks", []) for e in f.get("executors", [])
                   for t in e.get("tasks", [])]
        assert [t["state"] for t in running if t["id"] == "t0"] == ["TASK_RUNNING"], running
        assert all(t["state"] == "TASK_FINISHED" for t in running if t["id"] == "gated"), running


def test_expired_session_leader_exits_and_standby_leads(zk_server: ZkServer, tmp_path: Any) -> None:
    """FaultToleranceTest.SplitBrainMasters: the leader's session is expired while its process lives; it
    notices, stops leading and exits non-zero; the standby leads and the agent follows."""
    zk = url(zk_server, "splitbrain")
    with HaCluster(str(tmp_path), zk, masters=2, agents=1, session_timeout=5.0) as c:
        old = c.wait_leader()
        hosts, client_id = read_zk_session(os.path.join(c.tmp, f"master{old}"))

        async def expire() -> None:
            with trio.fail_after(20):
                await expire_session(hosts, client_id)

        trio.run(expire)
        t0 = time.monotonic()
        proc = c.masters[old].proc
        assert proc is not None
        code = proc.wait(20)
        noticed = time.monotonic() - t0
        assert code == 1
        assert "lost ZooKeeper membership" in log_of(c.masters[old])
        new = c.wait_agents(1, 30.0, {old})
        assert new != old
        print(f"\nexpired leader exited after {noticed:.2f}s")


def test_fenced_registry_write_makes_leader_abdicate(zk_server: ZkServer, tmp_path: Any) -> None:
    """A leader whose registry moved on under it (as a successor's recovery does) cannot
    commit: its next write (admitting an agent) is refused by the version check, the master
    abdicates and exits non-zero, the standby takes over and admits the agent."""
    zk = url(zk_server, "fenced")
    with HaCluster(str(tmp_path), zk, masters=2, agents=0, session_timeout=5.0) as c:
        old = c.wait_leader()

        async def bump() -> int:
            with trio.fail_after(20):
                async with open_zk(zk_server.hosts) as client:
                    data, stat = await client.get("/fenced-registry")
                    await client.set("/fenced-registry", data, version=stat.version)
                    return stat.version + 1

        bumped = trio.run(bump)
        c.agents = [c.agent(0).start()]
        proc = c.masters[old].proc
        assert proc is not None
        assert proc.wait(20) == 1
        assert "abdicated" in log_of(c.masters[old]) and "fenced" in log_of(c.masters[old])
        new = c.wait_agents(1, 30.0, {old})
        assert new != old

        async def read() -> tuple[Any, int, list[str]]:
            with trio.fail_after(20):
                async with open_zk(zk_server.hosts) as client:
                    data, stat = await client.get("/fenced-registry")
                    return decode_registry(data), stat.version, await client.get_children("/fenced")

        reg, version, children = trio.run(read)
        assert version > bumped  # the successor recovered (fencing write) and admitted the agent
        assert len(reg.admitted) == 1
        assert leader_child(children) is not None


def test_zookeeper_down_briefly_kills_no_task(tmp_path: Any) -> None:
    """SpuriousSlaveReregistration-like: ZooKeeper dies for 1 s and comes back (same data
    dir) well within the session timeout: the leader keeps leading, no task is killed."""
    reason = zookeeper_available()
    if reason is not None:
        pytest.skip(reason)
    with running_zookeeper() as server:
        zk = server.url("/mesos")
        session = 6.0  # ZooKeeper down 1 s + its restart (up to ~1.5 s under load) + reconnection
        with HaCluster(str(tmp_path), zk, masters=2, agents=1, session_timeout=session, master_flags=FAST) as c:
            info = FrameworkInfo(user="t", name="zkdown", failover_timeout=3600.0)

            async def main() -> tuple[int, str]:
                with trio.fail_after(45):
                    async with SchedulerClient.connect(zk, info, zk_session_timeout=session) as s:
                        t = await launch_one(s, "sleep 300")
                        await until_running(s, t.task_id)
                        leader = await blocking(c.leader_index)
                        down_at = time.monotonic()
                        server.kill()
                        await trio.sleep(1.0)  # the fault: ZooKeeper stays down for 1 s
                        await blocking(server.start)
                        # past the point where a lost session would have expired
                        await trio.sleep_until(trio.current_time() + max(0.0, down_at + session + 1.0 - time.monotonic()))
                        assert await blocking(c.leader_index) == leader
                        assert s.resubscriptions == 0
                        return leader, t.task_id

            leader, task_id = trio.run(main)
            assert task_state_on(c, leader, task_id) == "TASK_RUNNING"
            for m in c.masters:
                assert m.proc is not None and m.proc.poll() is None, log_of(m)[-2000:]
            tasks = [t for f in c.agents[0].get_json("/state").get("frameworks", []) for e in f.get("executors", [])
                     for t in e.get("tasks", [])]
            assert [t["state"] for t in tasks] == ["TASK_RUNNING"]


def test_agent_session_expiry_reregisters_and_keeps_tasks(zk_server: ZkServer, tmp_path: Any) -> None:
    """FaultToleranceTest.SlaveReregisterOnZKExpiration: the agent's own ZooKeeper session expires; it sees no
    leader, then the same leader again, and re-registers with the same id; its task keeps
    running and nobody re-subscribes."""
    zk = url(zk_server, "agentexpiry")
    with HaCluster(str(tmp_path), zk, masters=2, agents=1, session_timeout=5.0, master_flags=FAST) as c:
        info = FrameworkInfo(user="t", name="agentexpiry", failover_timeout=3600.0)

        def reregistrations() -> int:
            return log_of(c.agents[0]).count("agent.reregistered")

        async def main() -> str:
            with trio.fail_after(45):
                async with SchedulerClient.connect(zk, info, zk_session_timeout=5.0) as s:
                    t = await launch_one(s, "sleep 300")
                    await until_running(s, t.task_id)
                    leader = await blocking(c.leader_index)
                    agent_id = (await blocking(c.masters[leader].get_json, "/master/state"))["slaves"][0]["id"]
                    before = reregistrations()
                    hosts, client_id = read_zk_session(os.path.join(c.tmp, "agent0"))
                    await expire_session(hosts, client_id)
                    while reregistrations() <= before:
                        await trio.sleep(0.02)
                    await blocking(c.wait_agents, 1, 20.0)
                    state = await blocking(c.masters[leader].get_json, "/master/state")
                    assert [a["id"] for a in state["slaves"]] == [agent_id]
                    assert await blocking(c.leader_index) == leader
                    assert s.resubscriptions == 0
                    return t.task_id

        task_id = trio.run(main)
        assert task_state_on(c, c.wait_leader(), task_id) == "TASK_RUNNING"
        assert "agent.no_master" in log_of(c.agents[0])
