"""MasterAllocatorTest.FrameworkReregistersFirst / SlaveReregistersFirst with a real master
failover: real daemons, a REAL ZooKeeper, the leader SIGKILLed (issue 5).

After the failover the new leader learns the running task from the re-registering agent
and the framework from its re-subscription, in either order. Whichever comes first, its
allocator must account used + unused exactly: the framework is offered exactly the agent's
total minus what the running task (and its executor) use, never the task's resources, and
/master/state shows the same used/offered resources as the old leader did.

The agent is held back with SIGSTOP (tests/testkit.paused) for the first order; the framework
simply stays away (its client is closed before the failover, it re-subscribes with its id
later) for the second.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
import trio
from mesotron.core.messages import CallAccept, EventOffers, OpLaunch
from mesotron.core.resources import Resources
from mesotron.core.values import CommandInfo, FrameworkInfo, TaskInfo, TaskState
from mesotron.io.wire.scheduler_client import SchedulerClient
from mesotron.io.zk.server import ZkServer
from testkit import (
    EventRecorder,
    HaCluster,
    blocking,
    flat_resources,
    kill_leader,
    paused,
    slave_json,
    wait_for,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

TOTAL = "cpus:4;mem:4096;disk:10000;ports:[31000-32000]"
TASK = Resources.parse("cpus:1;mem:512")
SESSION = 1.5
FAST = ("--allocation-interval", "50ms")
NOTHING = {"cpus": 0.0, "gpus": 0.0, "mem": 0.0, "disk": 0.0}


@pytest.fixture(autouse=True)
def _collect_streams() -> Iterator[None]:
    yield
    gc.collect()


def minus(total: dict[str, Any], used: dict[str, Any]) -> dict[str, Any]:
    """total - used in the flattened /master/state form (used holds no ranges here)."""
    out = {}
    for k, v in total.items():
        u = used.get(k, 0.0)
        assert isinstance(u, float), f"used {k}={u!r}: this test expects scalar usage only"
        out[k] = round(v - u, 3) if isinstance(v, float) else v
    return out


def rounded(d: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in d.items()}


def zero(d: dict[str, Any]) -> bool:
    return all(v == 0.0 for v in d.values())


async def launch_and_run(s: SchedulerClient, rec: EventRecorder) -> tuple[str, dict[str, Any]]:
    """Launch t0 (TASK) on the first offer; wait for TASK_RUNNING. Returns (agent id, the
    offer's resources) — the first offer is the whole agent."""
    ev = rec.events[await rec.wait_for(lambda e: isinstance(e, EventOffers))]
    o = ev.offers[0]
    t = TaskInfo(name="t0", task_id="t0", agent_id=o.agent_id, resources=TASK, command=CommandInfo(value="sleep 300"))
    assert await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=(t,)),))) == 202
    await rec.wait_update("t0", TaskState.TASK_RUNNING)
    return o.agent_id, flat_resources(o.resources)


