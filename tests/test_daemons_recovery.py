"""Agent `kill -9` + restart with running tasks (--recover reconnect): the executors keep
running and re-subscribe, the agent re-registers with its tasks, nothing is killed, and every
update reaches the scheduler, in order, once (catalog: NoLostAckedWork, UpdatesInOrder,
RecoveryKeepsTasks)."""

from __future__ import annotations

import gc
import os

import attrs
import psutil
import trio
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallDecline,
    CallKill,
    CallSuppress,
    CallTeardown,
    EventError,
    EventFailure,
    EventOffers,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.resources import Resources
from mesotron.core.values import CommandInfo, Filters, FrameworkInfo, TaskInfo, TaskState
from mesotron.io.wire.scheduler_client import SchedulerClient
from testkit import Cluster, kill_executors, wait_for

N = 5
RES = Resources.parse("cpus:0.1;mem:16")


def executor_pids(work_dir: str) -> set[int]:
    d = os.path.join(work_dir, "meta", "containers")
    out = set()
    for name in os.listdir(d):
        with open(os.path.join(d, name)) as f:
            out.add(int(f.read().split(" ", 1)[0]))
    return out


def task_pids(executors: set[int]) -> set[int]:
    """The task processes of these executors (one command executor runs all of a framework's
    command tasks, each `sh -c` in its own process group)."""
    out = set()
    for p in executors:
        try:
            out |= {c.pid for c in psutil.Process(p).children()}
        except psutil.NoSuchProcess:
            pass
    return out


import pytest

# httpx's streaming responses leave inner async generators behind when a stream is cancelled
# (the client going away is how these tests end a subscription); collect them here, inside
# this module's tests, where their finalization noise is expected.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def _collect_streams():
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def _kill_leftover_tasks(tmp_path):
    """Task processes whose executor was SIGKILLed (a simulated reboot, a test that failed
    half-way) outlive it in their own process groups: kill those that run in this test's
    sandboxes, and only those."""
    yield
    root = str(tmp_path)
    for p in psutil.process_iter(["pid"]):
        try:
            if p.cwd().startswith(root):
                p.kill()
        except (psutil.Error, OSError):
            pass


@pytest.mark.parametrize("ack_running_before_restart", [True, False], ids=["acked", "unacked"])
def test_agent_kill9_restart_keeps_tasks(tmp_path, ack_running_before_restart) -> None:
    flag = tmp_path / "go"
    cmd = f"while [ ! -f {flag} ]; do sleep 0.05; done; echo done"
    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms")) as c:
        seen: dict[str, list[TaskState]] = {}
        info = FrameworkInfo(user="test", name="recovery", checkpoint=True, failover_timeout=60.0)

        async def main() -> None:
            with trio.fail_after(60):
                async with SchedulerClient.connect(c.master_addr, info) as s:
                    pending = [f"r{i}" for i in range(N)]
                    running = 0
                    restarted = False
                    finished = 0
                    held = []
                    async for ev in s.events():
                        if isinstance(ev, EventOffers):
                            for o in ev.offers:
                                if pending:
                                    tasks = tuple(TaskInfo(name=t, task_id=t, agent_id=o.agent_id, resources=RES,
                                                           command=CommandInfo(value=cmd)) for t in pending)
                                    pending = []
                                    await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tasks),)))
                                else:
                                    await s.call(CallDecline(offer_ids=(o.id,), filters=Filters(refuse_seconds=60)))
                            await s.call(CallSuppress())
                        elif isinstance(ev, EventUpdate):
                            st = ev.status
                            seen.setdefault(st.task_id, []).append(st.state)
                            hold = (st.state is TaskState.TASK_RUNNING and not restarted
                                    and not ack_running_before_restart)
                            if st.uuid is not None:
                                if hold:
                                    held.append(st)
                                else:
                                    await s.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid))
                            if st.state is TaskState.TASK_RUNNING:
                                running += 1
                            if running == N and not restarted:
                                restarted = True
                                await trio.to_thread.run_sync(restart_agent)
                                for h in held:  # acks of updates sent before the restart
                                    await s.call(CallAcknowledge(agent_id=h.agent_id, task_id=h.task_id, uuid=h.uuid))
                                flag.write_text("go")
                            if st.state.is_terminal:
                                finished += 1
                                if finished == N:
                                    await s.call(CallTeardown())
                                    return

        def restart_agent() -> None:
            agent = c.agents[0]
            wd = os.path.join(c.tmp, "agent0")
            # one command executor runs the framework's N command tasks
            wait_for(lambda: len(executor_pids(wd)) == 1, 10, "executor pid files")
            before = executor_pids(wd)
            tasks_before = wait_for(lambda: task_pids(before) if len(task_pids(before)) == N else None,
                                    10, "task processes")
            agent.kill9()
            assert all(psutil.pid_exists(p) for p in before)  # executors outlive the agent
            agent.start()
            # re-registered with its tasks, all still running, same executor processes
            wait_for(lambda: [s for s in c.state()["slaves"] if s.get("active")], 20, "agent re-registered")
            wait_for(lambda: executor_pids(wd) == before, 10, "executors re-adopted")
            assert task_pids(before) == tasks_before  # the same task processes, still running
            state = c.state()
            tasks = [t for f in state["frameworks"] for t in f["tasks"]]
            assert len(tasks) == N and all(t["state"] == "TASK_RUNNING" for t in tasks), tasks

        trio.run(main)
        assert len(seen) == N
        for tid, states in seen.items():
            distinct = [x for i, x in enumerate(states) if i == 0 or states[i - 1] is not x]
            # in order; an update whose acknowledgement had not reached the agent's disk when it
            # was killed (202 from the master does not wait for that) is delivered again
            assert distinct == [TaskState.TASK_STARTING, TaskState.TASK_RUNNING, TaskState.TASK_FINISHED], (tid, states)
            assert len(states) <= 4, (tid, states)


