"""The master registry in ZooKeeper (`--registry zk`) against a REAL ZooKeeper: round trip,
compare-and-set conflicts, and fencing of a deposed leader whose session expired while its
process lives on (OneLeaderWrites)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio
from kazoo.exceptions import BadVersionError, ConnectionLoss
from mesotron.core.registry import RegistryState, apply
from mesotron.core.resources import Resources
from mesotron.core.values import AgentInfo, Attribute, MasterInfo
from mesotron.io.zk.bridge import ZkClient, expire_session, open_zk
from mesotron.io.zk.election import ZkContender
from mesotron.io.zk.registry import (
    RegistryError,
    RegistryFenced,
    ZkRegistry,
    decode_registry,
    encode_registry,
)
from mesotron.io.zk.server import ZkServer


def run(fn: Callable[[], Awaitable[Any]], limit: float = 20.0) -> Any:
    async def main() -> Any:
        with trio.fail_after(limit):
            return await fn()

    return trio.run(main)


@contextlib.asynccontextmanager
async def clients(hosts: str, n: int, session_timeout: float = 4.0) -> Any:
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(open_zk(hosts, session_timeout=session_timeout))
            for _ in range(n)
        ]


def agent(i: int) -> AgentInfo:
    return AgentInfo(
        hostname=f"agent{i}",
        id=f"S{i}",
        resources=Resources.parse("cpus:4;mem:1024;ports:[31000-31010]"),
        attributes=(Attribute(name="rack", value=f"r{i}"),),
    )


OPS: list[tuple[Any, ...]] = [
    ("admit", agent(1)),
    ("admit", agent(2)),
    ("admit", agent(3)),
    ("unreachable", "S2", 1700000000.5),
    ("gone", "S3", 1700000001.0),
    ("reachable", agent(2)),
    ("admit", agent(4)),
    ("remove", "S4"),
    ("prune", ("S3",)),
]


def test_round_trip_matches_the_pure_model(zk_server: ZkServer) -> None:
    path = "/roundtrip/mesos-registry"

    async def scenario() -> None:
        async with clients(zk_server.hosts, 2) as (a, b):
            reg = ZkRegistry(a, path)
            recovered = await reg.recover()
            assert recovered == RegistryState(version=1)  # created empty, then fenced once
            model = recovered
            for op in OPS:
                got = await reg.write(op)
                model = apply(model, op, model.version)
                assert got == model
            data, stat = await a.get(path)
            assert decode_registry(data) == model and stat.version == model.version
            # another master recovers exactly this state (its fencing write: version + 1)
            again = await ZkRegistry(b, path).recover()
            assert again.version == model.version + 1
            assert (again.admitted, again.unreachable, again.gone) == (
                model.admitted,
                model.unreachable,
                model.gone,
            )
            assert [a.id for a in again.admitted] == ["S1", "S2"]

    run(scenario)


def test_compare_and_set_conflict(zk_server: ZkServer) -> None:
    path = "/cas/mesos-registry"

    async def scenario() -> None:
        async with clients(zk_server.hosts, 2) as (a, b):
            r1, r2 = ZkRegistry(a, path), ZkRegistry(b, path)
            await r1.recover()
            assert await r1.write(("admit", agent(1))) is not None
            await r2.recover()  # a second writer moves the version on
            assert await r1.write(("admit", agent(2))) is None  # stale version: fenced
            assert r1.fenced
            assert await r1.write(("admit", agent(3))) is None  # and it stays fenced
            ok = await r2.write(("admit", agent(4)))
            assert ok is not None and [x.id for x in ok.admitted] == ["S1", "S4"]
            data, _ = await a.get(path)
            assert decode_registry(data) == ok
            # the primitive underneath: a stale znode version is refused by ZooKeeper
            with pytest.raises(BadVersionError):
                await a.set(path, encode_registry(RegistryState()), version=1)

    run(scenario)


async def _elect_two(
    zks: list[ZkClient], path: str, nursery: trio.Nursery
) -> tuple[ZkContender, ZkContender]:
    c0 = ZkContender(zks[0], path, MasterInfo(id="m0", hostname="m0", port=15050))
    await nursery.start(c0.run)
    c1 = ZkContender(zks[1], path, MasterInfo(id="m1", hostname="m1", port=15051))
    await nursery.start(c1.run)
    await c0.elected.wait()
    return c0, c1


@pytest.mark.parametrize("late_write", ["after_successor_recovers", "before_successor_recovers"])
def test_deposed_leader_cannot_commit(zk_server: ZkServer, late_write: str) -> None:
    """The leader's session is expired for real while its process lives: its contender
    notices it lost leadership, its late registry write (old version) FAILS, and the new
    leader's writes commit -- whichever of the two writes first."""
    group = f"/fence-{late_write}/mesos"
    path = group + "-registry"

    async def scenario() -> None:
        async with clients(zk_server.hosts, 2) as zks, trio.open_nursery() as nursery:
            old, new = await _elect_two(zks, group, nursery)
            reg_old = ZkRegistry(zks[0], path, fence=old.node)
            await reg_old.recover()
            assert await reg_old.write(("admit", agent(1))) is not None

            assert zks[0].client_id is not None
            await expire_session(zk_server.hosts, zks[0].client_id)
            await old.lost.wait()  # it notices
            assert not old.leading
            await new.elected.wait()
            await zks[0].wait_connected()  # kazoo reconnected it with a NEW session

            reg_new = ZkRegistry(zks[1], path, fence=new.node)
            if late_write == "after_successor_recovers":
                state = await reg_new.recover()
                assert [a.id for a in state.admitted] == ["S1"]
                assert await reg_old.write(("admit", agent(2))) is None
            else:
                assert await reg_old.write(("admit", agent(2))) is None
                state = await reg_new.recover()
                assert [a.id for a in state.admitted] == ["S1"]
            assert reg_old.fenced
            committed = await reg_new.write(("admit", agent(3)))
            assert committed is not None
            data, _ = await zks[1].get(path)
            assert [a.id for a in decode_registry(data).admitted] == ["S1", "S3"]
            nursery.cancel_scope.cancel()

    run(scenario)


