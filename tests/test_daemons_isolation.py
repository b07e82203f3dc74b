"""Real cgroups v1 isolation (root) with real daemons: OOM as a task failure, nested task
cgroups of the shared command executor, CPU shares and CFS, destroy through the freezer,
recovery (adopt known, destroy orphans), statistics.

Ports of Mesos tests (named in each test): CgroupsIsolatorTest (ROOT_CGROUPS_CFS_Enable_Cfs,
ROOT_CGROUPS_MemoryLimit / MemoryPressureMesosTest, ROOT_CGROUPS_PidsAndTids),
MemoryPressureMesosTest.CGROUPS_ROOT_Statistics, MesosContainerizerSlaveRecoveryTest
.ResourceStatistics, SlaveRecoveryTest.RecoverUnregisteredExecutor / orphan cleanup.

Every test uses its own --cgroups-root and removes every cgroup it made (fixture `cg_root`).
"""

from __future__ import annotations

import functools
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import trio
from mesotron.core.agent.isolation import nested_name
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
from mesotron.core.values import CommandInfo, Filters, FrameworkInfo, TaskInfo, TaskStatus
from mesotron.io.containers.cgroups import CgroupsV1, parse_mounts
from mesotron.io.wire.scheduler_client import SchedulerClient
from testkit import Cluster, http_get, wait_for

MOUNTS = parse_mounts(Path("/proc/self/mounts").read_text())[0]
HAVE_V1 = all(c in MOUNTS for c in ("cpu", "cpuacct", "memory", "freezer")) and os.geteuid() == 0
pytestmark = [
    pytest.mark.skipif(not HAVE_V1, reason="needs cgroups v1 (cpu, cpuacct, memory, freezer) as root"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def cleanup_root(root: str) -> None:
    """Kill every process under the test's cgroup root and remove its cgroups."""
    b = CgroupsV1(MOUNTS, root)

    async def go() -> None:
        for cid in b.containers():
            await b.destroy(cid, timeout=20)

    def removed() -> bool:
        # a killed executor whose parent (the agent) is gone stays a zombie, and keeps its
        # cgroup busy, until init reaps it
        ok = True
        for h in b.hierarchies:
            try:
                os.rmdir(os.path.join(h, root))
            except FileNotFoundError:
                pass
            except OSError:
                ok = False
        return ok

    trio.run(go)
    wait_for(removed, 20, f"cgroup root {root} removed")


@pytest.fixture
def cg_root(request: Any) -> Any:
    root = f"mesotron-test-{os.getpid()}-{request.node.name[:40].replace('[', '-').replace(']', '')}"
    yield root
    gc.collect()
    cleanup_root(root)
    left = [h for h in CgroupsV1(MOUNTS, root).hierarchies if os.path.exists(os.path.join(h, root))]
    assert not left, f"cgroups left behind: {left}"


def cluster(tmp: Any, root: str, *extra: str, res: str = "cpus:4;mem:2048;disk:1000;ports:[31000-31100]") -> Cluster:
    return Cluster(str(tmp), agents=1, resources=res,
                   master_flags=("--allocation-interval", "50ms"),
                   agent_flags=("--isolation", "cgroups/cpu,cgroups/mem,cgroups/pids",
                                "--cgroups-root", root, *extra))


async def run_framework(master: str, tasks: list[tuple[str, str, str]],
                        on_update: Callable[[SchedulerClient, TaskStatus, dict[str, list[TaskStatus]]], Any],
                        *, checkpoint: bool = False, limit: float = 60) -> dict[str, list[TaskStatus]]:
    """Launch `tasks` [(id, shell command, resources)] on the first offer; call `on_update`
    after every update until it returns True; then tear the framework down."""
    seen: dict[str, list[TaskStatus]] = {}
    info = FrameworkInfo(user="root", name="isolation", checkpoint=checkpoint, failover_timeout=60.0)
    with trio.fail_after(limit):
        async with SchedulerClient.connect(master, info) as s:
            pending = list(tasks)
            async for ev in s.events():
                if isinstance(ev, EventOffers):
                    for o in ev.offers:
                        if pending:
                            infos = tuple(TaskInfo(name=t, task_id=t, agent_id=o.agent_id,
                                                   resources=Resources.parse(r),
                                                   command=CommandInfo(value=cmd))
                                          for t, cmd, r in pending)
                            pending = []
                            await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=infos),)))
                        else:
                            await s.call(CallDecline(offer_ids=(o.id,), filters=Filters(refuse_seconds=60)))
                    await s.call(CallSuppress())
                elif isinstance(ev, EventUpdate):
                    st = ev.status
                    seen.setdefault(st.task_id, []).append(st)
                    if st.uuid is not None:
                        await s.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid))
                    r = on_update(s, st, seen)
                    if hasattr(r, "__await__"):
                        r = await r
                    if r:
                        await s.call(CallTeardown())
                        return seen
    return seen


