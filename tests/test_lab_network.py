"""The lab's relay (io/lab/relay.py): each network mode observable against real daemons in
namespaces (delay and loss as latency through the relay, a reset connection re-dialled, a
status update duplicated or reordered across a reconnection and handled idempotently), and
the partition cases of Mesos's partition_tests.cpp that SIGSTOP could not express, as real
partitions of a lab (messages dropped by the relay, as Mesos's own tests drop them, and
one-way cuts of established connections).

One lab (1 ZooKeeper, 1 master behind a relay, 1 agent) serves the module; every test heals
what it broke and waits for the agent to be back (`healthy`), so a failure leaves the next
test a working cluster, and the lab is torn down (nothing left: namespaces, links, mounts,
processes) even when a test fails. Waits poll with deadlines; "no message" is checked with
a barrier (a later reconciliation answer), never with a sleep.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psutil
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
from mesotron.core.values import (
    Capability,
    CommandInfo,
    ExecutorInfo,
    FrameworkInfo,
    Reason,
    TaskInfo,
    TaskState,
)
from mesotron.io.lab import checker
from mesotron.io.lab.cluster import Lab
from mesotron.io.lab.net import leftovers_of
from mesotron.io.wire.scheduler_client import SchedulerClient
from testkit import EventRecorder, blocking, pymesos_path, wait_for

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]

RES = Resources.parse("cpus:0.1;mem:16")
S = TaskState
PA = (Capability.PARTITION_AWARE,)
M = "master1"
A = "agent1"
# the agent cannot be heard at all: no pongs, no (re-)registration (the partition, one way)
DEAF = ["pong", "register_agent", "reregister_agent"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    lab = Lab(str(tmp_path_factory.mktemp("labnet")), masters=1, agents=1, zk=1, relay=True, relay_seed=7)
    try:
        lab.up(timeout=120)
        yield lab
        # nothing the relay did (duplicates, stale frames, cut streams) crashed a daemon
        for log in sorted(os.listdir(lab.root)):
            if log.endswith(".log") and not log.startswith("zk"):
                with open(os.path.join(lab.root, log), errors="replace") as f:
                    text = f.read()
                assert "Traceback" not in text, (log, text[text.index("Traceback") - 2000:][:5000])
    finally:
        lab.down()
        assert not leftovers_of(lab.id)  # nothing of this lab left behind, pass or fail


@pytest.fixture
def healthy(lab: Lab) -> Iterator[Lab]:
    """Before and after each test: links clear and healed, the master up and leading, the
    agent registered and active."""
    def restore() -> None:
        lab.heal()
        for name in ("zk1", M, A):
            if not lab.running(name):
                lab.start(name)
        lab.relay_call(M, {"cmd": "clear"})
        lab.wait(lambda: lab.active_agents() >= 1, 60, "the agent active")
    restore()
    yield lab
    restore()


def master_state(lab: Lab) -> Any:
    return lab.get(M, "/master/state", timeout=5)


def framework_json(lab: Lab, fid: str) -> Any:
    st = master_state(lab)
    return next(f for f in st["frameworks"] + st.get("completed_frameworks", []) if f["id"] == fid)


@contextlib.asynccontextmanager
async def framework(lab: Lab, name: str, *, pa: bool = False, fid: str | None = None,
                    teardown: bool = True) -> AsyncIterator[tuple[SchedulerClient, EventRecorder]]:
    """A framework on our client, following the leader through ZooKeeper (so it talks to the
    master through its relay, from the harness: the link ("host", master1))."""
    info = FrameworkInfo(user="root", name=name, id=fid, failover_timeout=3600.0, checkpoint=True,
                         capabilities=PA if pa else ())
    async with SchedulerClient.connect(lab.zk_url, info, zk_session_timeout=4.0) as s, \
            trio.open_nursery() as n:
        rec = EventRecorder(s)
        await n.start(rec.run)
        yield s, rec
        if teardown:
            with contextlib.suppress(Exception):
                await s.call(CallTeardown())
        n.cancel_scope.cancel()


async def launch(s: SchedulerClient, rec: EventRecorder, task_id: str, cmd: str | None,
                 executor: ExecutorInfo | None = None) -> str:
    """Launch one task on the next offer (a command, or on a custom executor); its agent id."""
    ev = rec.events[await rec.wait_for(lambda e: isinstance(e, EventOffers))]
    o = ev.offers[0]
    t = TaskInfo(name=task_id, task_id=task_id, agent_id=o.agent_id, resources=RES,
                 command=CommandInfo(value=cmd) if cmd is not None else None, executor=executor)
    assert await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=(t,)),))) == 202
    return o.agent_id


async def reconcile(s: SchedulerClient, rec: EventRecorder, task_id: str, agent_id: str) -> Any:
    first = len(rec.events)
    assert await s.call(CallReconcile(tasks=((task_id, agent_id),))) == 202
    i = await rec.wait_for(lambda e: isinstance(e, EventUpdate) and e.status.task_id == task_id
                           and e.status.reason is Reason.REASON_RECONCILIATION, first)
    return rec.events[i].status


def stats(lab: Lab, peer: str) -> dict[str, Any]:
    return lab.relay_stats(M, peer)["stats"]  # type: ignore[no-any-return]


def history(name: str, fid: str, rec: EventRecorder, launched: dict[str, str]) -> list[dict[str, Any]]:
    """The campaign's history format (io/lab/checker.py) from a recorder's events."""
    h: list[dict[str, Any]] = [{"t": 0.0, "fw": name, "op": "subscribed", "framework_id": fid}]
    h += [{"t": 0.1, "fw": name, "op": "launch", "task": t, "agent": a} for t, a in launched.items()]
    for i, e in enumerate(rec.events):
        # (a barrier's reconciliation answer about a completed task is not a task's state)
        if isinstance(e, EventUpdate) and e.status.reason is not Reason.REASON_RECONCILIATION:
            st = e.status
            h.append({"t": 1.0 + i, "fw": name, "op": "update", "task": st.task_id, "state": st.state.name,
                      "agent": st.agent_id, "uuid": st.uuid.hex() if st.uuid else None})
            if st.uuid:
                h.append({"t": 1.5 + i, "fw": name, "op": "ack", "task": st.task_id, "uuid": st.uuid.hex()})
    return h


# ---------------------------------------------------------------------------------- the modes
def rtt(url: str) -> float:
    t0 = time.monotonic()
    with urllib.request.urlopen(url, timeout=20) as r:
        r.read()
    return time.monotonic() - t0


def test_delay_holds_each_chunk_and_shows_as_latency(healthy: Lab) -> None:
    lab = healthy
    url = f"http://{lab.relay_addr(M)}:5050/health"
    rtt(url)
    before = stats(lab, "host")["chunks_delayed"]
    lab.link_mode("host", M, delay_ms=300)
    try:
        samples = [rtt(url) for _ in range(3)]
    finally:
        lab.link_mode("host", M)
    # the request and the answer are each held 300 ms: no round trip can be shorter
    assert min(samples) >= 0.6, samples
    assert stats(lab, "host")["chunks_delayed"] >= before + 6
    lab.relay_call(M, {"cmd": "stats"})  # cleared: the mode is gone
    assert lab.relay_stats(M, "host")["mode"] == {}


def test_loss_is_a_retransmission_delay_bounded_by_its_budget(healthy: Lab) -> None:
    lab = healthy
    url = f"http://{lab.relay_addr(M)}:5050/health"
    before = stats(lab, "host")["chunks_lost"]
    lab.link_mode("host", M, loss=1.0, rto_ms=400, budget=2)
    try:
        first = rtt(url)  # its request and its answer are "lost" once each: 2 x 400 ms
        rtt(url)  # the budget is spent: nothing more is lost
    finally:
        lab.link_mode("host", M)
    assert first >= 0.8, first
    assert stats(lab, "host")["chunks_lost"] == before + 2


def test_reset_breaks_the_agents_connection_and_it_redials(healthy: Lab) -> None:
    lab = healthy
    before = stats(lab, A)
    r = lab.relay_call(M, {"cmd": "reset", "peer": lab.peer_addr(A)})
    assert r["reset"] >= 1
    wait_for(lambda: stats(lab, A)["connections"] > before["connections"], 30, "the agent re-dialling")
    lab.wait(lambda: lab.active_agents() >= 1, 30, "the agent active again")
    assert stats(lab, A)["resets"] > before["resets"]


@pytest.mark.parametrize("mode", ["duplicate", "reorder"])
def test_an_update_duplicated_or_reordered_across_a_reconnection_is_handled_idempotently(
        healthy: Lab, mode: str) -> None:
    """The agent's first status update is delivered again (duplicate) or withheld (reorder),
    its connection reset, and the frame delivered on the agent's next connection after its
    re-registration: the master sees an old update after newer messages. The task still
    ends once, in order, in the framework's view and the master's; the checker is clean."""
    lab = healthy
    before = stats(lab, A)
    name = f"net-{mode}"

    async def main() -> None:
        with trio.fail_after(60):
            async with framework(lab, name) as (s, rec):
                lab.link_mode(A, M, **{mode: 1.0}, kinds=["status_update_message"], budget=1)
                aid = await launch(s, rec, f"{name}-t", "sleep 1.5")
                await rec.wait_update(f"{name}-t", S.TASK_FINISHED)
                st = stats(lab, A)
                assert st["duplicated" if mode == "duplicate" else "reordered"] == \
                    before["duplicated" if mode == "duplicate" else "reordered"] + 1
                await blocking(wait_for, lambda: stats(lab, A)["injected_on_reconnect"]
                               > before["injected_on_reconnect"], 20, "the old frame delivered")
                assert stats(lab, A)["resets"] > before["resets"]
                fid = s.framework_id
                assert fid is not None
                # a barrier: the reconciliation answer comes after anything the old frame caused
                # (a completed task is unknown to reconciliation: TASK_LOST, as in Mesos)
                await reconcile(s, rec, f"{name}-t", aid)
                states = [u.state for u in rec.updates(f"{name}-t") if u.reason is not Reason.REASON_RECONCILIATION]
                ends = [x for x in states if x.is_terminal]
                assert ends and set(ends) == {S.TASK_FINISHED}, states
                assert not any(not x.is_terminal for x in states[states.index(S.TASK_FINISHED):]), states
                fw = await blocking(framework_json, lab, fid)
                done = {t["id"]: t["state"] for t in fw.get("completed_tasks", []) + fw.get("tasks", [])}
                assert done.get(f"{name}-t") == "TASK_FINISHED", done
                h = history(name, fid, rec, {f"{name}-t": aid})
                h.append({"t": 1e6, "op": "final", "master_tasks": done})
                bad = {k: v for k, v in checker.check(h).items() if v}
                assert not bad, bad

    trio.run(main)


def test_a_stale_update_replayed_after_the_end_changes_nothing(healthy: Lab) -> None:
    """The relay injects, on the agent's live connection, a copy of the last status update
    it carried (the task's TASK_FINISHED, long acknowledged): the master takes it as an
    update of a task it no longer runs; the task stays TASK_FINISHED in the master's books,
    the framework sees no new state, the agent stays registered."""
    lab = healthy
    name = "net-replay"

    async def main() -> None:
        async with framework(lab, name) as (s, rec):
            aid = await launch(s, rec, f"{name}-t", "true")
            await rec.wait_update(f"{name}-t", S.TASK_FINISHED)
            fid = s.framework_id
            await blocking(wait_for, lambda: [t["state"] for t in framework_json(lab, fid)["completed_tasks"]]
                           == ["TASK_FINISHED"], 20, "the task completed in the master's books")
            before = stats(lab, A)["replayed"]
            await blocking(lab.relay_call, M, {"cmd": "replay", "peer": lab.peer_addr(A),
                                               "kind": "status_update_message"})
            assert stats(lab, A)["replayed"] == before + 1
            await reconcile(s, rec, f"{name}-t", aid)  # barrier
            seen = {(u.state, u.uuid) for u in rec.updates(f"{name}-t") if u.reason is not Reason.REASON_RECONCILIATION}
            assert {st for st, _ in seen} <= {S.TASK_STARTING, S.TASK_RUNNING, S.TASK_FINISHED}
            assert len([1 for st, _ in seen if st is S.TASK_FINISHED]) == 1  # at most a copy of the same
            fw = await blocking(framework_json, lab, fid)
            assert [(t["id"], t["state"]) for t in fw["completed_tasks"]] == [(f"{name}-t", "TASK_FINISHED")]
            assert not fw["tasks"]
            assert await blocking(lab.active_agents) == 1

    run(main)


# ---------------------------------------------------------------------------- partition cases
def run(main: Any, limit: float = 60.0) -> None:
    async def bounded() -> None:
        with trio.fail_after(limit):
            await main()
    trio.run(bounded)


def kinds_in(lab: Lab, kind: str) -> int:
    return lab.relay_stats(M, A).get("kinds", {}).get("in", {}).get(kind, 0)  # type: ignore[no-any-return]


def trigger_cmd(lab: Lab, name: str) -> tuple[str, str]:
    """A task that runs until a file appears in its agent's work dir (the harness creates it:
    the task ends TASK_FINISHED exactly when the test says)."""
    path = os.path.join(lab.dir(A), f"end-{name}")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    return f"while [ ! -e {path} ]; do sleep 0.1; done", path


def test_reregister_partitioned_agent_with_enroute_task(healthy: Lab) -> None:
    """PartitionTest.ReregisterPartitionedAgentWithEnrouteTask: the RunTask is lost en route
    (dropped by the relay) to an agent that is then partitioned (its pongs dropped); the
    partition-aware framework hears TASK_UNREACHABLE (REASON_AGENT_REMOVED: Mesos's
    REASON_SLAVE_REMOVED) and the task is among its unreachable tasks; once healed the
    agent re-registers without the task and the master forgets it (no task, no unreachable
    task, no completed task)."""
    lab = healthy
    name = "p-enroute"

    async def main() -> None:
        async with framework(lab, name, pa=True) as (s, rec):
            lab.link_mode(A, M, drop=["run_task", *DEAF])
            aid = await launch(s, rec, f"{name}-t", "sleep 60")
            st = rec.events[await rec.wait_update(f"{name}-t", S.TASK_UNREACHABLE)].status
            assert st.reason is Reason.REASON_AGENT_REMOVED and st.agent_id == aid
            assert [u.state for u in rec.updates(f"{name}-t")] == [S.TASK_UNREACHABLE]
            fid = s.framework_id
            fw = await blocking(framework_json, lab, fid)
            assert [t["id"] for t in fw["unreachable_tasks"]] == [f"{name}-t"]
            assert not fw["tasks"] and not fw["completed_tasks"]
            assert (await blocking(master_state, lab))["unreachable_slaves"] == 1
            lab.link_mode(A, M)  # heal: the agent's re-registration gets through
            await blocking(lab.wait, lambda: lab.active_agents() >= 1, 40, "the agent re-registered")
            await blocking(wait_for, lambda: not framework_json(lab, fid)["unreachable_tasks"], 20,
                           "the unreachable task forgotten")
            fw = await blocking(framework_json, lab, fid)
            assert not fw["tasks"] and not fw["completed_tasks"], fw

    run(main)


@pytest.mark.chaos  # `make chaos` (heavier: `make test` keeps two partition cases)
def test_disconnected_framework(healthy: Lab) -> None:
    """PartitionTest.DisconnectedFramework: a framework's task runs; the master is killed and
    the framework stops while it is down; the restarted master re-admits the agent (the task
    runs on); then the agent is partitioned (no pongs, no re-registration) and marked
    unreachable; a new scheduler instance with the same framework id reconciles the task:
    TASK_LOST (not partition-aware), REASON_RECONCILIATION, with an unreachable time."""
    lab = healthy
    name = "p-disc"
    out: dict[str, str] = {}

    async def first() -> None:
        async with framework(lab, name, teardown=False) as (s, rec):
            out["aid"] = await launch(s, rec, f"{name}-t", "sleep 60")
            await rec.wait_update(f"{name}-t", S.TASK_RUNNING)
            out["fid"] = s.framework_id or ""
            await blocking(lab.kill9, M)  # the master dies; the framework stops meanwhile

    run(first)
    lab.start(M)
    lab.wait(lambda: lab.active_agents() >= 1, 60, "the agent re-registered with the new master")
    assert lab.get(A, "/state")["frameworks"], "the task survived the failover on the agent"
    lab.link_mode(A, M, drop=DEAF)
    lab.wait(lambda: master_state(lab)["unreachable_slaves"] == 1, 40, "the agent marked unreachable")

    async def second() -> None:
        async with framework(lab, name, fid=out["fid"]) as (s, rec):
            assert s.framework_id == out["fid"]
            st = await reconcile(s, rec, f"{name}-t", out["aid"])
            assert st.state is S.TASK_LOST and st.reason is Reason.REASON_RECONCILIATION, st
            assert st.unreachable_time is not None
            m = await blocking(lab.get, M, "/metrics/snapshot")
            assert m["master/tasks_unreachable"] == 0 and m["master/slave_unreachable_completed"] == 1
            lab.link_mode(A, M)  # heal before the teardown, so the agent hears it

    run(second)


# a custom executor (pymesos's executor driver, as in examples/): its task runs until it dies
HOLD_EXECUTOR = """
import time
from pymesos import Executor, MesosExecutorDriver