def test_version_bump_on_recovery_fences_a_leader_without_fence_node(
    zk_server: ZkServer,
) -> None:
    """Even without the election-node check, a successor's recovery write fences the old
    leader (it still holds the version it last wrote)."""
    path = "/bump/mesos-registry"

    async def scenario() -> None:
        async with clients(zk_server.hosts, 2) as (a, b):
            old = ZkRegistry(a, path)
            await old.recover()
            await ZkRegistry(b, path).recover()
            assert await old.write(("admit", agent(1))) is None

    run(scenario)


def test_recovery_by_a_non_member_is_fenced(zk_server: ZkServer) -> None:
    path = "/nonmember/mesos-registry"

    async def scenario() -> None:
        async with clients(zk_server.hosts, 1) as (a,):
            reg = ZkRegistry(a, path, fence="/nonmember/mesos/json.info_0000000000")
            with pytest.raises(RegistryFenced):
                await reg.recover()

    run(scenario)


@pytest.mark.parametrize("outcome", ["applied", "not_applied", "overtaken"])
def test_lost_reply_is_resolved_by_reading_back(zk_server: ZkServer, outcome: str) -> None:
    """The connection drops after a write was sent: reading the znode back tells whether it
    committed (once, never twice), did not (retried), or someone else wrote (fenced)."""
    path = f"/lostreply-{outcome}/mesos-registry"

    async def scenario() -> None:
        async with clients(zk_server.hosts, 2) as (a, b):
            reg = ZkRegistry(a, path)
            await reg.recover()
            real = a.transaction
            calls = 0

            async def flaky(ops: Any) -> list[Any]:
                nonlocal calls
                calls += 1
                if calls == 1:
                    if outcome == "applied":
                        await real(ops)
                    elif outcome == "overtaken":
                        await ZkRegistry(b, path).recover()
                    raise ConnectionLoss()
                return await real(ops)

            a.transaction = flaky  # type: ignore[method-assign]
            got = await reg.write(("admit", agent(1)))
            data, stat = await a.get(path)
            if outcome == "overtaken":
                assert got is None and reg.fenced and calls == 1
                assert decode_registry(data).admitted == ()
            else:
                assert got is not None and stat.version == 2
                assert decode_registry(data) == got
                assert calls == (1 if outcome == "applied" else 2)

    run(scenario)


