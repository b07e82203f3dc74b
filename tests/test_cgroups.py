"""Isolation decisions (core/agent/isolation.py), the cgroups file protocols
(io/containers/cgroups.py: v2 against a temporary tree laid out like cgroupfs, since this
machine mounts v1 only; v1 against the real hierarchies as root) and the agent machine's
ContainerLimitation / OrphanContainer inputs.

Mesos sources of the numbers: src/slave/containerizer/mesos/isolators/cgroups/constants.hpp
(CPU_SHARES_PER_CPU 1024, MIN_CPU_SHARES 2, CPU_CFS_PERIOD 100ms, MIN_CPU_CFS_QUOTA 1ms,
MIN_MEMORY 32MB), cgroups2 (CPU_WEIGHT_PER_CPU 100, memory.max only raised).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import psutil
import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st
from mesotron.core.agent.isolation import (
    Isolation,
    IsolationFlagError,
    Limits,
    container_limits,
    format_bytes,
    memory_limitation_message,
    nested_name,
    nested_task_id,
    parse_isolation,
    task_limits,
    v1_files,
    v2_files,
    v2_memory_max,
)
from mesotron.core.resources import Resources
from mesotron.io.containers.cgroups import CgroupError, CgroupsV1, CgroupsV2, detect, parse_mounts

MB = 1 << 20
CPU_MEM = Isolation(names=("cgroups/cpu", "cgroups/mem"))
CFS = Isolation(names=("cgroups/cpu", "cgroups/mem"), cfs=True)


# ------------------------------------------------------------------ decisions (pure)
def test_v1_files_follow_mesos_formulas() -> None:
    f = v1_files(task_limits(Resources.parse("cpus:0.5;mem:128")), CPU_MEM)
    assert f == {"cpu": {"cpu.shares": "512"}, "memory": {"memory.limit_in_bytes": str(128 * MB)}}
    # minima: 2 shares, 32 MB, 1 ms quota
    tiny = task_limits(Resources.parse("cpus:0.001;mem:1"))
    f = v1_files(tiny, CFS)
    assert f["cpu"] == {"cpu.shares": "2", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "1000"}
    assert f["memory"]["memory.limit_in_bytes"] == str(32 * MB)
    assert v1_files(task_limits(Resources.parse("cpus:2;mem:64")), CFS)["cpu"]["cpu.cfs_quota_us"] == "200000"
    # only the isolators asked for
    assert v1_files(tiny, Isolation(names=("cgroups/mem",))) == {"memory": {"memory.limit_in_bytes": str(32 * MB)}}


def test_v2_files_and_memory_only_raised() -> None:
    lim = task_limits(Resources.parse("cpus:1.5;mem:256"))
    assert v2_files(lim, CPU_MEM) == {"cpu.weight": "150", "cpu.max": "max 100000",
                                      "memory.max": str(256 * MB)}
    assert v2_files(lim, CFS)["cpu.max"] == "150000 100000"
    assert v2_files(task_limits(Resources.parse("cpus:0.001;mem:1")), CPU_MEM)["cpu.weight"] == "1"
    assert v2_memory_max(None, 64 * MB) == str(64 * MB)  # first time: set
    # a new cgroup reads the cgroupfs default "max" (unlimited): set (a container was left
    # without any memory limit on cgroups v2 hosts until s14)
    assert v2_memory_max("max", 64 * MB) == str(64 * MB)
    assert v2_memory_max(str(64 * MB), 128 * MB) == str(128 * MB)  # raise
    assert v2_memory_max(str(128 * MB), 64 * MB) is None  # never lowered


def test_command_executor_container_is_overhead_plus_nested() -> None:
    nested = [Resources.parse("cpus:1;mem:64"), Resources.parse("cpus:0.5;mem:8")]
    lim = container_limits(Resources(), nested, command_executor=True)
    assert lim == Limits(cpus=1.6, mem_bytes=(32 + 64 + 32) * MB)  # 8 MB task -> 32 MB minimum
    assert container_limits(Resources.parse("cpus:2;mem:512")) == Limits(cpus=2.0, mem_bytes=512 * MB)


def test_parse_isolation_rejects_bad_names() -> None:
    iso = parse_isolation("cgroups/cpu,cgroups/mem,cgroups/pids")
    assert iso.cgroups and iso.cpu and iso.mem and iso.pids and not iso.disk
    assert not parse_isolation("").cgroups
    assert not parse_isolation("posix/cpu,posix/mem").cgroups
    for bad, needle in (("cgroups/gpu", "unknown isolator"), ("cgroups/mem,cgroups/mem", "twice"),
                        ("posix/cpu,cgroups/cpu", "pick one")):
        with pytest.raises(IsolationFlagError, match=needle):
            parse_isolation(bad)


@given(st.text(min_size=1, max_size=80))
def test_nested_name_is_injective_and_safe(task_id: str) -> None:
    name = nested_name(task_id)
    assert name.startswith(("task-", "taskh-")) and "/" not in name and len(name) <= 200
    # names of up to 200 characters are the id's encoding (decoded back); longer ones are a
    # hash, not decoded (the isolator keeps the name -> task id map, see test_daemons_isolation)
    assert nested_task_id(name) == (task_id if name.startswith("task-") else None)
    assert nested_name(task_id + "x") != name


def test_disk_quota_decision() -> None:
    """disk/du's decision (core): over the disk only when enforced and the task has a disk."""
    from mesotron.core.agent.isolation import disk_quota_exceeded, task_sandbox_name

    assert disk_quota_exceeded(1, 3 * MB, enforce=True) == MB
    assert disk_quota_exceeded(1, MB, enforce=True) is None  # at the quota: fits
    assert disk_quota_exceeded(1, 3 * MB, enforce=False) is None  # measured only
    assert disk_quota_exceeded(0, 3 * MB, enforce=True) is None  # no disk resource
    assert task_sandbox_name("web-1") == "web-1"
    for bad in ("x" * 201, "a/b", ".", ".."):
        name = task_sandbox_name(bad)
        assert name.startswith("taskh-") and "/" not in name and len(name) <= 200