def test_agent_kill9_restart_cleanup_kills_and_reports(tmp_path) -> None:
    """--recover cleanup: the old executors are killed, the agent comes back as a new agent,
    and the scheduler hears about every task (terminal, from the master or the agent)."""
    cmd = "sleep 60"
    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms")) as c:
        info = FrameworkInfo(user="test", name="cleanup", checkpoint=True, failover_timeout=60.0)
        wd = os.path.join(c.tmp, "agent0")
        final: dict[str, TaskState] = {}

        async def main() -> None:
            with trio.fail_after(60):
                async with SchedulerClient.connect(c.master_addr, info) as s:
                    launched = False
                    running = 0
                    async for ev in s.events():
                        if isinstance(ev, EventOffers):
                            if not launched:
                                launched = True
                                o = ev.offers[0]
                                tasks = tuple(TaskInfo(name=f"c{i}", task_id=f"c{i}", agent_id=o.agent_id, resources=RES,
                                                       command=CommandInfo(value=cmd)) for i in range(3))
                                await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tasks),)))
                            await s.call(CallSuppress())
                        elif isinstance(ev, EventUpdate):
                            st = ev.status
                            if st.uuid is not None:
                                await s.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid))
                            if st.state is TaskState.TASK_RUNNING:
                                running += 1
                                if running == 3:
                                    await trio.to_thread.run_sync(restart)
                            if st.state.is_terminal:
                                final[st.task_id] = st.state
                                if len(final) == 3:
                                    await s.call(CallTeardown())
                                    return

        def restart() -> None:
            execs = wait_for(lambda: executor_pids(wd) if len(executor_pids(wd)) == 1 else None, 10, "pids")
            before = execs | wait_for(lambda: task_pids(execs) if len(task_pids(execs)) == 3 else None,
                                      10, "task pids")
            c.agents[0].kill9()
            c.agents[0] = c.agent(0, port=c.agents[0].port)
            c.agents[0].argv += ["--recover", "cleanup"]
            c.agents[0].start()
            wait_for(lambda: not any(psutil.pid_exists(p) for p in before), 10, "old executors killed")

        trio.run(main)
        assert set(final) == {"c0", "c1", "c2"}
        assert all(s.is_terminal for s in final.values()), final


