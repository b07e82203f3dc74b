"""The seed's workloads as example frameworks (examples/), each run end to end against real
daemons: an MPI-style gang, a long-running service, a stream, placement three ways (all four at
once: the tutorial's chapter 6, tests/test_tutorial.py; and the DRF paper example in
tests/test_drf_paper.py, the word count in tests/test_daemons_examples.py)."""

from __future__ import annotations

import os
import sys

import pytest
import trio
from testkit import Cluster, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))

import gang


def free_ports(n: int = 11) -> str:
    """A port range for the agents' offers that nothing on this machine listens on now (the
    gang's rank 0 and the stream's tasks bind offered ports on loopback)."""
    import socket

    for _ in range(50):
        base = free_port()
        if base + n >= 65535:
            continue
        busy = False
        for p in range(base, base + n):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    busy = True
                    break
        if not busy:
            return f"[{base}-{base + n - 1}]"
    raise RuntimeError("no free port range")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    # two agents with room for two ranks each: a gang of 4 needs both
    with Cluster(str(tmp_path_factory.mktemp("gang")), agents=2,
                 resources=f"cpus:0.2;mem:256;ports:{free_ports()}",
                 master_flags=("--allocation-interval", "50ms")) as c:
        yield c


def test_gang_is_all_or_nothing_and_retried_as_a_whole(small) -> None:
    lines: list[str] = []

    async def run() -> int:
        with trio.fail_after(60):
            return await gang.gang(small.master_addr, 4, fail_rank=2, fail_times=1,
                                   out=lines.append)

    assert trio.run(run) == 2, lines
    text = "\n".join(lines)
    assert "rank-2-a1 TASK_FAILED" in text and "killing the gang of attempt 1" in text
    assert "all 4 ranks finished in attempt 2" in text
    # every rank of attempt 2 computed the allreduce (1+2+3+4) and said so in its stdout
    outs = []
    for root, _dirs, files in os.walk(small.tmp):
        if "stdout" in files and "/tasks/rank-" in root and root.endswith("-a2"):
            with open(os.path.join(root, "stdout")) as f:
                outs.append(f.read())
    assert len(outs) == 4 and all("allreduce(sum) = 10 (expected 10)" in o for o in outs), outs


def test_gang_that_cannot_fit_releases_its_offers(small) -> None:
    lines: list[str] = []

    async def run() -> int:
        with trio.fail_after(30):
            return await gang.gang(small.master_addr, 5, attempts=1, hold=0.5, out=lines.append)

    async def bounded() -> int:
        with trio.move_on_after(4):
            return await run()
        return -1

    assert trio.run(bounded) == -1  # 5 ranks never fit 4 slots: it keeps trying, never launches
    assert any("do not fit 5 ranks" in ln and "releasing them" in ln for ln in lines), lines
    assert not any("attempt 1:" in ln for ln in lines)


# ------------------------------------------------------------------ the service
import psutil
import service


class Racks(Cluster):
    """Three agents with their own hostnames and racks: h0/r1, h1/r1, h2/r2."""

    def agent(self, i: int, port: int | None = None):  # type: ignore[no-untyped-def]
        d = super().agent(i, port)
        d.argv += ["--hostname", f"h{i}", "--attributes", f"rack:r{1 if i < 2 else 2}"]
        return d


def test_constraints_semantics() -> None:
    c = [service.parse_constraint("hostname:UNIQUE")]
    assert service.fits(c, {"hostname": "h1"}, [{"hostname": "h0"}])
    assert not service.fits(c, {"hostname": "h0"}, [{"hostname": "h0"}])
    g = [service.parse_constraint("rack:GROUP_BY")]
    assert not service.fits(g, {"rack": "r1"}, [{"rack": "r1"}, {"rack": "r2"}, {"rack": "r1"}])
    assert service.fits(g, {"rack": "r2"}, [{"rack": "r1"}, {"rack": "r2"}, {"rack": "r1"}])
    like = [service.parse_constraint("rack:LIKE:r[12]")]
    assert service.fits(like, {"rack": "r2"}, []) and not service.fits(like, {"rack": "r3"}, [])
    unlike = [service.parse_constraint("rack:UNLIKE:r1")]
    assert service.fits(unlike, {"rack": "r2"}, []) and not service.fits(unlike, {"rack": "r1"}, [])
    for bad in ("rack", "rack:NEAR", "rack:LIKE", "rack:LIKE:("):
        with pytest.raises(Exception):  # noqa: B017 - ValueError or re.error
            service.parse_constraint(bad)


