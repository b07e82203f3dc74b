"""Leader election and detection in the Mesos layout, against a REAL ZooKeeper.

One private server per module (io/zk/server.py: loopback, free port, stopped by its PID).
Every scenario runs under an absolute `trio.fail_after`; waits poll state with deadlines.
Run `pytest -s tests/test_zk_election.py` to see the measured figures.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import trio
from kazoo.exceptions import ConnectionLoss
from mesotron.core.values import MasterInfo
from mesotron.io.zk.bridge import CONNECTED, LOST, SUSPENDED, ZkClient, expire_session, open_zk
from mesotron.io.zk.election import (
    ZkContender,
    detect_leader,
    leader_child,
    parse_master_info,
    pymesos_leader_child,
)
from mesotron.io.zk.registry import ZkRegistry
from mesotron.io.zk.server import ZkServer, running_zookeeper, zookeeper_available

MESOS_KEYS = {"id", "ip", "port", "pid", "hostname", "version", "address", "capabilities"}


@pytest.fixture(scope="module")
def zk_server() -> Iterator[ZkServer]:
    reason = zookeeper_available()
    if reason is not None:
        pytest.skip(reason)
    with running_zookeeper() as server:
        print(f"\nZooKeeper ready in {server.last_start_seconds:.2f}s on {server.hosts}")
        yield server


def run(fn: Callable[[], Awaitable[Any]], limit: float = 20.0) -> Any:
    async def main() -> Any:
        with trio.fail_after(limit):
            return await fn()

    return trio.run(main)


async def until(predicate: Callable[[], bool], poll: float = 0.01) -> None:
    """Poll a condition (the caller's fail_after is the deadline)."""
    while not predicate():
        await trio.sleep(poll)


def info(i: int) -> MasterInfo:
    return MasterInfo(id=f"master-{i}", hostname=f"m{i}", ip="127.0.0.1", port=15050 + i)


@contextlib.asynccontextmanager
async def clients(hosts: str, n: int, session_timeout: float) -> Any:
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(open_zk(hosts, session_timeout=session_timeout))
            for _ in range(n)
        ]


async def start_contenders(
    nursery: trio.Nursery, zks: list[ZkClient], path: str
) -> list[ZkContender]:
    out = []
    for i, zk in enumerate(zks):  # one after the other: sequence numbers in this order
        c = ZkContender(zk, path, info(i))
        await nursery.start(c.run)
        out.append(c)
    return out


def test_three_contenders_lowest_leads_detector_follows(zk_server: ZkServer) -> None:
    path = "/three/mesos"

    async def scenario() -> None:
        async with (
            clients(zk_server.hosts, 4, 4.0) as zks,
            detect_leader(zks[3], path) as det,
            trio.open_nursery() as nursery,
        ):
            t0 = trio.current_time()
            cs = await start_contenders(nursery, zks[:3], path)
            await cs[0].elected.wait()
            election = trio.current_time() - t0
            names = [c.node.rsplit("/", 1)[1] for c in cs if c.node]
            await until(lambda: all(c.leader_child == names[0] for c in cs))
            assert [c.leading for c in cs] == [True, False, False]
            assert await det.detect(None) == info(0)

            # the layout is exactly Mesos's
            obs = zks[3]
            children = sorted(await obs.get_children(path))
            assert children == names
            assert all(re.fullmatch(r"json\.info_\d{10}", c) for c in children)
            seqs = [int(c[-10:]) for c in children]
            assert seqs == sorted(seqs) and len(set(seqs)) == 3
            assert leader_child(children) == pymesos_leader_child(children) == names[0]
            group_data, group_stat = await obs.get(path)
            assert group_data == b"" and group_stat.ephemeralOwner == 0
            for i, child in enumerate(children):
                data, stat = await obs.get(f"{path}/{child}")
                d = json.loads(data)
                assert set(d) == MESOS_KEYS
                assert d["ip"] == 16777343 and d["port"] == 15050 + i
                assert d["pid"] == f"master@127.0.0.1:{15050 + i}"
                assert d["address"] == {"hostname": f"m{i}", "ip": "127.0.0.1", "port": 15050 + i}
                assert parse_master_info(data) == info(i)
                assert stat.ephemeralOwner == zks[i].session_id

            # the leader's session closes: the next lowest leads, the detector follows
            t1 = trio.current_time()
            await zks[0].close()
            await cs[1].elected.wait()
            handover = trio.current_time() - t1
            assert await det.detect(info(0)) == info(1)
            follow = trio.current_time() - t1
            assert cs[0].lost.is_set() and not cs[0].leading
            assert not cs[2].leading
            await zks[1].close()
            await cs[2].elected.wait()
            assert await det.detect(info(1)) == info(2)
            assert sorted(await obs.get_children(path)) == [names[2]]
            assert [ch.info for ch in det.changes] == [None, info(0), info(1), info(2)]
            print(
                f"\nelection (3 contenders): first leader after {election * 1000:.0f} ms; "
                f"session close -> next leader {handover * 1000:.0f} ms, "
                f"detector {follow * 1000:.0f} ms"
            )
            nursery.cancel_scope.cancel()

    run(scenario)