def test_agent_down_longer_than_executor_reregistration_timeout_keeps_tasks(tmp_path) -> None:
    """Issue 11 §1 and §3: kill -9 the agent (--recover reconnect) with 6 running tasks of a
    checkpointing framework, keep it down 4 s (twice --executor-reregistration-timeout; the
    sleep IS the fault, not synchronisation), restart it: every executor re-subscribes in
    the window (none crashes on the connection reset), every task is still RUNNING, then
    FINISHED; no TASK_LOST / TASK_FAILED."""
    n = 6
    flag = tmp_path / "go"
    cmd = f"while [ ! -f {flag} ]; do sleep 0.05; done"
    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms"),
                 agent_flags=("--recover", "reconnect")) as c:
        wd = os.path.join(c.tmp, "agent0")
        states: dict[str, list[TaskState]] = {}
        info = FrameworkInfo(user="test", name="down", checkpoint=True, failover_timeout=60.0)

        def down_and_back() -> None:
            execs = wait_for(lambda: executor_pids(wd) or None, 10, "executor pid files")
            tasks = wait_for(lambda: task_pids(execs) if len(task_pids(execs)) == n else None,
                             10, "task processes")
            c.agents[0].kill9()
            import time
            time.sleep(4.0)
            c.agents[0].start()
            wait_for(lambda: [s for s in c.state()["slaves"] if s.get("active")], 20,
                     "agent re-registered")
            assert all(psutil.pid_exists(p) for p in execs | tasks)
            state = c.state()
            running = [t["state"] for f in state["frameworks"] for t in f["tasks"]]
            assert running == ["TASK_RUNNING"] * n, running
            with open(os.path.join(c.tmp, "agent0.log")) as f:
                assert "reregistration_timeout" not in f.read()

        async def main() -> None:
            with trio.fail_after(60):
                async with SchedulerClient.connect(c.master_addr, info) as s:
                    launched, running, finished = False, 0, 0
                    async for ev in s.events():
                        if isinstance(ev, EventOffers):
                            if not launched:
                                launched = True
                                o = ev.offers[0]
                                tasks = tuple(TaskInfo(name=f"d{i}", task_id=f"d{i}", agent_id=o.agent_id,
                                                       resources=RES, command=CommandInfo(value=cmd))
                                              for i in range(n))
                                await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tasks),)))
                            await s.call(CallSuppress())
                        elif isinstance(ev, EventUpdate):
                            st = ev.status
                            states.setdefault(st.task_id, []).append(st.state)
                            if st.uuid is not None:
                                await s.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid))
                            if st.state is TaskState.TASK_RUNNING:
                                running += 1
                                if running == n:
                                    await trio.to_thread.run_sync(down_and_back)
                                    flag.write_text("go")
                            if st.state.is_terminal:
                                finished += 1
                                if finished == n:
                                    await s.call(CallTeardown())
                                    return

        trio.run(main)
        assert len(states) == n
        for tid, seq in states.items():
            assert seq[-1] is TaskState.TASK_FINISHED, (tid, seq)
            assert not {TaskState.TASK_LOST, TaskState.TASK_FAILED} & set(seq), (tid, seq)


def test_scheduler_fails_over_while_the_agent_is_down(tmp_path) -> None:
    """SlaveRecoveryTest.SchedulerFailover: a checkpointing framework runs a long task; the
    agent is killed (-9); while it is down a second scheduler instance takes the framework
    over (the first is told "Framework failed over"); the agent restarts, recovers the task
    and re-registers; the NEW scheduler kills the task (TASK_KILLED reaches it) and then is
    offered all of the agent's resources again."""
    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms")) as c:
        info = FrameworkInfo(user="test", name="sched-failover", checkpoint=True,
                             failover_timeout=60.0)

        async def main() -> None:
            with trio.fail_after(60):
                async with SchedulerClient.connect(c.master_addr, info) as s1:
                    offer = None
                    async for ev in s1.events():
                        if isinstance(ev, EventOffers) and offer is None:
                            offer = ev.offers[0]
                            t = TaskInfo(name="long", task_id="long", agent_id=offer.agent_id,
                                         resources=RES, command=CommandInfo(value="sleep 1000"))
                            await s1.call(CallAccept(offer_ids=(offer.id,),
                                                     operations=(OpLaunch(task_infos=(t,)),)))
                        elif isinstance(ev, EventUpdate):
                            if ev.status.uuid is not None:
                                await s1.call(CallAcknowledge(agent_id=ev.status.agent_id,
                                                              task_id="long", uuid=ev.status.uuid))
                            if ev.status.state is TaskState.TASK_RUNNING:
                                break
                    assert offer is not None
                    fid = s1.framework_id
                    # (an ack that did not reach the agent's disk before the kill only means
                    # RUNNING is delivered again, to the new instance, which acks it)
                    await trio.to_thread.run_sync(c.agents[0].kill9)
                    info2 = attrs.evolve(info, id=fid)
                    async with SchedulerClient.connect(c.master_addr, info2) as s2:
                        err = await s1.next_event()
                        while not isinstance(err, EventError):
                            err = await s1.next_event()
                        assert err.message == "Framework failed over"
                        await trio.to_thread.run_sync(c.agents[0].start)
                        await trio.to_thread.run_sync(lambda: wait_for(
                            lambda: [a for a in c.state()["slaves"] if a.get("active")], 20,
                            "agent re-registered"))
                        await s2.call(CallKill(task_id="long", agent_id=offer.agent_id))
                        killed = False
                        async for ev in s2.events():
                            if isinstance(ev, EventUpdate) and ev.status.task_id == "long":
                                if ev.status.uuid is not None:
                                    await s2.call(CallAcknowledge(agent_id=ev.status.agent_id,
                                                                  task_id="long", uuid=ev.status.uuid))
                                killed = killed or ev.status.state is TaskState.TASK_KILLED
                            elif isinstance(ev, EventOffers):
                                o = ev.offers[0]
                                if killed and o.resources.unallocate() == offer.resources.unallocate():
                                    # all of the agent's resources are offered again
                                    await s2.call(CallTeardown())
                                    return
                                # (a part: declined briefly, it comes back merged)
                                await s2.call(CallDecline(offer_ids=(o.id,),
                                                          filters=Filters(refuse_seconds=0.1)))

        trio.run(main)


