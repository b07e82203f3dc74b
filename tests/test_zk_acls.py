"""ZooKeeper digest authentication and Mesos's znode ACLs (io/zk/bridge.py), against the real
ZooKeeper the suite starts (`zk_server`, tests/conftest.py).

With zk://user:pass@..., every znode we create (the group path and its parents, the election
members `json.info_NNNNNNNNNN`, the registry) carries EVERYONE_READ_CREATOR_ALL as Mesos sets
it: anyone may read (leader detection needs no credentials: pymesos and the Mesos CLI pass
none), only the creating identity may write or delete. Without credentials: open ACLs."""

from __future__ import annotations

import hashlib
from base64 import b64encode

import pytest
import trio
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from mesotron.core.values import MasterInfo
from mesotron.io.zk.bridge import open_zk
from mesotron.io.zk.election import ZkContender, ZkDetector, parse_zk_url
from mesotron.io.zk.registry import ZkRegistry, default_registry_path

LIMIT = 40


def _digest_id(user: str, password: str) -> str:
    return f"{user}:{b64encode(hashlib.sha1(f'{user}:{password}'.encode()).digest()).decode()}"


def _kazoo(hosts: str, auth: str | None = None) -> KazooClient:
    k = KazooClient(hosts=hosts, auth_data=[("digest", auth)] if auth else None)
    k.start(timeout=15)
    return k


def test_znodes_carry_mesos_acls(zk_server) -> None:
    url = parse_zk_url(f"zk://mesos:s3cret@{zk_server.hosts}/secure/mesos")
    info = MasterInfo(id="m1", hostname="h", ip="127.0.0.1", port=5050)

    async def main() -> tuple[str, str]:
        with trio.fail_after(LIMIT):
            async with open_zk(url.hosts, session_timeout=6.0, credentials=url.credentials) as zk:
                contender = ZkContender(zk, url.path, info)
                async with trio.open_nursery() as n:
                    node = await n.start(contender.run)
                    reg = ZkRegistry(zk, default_registry_path(url.path), fence=node)
                    await reg.recover()
                    out = (node, default_registry_path(url.path))
                    await trio.to_thread.run_sync(check, node, out[1])
                    n.cancel_scope.cancel()
                return out

    def check(node: str, registry: str) -> None:
        anon = _kazoo(zk_server.hosts)
        other = _kazoo(zk_server.hosts, "mallory:guess")
        try:
            for path in ("/secure", url.path, node, registry):
                acls, _ = anon.get_acls(path)
                # (ZooKeeper shows the digest only to its owner: others see "mesos:x")
                perms = {(a.id.scheme, a.id.id.split(":")[0]): a.perms for a in acls}
                assert perms == {("world", "anyone"): 1,  # READ
                                 ("digest", "mesos"): 31}, (path, perms)  # ALL
                anon.get(path)  # reading is open
                for client in (anon, other):
                    with pytest.raises(NoAuthError):
                        client.set(path, b"hijacked")
            mesos = _kazoo(zk_server.hosts, "mesos:s3cret")
            try:
                acls, _ = mesos.get_acls(node)
                assert ("digest", _digest_id("mesos", "s3cret")) in {(a.id.scheme, a.id.id) for a in acls}
            finally:
                mesos.stop()
            for client in (anon, other):
                with pytest.raises(NoAuthError):
                    client.delete(node)
                with pytest.raises(NoAuthError):
                    client.create(url.path + "/json.info_9999999999", b"{}")
        finally:
            anon.stop()
            other.stop()

    trio.run(main)


def test_leader_detection_needs_no_credentials(zk_server) -> None:
    """A detector without credentials (as pymesos's and the CLI's) finds the leader."""
    url = parse_zk_url(f"zk://mesos:s3cret@{zk_server.hosts}/secure2/mesos")
    info = MasterInfo(id="m2", hostname="h2", ip="127.0.0.1", port=5051)

    async def main() -> None:
        with trio.fail_after(LIMIT):
            async with open_zk(url.hosts, session_timeout=6.0, credentials=url.credentials) as zk, \
                    open_zk(url.hosts, session_timeout=6.0) as anon:
                contender = ZkContender(zk, url.path, info)
                async with trio.open_nursery() as n:
                    await n.start(contender.run)
                    det = ZkDetector(anon, url.path)
                    await n.start(det.run)
                    leader = await det.detect(None)
                    assert leader is not None and leader.id == "m2"
                    n.cancel_scope.cancel()

    trio.run(main)


def test_without_credentials_acls_are_open(zk_server) -> None:
    url = parse_zk_url(f"zk://{zk_server.hosts}/open/mesos")

    async def main() -> None:
        with trio.fail_after(LIMIT):
            async with open_zk(url.hosts, session_timeout=6.0) as zk:
                await zk.ensure_path(url.path)

                def check() -> None:
                    anon = _kazoo(zk_server.hosts)
                    try:
                        acls, _ = anon.get_acls(url.path)
                        assert [(a.id.scheme, a.id.id, a.perms) for a in acls] == [("world", "anyone", 31)]
                    finally:
                        anon.stop()

                await trio.to_thread.run_sync(check)

    trio.run(main)


def test_zk_url_password_is_redacted_in_logs() -> None:
    url = parse_zk_url("zk://mesos:s3cret@127.0.0.1:2181/mesos")
    assert "s3cret" not in url.redacted() and url.redacted() == "zk://mesos:***@127.0.0.1:2181/mesos"
