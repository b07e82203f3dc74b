"""The lab's relay (io/lab/relay.py) on loopback, without namespaces or daemons: a peer
sends internal-transport frames through it to a recording server. Exactly what each message
fault does to the frames, and that bad control requests get a clear error and change
nothing."""

from __future__ import annotations

import functools
import struct
from typing import Any

import trio
from mesotron.core.messages import Ping, Pong
from mesotron.io.lab.relay import Relay, frame_kind
from mesotron.spec import codec_internal
from testkit import free_port

LEN = struct.Struct(">I")


def frame(msg: Any) -> bytes:
    body = codec_internal.encode(msg)
    return LEN.pack(len(body)) + body


HELLO = frame(codec_internal.Hello(sender="agent@127.0.0.1:1"))
PING_T, PING_F, PONG = frame(Ping(connected=True)), frame(Ping(connected=False)), frame(Pong())


class Server:
    """Records the frames of each accepted connection."""

    def __init__(self) -> None:
        self.conns: list[list[bytes]] = []
        self.changed = trio.Event()

    async def handle(self, stream: trio.SocketStream) -> None:
        frames: list[bytes] = []
        self.conns.append(frames)
        buf = b""
        async with stream:
            while True:
                try:
                    data = await stream.receive_some(65536)
                except trio.BrokenResourceError:
                    return
                if not data:
                    return
                buf += data
                while len(buf) >= 4 and len(buf) >= 4 + LEN.unpack_from(buf)[0]:
                    n = 4 + LEN.unpack_from(buf)[0]
                    frames.append(buf[:n])
                    buf = buf[n:]
                    self.changed.set()
                    self.changed = trio.Event()

    async def wait(self, pred: Any) -> None:
        while not pred():
            await self.changed.wait()


async def setup(nursery: trio.Nursery, tmp_path: Any) -> tuple[Relay, Server, int]:
    port = free_port()
    server = Server()
    await nursery.start(functools.partial(trio.serve_tcp, server.handle, port, host="127.0.0.1"))
    relay = Relay("127.0.0.2", "127.0.0.1", [(port, True)], seed=1)
    await nursery.start(relay.serve, str(tmp_path / "relay.sock"))
    return relay, server, port


async def peer(port: int, frames: list[bytes]) -> trio.SocketStream:
    s = await trio.open_tcp_stream("127.0.0.2", port)
    for f in frames:
        await s.send_all(f)
    return s


def test_frame_kinds() -> None:
    assert [frame_kind(f) for f in (HELLO, PING_T, PONG)] == ["hello", "ping", "pong"]
    assert frame_kind(LEN.pack(3) + b"\xff\xff\xff") == "?"


def test_reorder_delivers_the_withheld_frame_after_the_next_connections_first(tmp_path) -> None:
    async def main() -> None:
        with trio.fail_after(20):
            async with trio.open_nursery() as n:
                relay, server, port = await setup(n, tmp_path)
                relay.command({"cmd": "set", "peer": "127.0.0.1",
                               "mode": {"reorder": 1.0, "kinds": ["pong"], "budget": 1}})
                s1 = await peer(port, [HELLO, PING_T, PONG])
                # the pong is withheld and the connection reset: the peer sees it end
                with trio.fail_after(5):
                    assert await s1.receive_some(10) == b""
                s2 = await peer(port, [HELLO, PING_F, PONG])
                await server.wait(lambda: len(server.conns) == 2 and len(server.conns[1]) == 4)
                assert server.conns[0] == [HELLO, PING_T]
                # the new connection's first message, then the old pong, then its own (budget spent)
                assert server.conns[1] == [HELLO, PING_F, PONG, PONG]
                st = relay.links["127.0.0.1"].stats
                assert st["reordered"] == 1 and st["injected_on_reconnect"] == 1 and st["resets"] == 1
                await s2.aclose()
                n.cancel_scope.cancel()

    trio.run(main)


def test_duplicate_delivers_then_again_on_the_next_connection(tmp_path) -> None:
    async def main() -> None:
        with trio.fail_after(20):
            async with trio.open_nursery() as n:
                relay, server, port = await setup(n, tmp_path)
                relay.command({"cmd": "set", "peer": "127.0.0.1",
                               "mode": {"duplicate": 1.0, "kinds": ["ping"], "budget": 1}})
                s1 = await peer(port, [HELLO, PING_T])
                with trio.fail_after(5):
                    assert await s1.receive_some(10) == b""  # reset after the delivery
                s2 = await peer(port, [HELLO, PONG, PING_F])
                await server.wait(lambda: len(server.conns) == 2 and len(server.conns[1]) == 4)
                assert server.conns[0] == [HELLO, PING_T]
                assert server.conns[1] == [HELLO, PONG, PING_T, PING_F]
                assert relay.links["127.0.0.1"].stats["duplicated"] == 1
                await s2.aclose()
                n.cancel_scope.cancel()

    trio.run(main)


def test_drop_loses_those_messages_only_and_clear_reverts(tmp_path) -> None:
    async def main() -> None:
        with trio.fail_after(20):
            async with trio.open_nursery() as n:
                relay, server, port = await setup(n, tmp_path)
                relay.command({"cmd": "set", "peer": "127.0.0.1", "mode": {"drop": ["pong"]}})
                s = await peer(port, [HELLO, PONG, PING_T, PONG])
                await server.wait(lambda: len(server.conns) == 1 and len(server.conns[0]) == 2)
                relay.command({"cmd": "clear"})
                await s.send_all(PONG)
                await server.wait(lambda: len(server.conns[0]) == 3)
                assert server.conns[0] == [HELLO, PING_T, PONG]
                assert relay.links["127.0.0.1"].stats["dropped"] == 2
                await s.aclose()
                n.cancel_scope.cancel()

    trio.run(main)


def test_bad_control_requests_are_refused_and_change_nothing(tmp_path) -> None:
    async def main() -> None:
        with trio.fail_after(20):
            async with trio.open_nursery() as n:
                relay, _server, _port = await setup(n, tmp_path)
                from mesotron.io.lab.relay import relay_call

                sock = str(tmp_path / "relay.sock")
                for req, msg in [({"cmd": "set", "peer": "127.0.0.1", "mode": {"nope": 1}}, "unknown mode key"),
                                 ({"cmd": "set", "peer": "127.0.0.1", "mode": {"cut": "sideways"}}, "cut"),
                                 ({"cmd": "explode"}, "unknown command"),
                                 ({"peer": "x"}, "cmd")]:
                    try:
                        await trio.to_thread.run_sync(relay_call, sock, req)
                    except RuntimeError as e:
                        assert msg in str(e), (req, e)
                    else:
                        raise AssertionError(f"{req} was accepted")
                assert relay.links.get("127.0.0.1") is None or relay.links["127.0.0.1"].mode == {}
                ok = await trio.to_thread.run_sync(relay_call, sock, {"cmd": "stats"})
                assert ok["ok"]  # still serving
                n.cancel_scope.cancel()

    trio.run(main)