def test_two_agents_on_one_host_both_recover_their_tasks(tmp_path) -> None:
    """SlaveRecoveryTest.MultipleSlaves: two agents on the same host (their own work dirs and
    ports) each run a long task of a checkpointing framework; both are killed (-9) and
    restarted; both re-register with their task still running, and the framework then kills
    each task and gets TASK_KILLED for both."""
    with Cluster(str(tmp_path), agents=2, master_flags=("--allocation-interval", "50ms")) as c:
        info = FrameworkInfo(user="test", name="multiple-agents", checkpoint=True,
                             failover_timeout=60.0)

        async def main() -> None:
            with trio.fail_after(60):
                async with SchedulerClient.connect(c.master_addr, info) as s:
                    launched: dict[str, str] = {}  # agent id -> task id
                    running: set[str] = set()
                    restarted = False
                    killed: set[str] = set()
                    async for ev in s.events():
                        if isinstance(ev, EventOffers):
                            for o in ev.offers:
                                if o.agent_id in launched or len(launched) == 2:
                                    await s.call(CallDecline(offer_ids=(o.id,),
                                                             filters=Filters(refuse_seconds=60)))
                                    continue
                                tid = f"t{len(launched)}"
                                launched[o.agent_id] = tid
                                t = TaskInfo(name=tid, task_id=tid, agent_id=o.agent_id, resources=RES,
                                             command=CommandInfo(value="sleep 1000"))
                                await s.call(CallAccept(offer_ids=(o.id,),
                                                        operations=(OpLaunch(task_infos=(t,)),)))
                        elif isinstance(ev, EventUpdate):
                            st = ev.status
                            if st.uuid is not None:
                                await s.call(CallAcknowledge(agent_id=st.agent_id,
                                                             task_id=st.task_id, uuid=st.uuid))
                            if st.state is TaskState.TASK_RUNNING:
                                running.add(st.task_id)
                            if st.state is TaskState.TASK_KILLED:
                                killed.add(st.task_id)
                                if killed == {"t0", "t1"}:
                                    await s.call(CallTeardown())
                                    return
                            if running == {"t0", "t1"} and not restarted:
                                restarted = True
                                await trio.to_thread.run_sync(restart_both)
                                for aid, tid in sorted(launched.items()):
                                    await s.call(CallKill(task_id=tid, agent_id=aid))

        def restart_both() -> None:
            for a in c.agents:
                a.kill9()
            for a in c.agents:
                a.start()
            # both back, each with its task still running
            wait_for(lambda: len([a for a in c.state()["slaves"] if a.get("active")]) == 2, 20,
                     "both agents re-registered")
            tasks = [t for f in c.state()["frameworks"] for t in f["tasks"]]
            assert sorted((t["id"], t["state"]) for t in tasks) == [
                ("t0", "TASK_RUNNING"), ("t1", "TASK_RUNNING")], tasks
            assert len({t["slave_id"] for t in tasks}) == 2

        trio.run(main)