SLEEPER = f"{sys.executable} -c 'import time; time.sleep(1000)'"


@pytest.fixture(autouse=True)
def _no_instance_left_behind():
    """The service tests' instances outlive the agents that ran them (agents exit without
    killing tasks, so that recovery finds them): kill what is left once a test ends."""
    yield
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if cmd and cmd[0] == sys.executable and cmd[-1].startswith("svcmark-"):
            try:
                p.kill()
            except psutil.Error:
                pass


def _kill_one(marker: str) -> None:
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if cmd and cmd[-1] == marker and cmd[0] == sys.executable:
            p.kill()
            return
    raise AssertionError(f"no process with {marker}")


def test_service_keeps_n_running_restarts_upgrades_scales_and_fails_over(tmp_path) -> None:
    state = str(tmp_path / "svc.json")
    lines: list[str] = []
    seen_healthy: list[int] = []
    with Racks(str(tmp_path), agents=3, resources="cpus:1;mem:512;ports:[32000-32100]",
               master_flags=("--allocation-interval", "50ms")) as c:

        async def until(pred, limit: float = 20.0) -> None:
            with trio.fail_after(limit):
                while not pred():
                    await trio.sleep(0.05)

        async def scenario() -> None:
            svc = service.Service(c.master_addr, name="web", command=SLEEPER + " svcmark-v1",
                                  instances=3, constraints=["hostname:UNIQUE"], state_file=state,
                                  backoff=0.2, out=lines.append)
            async with trio.open_nursery() as n:
                await n.start(svc.run)
                await until(lambda: len(svc.healthy()) == 3)
                assert sorted(i.hostname for i in svc.healthy()) == ["h0", "h1", "h2"]
                # an instance dies: replaced after its backoff, still one per host
                _kill_one("svcmark-v1")
                await until(lambda: any("replacing it in 0.2 s" in ln for ln in lines))
                await until(lambda: len(svc.healthy()) == 3 and svc.seq == 4)
                assert sorted(i.hostname for i in svc.healthy()) == ["h0", "h1", "h2"]

                # rolling upgrade with min healthy 0.5: never fewer than 2 healthy
                async def watch() -> None:
                    while True:
                        seen_healthy.append(len(svc.healthy()))
                        await trio.sleep(0.01)
                n.start_soon(watch)
                svc.upgrade(SLEEPER + " svcmark-v2")
                await until(lambda: len(svc.healthy()) == 3 and all(i.version == 2 for i in svc.live()), 40)
                assert min(seen_healthy) >= 2, seen_healthy
                # scale down
                svc.scale(1)
                await until(lambda: len(svc.live()) == 1 and len(svc.healthy()) == 1)
                n.cancel_scope.cancel()  # the framework process "dies" (no teardown)
            seq = svc.seq
            # restarted: same framework id from the state file, reconciled, nothing duplicated
            again = service.Service(c.master_addr, name="web", command="unused", instances=3,
                                    constraints=["hostname:UNIQUE"], state_file=state,
                                    out=lines.append)
            assert again.framework_id == svc.framework_id and again.target == 1
            async with trio.open_nursery() as n:
                await n.start(again.run)
                await until(lambda: len(again.healthy()) == 1)
                await trio.sleep(1.0)  # offers keep coming: nothing more is launched
                assert again.seq == seq and len(again.live()) == 1
                n.cancel_scope.cancel()

        trio.run(scenario)
    assert any("(failed over)" in ln for ln in lines), lines


# ------------------------------------------------------------------ the stream
import stream


def _kill_role(marker: str) -> bool:
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if len(cmd) > 2 and cmd[0] == sys.executable and marker in cmd[2]:
            p.kill()
            return True
    return False


