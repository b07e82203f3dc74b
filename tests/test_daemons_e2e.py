"""End to end on real daemons: a framework of ours (Trio scheduler client) launches 100
command tasks over 3 agents; all FINISHED, every update acknowledged, updates in order per
task (the catalog's UpdatesInOrder shape), nothing left on the master."""

from __future__ import annotations

import collections
import gc
import os

import psutil
import pytest
import trio
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallDecline,
    CallKill,
    CallSuppress,
    CallTeardown,
    EventOffers,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.resources import Resources
from mesotron.core.values import (
    Capability,
    CommandInfo,
    Filters,
    FrameworkInfo,
    TaskInfo,
    TaskState,
)
from mesotron.io.wire.scheduler_client import SchedulerClient
from testkit import Cluster, wait_for

# httpx's streaming responses leave inner async generators behind when a stream is cancelled
# (the client going away is how these tests end a subscription); collect them here, inside
# this module's tests, where their finalization noise is expected.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def _collect_streams():
    yield
    gc.collect()

TASK_RES = Resources.parse("cpus:0.1;mem:16")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster(str(tmp_path_factory.mktemp("e2e")), agents=3,
                 resources="cpus:4;mem:4096;disk:1000;ports:[31000-32000]",
                 master_flags=("--allocation-interval", "50ms"),
                 agent_flags=("--no-fsync",)) as c:
        yield c


async def run_framework(master: str, n: int, command: str, *, kill: bool = False,
                        fmt: str = "application/json") -> dict[str, list[TaskState]]:
    info = FrameworkInfo(user="test", name="e2e", capabilities=frozenset({Capability.TASK_KILLING_STATE}))
    pending = [f"t{i:03d}" for i in range(n)]
    seen: dict[str, list[TaskState]] = collections.defaultdict(list)
    done: set[str] = set()
    async with SchedulerClient.connect(master, info, fmt=fmt) as s:
        async for ev in s.events():
            if isinstance(ev, EventOffers):
                for offer in ev.offers:
                    avail = offer.resources.unallocate()
                    tasks = []
                    while pending and avail.contains(TASK_RES):
                        tid = pending.pop()
                        tasks.append(TaskInfo(name=tid, task_id=tid, agent_id=offer.agent_id,
                                              resources=TASK_RES, command=CommandInfo(value=command)))
                        avail = avail - TASK_RES
                    if tasks:
                        assert await s.call(CallAccept(offer_ids=(offer.id,), operations=(OpLaunch(task_infos=tuple(tasks)),),
                                                       filters=Filters(refuse_seconds=0.1))) == 202
                    else:
                        assert await s.call(CallDecline(offer_ids=(offer.id,), filters=Filters(refuse_seconds=30))) == 202
                if not pending:
                    await s.call(CallSuppress())
            elif isinstance(ev, EventUpdate):
                st = ev.status
                seen[st.task_id].append(st.state)
                if st.uuid is not None:
                    assert st.agent_id is not None  # pymesos needs it to acknowledge
                    assert await s.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid)) == 202
                if kill and st.state is TaskState.TASK_RUNNING:
                    assert await s.call(CallKill(task_id=st.task_id, agent_id=st.agent_id)) == 202
                if st.state.is_terminal:
                    done.add(st.task_id)
                    if len(done) == n:
                        assert await s.call(CallTeardown()) == 202
                        break
    return seen


def test_hundred_tasks_over_three_agents(cluster) -> None:
    async def main():
        with trio.fail_after(90):
            return await run_framework(cluster.master_addr, 100, "true")

    seen = trio.run(main)
    assert len(seen) == 100
    for tid, states in seen.items():
        assert states == [TaskState.TASK_STARTING, TaskState.TASK_RUNNING, TaskState.TASK_FINISHED], (tid, states)
    # every agent got work, and the master forgot nothing it should keep
    state = cluster.state()
    completed = state["completed_frameworks"]
    assert completed and len(completed[-1]["completed_tasks"]) == 100
    agents_used = {t["slave_id"] for t in completed[-1]["completed_tasks"]}
    assert len(agents_used) == 3
    wait_for(lambda: all(s["used_resources"]["cpus"] == 0 for s in cluster.state()["slaves"]), 10,
             "resources released")