def states(seen: dict[str, list[TaskStatus]], tid: str) -> list[str]:
    return [st.state.name for st in seen.get(tid, [])]


def memory_dir(root: str, cid: str, task: str | None = None) -> str:
    return os.path.join(MOUNTS["memory"], root, cid, *([nested_name(task)] if task else []))


def container_ids(root: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(os.path.join(MOUNTS["memory"], root)) if e.is_dir())
    except OSError:
        return []


def read_int(path: str) -> int:
    with open(path) as f:
        return int(f.read().split()[0])


# ------------------------------------------------------------------ OOM
def test_oom_fails_only_the_offending_task(tmp_path: Any, cg_root: str) -> None:
    """CgroupsIsolatorTest.ROOT_CGROUPS_MemoryLimit / MemoryPressureMesosTest: a task that
    allocates far more than its mem gets TASK_FAILED REASON_CONTAINER_LIMITATION_MEMORY from the
    agent, with Mesos's message; its neighbour in the same command executor keeps running.
    MemoryPressureMesosTest.CGROUPS_ROOT_Statistics: /monitor/statistics reports the
    container's real limits and usage meanwhile."""
    hog = 'python3 -c "import time; b = bytearray(200 << 20); time.sleep(30)"'
    calm = "sleep 60"
    stats: list[Any] = []
    probed: list[bool] = []
    with cluster(tmp_path, cg_root) as c:
        agent = c.agents[0]

        async def check_neighbour(s: SchedulerClient) -> bool:
            def probe() -> None:
                def limit_shrunk() -> Any:
                    _, body = http_get(agent.port, "/monitor/statistics", 5)
                    st = [e["statistics"] for e in json.loads(body)]
                    # the executor's container: overhead (32 MB) + calm's 64 MB, hog's gone
                    return st if st and st[0].get("mem_limit_bytes") == (32 + 64) << 20 else None

                stats.extend(wait_for(limit_shrunk, 10, "the container's limit to shrink"))
                # the same through the operator API's GET_CONTAINERS, and a call it does not know
                r = httpx.post(f"http://127.0.0.1:{agent.port}/api/v1", json={"type": "GET_CONTAINERS"})
                [ctr] = r.json()["get_containers"]["containers"]
                assert ctr["resource_statistics"]["mem_limit_bytes"] == (32 + 64) << 20
                assert ctr["container_id"]["value"] in container_ids(cg_root)
                r = httpx.post(f"http://127.0.0.1:{agent.port}/api/v1", json={"type": "LAUNCH_NUKES"})
                assert r.status_code == 400 and "LAUNCH_NUKES" in r.text
                r = httpx.post(f"http://127.0.0.1:{agent.port}/api/v1", content=b"{nope")
                assert r.status_code == 400
                st = agent.get_json("/state")
                tasks = [t for f in st["frameworks"] for e in f["executors"] for t in e["tasks"]]
                assert any(t["id"] == "calm" and t["state"] == "TASK_RUNNING" for t in tasks), tasks

            await trio.to_thread.run_sync(probe)
            await s.call(CallKill(task_id="calm", agent_id=None))
            return False

        def on_update(s: SchedulerClient, st: TaskStatus, seen: dict[str, list[TaskStatus]]) -> Any:
            if st.task_id == "calm" and st.state.is_terminal:
                return True
            if not probed and "TASK_FAILED" in states(seen, "hog") and "TASK_RUNNING" in states(seen, "calm"):
                probed.append(True)
                return check_neighbour(s)
            return False

        seen = trio.run(run_framework, c.master_addr,
                        [("hog", hog, "cpus:0.2;mem:64"), ("calm", calm, "cpus:0.2;mem:64")], on_update)
        failed = [st for st in seen["hog"] if st.state.name == "TASK_FAILED"]
        assert len(failed) == 1, states(seen, "hog")  # the executor's own report is not forwarded
        f = failed[0]
        assert f.reason is not None and f.reason.name == "REASON_CONTAINER_LIMITATION_MEMORY"
        assert f.source is not None and f.source.name == "SOURCE_AGENT"
        assert f.message.startswith("Memory limit exceeded: Requested: 64MB Maximum Used: "), f.message
        assert "MEMORY STATISTICS" in f.message
        calm_states = states(seen, "calm")
        assert calm_states[-1] == "TASK_KILLED", calm_states  # killed by us, not by the OOM
        assert "TASK_FAILED" not in calm_states
        st = stats[0]
        assert st["mem_total_bytes"] > 0 and st["cpus_user_time_secs"] + st["cpus_system_time_secs"] > 0
        assert st["processes"] >= 2  # the executor and calm's sleep
        assert abs(st["cpus_limit"] - 0.3) < 0.01  # shares: 0.1 overhead + calm's 0.2