def books(c: HaCluster, i: int, agent_id: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(total, used, offered) of `agent_id` in master i's /master/state."""
    s = slave_json(c.state(i), agent_id)
    assert s is not None, f"{agent_id} not registered with master {i}"
    return rounded(s["resources"]), rounded(s["used_resources"]), rounded(s["offered_resources"])


def used_settled(c: HaCluster, i: int, agent_id: str) -> Any:
    """Master i's books once no offer of the agent is outstanding (the remainder of the
    launch offer went back to the allocator)."""
    s = slave_json(c.state(i), agent_id)
    return s is not None and zero(s["offered_resources"]) and not zero(s["used_resources"])


def first_offer_after(rec: EventRecorder, since: int, agent_id: str) -> Any:
    async def get() -> Any:
        i = await rec.wait_for(lambda e: isinstance(e, EventOffers) and any(o.agent_id == agent_id for o in e.offers),
                               since)
        return i, next(o for o in rec.events[i].offers if o.agent_id == agent_id)
    return get()


def test_framework_reregisters_first(zk_server: ZkServer, tmp_path: Any) -> None:
    """MasterAllocatorTest.FrameworkReregistersFirst: t0 (cpus:1;mem:512) runs; the agent is
    SIGSTOPped, the leader SIGKILLed; the framework re-subscribes with the new leader (which
    has no registered agent: nothing to offer); then the agent resumes and re-registers. Its
    first offer is exactly total - used as the old leader booked it, and the new leader's
    /master/state shows the same used resources as the old one."""
    zk = zk_server.url("/fw-first")
    with HaCluster(str(tmp_path), zk, masters=2, agents=1, session_timeout=SESSION, resources=TOTAL,
                   master_flags=FAST) as c:
        info = FrameworkInfo(user="t", name="fw-first", failover_timeout=3600.0)

        async def main() -> None:
            with trio.fail_after(45):
                async with SchedulerClient.connect(zk, info, zk_session_timeout=SESSION) as s, \
                        trio.open_nursery() as bg:
                    rec = EventRecorder(s)
                    await bg.start(rec.run)
                    agent_id, whole = await launch_and_run(s, rec)
                    old = await blocking(c.wait_leader)
                    await blocking(wait_for, lambda: used_settled(c, old, agent_id), 20.0, "the old leader's books")
                    total, used, _ = await blocking(books, c, old, agent_id)
                    assert total == rounded(whole) and not zero(used)
                    with paused(c.agents[0]):
                        _, new = await blocking(kill_leader, c)
                        while s.resubscriptions < 1 or s.leader.port != c.masters[new].port:
                            await trio.sleep(0.02)
                        state = await blocking(c.state, new)
                        assert state["slaves"] == [] and [r["id"] for r in state["recovered_slaves"]] == [agent_id]
                        assert [f["id"] for f in state["frameworks"] if f["active"]] == [s.framework_id]
                        mark = len(rec.events)
                    await blocking(c.wait_agents, 1, 30.0, {old})
                    _i, offer = await first_offer_after(rec, mark, agent_id)
                    assert flat_resources(offer.resources) == minus(total, used)
                    assert await blocking(books, c, new, agent_id) == (total, used, minus(total, used))
                    bg.cancel_scope.cancel()

        trio.run(main)


def test_agent_reregisters_first(zk_server: ZkServer, tmp_path: Any) -> None:
    """MasterAllocatorTest.SlaveReregistersFirst: t0 (cpus:1;mem:512) runs; the framework's
    client goes away, the leader is SIGKILLed; the agent re-registers with the new leader
    first, which books t0's resources as used by a not-yet-re-subscribed framework and
    offers nothing. The framework then re-subscribes with its id: its first offer is exactly
    total - used, and /master/state shows the old leader's used resources."""
    zk = zk_server.url("/agent-first")
    with HaCluster(str(tmp_path), zk, masters=2, agents=1, session_timeout=SESSION, resources=TOTAL,
                   master_flags=FAST) as c:
        info = FrameworkInfo(user="t", name="agent-first", failover_timeout=3600.0)
        seen: dict[str, Any] = {}

        async def before() -> None:
            with trio.fail_after(30):
                async with SchedulerClient.connect(zk, info, zk_session_timeout=SESSION) as s, \
                        trio.open_nursery() as bg:
                    rec = EventRecorder(s)
                    await bg.start(rec.run)
                    seen["agent_id"], seen["whole"] = await launch_and_run(s, rec)
                    seen["fid"] = s.framework_id
                    bg.cancel_scope.cancel()

        trio.run(before)
        agent_id, fid = seen["agent_id"], seen["fid"]
        old = c.wait_leader()
        wait_for(lambda: used_settled(c, old, agent_id), 20.0, "the old leader's books")
        total, used, _ = books(c, old, agent_id)
        assert total == rounded(seen["whole"]) and not zero(used)
        _, new = kill_leader(c)
        c.wait_agents(1, 30.0, {old})
        state = c.state(new)
        fws = {f["id"]: f for f in state["frameworks"]}
        assert list(fws) == [fid] and fws[fid]["recovered"] and not fws[fid]["active"]
        assert books(c, new, agent_id) == (total, used, NOTHING)

        async def after() -> None:
            with trio.fail_after(30):
                async with SchedulerClient.connect(zk, FrameworkInfo(user="t", name="agent-first", id=fid,
                                                                     failover_timeout=3600.0),
                                                   zk_session_timeout=SESSION) as s, trio.open_nursery() as bg:
                    rec = EventRecorder(s)
                    await bg.start(rec.run)
                    _i, offer = await first_offer_after(rec, 0, agent_id)
                    assert s.framework_id == fid
                    assert flat_resources(offer.resources) == minus(total, used)
                    assert await blocking(books, c, new, agent_id) == (total, used, minus(total, used))
                    bg.cancel_scope.cancel()

        trio.run(after)
        tasks = [t for f in c.agents[0].get_json("/state")["frameworks"] for e in f["executors"] for t in e["tasks"]]
        assert [(t["id"], t["state"]) for t in tasks] == [("t0", "TASK_RUNNING")]