def test_real_session_expiry_of_leader_while_process_lives(zk_server: ZkServer) -> None:
    path = "/expiry/mesos"

    async def scenario() -> None:
        async with (
            clients(zk_server.hosts, 3, 4.0) as zks,
            detect_leader(zks[2], path) as det,
            trio.open_nursery() as nursery,
        ):
            cs = await start_contenders(nursery, zks[:2], path)
            await cs[0].elected.wait()
            await det.wait_for(lambda m: m == info(0))
            old_session = zks[0].session_id
            assert zks[0].client_id is not None
            t0 = trio.current_time()
            await expire_session(zk_server.hosts, zks[0].client_id)
            await cs[0].lost.wait()
            noticed = trio.current_time() - t0
            assert cs[0].lost_reason == "ZooKeeper session expired"
            assert not cs[0].leading
            await cs[1].elected.wait()
            assert await det.detect(info(0)) == info(1)
            # kazoo opens a new session for the old leader; it never leads again
            await until(lambda: zks[0].connected and zks[0].session_id != old_session)
            assert [e.state for e in zks[0].history][-2:] == [LOST, CONNECTED]
            children = await zks[2].get_children(path)
            assert cs[1].node is not None
            assert children == [cs[1].node.rsplit("/", 1)[1]]
            assert not cs[0].leading and cs[1].leading
            print(f"\nreal expiry of the leader's session noticed in {noticed * 1000:.0f} ms")
            nursery.cancel_scope.cancel()

    run(scenario)


CRASHING_MASTER = r"""
import sys, trio
from mesotron.core.values import MasterInfo
from mesotron.io.zk.bridge import open_zk
from mesotron.io.zk.election import contend

async def main(hosts, path, timeout):
    async with open_zk(hosts, session_timeout=timeout) as zk:
        info = MasterInfo(id="crashing", hostname="crash", ip="127.0.0.1", port=15999)
        async with contend(zk, path, info) as c:
            await c.elected.wait()
            print(c.node, flush=True)
            await trio.sleep_forever()

trio.run(main, sys.argv[1], sys.argv[2], float(sys.argv[3]))
"""