def test_execute_prints_the_oom_reason(tmp_path: Any, cg_root: str) -> None:
    """`mesotron execute` shows the reason line of the failed task."""
    with cluster(tmp_path, cg_root) as c:
        p = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "execute", "--master", c.master_addr,
                            "--name", "oom", "--command", 'python3 -c "b = bytearray(300 << 20)"',
                            "--resources", "cpus:0.2;mem:48", "--timeout", "40"],
                           capture_output=True, text=True, timeout=60, check=False)
        out = p.stdout + p.stderr
        assert "TASK_FAILED" in out and "reason: REASON_CONTAINER_LIMITATION_MEMORY" in out, out
        assert http_get(c.agents[0].port, "/health")[0] == 200


# ------------------------------------------------------------------ disk/du
@pytest.mark.parametrize("isolation", ["cgroups/cpu,cgroups/mem,disk/du", "disk/du"])
def test_disk_quota_fails_only_the_offending_task(tmp_path: Any, cg_root: str, isolation: str) -> None:
    """DiskQuotaTest.DiskUsageExceedsQuota (disk/du, --enforce-container-disk-quota) for a
    command task: each task's own sandbox is held against its own disk, as Mesos's one
    container per command task: the task writing 3 MB with disk:1 gets TASK_FAILED
    REASON_CONTAINER_LIMITATION_DISK from the agent and its process is gone; its neighbour
    in the same command executor keeps running. With cgroups the nested cgroup's destroy
    kills it; with disk/du alone the executor does (the agent tells it to)."""
    pidfile = tmp_path / "filler.pid"
    filler = f"echo $$ > {pidfile}; head -c 3145728 /dev/zero > big; exec sleep 60"
    flags = ("--isolation", isolation, "--cgroups-root", cg_root, "--enforce-container-disk-quota",
             "--container-disk-watch-interval", "200ms")
    with Cluster(str(tmp_path), agents=1, resources="cpus:4;mem:2048;disk:1000;ports:[31000-31100]",
                 master_flags=("--allocation-interval", "50ms"), agent_flags=flags) as c:
        async def check_then_kill(s: SchedulerClient) -> bool:
            def probe() -> None:
                pid = int(pidfile.read_text())

                def gone() -> bool:
                    try:
                        os.kill(pid, 0)
                    except ProcessLookupError:
                        return True
                    try:
                        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
                    except psutil.NoSuchProcess:  # reaped between the two looks: gone
                        return True

                wait_for(gone, 10, "the filler's process killed")
                st = c.agents[0].get_json("/state")
                tasks = {t["id"]: t["state"] for f in st["frameworks"] for e in f["executors"] for t in e["tasks"]}
                assert tasks.get("calm") == "TASK_RUNNING", tasks

            await trio.to_thread.run_sync(probe)
            await s.call(CallKill(task_id="calm", agent_id=None))
            return False

        probed: list[bool] = []

        def on_update(s: SchedulerClient, st: TaskStatus, seen: dict[str, list[TaskStatus]]) -> Any:
            if st.task_id == "calm" and st.state.is_terminal:
                return True
            if not probed and "TASK_FAILED" in states(seen, "filler") and "TASK_RUNNING" in states(seen, "calm"):
                probed.append(True)
                return check_then_kill(s)
            return False

        seen = trio.run(run_framework, c.master_addr,
                        [("filler", filler, "cpus:0.2;mem:64;disk:1"), ("calm", "sleep 60", "cpus:0.2;mem:64;disk:1")],
                        on_update)
    failed = [st for st in seen["filler"] if st.state.name == "TASK_FAILED"]
    assert len(failed) == 1, states(seen, "filler")
    f = failed[0]
    assert f.reason is not None and f.reason.name == "REASON_CONTAINER_LIMITATION_DISK"
    assert f.source is not None and f.source.name == "SOURCE_AGENT"
    assert f.message.startswith("Disk usage (") and f.message.endswith("exceeds quota (1MB)"), f.message
    assert states(seen, "calm")[-1] == "TASK_KILLED", states(seen, "calm")


