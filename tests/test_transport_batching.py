"""The internal transport's batching (io/wire/transport.py), real sockets on loopback:
held sends leave in one write per connection, in order, and before a close; the accept
loop serves a burst of connections larger than one accept batch; the effect loop holds the
sends of one step's effects (io/daemons/loop.py `sends`)."""

from __future__ import annotations

import trio
from mesotron.core.effects import Log
from mesotron.core.messages import Ping, Pong, RegisterAgent
from mesotron.core.values import AgentInfo
from mesotron.io.daemons.loop import EffectLoop
from mesotron.io.wire import transport as tp
from mesotron.io.wire.transport import _LEN, Transport, decode_frame
from mesotron.spec import codec_internal


def _frame(msg: object) -> bytes:
    payload = codec_internal.encode(msg)
    return _LEN.pack(len(payload)) + payload


async def _read_frames(stream: trio.SocketStream, want: int) -> tuple[list[object], bool]:
    """Frames from `stream` until `want` arrived or EOF: (messages, saw EOF)."""
    buf = bytearray()
    out: list[object] = []
    while len(out) < want:
        data = await stream.receive_some(65536)
        if not data:
            return out, True
        buf += data
        while len(buf) >= 4:
            (n,) = _LEN.unpack_from(buf, 0)
            if len(buf) < 4 + n:
                break
            out.append(decode_frame(bytes(buf[4:4 + n])))
            del buf[:4 + n]
    return out, False


async def _dial(port: int, name: str, master: Transport) -> trio.SocketStream:
    s = await trio.open_tcp_stream("127.0.0.1", port)
    await s.send_all(_frame(codec_internal.Hello(sender=name)))
    while name not in master.links:  # polled under the caller's fail_after
        await trio.sleep(0.001)
    return s


def test_held_frames_leave_in_one_write_in_order() -> None:
    async def main() -> None:
        with trio.fail_after(10):
            master = Transport("m@x", lambda p, m: None, lambda p: None)
            async with trio.open_nursery() as n:
                port = await n.start(master.serve, "127.0.0.1", 0)
                s = await _dial(port, "a@y", master)
                link = master.links["a@y"]
                writes: list[bytes] = []
                real = link._write

                def counting(data: bytes) -> bool:
                    writes.append(data)
                    return real(data)

                link._write = counting  # type: ignore[method-assign]
                master.hold()
                sent = [Ping(connected=True), Pong(), Ping(connected=False)]
                for m in sent:
                    assert master.send("a@y", m)
                assert writes == [] and len(link._held or ()) == 3  # nothing written yet
                master.release()
                assert len(writes) == 1 and link._held is None
                got, eof = await _read_frames(s, 3)
                assert got == sent and not eof
                master.send("a@y", Pong())  # not holding: written at once
                assert len(writes) == 2
                assert (await _read_frames(s, 1))[0] == [Pong()]
                await s.aclose()
                n.cancel_scope.cancel()

    trio.run(main)


def test_close_while_held_writes_the_held_frames_first() -> None:
    async def main() -> None:
        with trio.fail_after(10):
            gone: list[str] = []
            master = Transport("m@x", lambda p, m: None, gone.append)
            async with trio.open_nursery() as n:
                port = await n.start(master.serve, "127.0.0.1", 0)
                s = await _dial(port, "a@y", master)
                master.hold()
                master.send("a@y", Ping(connected=True))
                master.close("a@y")
                master.send("a@y", Pong())  # after the close: refused, never written
                master.release()
                got, eof = await _read_frames(s, 2)
                assert got == [Ping(connected=True)] and eof
                while not gone:
                    await trio.sleep(0.001)
                assert gone == ["a@y"]
                await s.aclose()
                n.cancel_scope.cancel()

    trio.run(main)


def test_accept_loop_serves_a_burst_beyond_one_batch() -> None:
    count = tp.ACCEPT_BATCH + 44

    async def main() -> None:
        with trio.fail_after(20):
            got: list[tuple[str, object]] = []
            gone: list[str] = []
            master = Transport("m@x", lambda p, m: got.append((p, m)), gone.append)
            reg = RegisterAgent(agent_info=AgentInfo(hostname="h"))
            async with trio.open_nursery() as n:
                port = await n.start(master.serve, "127.0.0.1", 0)
                streams = []
                for i in range(count):  # all queued before the master runs again
                    s = await trio.open_tcp_stream("127.0.0.1", port)
                    await s.send_all(_frame(codec_internal.Hello(sender=f"a{i}@y")) + _frame(reg))
                    streams.append(s)
                while len(got) < count:
                    await trio.sleep(0.001)
                assert sorted(p for p, _ in got) == sorted(f"a{i}@y" for i in range(count))
                assert all(m == reg for _, m in got)
                assert len(master.links) == count
                for s in streams:
                    await s.aclose()
                while len(gone) < count:
                    await trio.sleep(0.001)
                assert not master.links
                n.cancel_scope.cancel()

    trio.run(main)