def test_sigusr1_shuts_the_agent_down_and_it_comes_back_as_a_new_agent(tmp_path) -> None:
    """SlaveRecoveryTest.ShutdownSlaveSIGUSR1 (and ShutdownSlave's restart): SIGUSR1 makes the
    agent unregister, kill its executors and exit; the master tells the framework TASK_LOST
    (SOURCE_MASTER, REASON_AGENT_REMOVED) and that the agent is lost; restarted, the agent
    registers under a NEW id and all its resources are offered again."""
    import signal

    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms")) as c:
        info = FrameworkInfo(user="test", name="sigusr1", checkpoint=True, failover_timeout=60.0)
        agent = c.agents[0]

        async def main() -> None:
            with trio.fail_after(60):
                async with SchedulerClient.connect(c.master_addr, info) as s:
                    first = None
                    lost = failure = False
                    async for ev in s.events():
                        if isinstance(ev, EventOffers):
                            o = ev.offers[0]
                            if first is None:
                                first = o
                                t = TaskInfo(name="long", task_id="long", agent_id=o.agent_id,
                                             resources=RES, command=CommandInfo(value="sleep 1000"))
                                await s.call(CallAccept(offer_ids=(o.id,),
                                                        operations=(OpLaunch(task_infos=(t,)),)))
                            elif lost and failure:
                                assert o.agent_id != first.agent_id  # a new agent id
                                assert o.resources.unallocate() == first.resources.unallocate()
                                await s.call(CallTeardown())
                                return
                            else:
                                await s.call(CallDecline(offer_ids=(o.id,)))
                        elif isinstance(ev, EventUpdate):
                            st = ev.status
                            if st.uuid is not None:
                                await s.call(CallAcknowledge(agent_id=st.agent_id,
                                                             task_id=st.task_id, uuid=st.uuid))
                            if st.state is TaskState.TASK_RUNNING:
                                assert agent.proc is not None
                                agent.proc.send_signal(signal.SIGUSR1)
                                await trio.to_thread.run_sync(lambda: agent.proc.wait(20))
                                await trio.to_thread.run_sync(agent.start)
                            elif st.state is TaskState.TASK_LOST:
                                assert st.source is not None and st.source.name == "SOURCE_MASTER"
                                assert st.reason is not None and st.reason.name == "REASON_AGENT_REMOVED"
                                lost = True
                        elif isinstance(ev, EventFailure) and ev.executor_id is None:
                            failure = True

        trio.run(main)


@pytest.mark.parametrize("pid_reused", [False, True], ids=["reboot", "pid-reused"])
def test_agent_restarted_after_a_reboot_fails_the_dead_executors_task_and_keeps_its_id(
        tmp_path, pid_reused) -> None:
    """SlaveRecoveryTest.Reboot / RebootWithExecutorPidReused: while the agent is down the
    host "reboots" (as Mesos's test does with meta/boot_id, the checkpointed boot id is
    changed). The restarted agent keeps its id and re-registers; the executor is not waited
    for: its task reaches the scheduler as TASK_FAILED and all of the agent's resources are
    offered again. "reboot": the executor died with the host; "pid-reused": the executor's
    pid still names a live process (here: the old executor itself, left running), which the
    agent must not take for its executor (nor signal): without reboot detection it would
    adopt it and the task would keep running."""
    import pickle

    from mesotron.io.store.disk import CK_SUFFIX

    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms"),
                 agent_flags=("--executor-reregistration-timeout", "60secs")) as c:
        info = FrameworkInfo(user="test", name="reboot", checkpoint=True, failover_timeout=60.0)
        wd = os.path.join(c.tmp, "agent0")

        def reboot() -> None:
            agent = c.agents[0]
            agent.kill9()
            if not pid_reused:
                kill_executors(wd)  # nothing survives a reboot
            with open(os.path.join(wd, "meta", "checkpoints", "boot_id" + CK_SUFFIX), "wb") as f:
                f.write(pickle.dumps("rebooted!", protocol=5))
            agent.start()

        async def main() -> None:
            with trio.fail_after(45):
                async with SchedulerClient.connect(c.master_addr, info) as s:
                    first = None
                    failed = rebooted = False
                    async for ev in s.events():
                        if isinstance(ev, EventOffers):
                            o = ev.offers[0]
                            if first is None:
                                first = o
                                t = TaskInfo(name="long", task_id="long", agent_id=o.agent_id,
                                             resources=RES, command=CommandInfo(value="sleep 1000"))
                                await s.call(CallAccept(offer_ids=(o.id,),
                                                        operations=(OpLaunch(task_infos=(t,)),)))
                            elif failed and o.resources.unallocate() == first.resources.unallocate():
                                assert o.agent_id == first.agent_id  # the same agent, all of it
                                await s.call(CallTeardown())
                                return
                            else:  # (a part: declined briefly, it comes back merged)
                                await s.call(CallDecline(offer_ids=(o.id,),
                                                         filters=Filters(refuse_seconds=0.1)))
                        elif isinstance(ev, EventUpdate):
                            st = ev.status
                            if st.uuid is not None:
                                await s.call(CallAcknowledge(agent_id=st.agent_id,
                                                             task_id=st.task_id, uuid=st.uuid))
                            if st.state is TaskState.TASK_RUNNING and not rebooted:
                                # once: the agent may send TASK_RUNNING again after the reboot
                                # (its acknowledgement raced the kill: at-least-once delivery)
                                rebooted = True
                                await trio.to_thread.run_sync(reboot)
                            elif st.state is TaskState.TASK_FAILED:
                                failed = True

        trio.run(main)


