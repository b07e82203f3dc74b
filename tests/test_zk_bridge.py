"""The private ZooKeeper server runner and the kazoo-to-Trio bridge, against a REAL server:
readiness by `srvr`, stop by PID, session events (SUSPENDED/CONNECTED/LOST), watches
delivered from kazoo's threads through `TrioToken.run_sync_soon`, and cancellation of calls
that hang while the server is down (no `timeout=` anywhere: callers use trio deadlines)."""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio
from kazoo.exceptions import BadVersionError, NoAuthError, NoNodeError
from kazoo.security import make_digest_acl
from mesotron.io.zk.bridge import (
    CONNECTED,
    LOST,
    SUSPENDED,
    ZkClient,
    expire_session,
    open_zk,
)
from mesotron.io.zk.election import parse_zk_url
from mesotron.io.zk.server import (
    ZkServer,
    ZkServerError,
    running_zookeeper,
    server_mode,
    zookeeper_available,
)

pytestmark = pytest.mark.skipif(
    zookeeper_available() is not None, reason=zookeeper_available() or ""
)


def run(fn: Callable[[], Awaitable[Any]], limit: float = 20.0) -> Any:
    async def main() -> Any:
        with trio.fail_after(limit):
            return await fn()

    return trio.run(main)


async def until(predicate: Callable[[], bool], poll: float = 0.01) -> None:
    while not predicate():
        await trio.sleep(poll)


# ------------------------------------------------------------------ the server runner


def test_server_ready_by_srvr_and_stopped_by_pid() -> None:
    with ZkServer() as server:
        assert server.running() and server.pid is not None
        assert server_mode(server.host, server.port) == "standalone"
        assert server.last_start_seconds is not None
        print(f"\nZooKeeper start -> `srvr` reports a mode: {server.last_start_seconds:.2f}s")
        with open(f"/proc/{server.pid}/cmdline", "rb") as f:
            cmd = f.read().split(b"\0")
        assert b"org.apache.zookeeper.server.ZooKeeperServerMain" in cmd
        assert str(server.config_path).encode() in cmd
        cfg = server.config_path.read_text()
        assert "clientPortAddress=127.0.0.1" in cfg and "admin.enableServer=false" in cfg
        pid = server.pid
        assert server.stop() == 143  # SIGTERM to our own JVM
        assert not server.running()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert server_mode(server.host, server.port) is None
        temp = server.dir
    assert not temp.exists()  # the temp dir went with it


def test_server_on_a_taken_port_fails_clearly() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        server = ZkServer(port=s.getsockname()[1])
        try:
            with pytest.raises(ZkServerError, match="exited with"):
                server.start(deadline=20.0)
            assert not server.running()
        finally:
            server.close()


# ------------------------------------------------------------------ the bridge


def test_calls_and_transactions(zk_server: ZkServer) -> None:
    async def scenario() -> None:
        async with open_zk(zk_server.hosts, session_timeout=2.0) as zk:
            assert zk.connected and zk.session_id is not None
            assert 0.4 <= zk.negotiated_timeout <= 2.0
            await zk.ensure_path("/calls/a")
            p = await zk.create("/calls/a/n_", b"x", sequence=True)
            assert p == "/calls/a/n_0000000000"
            data, stat = await zk.get(p)
            assert data == b"x" and stat.version == 0
            await zk.set(p, b"y", version=0)
            with pytest.raises(BadVersionError):
                await zk.set(p, b"z", version=0)
            assert await zk.get_children("/calls/a") == ["n_0000000000"]
            results = await zk.transaction([("check", p, 0), ("set", p, b"w", 1)])
            assert isinstance(results[0], BadVersionError)
            # ZooKeeper fails the ops after the failing one with RuntimeInconsistency
            assert all(isinstance(r, Exception) for r in results)
            results = await zk.transaction([("check", p, 1), ("set", p, b"w", 1)])
            assert results[0] is True and results[1].version == 2
            await zk.delete("/calls", recursive=True)
            assert await zk.exists("/calls") is None
            with pytest.raises(NoNodeError):
                await zk.get(p)

    run(scenario)