def test_cgroup_root_removed_mid_run(tmp_path: Any, cg_root: str) -> None:
    """Bad input mid-run: an operator's cleanup removes the agent's (empty) cgroup root while
    the agent runs. The agent does not crash: the next container re-creates it, with its
    limits enforced (an OOM is still the memory reason)."""
    def execute(command: str) -> str:
        p = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "execute", "--master", c.master_addr,
                            "--name", "t", "--command", command, "--resources", "cpus:0.2;mem:48",
                            "--timeout", "40"], capture_output=True, text=True, timeout=60, check=False)
        return p.stdout + p.stderr

    with cluster(tmp_path, cg_root) as c:
        assert "TASK_FINISHED" in execute("true")
        # the idle command executor exits (5 s), its container's cgroups go, the root is empty
        wait_for(lambda: not container_ids(cg_root), 30, "the idle executor's cgroups removed")
        roots = [os.path.join(h, cg_root) for h in CgroupsV1(MOUNTS, cg_root).hierarchies]
        for r in roots:
            os.rmdir(r)
        out = execute('python3 -c "b = bytearray(300 << 20)"')
        assert "TASK_FAILED" in out and "reason: REASON_CONTAINER_LIMITATION_MEMORY" in out, out
        assert http_get(c.agents[0].port, "/health")[0] == 200
        assert c.agents[0].proc is not None and c.agents[0].proc.poll() is None


# ------------------------------------------------------------------ CPU
def test_cpu_shares_and_cfs(tmp_path: Any, cg_root: str) -> None:
    """CgroupsIsolatorTest.ROOT_CGROUPS_CFS_Enable_Cfs and shares: with CFS on, a task with
    cpus 0.5 uses at most 0.6 of a core; two busy tasks with cpus 1 and 3 pinned to the same
    core share it 1:3 (+-25 %)."""
    busy = 'python3 -c "import os; os.sched_setaffinity(0, {%d}); exec(\'while True: pass\')"'
    with cluster(tmp_path, cg_root, "--cgroups-enable-cfs", res="cpus:6;mem:1024") as c:
        usage: dict[str, float] = {}

        async def measure(s: SchedulerClient) -> bool:
            def probe() -> None:
                cid = wait_for(lambda: container_ids(cg_root), 10, "container cgroup")[0]
                dirs = {t: os.path.join(MOUNTS["freezer"], cg_root, cid, nested_name(t)) for t in ("one", "three", "half")}
                wait_for(lambda: all(any(_pinned(p) for p in _procs(d)) for d in dirs.values()) or None,
                         10, "busy loops pinned")
                procs = {t: [psutil.Process(p) for p in _procs(d) if _pinned(p)] for t, d in dirs.items()}

                def cpu() -> dict[str, float]:
                    return {t: sum(p.cpu_times().user + p.cpu_times().system for p in ps) for t, ps in procs.items()}

                a = cpu()
                t0 = time.monotonic()
                time.sleep(3)
                dt = time.monotonic() - t0
                b = cpu()
                usage.update({t: (b[t] - a[t]) / dt for t in dirs})

            await trio.to_thread.run_sync(probe)
            for t in ("one", "three", "half"):
                await s.call(CallKill(task_id=t, agent_id=None))
            return False

        def on_update(s: SchedulerClient, st: TaskStatus, seen: dict[str, list[TaskStatus]]) -> Any:
            running = [t for t in ("one", "three", "half") if "TASK_RUNNING" in states(seen, t)]
            if len(running) == 3 and st.state.name == "TASK_RUNNING" and not usage:
                usage["started"] = 1.0
                return measure(s)
            return all(seen.get(t) and seen[t][-1].state.is_terminal for t in ("one", "three", "half"))

        trio.run(run_framework, c.master_addr,
                 [("one", busy % 0, "cpus:1;mem:32"), ("three", busy % 0, "cpus:3;mem:32"),
                  ("half", busy % 1, "cpus:0.5;mem:32")], on_update)
    assert usage["half"] <= 0.6, usage
    ratio = usage["three"] / max(usage["one"], 1e-9)
    assert 3 * 0.75 <= ratio <= 3 * 1.25, usage