class _Sends:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def hold(self) -> None:
        self.log.append("hold")

    def release(self) -> None:
        self.log.append("release")


class _Machine:
    def step(self, now: float, inp: object) -> list[object]:
        return [Log(level="info", event="one"), Log(level="info", event="two")]


class _NullLog:
    def info(self, event: str, **kw: object) -> None:
        pass


def test_effect_loop_holds_sends_around_one_steps_effects() -> None:
    async def main() -> None:
        with trio.fail_after(10):
            seen: list[str] = []
            loop = EffectLoop(_Machine(), _NullLog())
            loop.on(Log, lambda e: seen.append(e.event))
            loop.sends = _Sends(seen)
            await loop.feed("x")
            await loop.feed("y")
            assert seen == ["hold", "one", "two", "release"] * 2

    trio.run(main)


BIG = RegisterAgent(agent_info=AgentInfo(hostname="h" * 65536))  # ~64 KB a frame


def test_a_slow_reader_gets_every_queued_frame_then_the_close() -> None:
    """More than the socket buffers hold: a writer task drains the queue, and a close waits
    behind the queue."""

    async def main() -> None:
        with trio.fail_after(20):
            gone: list[str] = []
            master = Transport("m@x", lambda p, m: None, gone.append)
            async with trio.open_nursery() as n:
                port = await n.start(master.serve, "127.0.0.1", 0)
                s = await _dial(port, "a@y", master)
                link = master.links["a@y"]
                for _ in range(200):
                    assert master.send("a@y", BIG)
                assert link._out  # the socket did not take it all: queued for a writer
                master.close("a@y")
                got, eof = await _read_frames(s, 201)
                assert len(got) == 200 and all(m == BIG for m in got) and eof
                while not gone:
                    await trio.sleep(0.001)
                assert gone == ["a@y"] and not link._writer_running
                await s.aclose()
                n.cancel_scope.cancel()

    trio.run(main)


def test_a_peer_leaving_while_its_writer_waits_ends_the_link_cleanly() -> None:
    async def main() -> None:
        with trio.fail_after(20):
            gone: list[str] = []
            got: list[object] = []
            master = Transport("m@x", lambda p, m: got.append(m), gone.append)
            async with trio.open_nursery() as n:
                port = await n.start(master.serve, "127.0.0.1", 0)
                s = await _dial(port, "a@y", master)
                link = master.links["a@y"]
                for _ in range(200):
                    master.send("a@y", BIG)
                while not link._sending:  # the writer runs, blocked on the full socket
                    await trio.sleep(0.001)
                await s.aclose()  # the peer goes away without reading
                while not gone:
                    await trio.sleep(0.001)
                while link._writer_running:  # cancelled and finished
                    await trio.sleep(0.001)
                assert gone == ["a@y"] and link.closed
                s2 = await _dial(port, "b@y", master)  # the transport serves on
                await s2.send_all(_frame(Pong()))
                while not got:
                    await trio.sleep(0.001)
                assert got == [Pong()]
                await s2.aclose()
                n.cancel_scope.cancel()

    trio.run(main)


class _Log:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, object]]] = []

    def warning(self, event: str, **kw: object) -> None:
        self.lines.append((event, kw))

    info = error = warning


def test_plain_connections_are_read_by_one_task_in_order() -> None:
    """Accepted plain connections are the reader's (io/wire/transport.py `_reader`): no task
    per connection; frames split across writes and several frames in one write arrive
    whole, in order, per connection; EOF ends a connection once."""

    async def main() -> None:
        with trio.fail_after(20):
            got: list[tuple[str, object]] = []
            gone: list[str] = []
            master = Transport("m@x", lambda p, m: got.append((p, m)), gone.append)
            async with trio.open_nursery() as n:
                port = await n.start(master.serve, "127.0.0.1", 0)
                assert master.nursery is not None
                tasks = len(master.nursery.child_tasks)  # the reader + one accept loop per listener
                streams = [await _dial(port, f"a{i}@y", master) for i in range(3)]
                assert len(master.nursery.child_tasks) == tasks  # none per connection
                assert all(link._in_reader for link in master.links.values())
                data = _frame(Ping(connected=True)) + _frame(BIG) + _frame(Pong())
                for k in range(0, len(data), 1000):  # in pieces
                    await streams[0].send_all(data[k:k + 1000])
                await streams[1].send_all(_frame(Pong()) + _frame(Pong()))  # two in one write
                while len(got) < 5:
                    await trio.sleep(0.001)
                assert [m for p, m in got if p == "a0@y"] == [Ping(connected=True), BIG, Pong()]
                assert [m for p, m in got if p == "a1@y"] == [Pong(), Pong()]
                for s in streams:
                    await s.aclose()
                while len(gone) < 3:
                    await trio.sleep(0.001)
                assert sorted(gone) == ["a0@y", "a1@y", "a2@y"] and not master.links
                assert not master._by_fd
                n.cancel_scope.cancel()

    trio.run(main)


