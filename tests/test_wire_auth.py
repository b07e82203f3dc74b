"""CRAM-MD5 on the driver wire and the internal master<->agent link (io/wire/handshake.py,
io/wire/transport.py), with an in-process master and agents (trio, loopback).

Ported cases (apache/mesos 1.11, named): CRAMMD5AuthenticationTest.Success, .Failed1 (wrong
secret), .Failed2 (unknown principal); AuthenticationTest.UnauthenticatedFramework,
.UnauthenticatedSlave, .MismatchedFrameworkInfoPrincipal, .UnspecifiedFrameworkInfoPrincipal;
MasterAuthorizationTest.UnauthorizedToRegisterAgent."""

from __future__ import annotations

import json
import os
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
from mesotron.core.values import FrameworkInfo
from mesotron.io.daemons import agent as agent_main
from mesotron.io.daemons import master as master_main
from mesotron.io.daemons.local import _sub_args
from mesotron.io.http.asgi import bind_socket
from mesotron.io.wire import handshake
from mesotron.io.wire.scheduler_client import SchedulerClient, SubscribeError
from mesotron.io.wire.transport import Link, Transport, decode_frame
from mesotron.spec import codec_internal
from mesotron.spec.codec_internal import Authentication

LIMIT = 30
CREDS = {"agent": "agent-secret", "fw": "fw-secret"}


class RecordingLog:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def bind(self, **_: Any) -> RecordingLog:
        return self

    def __getattr__(self, level: str) -> Any:
        def rec(event: str, **kw: Any) -> None:
            self.events.append((level, event, kw))
        return rec

    def named(self, event: str) -> list[dict[str, Any]]:
        return [kw for _, e, kw in self.events if e == event]

    def text(self) -> str:
        return repr(self.events)


# ------------------------------------------------------------------ the exchange itself
def test_response_is_principal_and_hex_hmac_md5() -> None:
    import hashlib
    import hmac

    ch = b"<1896.697170952@postoffice.reston.mci.net>"  # RFC 2195's example
    assert handshake.response("tim", "tanstaaftanstaaf", ch) == b"tim b913a602c7eda7a495b4e6e7334d3890"
    assert handshake.digest(b"k", ch) == hmac.new(b"k", ch, hashlib.md5).hexdigest()


def test_verify() -> None:
    ch = handshake.new_challenge()
    assert handshake.verify(CREDS, ch, handshake.response("fw", "fw-secret", ch)) == "fw"
    assert handshake.verify(CREDS, ch, handshake.response("fw", "wrong", ch)) is None
    assert handshake.verify(CREDS, ch, handshake.response("nobody", "fw-secret", ch)) is None
    other = handshake.new_challenge()
    assert other != ch
    assert handshake.verify(CREDS, other, handshake.response("fw", "fw-secret", ch)) is None  # replay
    for junk in (b"", b"fw", b" abc", b"\xff\xfe", b"fw " + b"0" * 32):
        assert handshake.verify(CREDS, ch, junk) is None
    assert "fw-secret" not in repr(Authentication(kind="STEP", data=b"fw-secret"))


def test_crammd5_success_failed1_failed2() -> None:
    """Transport level: the server records the principal on the link; a wrong secret or an
    unknown principal is refused and the link closed."""

    async def main() -> None:
        with trio.fail_after(LIMIT):
            got: list[tuple[str, str | None]] = []
            server = Transport("master@s", on_message=lambda p, m: got.append((p, server.principal(p))),
                               on_disconnect=lambda p: None)
            server.credentials = dict(CREDS)
            client = Transport("agent@c", on_message=lambda p, m: None, on_disconnect=lambda p: None)
            async with trio.open_nursery() as n:
                port = await n.start(server.serve, "127.0.0.1", 0)
                await n.start(client.run)
                link = await client.connect("127.0.0.1", port, "master@s", credential=("agent", "agent-secret"))
                assert link.principal == "agent"
                client.send("master@s", codec_internal.Hello(sender="x"))  # any message after it
                while not got:
                    await trio.sleep(0.01)
                assert got == [("agent@c", "agent")]
                for cred in (("agent", "wrong"), ("nobody", "agent-secret")):
                    with pytest.raises(handshake.AuthenticationRefused, match="Master refused authentication"):
                        await client.connect("127.0.0.1", port, "master@s", credential=cred)
                # without a credential: a link with no principal
                got.clear()
                await client.connect("127.0.0.1", port, "master@s")
                client.send("master@s", codec_internal.Hello(sender="y"))
                while not got:
                    await trio.sleep(0.01)
                assert got == [("agent@c", None)]
                n.cancel_scope.cancel()

    trio.run(main)