@pytest.mark.parametrize("session_timeout", [1.5, 3.0])
def test_sigkilled_leader_detected_after_session_timeout(
    zk_server: ZkServer, session_timeout: float
) -> None:
    """A leader process SIGKILLed: nobody closes its session, so the standby leads only once
    the server expires it, about one session timeout later (failover detection time)."""
    path = f"/crash{int(session_timeout * 1000)}/mesos"
    crashing = MasterInfo(id="crashing", hostname="crash", ip="127.0.0.1", port=15999)
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHING_MASTER, zk_server.hosts, path, str(session_timeout)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )

    async def scenario() -> tuple[float, float]:
        assert proc.stdout is not None
        line = await trio.to_thread.run_sync(proc.stdout.readline, abandon_on_cancel=True)
        assert line.startswith(path.encode() + b"/json.info_")
        async with (
            clients(zk_server.hosts, 2, session_timeout) as zks,
            detect_leader(zks[1], path) as det,
            trio.open_nursery() as nursery,
        ):
            await det.wait_for(lambda m: m == crashing)
            standby = ZkContender(zks[0], path, info(0))
            await nursery.start(standby.run)
            await until(lambda: standby.leader_child is not None)
            assert not standby.leading
            t0 = trio.current_time()
            proc.send_signal(signal.SIGKILL)  # our own child, by its PID
            await standby.elected.wait()
            elected = trio.current_time() - t0
            assert await det.detect(crashing) == info(0)
            detected = trio.current_time() - t0
            nursery.cancel_scope.cancel()
            return elected, detected

    try:
        elected, detected = run(scenario, limit=15.0 + 3 * session_timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    print(
        f"\nsession timeout {session_timeout:g}s: leader SIGKILL -> standby elected "
        f"{elected:.2f}s, detector follows {detected:.2f}s"
    )
    # never before the server could expire the session (>= 2/3 of it after the last ping);
    # the upper bound is loose: a loaded machine delays everything
    assert 0.5 * session_timeout <= elected <= detected <= session_timeout + 5.0


def test_zookeeper_restart_within_session_timeout_keeps_leadership(zk_server: ZkServer) -> None:
    """ZooKeeper SIGKILLed and restarted (same data dir and port) within the session
    timeout: every session survives, nobody loses membership, the leader keeps leading and
    its fenced registry writes still commit; the detector reports no change."""
    path = "/restart/mesos"

    async def scenario() -> float:
        async with (
            # a generous session timeout: the JVM restart takes seconds on a loaded machine
            clients(zk_server.hosts, 4, 10.0) as zks,
            detect_leader(zks[3], path) as det,
            trio.open_nursery() as nursery,
        ):
            cs = await start_contenders(nursery, zks[:3], path)
            await cs[0].elected.wait()
            await det.wait_for(lambda m: m == info(0))
            reg = ZkRegistry(zks[0], path + "-registry", fence=cs[0].node)
            await reg.recover()
            sessions = [zk.session_id for zk in zks]
            changes = len(det.changes)

            t0 = trio.current_time()
            try:
                await trio.to_thread.run_sync(zk_server.kill)
                await until(lambda: all(zk.state == SUSPENDED for zk in zks))
            finally:
                await trio.to_thread.run_sync(zk_server.spawn)
                await zk_server.wait_ready()
            await until(lambda: all(zk.state == CONNECTED for zk in zks))
            outage = trio.current_time() - t0

            history = [zk.history for zk in zks]
            assert [zk.session_id for zk in zks] == sessions, (history, zk_server.log_tail(60))
            assert all(LOST not in [e.state for e in zk.history] for zk in zks), history
            assert not any(c.lost.is_set() for c in cs), [c.lost_reason for c in cs]
            assert [c.leading for c in cs] == [True, False, False]
            assert len(det.changes) == changes and det.leader == info(0)
            assert await reg.write(("remove", "no-such-agent")) is not None
            nursery.cancel_scope.cancel()
            return outage

    outage = run(scenario, limit=30.0)
    print(f"\nZooKeeper down and back in {outage:.2f}s (session timeout 10s): no loss")


def test_partitioned_leader_steps_down_after_the_session_timeout() -> None:
    """Its own server, kept down longer than the session timeout: the leader cannot learn
    of the expiry (it cannot reach the server), so it stops leading by itself once the
    timeout has passed since it lost the connection (Mesos's group timer) -- never before."""

    async def scenario(server: ZkServer) -> float:
        async with clients(server.hosts, 1, 2.0) as (zk,), trio.open_nursery() as nursery:
            c = ZkContender(zk, "/partition/mesos", info(0))
            await nursery.start(c.run)
            await c.elected.wait()
            await trio.to_thread.run_sync(server.kill)
            await until(lambda: zk.state == SUSPENDED)
            await c.lost.wait()
            assert c.lost_at is not None
            stepped_down = c.lost_at - zk.state_since
            assert c.lost_reason is not None and "longer than the session timeout" in (
                c.lost_reason
            )
            assert not c.leading and zk.state == SUSPENDED
            assert stepped_down >= zk.negotiated_timeout * 0.99
            nursery.cancel_scope.cancel()
            return stepped_down

    with running_zookeeper() as server:
        stepped_down = run(lambda: scenario(server))
    print(f"\npartitioned leader (2s session) stopped leading {stepped_down:.2f}s after SUSPENDED")


def test_member_created_as_the_connection_drops_is_adopted_not_orphaned(
    zk_server: ZkServer,
) -> None:
    """The create reached the server but its reply was lost: the contender finds the node
    its own session owns instead of creating a second one (which would leave an orphan
    member that pymesos and Mesos would both count)."""
    path = "/adopt/mesos"

    async def scenario() -> None:
        async with clients(zk_server.hosts, 2, 4.0) as (zk, obs), trio.open_nursery() as n:
            real = zk.create

            async def create_then_lose_reply(*args: Any, **kwargs: Any) -> str:
                await real(*args, **kwargs)
                zk.create = real  # type: ignore[method-assign]
                raise ConnectionLoss()

            zk.create = create_then_lose_reply  # type: ignore[method-assign]
            c = ZkContender(zk, path, info(0))
            node = await n.start(c.run)
            await c.elected.wait()
            assert await obs.get_children(path) == [node.rsplit("/", 1)[1]]
            n.cancel_scope.cancel()

    run(scenario)