def test_kill_with_task_killing_state(cluster) -> None:
    async def main():
        with trio.fail_after(60):
            return await run_framework(cluster.master_addr, 3, "sleep 30", kill=True,
                                       fmt="application/x-protobuf")

    seen = trio.run(main)
    for tid, states in seen.items():
        assert states[-1] is TaskState.TASK_KILLED, (tid, states)
        assert TaskState.TASK_KILLING in states


def test_failing_command_is_task_failed(cluster) -> None:
    async def main():
        with trio.fail_after(60):
            return await run_framework(cluster.master_addr, 2, "exit 3")

    seen = trio.run(main)
    for states in seen.values():
        assert states[-1] is TaskState.TASK_FAILED


def test_command_executor_without_zygote(tmp_path) -> None:
    """The fallback path: each command executor a fresh `python -m mesotron.io.daemons.executor`."""
    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms"),
                 agent_flags=("--no-zygote",)) as c:
        async def main():
            with trio.fail_after(60):
                return await run_framework(c.master_addr, 3, "true")

        seen = trio.run(main)
        assert all(s[-1] is TaskState.TASK_FINISHED for s in seen.values()) and len(seen) == 3
        agent = psutil.Process(c.agents[0].proc.pid)
        cmdlines = []
        for p in agent.children():
            try:
                cmdlines.append(p.cmdline())
            except psutil.NoSuchProcess:  # an executor exiting meanwhile
                pass
        assert not any("mesotron.io.containers.zygote" in cmd for cmd in cmdlines)


def test_command_executor_over_http(tmp_path) -> None:
    """Without the agent's driver wire the command executor speaks the v1 HTTP API (SUBSCRIBE
    stream, one POST per UPDATE); by default it uses the driver wire (port kept in
    meta/driver_port for re-subscribing after an agent restart)."""
    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms"),
                 agent_flags=("--no-executor-driver", "--no-fsync")) as c:
        async def main():
            with trio.fail_after(60):
                return await run_framework(c.master_addr, 5, "true")

        seen = trio.run(main)
        assert all(s[-1] is TaskState.TASK_FINISHED for s in seen.values()) and len(seen) == 5
        assert not os.path.exists(os.path.join(c.tmp, "agent0", "meta", "driver_port"))


def test_driver_port_is_kept(cluster) -> None:
    for i in range(3):
        with open(os.path.join(cluster.tmp, f"agent{i}", "meta", "driver_port")) as f:
            assert int(f.read()) > 0


def test_whitelist_file_decides_which_agents_are_offered(tmp_path) -> None:
    """MasterAllocatorTest.Whitelist with real daemons: the master's --whitelist file first
    lists only a dummy host, so the agent registers but nothing is offered; the file is then
    rewritten to list the agent's host and, within the watch interval (5 s), the agent is
    offered."""
    wl = tmp_path / "whitelist.txt"
    wl.write_text("dummy-agent1\n")
    with Cluster(str(tmp_path), agents=1, master_flags=(
            "--allocation-interval", "50ms", "--whitelist", str(wl))) as c:
        host = c.state()["slaves"][0]["hostname"]
        info = FrameworkInfo(user="test", name="whitelist")

        async def main() -> None:
            async with SchedulerClient.connect(c.master_addr, info) as s:
                with trio.move_on_after(1.0):  # whitelisted away: no offer
                    async for ev in s.events():
                        assert not isinstance(ev, EventOffers), ev
                wl.write_text(f"dummy-agent1\n{host}\n")
                with trio.fail_after(20):
                    async for ev in s.events():
                        if isinstance(ev, EventOffers):
                            assert ev.offers[0].hostname == host
                            await s.call(CallTeardown())
                            return

        trio.run(main)