def test_stream_survives_killed_tasks_without_losing_acked_tuples(tmp_path) -> None:
    n = 3000
    work = tmp_path / "stream"
    lines: list[str] = []
    with Cluster(str(tmp_path), agents=2, resources=f"cpus:1;mem:256;ports:{free_ports()}",
                 master_flags=("--allocation-interval", "50ms")) as c:

        async def lines_out() -> int:
            try:
                return (work / "out.txt").read_text().count("\n")
            except OSError:
                return 0

        async def scenario() -> bool:
            async with trio.open_nursery() as nursery:
                result: list[bool] = []

                async def run() -> None:
                    result.append(await stream.stream(c.master_addr, n, str(work), pause=0.001,
                                                      out=lines.append))
                    nursery.cancel_scope.cancel()

                nursery.start_soon(run)
                with trio.fail_after(60):
                    while await lines_out() < 500:
                        await trio.sleep(0.02)
                    assert _kill_role("shost, sport")  # the transform, mid-stream
                    while await lines_out() < 1500:
                        await trio.sleep(0.02)
                    assert _kill_role("have = set()")  # the sink, mid-stream
                    await trio.sleep(60)
            return bool(result and result[0])

        assert trio.run(scenario), lines
    text = "\n".join(lines)
    assert "transform-1 TASK_FAILED: relaunching transform" in text or \
        "transform-1 TASK_KILLED" in text, text
    assert "sink-1 TASK_" in text and "launched sink-2" in text, text
    rows = [ln.split() for ln in (work / "out.txt").read_text().splitlines()]
    ids = [int(a) for a, _ in rows]
    assert sorted(ids) == list(range(n))  # every tuple once in the sink
    assert all(int(v) == int(a) ** 2 for a, v in rows)
    acked = {int(x) for x in (work / "acked.txt").read_text().split()}
    assert acked == set(range(n))  # acknowledged means stored


# ------------------------------------------------------------------ placement three ways
import placement


class GpuCluster(Cluster):
    """agent0: hgpu with gpu:true, agent1: hplain; `reserved`: agent0's resources are all
    reserved for role gpu."""

    def __init__(self, tmp: str, reserved: bool) -> None:
        super().__init__(tmp, agents=2, master_flags=("--allocation-interval", "50ms"))
        self.reserved = reserved

    def agent(self, i: int, port: int | None = None):  # type: ignore[no-untyped-def]
        d = super().agent(i, port)
        res = d.argv.index("--resources") + 1
        if i == 0:
            d.argv += ["--hostname", "hgpu", "--attributes", "gpu:true"]
            if self.reserved:
                d.argv[res] = "cpus(gpu):1;mem(gpu):512;disk(gpu):100"
        else:
            d.argv += ["--hostname", "hplain"]
            d.argv[res] = "cpus:1;mem:512;disk:100"
        return d


@pytest.mark.parametrize("way", ["attributes", "constraints", "reservation"])
def test_placement_three_ways(tmp_path, way) -> None:
    with GpuCluster(str(tmp_path), reserved=way == "reservation") as c:
        async def go():
            with trio.fail_after(60):
                return await placement.run(c.master_addr, way)
        placed = trio.run(go)
    assert placed == {"gpu-0": "hgpu", "gpu-1": "hgpu", "batch-0": "hplain", "batch-1": "hplain"}


def test_service_survives_master_failover(zk_server, tmp_path) -> None:
    """The service follows the leader through ZooKeeper: the leader is killed -9, a standby
    leads, the agents re-register, the service re-subscribes with its framework id and
    reconciles; its instances keep running, none is lost or launched twice."""
    from testkit import HaCluster, blocking

    zk = zk_server.url("/service-failover")
    lines: list[str] = []
    with HaCluster(str(tmp_path), zk, masters=2, agents=2, session_timeout=1.5,
                   master_flags=("--allocation-interval", "50ms")) as c:

        async def until(pred, limit: float = 40.0) -> None:
            with trio.fail_after(limit):
                while not pred():
                    await trio.sleep(0.05)

        async def scenario() -> None:
            svc = service.Service(zk, name="web", command=SLEEPER + " svcmark-ha", instances=2,
                                  state_file=str(tmp_path / "svc.json"), out=lines.append)
            async with trio.open_nursery() as n:
                await n.start(svc.run)
                await until(lambda: len(svc.healthy()) == 2)
                before = {i.task_id for i in svc.healthy()}
                fid = svc.framework_id
                old = await blocking(c.leader_index)
                c.masters[old].kill9()
                await blocking(c.wait_agents, 2, 40.0, {old})
                await until(lambda: svc.s.resubscriptions >= 1)
                await trio.sleep(2.0)  # reconciliation answers arrive; offers keep coming
                assert svc.framework_id == fid
                assert {i.task_id for i in svc.healthy()} == before and svc.seq == 2
                n.cancel_scope.cancel()

        trio.run(scenario)