def test_limitation_message_as_mesos() -> None:
    assert format_bytes(64 * MB) == "64MB" and format_bytes(1536) == "1536B" and format_bytes(2048) == "2KB"
    msg = memory_limitation_message(64 * MB, 64 * MB + 4096, {"rss": 1, "cache": 2})
    assert msg == ("Memory limit exceeded: Requested: 64MB Maximum Used: 65540KB\n\n"
                   "MEMORY STATISTICS: \nrss 1\ncache 2\n")


# ------------------------------------------------------------------ detection
def test_detect_reports_missing_controllers() -> None:
    mounts = ("cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n"
              "cgroup /sys/fs/cgroup/freezer cgroup rw,freezer 0 0\n")
    assert parse_mounts(mounts) == ({"cpu": "/sys/fs/cgroup/cpu", "freezer": "/sys/fs/cgroup/freezer"}, None)
    with pytest.raises(CgroupError, match="memory not mounted"):
        detect("x", ("cpu", "memory"), mounts)
    with pytest.raises(CgroupError, match="no cgroup filesystem"):
        detect("x", ("cpu",), "proc /proc proc rw 0 0\n")


# ------------------------------------------------------------------ v2 on a temporary tree
def fake_cgroup2(tmp: Any, controllers: str = "cpu memory pids") -> str:
    mount = str(tmp / "cgroup2")
    os.makedirs(mount)
    with open(os.path.join(mount, "cgroup.controllers"), "w") as f:
        f.write(controllers + "\n")
    return mount


def _rm_fake(d: str) -> None:  # cgroupfs drops control files on rmdir; a real tree does not
    for e in os.scandir(d):
        if e.is_file():
            os.unlink(e.path)
    os.rmdir(d)