def test_garbage_in_the_znode_is_a_clear_error(zk_server: ZkServer) -> None:
    path = "/garbage/mesos-registry"

    async def scenario() -> None:
        async with clients(zk_server.hosts, 1) as (a,):
            await a.create(path, b"not a registry", makepath=True)
            with pytest.raises(RegistryError, match="unreadable registry"):
                await ZkRegistry(a, path).recover()

    run(scenario)


def test_encoding_with_the_agent_cache_is_byte_identical() -> None:
    """The per-agent JSON cache changes nothing in what is stored, across writes that keep,
    replace (an equal new value, a changed one) and drop agents."""
    cache: dict[int, Any] = {}
    model = RegistryState()
    for op in [*OPS, ("reachable", agent(1)),
               ("reachable", AgentInfo(hostname="agent1", id="S1", resources=Resources.parse("cpus:1"))),
               ("remove", "S1"), ("admit", agent(5))]:
        model = apply(model, op, model.version)
        assert encode_registry(model, cache) == encode_registry(model)
        assert len(cache) <= 2 * len(model.admitted) + 64


def test_a_write_that_changes_nothing_is_not_stored(zk_server: ZkServer) -> None:
    """A write that changes nothing (a known agent re-registering after a failover) stores
    nothing: the znode is untouched, the in-memory version moves on, the next real write
    commits (CAS on the znode version); and such a write is still fenced (checks only) once
    another master moved on."""
    path = "/noop/mesos-registry"

    async def scenario() -> None:
        async with clients(zk_server.hosts, 2) as (a, b):
            reg = ZkRegistry(a, path)
            await reg.recover()
            assert await reg.write(("admit", agent(1))) is not None
            _, before = await a.get(path)
            same = await reg.write(("reachable", agent(1)))  # an equal AgentInfo: no change
            assert same is not None and same.version == reg.state.version
            _, after = await a.get(path)
            assert after.version == before.version and reg.skipped == 1
            bigger = AgentInfo(hostname="agent1", id="S1", resources=Resources.parse("cpus:8"))
            changed = await reg.write(("reachable", bigger))
            assert changed is not None
            data, stat = await a.get(path)
            assert stat.version == before.version + 1 and decode_registry(data) == changed
            await ZkRegistry(b, path).recover()  # another master moves on
            assert await reg.write(("reachable", bigger)) is None  # a no-op: fenced too
            assert reg.skipped == 1
            assert reg.fenced and await reg.write(("admit", agent(2))) is None

    run(scenario)


def test_unchanged_detection_agrees_with_the_pure_model(zk_server: ZkServer) -> None:
    """Every kind of operation, each once for real and once again (changing nothing): the
    backend's answers equal `apply`'s, only the redundant ones are skipped, and what the
    znode holds decodes to the model's lists."""
    path = "/noop-kinds/mesos-registry"
    ops: list[tuple[Any, ...]] = [
        ("admit", agent(1)), ("admit", agent(1)),
        ("admit", agent(2)), ("unreachable", "S2", 5.0), ("unreachable", "S2", 5.0),
        ("reachable", agent(2)), ("reachable", agent(2)),
        ("admit", agent(3)), ("gone", "S3", 6.0), ("gone", "S3", 6.0), ("admit", agent(3)),
        ("unreachable", "S3", 7.0), ("remove", "S1"), ("remove", "S1"),
        ("prune", ("S3",)), ("prune", ("S3",)),
        ("batch", (("admit", agent(2)), ("remove", "S9"))),
    ]
    redundant = 9  # the second of each pair, admit/unreachable of a gone agent, the batch

    async def scenario() -> None:
        async with clients(zk_server.hosts, 1) as (a,):
            reg = ZkRegistry(a, path)
            model = await reg.recover()
            for op in ops:
                got = await reg.write(op)
                model = apply(model, op, model.version)
                assert got == model, op
            assert reg.skipped == redundant
            data, _ = await a.get(path)
            stored = decode_registry(data)
            assert (stored.admitted, stored.unreachable, stored.gone) == (
                model.admitted, model.unreachable, model.gone)

    run(scenario)