def _pinned(pid: int) -> bool:
    try:
        return len(psutil.Process(pid).cpu_affinity()) == 1
    except psutil.Error:
        return False


def _procs(cgdir: str) -> list[int]:
    cpu_dir = cgdir  # cpuacct dir: same layout
    try:
        with open(os.path.join(cpu_dir, "cgroup.procs")) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


# ------------------------------------------------------------------ destroy
def test_kill_leaves_no_process_behind(tmp_path: Any, cg_root: str) -> None:
    """A task that forks a child ignoring SIGTERM which double-forks into its own session:
    after the kill no process of it is left and its nested cgroup is gone (freezer destroy).
    CgroupsIsolatorTest.ROOT_CGROUPS_PidsAndTids: the pids controller counts them meanwhile."""
    sneaky = ("trap '' TERM; (trap '' TERM; setsid sh -c \"trap '' TERM; sleep 1000\" & sleep 1000) & "
              "sleep 1000")
    pids: set[int] = set()
    with cluster(tmp_path, cg_root) as c:
        async def kill_it(s: SchedulerClient) -> bool:
            def probe() -> None:
                cid = wait_for(lambda: container_ids(cg_root), 10, "container cgroup")[0]
                d = os.path.join(MOUNTS["freezer"], cg_root, cid, nested_name("sneaky"))
                def escaped() -> Any:
                    got = set(_procs(d))
                    # at least 4 processes, one of them escaped into a session of its own
                    return got if len(got) >= 4 and len({os.getsid(p) for p in got}) >= 2 else None

                got = wait_for(escaped, 10, "the task's processes, one in its own session")
                pids.update(got)
                pids_dir = os.path.join(MOUNTS["pids"], cg_root, cid, nested_name("sneaky"))
                if os.path.isdir(pids_dir):
                    assert read_int(os.path.join(pids_dir, "pids.current")) >= 4

            await trio.to_thread.run_sync(probe)
            await s.call(CallKill(task_id="sneaky", agent_id=None))
            return False

        def on_update(s: SchedulerClient, st: TaskStatus, seen: dict[str, list[TaskStatus]]) -> Any:
            if st.state.name == "TASK_RUNNING" and not pids:
                return kill_it(s)
            return st.state.is_terminal

        seen = trio.run(run_framework, c.master_addr, [("sneaky", sneaky, "cpus:0.1;mem:32")], on_update)
        assert states(seen, "sneaky")[-1] == "TASK_KILLED"
        wait_for(lambda: not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
                                 for p in pids), 10, "every process of the task gone")
        cid = container_ids(cg_root)
        if cid:  # the executor may still idle in its container: the task's nested cgroup is gone
            wait_for(lambda: not os.path.exists(memory_dir(cg_root, cid[0], "sneaky")), 10,
                     "the nested cgroup removed")