def test_authentication_only_right_after_hello() -> None:
    async def main() -> None:
        with trio.fail_after(LIMIT):
            log = RecordingLog()
            server = Transport("master@s", on_message=lambda p, m: None, on_disconnect=lambda p: None, log=log)
            server.credentials = dict(CREDS)
            async with trio.open_nursery() as n:
                port = await n.start(server.serve, "127.0.0.1", 0)
                start = codec_internal.encode(Authentication(kind="START", mechanism="CRAM-MD5"))
                hello = codec_internal.encode(codec_internal.Hello(sender="agent@c"))
                ping = codec_internal.encode(codec_internal.Hello(sender="agent@c"))
                for frames in ((start,), (hello, ping, start)):
                    stream = await trio.open_tcp_stream("127.0.0.1", port)
                    await stream.send_all(b"".join(len(f).to_bytes(4, "big") + f for f in frames))
                    link = Link(stream)
                    with trio.move_on_after(5):
                        while await link.next_frame() is not None:
                            pass
                    await stream.aclose()
                assert len(log.named("transport.bad_frame")) == 2
                # an unknown mechanism: MECHANISMS, then an ERROR, then the link closes
                stream = await trio.open_tcp_stream("127.0.0.1", port)
                bad = codec_internal.encode(Authentication(kind="START", mechanism="PLAIN"))
                await stream.send_all(b"".join(len(f).to_bytes(4, "big") + f for f in (hello, bad)))
                link = Link(stream)
                frames = []
                with trio.move_on_after(5):
                    while (f := await link.next_frame()) is not None:
                        frames.append(decode_frame(f))
                assert [f.kind for f in frames] == ["MECHANISMS", "ERROR"]
                assert frames[0].mechanisms == ("CRAM-MD5",)
                n.cancel_scope.cancel()

    trio.run(main)


# ------------------------------------------------------------------ daemons in process
def _files(tmp: str) -> dict[str, str]:
    out = {}
    for name, body in (("credentials", {"credentials": [{"principal": p, "secret": s} for p, s in CREDS.items()]}),
                       ("agent", {"principal": "agent", "secret": "agent-secret"}),
                       ("wrong", {"principal": "agent", "secret": "nope"})):
        path = os.path.join(tmp, f"{name}.json")
        with open(path, "w") as f:
            json.dump(body, f)
        os.chmod(path, 0o600)
        out[name] = path
    return out


@asynccontextmanager
async def secured_master(tmp: str, *extra: str) -> Any:
    files = _files(tmp)
    log = RecordingLog()
    msock = bind_socket("127.0.0.1", 0)
    margs = _sub_args(master_main, ["--ip", "127.0.0.1", "--port", str(msock.getsockname()[1]),
                                    "--registry", "memory", "--allocation-interval", "20ms",
                                    "--authenticate-frameworks", "--authenticate-agents",
                                    "--credentials", files["credentials"], *extra])
    master = master_main.MasterDaemon(margs, log, msock)
    async with trio.open_nursery() as nursery:
        await nursery.start(master.run)
        try:
            yield master, files, log, nursery
        finally:
            master.stop.set()
            nursery.cancel_scope.cancel()


def _agent(tmp: str, name: str, master: Any, *extra: str) -> Any:
    asock = bind_socket("127.0.0.1", 0)
    aargs = _sub_args(agent_main, [
        "--master", f"127.0.0.1:{master.port}", "--ip", "127.0.0.1", "--port", str(asock.getsockname()[1]),
        "--work-dir", os.path.join(tmp, name), "--no-fsync", "--no-zygote", "--no-executor-driver",
        "--resources", "cpus:2;mem:1024", *extra])
    a = agent_main.AgentDaemon(aargs, RecordingLog(), asock)
    a.start_pump = False
    return a


def test_agents_authenticate(tmp_path) -> None:
    """UnauthenticatedSlave (dropped, logged), an authenticated agent registers, a refused
    agent exits with Mesos's text; UnauthorizedToRegisterAgent with register_agents NONE."""

    async def main() -> None:
        with trio.fail_after(LIMIT):
            async with secured_master(str(tmp_path)) as (master, files, log, nursery):
                good = _agent(str(tmp_path), "good", master, "--credential", files["agent"])
                anon = _agent(str(tmp_path), "anon", master)
                await nursery.start(good.run)
                await nursery.start(anon.run)
                while not log.named("agent_registration_dropped"):
                    await trio.sleep(0.01)
                while len(master.state_json()["slaves"]) < 1:
                    await trio.sleep(0.01)
                assert [s["hostname"] for s in master.state_json()["slaves"]] == ["127.0.0.1"]
                assert log.named("agent_registration_dropped")[0]["reason"] == "not authenticated"
                assert master.transport.principal(good.pid) == "agent"
                bad = _agent(str(tmp_path), "bad", master, "--credential", files["wrong"])
                code = await bad.run()
                assert code == 1
                assert bad.exit_reason == f"Master {master.pid} refused authentication"
                assert len(master.state_json()["slaves"]) == 1
                anon.stop.set()
                good.stop.set()

    trio.run(main)