class Hold(Executor):
    def launchTask(self, driver, task):
        driver.sendStatusUpdate({"task_id": task["task_id"], "state": "TASK_RUNNING",
                                 "timestamp": time.time()})

MesosExecutorDriver(Hold()).run()
"""


@pytest.mark.chaos  # `make chaos` (heavier: `make test` keeps two partition cases)
def test_partitioned_slave_exited_executor(healthy: Lab) -> None:
    """PartitionTest.PartitionedSlaveExitedExecutor: once the master has marked the agent
    unreachable (TASK_LOST to the framework), the executor exits; the agent, which does not
    know it is partitioned, sends its ExitedExecutor (and the task's update): the master
    drops them -- nothing reaches the framework (no failure event, no update; a later
    reconciliation answer is the barrier) -- and does not shut the agent down: it
    re-registers once healed."""
    lab = healthy
    name = "p-exited"
    script = os.path.join(lab.root, "hold_executor.py")
    with open(script, "w") as f:
        f.write(HOLD_EXECUTOR)
    ex = ExecutorInfo(executor_id=f"{name}-ex", resources=RES, command=CommandInfo(
        value=f"PYTHONPATH={pymesos_path()} {sys.executable} {script}"))

    async def main() -> None:
        async with framework(lab, name) as (s, rec):
            aid = await launch(s, rec, f"{name}-t", None, executor=ex)
            await rec.wait_update(f"{name}-t", S.TASK_RUNNING)
            lab.link_mode(A, M, drop=DEAF)
            st = rec.events[await rec.wait_update(f"{name}-t", S.TASK_LOST)].status
            assert st.reason is Reason.REASON_AGENT_REMOVED
            mark = len(rec.events)
            exited = kinds_in(lab, "exited_executor")
            agent = psutil.Process(lab.procs[A].pid)
            execs = [p for p in agent.children(recursive=True) if script in " ".join(p.cmdline())]
            assert execs, [p.cmdline() for p in agent.children(recursive=True)]
            for p in execs:
                p.send_signal(signal.SIGKILL)  # the executor exits
            await blocking(wait_for, lambda: kinds_in(lab, "exited_executor") > exited, 20,
                           "the agent's ExitedExecutor (reaching the master)")
            st = await reconcile(s, rec, f"{name}-t", aid)  # the barrier
            assert st.state is S.TASK_LOST
            later = rec.events[mark:]
            # (the agent's own loss, slaveLost, was told at the partition: not an executor's)
            assert not [e for e in later if isinstance(e, EventFailure) and e.executor_id], later
            assert [e.status.reason for e in later if isinstance(e, EventUpdate)] == \
                [Reason.REASON_RECONCILIATION], later
            assert lab.running(A)  # not shut down
            lab.link_mode(A, M)
            await blocking(lab.wait, lambda: master_state(lab)["unreachable_slaves"] == 0, 40,
                           "the agent re-registered")

    run(main)


@pytest.mark.chaos  # `make chaos` (heavier: `make test` keeps two partition cases)
@pytest.mark.parametrize("pa", [False, True], ids=["not_partition_aware", "partition_aware"])
def test_task_completed_on_partitioned_agent(healthy: Lab, pa: bool) -> None:
    """PartitionTest.TaskCompletedOnPartitionedAgent and
    PartitionTest.PartitionAwareTaskCompletedOnPartitionedAgent: a task finishes while its
    agent is partitioned (marked unreachable: TASK_LOST / TASK_UNREACHABLE); the agent's
    TASK_FINISHED is dropped by the master; once healed the agent re-registers reporting it.
    Not partition-aware: the agent's TASK_FINISHED reaches the scheduler, reconciliation
    answers TASK_LOST. Partition-aware: the master sends TASK_FINISHED (SOURCE_MASTER) at
    the re-registration, reconciliation answers TASK_GONE. (Mesos's master TASK_FINISHED
    carries REASON_SLAVE_REREGISTERED, which our Reason enum lacks: not asserted.)"""
    lab = healthy
    name = "p-done-pa" if pa else "p-done"
    cmd, trigger = trigger_cmd(lab, name)

    async def main() -> None:
        async with framework(lab, name, pa=pa) as (s, rec):
            aid = await launch(s, rec, f"{name}-t", cmd)
            await rec.wait_update(f"{name}-t", S.TASK_RUNNING)
            lab.link_mode(A, M, drop=DEAF)
            gone = S.TASK_UNREACHABLE if pa else S.TASK_LOST
            mark = await rec.wait_update(f"{name}-t", gone)
            updates = kinds_in(lab, "status_update_message")
            await trio.Path(trigger).touch()  # the task ends now, on the partitioned agent
            await blocking(wait_for, lambda: kinds_in(lab, "status_update_message") > updates, 20,
                           "the agent's TASK_FINISHED (dropped by the master)")
            await reconcile(s, rec, f"{name}-t", aid)  # barrier: nothing was forwarded
            assert S.TASK_FINISHED not in [u.state for u in rec.updates(f"{name}-t", mark)]
            lab.link_mode(A, M)  # heal
            i = await rec.wait_update(f"{name}-t", S.TASK_FINISHED, mark)
            first = rec.events[i].status
            if pa:
                assert first.source.name == "SOURCE_MASTER", first
            await blocking(lab.wait, lambda: master_state(lab)["unreachable_slaves"] == 0, 40,
                           "the agent re-registered")
            # the agent's own TASK_FINISHED acknowledged: the master no longer holds the task
            # (until then reconciliation answers its terminal state: UnacknowledgedTerminalTask)
            fid = s.framework_id
            await blocking(wait_for, lambda: f"{name}-t" not in
                           [t["id"] for t in framework_json(lab, fid)["tasks"]], 30, "the end acknowledged")
            st = await reconcile(s, rec, f"{name}-t", aid)
            assert st.state is (S.TASK_GONE if pa else S.TASK_LOST), st

    run(main)


def test_one_way_partition_master_to_scheduler(healthy: Lab) -> None:
    """OneWayPartitionTest.MasterToScheduler: the master -> scheduler direction of the
    framework's event stream breaks (the relay closes the master's side; the scheduler's
    side stays open and silent: it does not know); the master marks the framework
    disconnected, and the scheduler's next call (a new connection: scheduler -> master
    works) is refused with 403 "Framework is not subscribed". (Mesos's driver then aborts;
    our client reports the refusal to its caller and logs it.)"""
    lab = healthy
    name = "p-oneway"

    async def main() -> None:
        async with framework(lab, name) as (s, _rec):
            fid = s.framework_id
            cuts = stats(lab, "host")["cuts"]
            lab.link_mode("host", M, cut="out")
            try:
                await blocking(wait_for, lambda: not framework_json(lab, fid)["connected"], 20,
                               "the master sees the framework disconnected")
                assert stats(lab, "host")["cuts"] > cuts
                assert s.driver.state == "SUBSCRIBED"  # the scheduler does not know
                status = await s.call(CallReconcile(tasks=()))
                assert status == 403
            finally:
                lab.link_mode("host", M)  # the cut stream ends: the client re-subscribes
            await blocking(wait_for, lambda: framework_json(lab, fid)["connected"], 30,
                           "the framework re-subscribed")

    run(main)