# ------------------------------------------------------------------ recovery
def test_recovery_keeps_limits_and_destroys_orphans(tmp_path: Any, cg_root: str) -> None:
    """SlaveRecoveryTest.RecoverUnregisteredExecutor / MesosContainerizerSlaveRecoveryTest
    .ResourceStatistics: kill -9 the agent with an isolated task running, plant an orphan
    container (pid file + cgroup with a live process) the checkpoints do not know, restart:
    the orphan and its cgroup are destroyed, the task's cgroup is adopted with its limit and
    still enforced (it OOMs after the restart and fails with the memory reason)."""
    go = tmp_path / "go"
    task = f'while [ ! -f {go} ]; do sleep 0.05; done; python3 -c "b = bytearray(200 << 20)"'
    orphan_proc: list[subprocess.Popen[bytes]] = []
    # a loaded machine may take more than the default 2 s to re-subscribe the executor
    with cluster(tmp_path, cg_root, "--executor-reregistration-timeout", "30secs") as c:
        agent = c.agents[0]
        wd = os.path.join(c.tmp, "agent0")

        async def restart(s: SchedulerClient) -> bool:
            def do() -> None:
                cid = wait_for(lambda: container_ids(cg_root), 10, "container cgroup")[0]
                limit = read_int(os.path.join(memory_dir(cg_root, cid, "t"), "memory.limit_in_bytes"))
                assert limit == 64 << 20
                agent.kill9()
                # the orphan: a process in a container cgroup, with a pid file, unknown to the agent
                b = CgroupsV1(MOUNTS, cg_root)
                b.create("orphan")
                p = subprocess.Popen(["sleep", "1000"], start_new_session=True)
                orphan_proc.append(p)
                for f in b.join_files("orphan"):
                    with open(f, "w") as fh:
                        fh.write(str(p.pid))
                with open(os.path.join(wd, "meta", "containers", "orphan.pid"), "w") as fh:
                    fh.write(f"{p.pid} {psutil.Process(p.pid).create_time()} fw ex {wd}\n")
                agent.start()
                wait_for(lambda: p.poll() is not None, 20, "orphan killed")
                wait_for(lambda: "orphan" not in container_ids(cg_root), 10, "orphan cgroup removed")
                assert not os.path.exists(os.path.join(wd, "meta", "containers", "orphan.pid"))
                # the task's container was adopted, limits intact
                assert cid in container_ids(cg_root)
                assert read_int(os.path.join(memory_dir(cg_root, cid, "t"), "memory.limit_in_bytes")) == 64 << 20
                wait_for(lambda: [a for a in c.state()["slaves"] if a.get("active")], 20, "re-registered")
                def adopted_stats() -> Any:
                    _, body = http_get(agent.port, "/monitor/statistics", 5)
                    st = json.loads(body)
                    return st and st[0]["statistics"].get("mem_limit_bytes") == (32 + 64) << 20

                wait_for(adopted_stats, 10, "the adopted container's statistics")
                go.write_text("go")

            await trio.to_thread.run_sync(do)
            return False

        restarted: list[bool] = []

        def on_update(s: SchedulerClient, st: TaskStatus, seen: dict[str, list[TaskStatus]]) -> Any:
            if st.state.name == "TASK_RUNNING" and not restarted:  # (RUNNING may come again)
                restarted.append(True)
                return restart(s)
            return st.state.is_terminal

        seen = trio.run(functools.partial(run_framework, checkpoint=True), c.master_addr,
                        [("t", task, "cpus:0.1;mem:64")], on_update)
        last = seen["t"][-1]
        assert last.state.name == "TASK_FAILED", states(seen, "t")
        assert last.reason is not None and last.reason.name == "REASON_CONTAINER_LIMITATION_MEMORY"
    for p in orphan_proc:
        if p.poll() is None:
            p.kill()
        p.wait()


def cpu_files(root: str, cid: str, task: str | None = None) -> dict[str, int]:
    d = os.path.join(MOUNTS["cpu"], root, cid, *([nested_name(task)] if task else []))
    return {f: read_int(os.path.join(d, f)) for f in ("cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us")}