def test_unauthorized_to_register_agent(tmp_path) -> None:
    async def main() -> None:
        with trio.fail_after(LIMIT):
            acls = json.dumps({"register_agents": [{"principals": {"values": ["agent"]}, "agents": {"type": "NONE"}}]})
            async with secured_master(str(tmp_path), "--acls", acls) as (master, files, log, nursery):
                a = _agent(str(tmp_path), "a", master, "--credential", files["agent"])
                await nursery.start(a.run)
                while not log.named("agent_registration_dropped"):
                    await trio.sleep(0.01)
                assert log.named("agent_registration_dropped")[0]["reason"] == "not authorized"
                assert master.state_json()["slaves"] == []
                a.stop.set()

    trio.run(main)


def test_frameworks_on_the_driver_wire_authenticate(tmp_path) -> None:
    async def main() -> None:
        with trio.fail_after(LIMIT):
            async with secured_master(str(tmp_path)) as (master, _files, _log, _n):
                addr = f"127.0.0.1:{master.port}"
                # UnspecifiedFrameworkInfoPrincipal: the authenticated principal is filled in
                async with SchedulerClient.connect(addr, FrameworkInfo(user="t", name="ok"), wire="driver",
                                                   principal="fw", secret="fw-secret") as s:
                    await s.subscribed.wait()
                    fws = master.state_json()["frameworks"]
                    assert [(f["id"], f["principal"]) for f in fws] == [(s.framework_id, "fw")]
                # UnauthenticatedFramework
                async with SchedulerClient.connect(addr, FrameworkInfo(user="t", name="anon"), wire="driver") as s:
                    events = [ev async for ev in s.events()]
                assert [(type(e).__name__, e.message) for e in events] == [
                    ("EventError", "Framework is not authenticated")]
                # a wrong secret: refused before any SUBSCRIBE
                with pytest.raises(SubscribeError) as err:
                    async with SchedulerClient.connect(addr, FrameworkInfo(user="t", name="x"), wire="driver",
                                                       principal="fw", secret="nope"):
                        pass
                assert err.value.status == 401 and "Master refused authentication" in str(err.value.message)
                # MismatchedFrameworkInfoPrincipal
                with pytest.raises(SubscribeError) as err:
                    async with SchedulerClient.connect(addr, FrameworkInfo(user="t", name="x", principal="other"),
                                                       wire="driver", principal="fw", secret="fw-secret"):
                        pass
                assert err.value.status == 400
                assert "Authenticated principal 'fw' does not match principal 'other'" in str(err.value.message)
                assert len(master.state_json()["frameworks"] + master.state_json()["completed_frameworks"]) == 1

    trio.run(main)


def test_connections_per_peer_limit() -> None:
    """--max-connections-per-peer: past the limit an accepted connection is closed at once
    (logged); when one closes, a new one is accepted again."""

    async def main() -> None:
        with trio.fail_after(LIMIT):
            log = RecordingLog()
            server = Transport("master@s", on_message=lambda p, m: None, on_disconnect=lambda p: None, log=log)
            server.max_connections_per_peer = 2
            async with trio.open_nursery() as n:
                port = await n.start(server.serve, "127.0.0.1", 0)
                kept = [await trio.open_tcp_stream("127.0.0.1", port) for _ in range(2)]
                while sum(server.per_ip.values()) < 2:
                    await trio.sleep(0.01)
                extra = await trio.open_tcp_stream("127.0.0.1", port)
                with trio.move_on_after(5):
                    assert await extra.receive_some(10) == b""  # closed by the server
                assert log.named("transport.too_many_connections")
                await kept[0].aclose()
                while sum(server.per_ip.values()) > 1:
                    await trio.sleep(0.01)
                again = await trio.open_tcp_stream("127.0.0.1", port)
                while sum(server.per_ip.values()) < 2:
                    await trio.sleep(0.01)
                for s in (kept[1], extra, again):
                    await s.aclose()
                n.cancel_scope.cancel()

    trio.run(main)