def test_completed_executor_run_directory_is_collected_after_a_restart(tmp_path) -> None:
    """SlaveRecoveryTest.RecoverCompletedExecutor: an executor completes (its task finished
    and was acknowledged, the executor exited) and the agent is killed (-9) before its run
    directory's garbage collection (--gc-delay 8secs here); the restarted agent recovers,
    re-registers, and the run directory and the executor's checkpoints are gone gc_delay
    later; all of the agent's resources are offered again."""
    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms"),
                 agent_flags=("--gc-delay", "8secs")) as c:
        info = FrameworkInfo(user="test", name="gc", checkpoint=True, failover_timeout=60.0)
        wd = os.path.join(c.tmp, "agent0")

        def runs() -> list[str]:
            out = []
            for dirpath, dirs, _files in os.walk(os.path.join(wd, "slaves")):
                if os.path.basename(dirpath) == "runs":
                    out += [os.path.join(dirpath, d) for d in dirs]
            return out

        def executor_checkpoints() -> list[str]:
            root = os.path.join(wd, "meta", "checkpoints", "executor")
            return [f for _d, _s, fs in os.walk(root) for f in fs] if os.path.isdir(root) else []

        async def main() -> None:
            with trio.fail_after(60):
                async with SchedulerClient.connect(c.master_addr, info) as s:
                    first = None
                    async for ev in s.events():
                        if isinstance(ev, EventOffers):
                            o = ev.offers[0]
                            if first is None:
                                first = o
                                t = TaskInfo(name="done", task_id="done", agent_id=o.agent_id,
                                             resources=RES, command=CommandInfo(value="true"))
                                await s.call(CallAccept(offer_ids=(o.id,),
                                                        operations=(OpLaunch(task_infos=(t,)),)))
                            else:
                                await s.call(CallDecline(offer_ids=(o.id,),
                                                         filters=Filters(refuse_seconds=60)))
                        elif isinstance(ev, EventUpdate):
                            st = ev.status
                            if st.uuid is not None:
                                await s.call(CallAcknowledge(agent_id=st.agent_id,
                                                             task_id=st.task_id, uuid=st.uuid))
                            if st.state is TaskState.TASK_FINISHED:
                                break
                    # the executor completes (idle command executor shuts down), then the
                    # agent dies before the 8 s collection
                    await trio.to_thread.run_sync(lambda: wait_for(
                        lambda: not executor_checkpoints(), 20, "executor removed"))
                    await trio.to_thread.run_sync(c.agents[0].kill9)
                    assert runs(), "the run directory is kept until its collection"
                    await trio.to_thread.run_sync(c.agents[0].start)
                    await trio.to_thread.run_sync(lambda: wait_for(
                        lambda: not runs(), 20, "run directory collected after the restart"))
                    await s.call(CallTeardown())

        trio.run(main)