def test_watches_arrive_from_kazoo_threads(zk_server: ZkServer) -> None:
    async def scenario() -> None:
        async with (
            open_zk(zk_server.hosts, session_timeout=2.0) as a,
            open_zk(zk_server.hosts, session_timeout=2.0) as b,
        ):
            children, watch = await a.children_with_watch("/w/group")
            assert children is None and not watch.fired.is_set()
            await b.create("/w/group", makepath=True)
            await watch.fired.wait()  # created
            children, watch = await a.children_with_watch("/w/group")
            assert children == []
            await b.create("/w/group/c", b"1", ephemeral=True)
            await watch.fired.wait()
            assert watch.event_type == "CHILD"
            got, dwatch = await a.data_with_watch("/w/group/c")
            assert got is not None and got[0] == b"1"
            await b.set("/w/group/c", b"2")
            await dwatch.fired.wait()
            assert dwatch.event_type == "CHANGED"
            got, dwatch = await a.data_with_watch("/w/group/c")
            await b.close()  # its ephemeral node goes with its session
            await dwatch.fired.wait()
            assert dwatch.event_type == "DELETED"
            assert await a.get_children("/w/group") == []

    run(scenario)


def test_session_events_on_real_expiry(zk_server: ZkServer) -> None:
    async def scenario() -> None:
        async with open_zk(zk_server.hosts, session_timeout=2.0) as zk:
            events = zk.subscribe()
            first = zk.session_id
            assert zk.client_id is not None
            await zk.create("/expire-me", ephemeral=True)
            await expire_session(zk_server.hosts, zk.client_id)
            seen = []
            async for e in events:  # (it may first win its session back: SUSPENDED, CONNECTED)
                seen.append(e.state)
                if e.state == CONNECTED and e.session_id != first:
                    break
            assert seen[-2:] == [LOST, CONNECTED] and set(seen) <= {SUSPENDED, LOST, CONNECTED}
            assert zk.session_id != first  # kazoo opened a fresh session
            assert await zk.exists("/expire-me") is None  # the old one's node is gone

    run(scenario)


def test_calls_hanging_while_server_is_down_are_cancellable() -> None:
    """Its own server: killed, a call blocks (kazoo queues it), the caller's deadline
    abandons it; after a restart within the session timeout the same session works."""

    async def scenario(server: ZkServer) -> None:
        # a generous session timeout: the JVM restart takes seconds on a loaded machine
        async with open_zk(server.hosts, session_timeout=10.0) as zk:
            sid = zk.session_id
            await trio.to_thread.run_sync(server.kill)
            await until(lambda: zk.state == SUSPENDED)
            with trio.move_on_after(0.3) as scope:
                await zk.get_children("/")
            assert scope.cancelled_caught
            await trio.to_thread.run_sync(server.spawn)
            await server.wait_ready()
            await zk.wait_connected()
            assert zk.session_id == sid, (zk.history, server.log_tail(60))
            assert "zookeeper" in await zk.get_children("/")
            assert [e.state for e in zk.history] == [CONNECTED, SUSPENDED, CONNECTED]

    with running_zookeeper() as server:
        run(lambda: scenario(server))


def test_connecting_to_nothing_is_bounded_by_the_caller() -> None:
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def scenario() -> None:
        with pytest.raises(trio.TooSlowError):
            with trio.fail_after(0.5):
                async with open_zk(f"127.0.0.1:{port}", session_timeout=2.0):
                    raise AssertionError("connected to nothing")

    run(scenario)


def test_client_must_be_created_in_trio() -> None:
    with pytest.raises(RuntimeError):
        ZkClient("127.0.0.1:1")


def test_digest_credentials_from_the_url(zk_server: ZkServer) -> None:
    """`zk://user:pass@...` credentials are sent as digest auth: a node readable only by
    that user is readable by our client and refused to an anonymous one."""
    url = parse_zk_url(f"zk://u:pw@{zk_server.hosts}/secret")

    async def scenario() -> None:
        async with (
            open_zk(url.hosts, session_timeout=2.0, credentials=url.credentials) as zk,
            open_zk(url.hosts, session_timeout=2.0) as anonymous,
        ):
            acl = [make_digest_acl("u", "pw", all=True)]
            await zk.call(zk.kazoo.create, url.path, b"s", acl=acl)
            assert (await zk.get(url.path))[0] == b"s"
            with pytest.raises(NoAuthError):
                await anonymous.get(url.path)

    run(scenario)