def test_the_reader_drops_a_connection_with_a_bad_frame_and_serves_on() -> None:
    async def main() -> None:
        with trio.fail_after(20):
            got: list[object] = []
            gone: list[str] = []
            log = _Log()
            master = Transport("m@x", lambda p, m: got.append(m), gone.append, log=log)
            auth = codec_internal.Authentication(kind="START", mechanism="CRAM-MD5")
            call = tp.driver_frame("scheduler_call", b"x")
            bad = [b"\x00\x00\x00\x03abc",  # not an envelope
                   _LEN.pack(tp.MAX_FRAME + 1),  # beyond the frame limit
                   _LEN.pack(len(call)) + call,  # a driver frame on an internal connection
                   _frame(auth)]  # authentication, not right after Hello
            async with trio.open_nursery() as n:
                port = await n.start(master.serve, "127.0.0.1", 0)
                for i, junk in enumerate(bad):
                    s = await _dial(port, f"b{i}@y", master)
                    await s.send_all((_frame(Pong()) if i == 3 else b"") + junk)
                    while len(gone) < i + 1:
                        await trio.sleep(0.001)
                    await s.aclose()
                s = await trio.open_tcp_stream("127.0.0.1", port)
                await s.send_all(_frame(Pong()))  # no Hello first
                while len(log.lines) < len(bad) + 1:
                    await trio.sleep(0.001)
                await s.aclose()
                events = [e for e, _ in log.lines]
                assert events == ["transport.bad_frame"] * (len(bad) + 1)
                errors = [str(kw["error"]) for _, kw in log.lines]
                assert "exceeds the limit" in errors[1]
                assert "scheduler_call on an internal connection" in errors[2]
                assert "only allowed right after Hello" in errors[3]
                assert "first frame must be Hello" in errors[4]
                assert gone == [f"b{i}@y" for i in range(len(bad))] and got == [Pong()]
                ok = await _dial(port, "c@y", master)  # served on
                await ok.send_all(_frame(Ping(connected=False)))
                while len(got) < 2:
                    await trio.sleep(0.001)
                assert got[1] == Ping(connected=False)
                await ok.aclose()
                n.cancel_scope.cancel()

    trio.run(main)


class _Driver:
    """A driver-wire handler claiming every "scheduler(...)" sender."""

    def __init__(self) -> None:
        self.frames: list[tuple[object, object]] = []
        self.closed_links: list[object] = []

    def claims(self, sender: str) -> bool:
        return sender.startswith("scheduler(")

    def frame(self, link: object, msg: object) -> None:
        self.frames.append((link, msg))

    def closed(self, link: object) -> None:
        self.closed_links.append(link)


def test_the_reader_hands_a_driver_connection_over_with_what_it_read() -> None:
    """A connection whose Hello the driver handler claims leaves the reader for a task of
    its own (`_run_link`), with the frames that came in the same read as its Hello."""

    async def main() -> None:
        with trio.fail_after(20):
            driver = _Driver()
            master = Transport("m@x", lambda p, m: None, lambda p: None)
            master.driver = driver
            async with trio.open_nursery() as n:
                port = await n.start(master.serve, "127.0.0.1", 0)
                s = await trio.open_tcp_stream("127.0.0.1", port)
                call = tp.driver_frame("scheduler_call", b"one")
                await s.send_all(_frame(codec_internal.Hello(sender="scheduler(1)@h:1"))
                                 + _LEN.pack(len(call)) + call)
                while not driver.frames:
                    await trio.sleep(0.001)
                link, msg = driver.frames[0]
                assert isinstance(msg, tp.DriverFrame) and msg.payload == b"one"
                assert isinstance(link, tp.Link) and not link._in_reader and link.driver
                assert not master._by_fd and not master.links
                call2 = tp.driver_frame("scheduler_call", b"two")
                await s.send_all(_LEN.pack(len(call2)) + call2)  # read by its own task now
                while len(driver.frames) < 2:
                    await trio.sleep(0.001)
                assert driver.frames[1][1].payload == b"two"  # type: ignore[attr-defined]
                await s.aclose()
                while not driver.closed_links:
                    await trio.sleep(0.001)
                assert driver.closed_links == [link]
                n.cancel_scope.cancel()

    trio.run(main)