def test_recovery_restores_cpu_limits_and_long_task_ids(tmp_path: Any, cg_root: str) -> None:
    """MesosContainerizerSlaveRecoveryTest (recovered limits) with CFS on: after kill -9 and a
    restart the container's and every nested cgroup's cpu.shares / CFS quota are what they
    were, and the first shrink afterwards (a neighbour killed) sets the parent from every
    remaining task's CPU (the task checkpoints), not from memory-only knowledge. A task
    with a 300-character id gets a hashed nested cgroup name (and its own sandbox); its OOM
    after the restart still fails that task alone (the name -> id map comes back from the
    checkpoints), with the memory reason, while its neighbour keeps running."""
    go = tmp_path / "go"
    long_id = "long-" + "x" * 295
    hog = f'while [ ! -f {go} ]; do sleep 0.05; done; python3 -c "b = bytearray(200 << 20)"'
    tasks = [(long_id, hog, "cpus:0.3;mem:64"), ("b", "sleep 120", "cpus:0.7;mem:64"),
             ("c", "sleep 120", "cpus:0.2;mem:64")]
    before: dict[str | None, dict[str, int]] = {}
    with cluster(tmp_path, cg_root, "--cgroups-enable-cfs", "--executor-reregistration-timeout", "30secs") as c:
        agent = c.agents[0]

        def files(cid: str) -> dict[str | None, dict[str, int]]:
            return {t: cpu_files(cg_root, cid, t) for t in (None, long_id, "b", "c")}

        async def restart(s: SchedulerClient) -> bool:
            def do() -> None:
                cid = wait_for(lambda: container_ids(cg_root), 10, "container cgroup")[0]
                assert len(nested_name(long_id)) <= 200 and nested_name(long_id).startswith("taskh-")
                before.update(files(cid))
                assert before[None]["cpu.shares"] == int(1024 * 1.3)  # 0.1 overhead + 1.2
                assert before[None]["cpu.cfs_quota_us"] == 130_000
                agent.kill9()
                agent.start()
                wait_for(lambda: [a for a in c.state()["slaves"] if a.get("active")], 20, "re-registered")
                assert files(cid) == before

            await trio.to_thread.run_sync(do)
            await s.call(CallKill(task_id="c", agent_id=None))
            return False

        async def after_shrink() -> bool:
            def do() -> None:
                cid = container_ids(cg_root)[0]

                def shrunk() -> Any:
                    now = cpu_files(cg_root, cid)
                    return now if now["cpu.cfs_quota_us"] == 110_000 else None

                now = wait_for(shrunk, 10, "the container to shrink to 0.1 + 0.3 + 0.7 cpus")
                assert now["cpu.shares"] == int(1024 * 1.1)
                for t in (long_id, "b"):
                    assert cpu_files(cg_root, cid, t) == before[t]
                go.write_text("go")

            await trio.to_thread.run_sync(do)
            return False

        steps: list[str] = []

        def on_update(s: SchedulerClient, st: TaskStatus, seen: dict[str, list[TaskStatus]]) -> Any:
            running = all("TASK_RUNNING" in states(seen, t) for t, _, _ in tasks)
            if running and not steps:
                steps.append("restart")
                return restart(s)
            if st.task_id == "c" and st.state.is_terminal and "shrink" not in steps:
                steps.append("shrink")
                return after_shrink()
            if st.task_id == long_id and st.state.is_terminal:
                return kill_b(s)
            return st.task_id == "b" and st.state.is_terminal

        async def kill_b(s: SchedulerClient) -> bool:
            await s.call(CallKill(task_id="b", agent_id=None))
            return False

        seen = trio.run(functools.partial(run_framework, checkpoint=True, limit=120), c.master_addr,
                        tasks, on_update)
        last = seen[long_id][-1]
        assert last.state.name == "TASK_FAILED", states(seen, long_id)
        assert last.reason is not None and last.reason.name == "REASON_CONTAINER_LIMITATION_MEMORY"
        assert last.message.startswith("Memory limit exceeded: Requested: 64MB"), last.message
        assert states(seen, "b")[-1] == "TASK_KILLED" and "TASK_FAILED" not in states(seen, "b")


# ------------------------------------------------------------------ bad flags
@pytest.mark.parametrize(("flags", "needle"), [
    (("--isolation", "cgroups/cpu,cgroups/bogus"), "unknown isolator(s) cgroups/bogus"),
    (("--isolation", "posix/mem,cgroups/mem"), "pick one"),
    (("--isolation", "cgroups/mem", "--cgroups-root", "a/b"), "one cgroup name expected"),
])
def test_bad_isolation_flags(tmp_path: Any, flags: tuple[str, ...], needle: str) -> None:
    p = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "agent", "--master", "127.0.0.1:1",
                        "--port", "0", "--work-dir", str(tmp_path), *flags],
                       capture_output=True, text=True, timeout=30, check=False)
    assert p.returncode == 2, p.stderr
    assert needle in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_no_permission_is_a_clear_error_at_start() -> None:
    """Bad input: an agent without the right to create cgroups (run as nobody) exits at
    start with status 2 and one line naming the cgroup it could not create; no traceback,
    no cgroup left behind."""
    root = f"mesotron-test-{os.getpid()}-noperm"
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:  # pytest's are root-only (0700)
        os.chmod(tmp, 0o777)
        p = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                            sys.executable, "-m", "mesotron.io.cli.main", "agent", "--master", "127.0.0.1:1",
                            "--port", "0", "--work-dir", os.path.join(tmp, "wd"),
                            "--isolation", "cgroups/cpu,cgroups/mem", "--cgroups-root", root],
                           capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert f"cannot create {MOUNTS['cpu']}/{root}: Permission denied" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert not any(os.path.exists(os.path.join(m, root)) for m in set(MOUNTS.values()))