def test_v2_file_protocol(tmp_path: Any) -> None:
    mount = fake_cgroup2(tmp_path)
    b = detect("mesotron", ("cpu", "memory"), f"cgroup2 {mount} cgroup2 rw 0 0\n")
    assert isinstance(b, CgroupsV2)
    b.rmdir = _rm_fake
    root = os.path.join(mount, "mesotron")

    def read(*p: str) -> str:
        with open(os.path.join(*p)) as f:
            return f.read()

    assert read(mount, "cgroup.subtree_control") == "+cpu +memory"
    assert read(root, "cgroup.subtree_control") == "+cpu +memory"
    b.create("c1")
    b.set_limits("c1", None, v2_files(Limits(cpus=1.1, mem_bytes=96 * MB), CFS))
    # the executor goes to the leaf (no processes in inner nodes), tasks to their own cgroup
    assert b.join_files("c1") == [os.path.join(root, "c1", "leaf", "cgroup.procs")]
    assert read(root, "c1", "cgroup.subtree_control") == "+cpu +memory"
    assert read(root, "c1", "cpu.max") == "110000 100000" and read(root, "c1", "cpu.weight") == "110"
    b.create("c1", "task-a")
    b.set_limits("c1", "task-a", v2_files(Limits(cpus=1, mem_bytes=64 * MB), CPU_MEM))
    assert b.join_files("c1", "task-a") == [os.path.join(root, "c1", "task-a", "cgroup.procs")]
    assert read(root, "c1", "task-a", "memory.max") == str(64 * MB)
    b.set_limits("c1", "task-a", {"memory.max": str(32 * MB)})  # lowering is refused
    assert read(root, "c1", "task-a", "memory.max") == str(64 * MB)
    b.set_limits("c1", "task-a", {"memory.max": str(128 * MB)})
    assert read(root, "c1", "task-a", "memory.max") == str(128 * MB)
    # counters as the kernel lays them out
    with open(os.path.join(root, "c1", "cpu.stat"), "w") as f:
        f.write("usage_usec 3000000\nuser_usec 2000000\nsystem_usec 1000000\nnr_periods 10\n"
                "nr_throttled 4\nthrottled_usec 500000\n")
    with open(os.path.join(root, "c1", "memory.current"), "w") as f:
        f.write(f"{50 * MB}\n")
    with open(os.path.join(root, "c1", "memory.stat"), "w") as f:
        f.write("anon 1000\nfile 2000\nfile_mapped 30\n")
    with open(os.path.join(root, "c1", "task-a", "memory.events"), "w") as f:
        f.write("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    with open(os.path.join(root, "c1", "leaf", "cgroup.procs"), "w") as f:
        f.write("")
    s = b.statistics("c1")
    assert s["cpus_user_time_secs"] == 2.0 and s["cpus_system_time_secs"] == 1.0
    assert s["cpus_nr_throttled"] == 4 and s["cpus_throttled_time_secs"] == 0.5
    assert s["cpus_limit"] == pytest.approx(1.1)
    assert s["mem_limit_bytes"] == 96 * MB and s["mem_total_bytes"] == 50 * MB
    assert s["mem_rss_bytes"] == 1000 and s["mem_cache_bytes"] == 2000
    assert b.memory("c1", "task-a")["oom_kill"] == 1
    assert b.containers() == {"c1"}
    # destroy: cgroup.kill, then leaf-first removal
    assert trio.run(b.destroy, "c1")
    assert not os.path.exists(os.path.join(root, "c1"))


def test_v2_isolator_nested_limits_and_memory_events_oom(tmp_path: Any) -> None:
    """The isolator on the v2 protocol (fake tree): the executor's place is the container's
    `leaf`; nested task cgroups get cpu.weight / cpu.max / memory.max; the parent follows
    its tasks (memory.max only ever raised, cpu.weight and cpu.max lowered when a task
    goes); an `oom_kill` in a task's memory.events becomes that task's ContainerLimitation
    (a 300-character id too: hashed name, mapped back)."""
    from mesotron.core.agent.model import ContainerLimitation, UpdateContainer
    from mesotron.io.containers.isolator import ENV_CGROUPS_HOME, Isolator

    mount = fake_cgroup2(tmp_path)
    b = detect("mesotron", ("cpu", "memory"), f"cgroup2 {mount} cgroup2 rw 0 0\n")
    assert isinstance(b, CgroupsV2)
    b.rmdir = _rm_fake
    root = os.path.join(mount, "mesotron")
    long_id = "L" * 300
    hashed = nested_name(long_id)
    got: list[ContainerLimitation] = []

    def read(*p: str) -> str:
        with open(os.path.join(*p)) as f:
            return f.read()

    async def go() -> None:
        iso = Isolator(parse_isolation("cgroups/cpu,cgroups/mem", cfs=True), root="mesotron",
                       submit=got.append, backend=b)
        async with trio.open_nursery() as n:
            await n.start(iso.run)
            assert iso.prepare("c1", Resources(), True, str(tmp_path)) == \
                [os.path.join(root, "c1", "leaf", "cgroup.procs")]
            assert iso.executor_env("c1")[ENV_CGROUPS_HOME] == os.path.join(root, "c1", "leaf", "cgroup.procs")
            iso.update(UpdateContainer(container_id="c1", resources=Resources(), command_executor=True,
                                       nested_add=(("a", Resources.parse("cpus:1;mem:64")),
                                                   (long_id, Resources.parse("cpus:0.5;mem:128")))))
            c1 = os.path.join(root, "c1")
            assert read(c1, "cpu.weight") == "160" and read(c1, "cpu.max") == "160000 100000"
            assert read(c1, "memory.max") == str((32 + 64 + 128) * MB)
            assert read(c1, "task-a", "cpu.weight") == "100" and read(c1, "task-a", "memory.max") == str(64 * MB)
            assert read(c1, hashed, "cpu.max") == "50000 100000" and read(c1, hashed, "memory.max") == str(128 * MB)
            Path(c1, hashed, "memory.events").write_text("low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n")
            with trio.fail_after(10):
                while not got:
                    await trio.sleep(0.02)
            iso.update(UpdateContainer(container_id="c1", resources=Resources(), command_executor=True,
                                       nested_remove=("a",)))
            with trio.fail_after(10):
                while os.path.exists(os.path.join(c1, "task-a")) or read(c1, "cpu.weight") != "60":
                    await trio.sleep(0.02)
            assert read(c1, "cpu.max") == "60000 100000"
            assert read(c1, "memory.max") == str((32 + 64 + 128) * MB)  # never lowered on v2
            n.cancel_scope.cancel()

    trio.run(go)
    [lim] = got
    assert (lim.container_id, lim.task_id, lim.resource, lim.requested) == ("c1", long_id, "mem", 128 * MB)


def test_recovery_rebuilds_nested_books_from_checkpoints_or_files(tmp_path: Any) -> None:
    """Isolator.recover (fake v2 tree): a nested cgroup whose task is in the checkpoints gets
    that task's limits and id back (a hashed long id included); one without a checkpointed
    task keeps what its files say (cpu.max quota, memory.max); a container the checkpoints
    do not know is an orphan."""
    from mesotron.io.containers.isolator import Isolator

    mount = fake_cgroup2(tmp_path)
    b = detect("mesotron", ("cpu", "memory"), f"cgroup2 {mount} cgroup2 rw 0 0\n")
    long_id = "L" * 300
    for cid, name, files in (("c1", "task-a", CFS), ("c1", nested_name(long_id), CFS), ("c1", "task-b", CFS),
                             ("stray", None, CFS)):
        b.create(cid)
        if name:
            b.create(cid, name)
            b.set_limits(cid, name, v2_files(Limits(cpus=0.5, mem_bytes=64 * MB), files))
    iso = Isolator(parse_isolation("cgroups/cpu,cgroups/mem", cfs=True), root="mesotron", backend=b)
    tasks = {"c1": {"a": Resources.parse("cpus:0.3;mem:128"), long_id: Resources.parse("cpus:2;mem:256")}}
    assert iso.recover({"c1"}, tasks) == ["stray"]
    assert iso.nested["c1"] == {"task-a": Limits(cpus=0.3, mem_bytes=128 * MB),
                                nested_name(long_id): Limits(cpus=2.0, mem_bytes=256 * MB),
                                "task-b": Limits(cpus=0.5, mem_bytes=64 * MB)}  # from its files
    assert iso.task_of[("c1", nested_name(long_id))] == long_id
    assert iso._container_limits("c1") == Limits(cpus=2.9, mem_bytes=(32 + 128 + 256 + 64) * MB)


def test_v2_destroy_writes_cgroup_kill(tmp_path: Any) -> None:
    """Destroy on v2 writes `1` to the container's `cgroup.kill` (Linux >= 5.14 kills every
    process below it at once), waits until no process is left, then removes the tree leaf
    first. The fake tree has no kernel: a stand-in reacts to cgroup.kill by killing the
    processes listed in the cgroup.procs files below it and emptying them."""
    mount = fake_cgroup2(tmp_path)
    b = detect("mesotron", ("cpu", "memory"), f"cgroup2 {mount} cgroup2 rw 0 0\n")
    assert isinstance(b, CgroupsV2)
    b.rmdir = _rm_fake
    b.create("c2")
    b.create("c2", "task-x")
    c2 = os.path.join(mount, "mesotron", "c2")
    procs = [subprocess.Popen(["sleep", "100"]) for _ in range(2)]
    for d, p in ((os.path.join(c2, "leaf"), procs[0]), (os.path.join(c2, "task-x"), procs[1])):
        with open(os.path.join(d, "cgroup.procs"), "w") as f:
            f.write(f"{p.pid}\n")
    written: list[str] = []

    async def kernel() -> None:
        kill = Path(c2, "cgroup.kill")
        while not (kill.exists() and kill.read_text().strip() == "1"):
            await trio.sleep(0.01)
        written.append("1")
        for d in (os.path.join(c2, "leaf"), os.path.join(c2, "task-x")):
            f = Path(d, "cgroup.procs")
            for pid in f.read_text().split():
                os.kill(int(pid), 9)
            f.write_text("")

    async def go() -> bool:
        async with trio.open_nursery() as n:
            n.start_soon(kernel)
            ok = await b.destroy("c2", timeout=10)
        return ok

    try:
        assert trio.run(go)
        assert written == ["1"]
        assert [p.wait(5) for p in procs] == [-9, -9]
        assert not os.path.exists(c2)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def test_v2_missing_controllers_is_a_clear_error(tmp_path: Any) -> None:
    mount = fake_cgroup2(tmp_path, controllers="hugetlb")  # what this machine's v2 mount has
    with pytest.raises(CgroupError, match="cpu, memory not available"):
        detect("mesotron", ("cpu", "memory"), f"cgroup2 {mount} cgroup2 rw 0 0\n")


# ------------------------------------------------------------------ v1 for real
V1 = parse_mounts(Path("/proc/self/mounts").read_text())[0]
real_v1 = pytest.mark.skipif(not all(c in V1 for c in ("cpu", "cpuacct", "memory", "freezer"))
                             or os.geteuid() != 0, reason="needs cgroups v1 as root")


@pytest.fixture
def v1(request: Any) -> Any:
    b = CgroupsV1(V1, f"mesotron-unit-{os.getpid()}-{request.node.name[:30]}")
    b.check(("cpu", "memory"))
    yield b
    for cid in b.containers():
        trio.run(b.destroy, cid)
    for h in b.hierarchies:
        os.rmdir(os.path.join(h, b.root))


@real_v1
def test_v1_limits_join_statistics_and_freezer_destroy(v1: CgroupsV1) -> None:
    v1.create("c")
    v1.set_limits("c", None, v1_files(Limits(cpus=0.5, mem_bytes=96 * MB), CFS))
    v1.create("c", "task-x")
    v1.set_limits("c", "task-x", v1_files(Limits(cpus=0.25, mem_bytes=64 * MB), CPU_MEM))
    files = v1.join_files("c", "task-x")
    script = "; ".join(f"echo $$ > {f}" for f in files) + "; sleep 100 & sleep 100 & wait"
    p = subprocess.Popen(["sh", "-c", script], start_new_session=True)
    try:
        pids: set[int] = set()

        async def until_three() -> None:
            with trio.fail_after(10):
                while len(v1.pids("c")) < 3:
                    await trio.sleep(0.01)

        trio.run(until_three)
        pids = v1.pids("c")
        assert p.pid in pids and v1.pids("c", "task-x") == pids
        s = v1.statistics("c")
        assert s["mem_limit_bytes"] == 96 * MB and s["cpus_limit"] == 0.5
        assert s["processes"] == 3 and s["threads"] >= 3 and s["cpus_nr_periods"] >= 0
        assert v1.memory("c", "task-x")["limit"] == 64 * MB
        assert trio.run(v1.destroy, "c")
        assert not v1.exists("c") and "c" not in v1.containers()
        p.wait(5)
        for pid in pids - {p.pid}:  # gone (or a zombie waiting for init to reap it)
            try:
                assert psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                pass
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


@real_v1
def test_v1_oom_eventfd_and_counter(v1: CgroupsV1) -> None:
    v1.create("c")
    v1.create("c", "task-hog")
    v1.set_limits("c", "task-hog", v1_files(Limits(cpus=0.1, mem_bytes=32 * MB), CPU_MEM))
    efd = v1.oom_eventfd("c", "task-hog")
    files = " ".join(v1.join_files("c", "task-hog"))
    try:
        p = subprocess.run(["sh", "-c", (f"for f in {files}; do echo $$ > $f; done; "
                            "exec python3 -c 'b = bytearray(200 << 20)'")], check=False, timeout=30)
        assert p.returncode == -9  # the kernel's OOM killer, inside the nested cgroup
        assert os.eventfd_read(efd) >= 1
        mem = v1.memory("c", "task-hog")
        assert mem["oom_kill"] == 1 and mem["max_usage"] >= 31 * MB
        assert v1.memory("c")["oom_kill"] == 0  # v1 counts it locally: the task, not its parent
    finally:
        os.close(efd)


# ------------------------------------------------------------------ disk/du
def test_disk_du_reports_a_container_over_its_disk(tmp_path: Any) -> None:
    from mesotron.core.agent.machine import ContainerLimitation
    from mesotron.io.containers.isolator import Isolator
    from mesotron.io.containers.stats import container_statistics

    got: list[Any] = []
    iso = Isolator(parse_isolation("disk/du", enforce_disk=True), submit=got.append)
    assert not iso.cgroups
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    assert iso.prepare("c1", Resources.parse("cpus:1;mem:32;disk:1"), False, str(sandbox)) == []
    (sandbox / "small").write_bytes(b"x" * 1000)
    trio.run(iso._check_disk, "c1", str(sandbox))
    assert got == [] and 0 < iso.disk_used["c1"] < 1 << 20
    (sandbox / "big").write_bytes(os.urandom(2 << 20))
    trio.run(iso._check_disk, "c1", str(sandbox))
    [lim] = got
    assert isinstance(lim, ContainerLimitation) and lim.resource == "disk" and lim.task_id is None
    assert lim.requested == 1 << 20 and lim.used > 2 << 20

    class FakeContainers:  # what io/containers/stats.py reads from a Containerizer
        isolator = iso

        def statistics(self, cid: str) -> dict[str, Any]:
            return {"timestamp": 1.0}

    s = container_statistics(FakeContainers(), "c1")
    assert s["disk_used_bytes"] == iso.disk_used["c1"] and s["disk_limit_bytes"] == 1 << 20
    # without --enforce-container-disk-quota it is measured, never reported
    quiet: list[Any] = []
    iso2 = Isolator(parse_isolation("disk/du"), submit=quiet.append)
    iso2.prepare("c2", Resources.parse("disk:1"), False, str(sandbox))
    trio.run(iso2._check_disk, "c2", str(sandbox))
    assert quiet == [] and iso2.disk_used["c2"] > 2 << 20


def _freeze(d: str) -> None:
    with open(os.path.join(d, "freezer.state"), "w") as f:
        f.write("FROZEN")


@real_v1
def test_v1_destroy_thaws_a_nested_cgroup_left_frozen(v1: CgroupsV1) -> None:
    """An agent killed while it destroyed a task's cgroup leaves that nested cgroup FROZEN
    (its processes unkillable, in D state): destroying the container thaws every level."""
    v1.create("c")
    v1.create("c", "task-x")
    files = " ".join(v1.join_files("c", "task-x"))
    p = subprocess.Popen(["sh", "-c", f"for f in {files}; do echo $$ > $f; done; exec sleep 100"],
                         start_new_session=True)
    try:
        async def frozen_then_destroyed() -> bool:
            with trio.fail_after(10):
                while not v1.pids("c", "task-x"):
                    await trio.sleep(0.01)
            fz = v1.path("freezer", "c", "task-x")
            assert fz is not None
            _freeze(fz)
            return await v1.destroy("c", timeout=10)

        assert trio.run(frozen_then_destroyed)
        assert p.wait(10) == -9 and not v1.exists("c")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
