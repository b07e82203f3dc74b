"""Pipelined HTTP/1.1 (RFC 9112 §9.3) between io/http/client.H11Pipeline (the scheduler
client's calls) and io/http/server.py (the daemons' server): answers in order, the answers to
requests that arrived together leave the server in one write, a connection that breaks
mid-batch fails the unanswered requests (status 0, never re-sent), a `Connection: close`
re-sends them, servers that do not pipeline or cap requests per connection (hypercorn) lose
no call, and a streaming answer sees its client go away. Real sockets on loopback."""

from __future__ import annotations

import socket
from contextlib import aclosing
from typing import Any

import h11
import pytest
import trio
from mesotron.io.http import server as h11_server
from mesotron.io.http.asgi import EventStream, bind_socket, respond
from mesotron.io.http.client import H11Pipeline


class App:
    """POST bodies: b"bad..." -> 400 "no: <body>", anything else -> 202; records the order.
    /stream: a RecordIO-style stream of two chunks that stays open until the client leaves."""

    def __init__(self) -> None:
        self.seen: list[bytes] = []
        self.disconnected = trio.Event()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        body = (await receive())["body"]
        if scope["path"] == "/stream":
            stream = EventStream()
            stream.push(b"one")
            stream.push(b"two")
            try:
                await stream.serve(receive, send, [("Content-Type", "application/x-protobuf")])
            finally:
                self.disconnected.set()
            return
        self.seen.append(body)
        if body.startswith(b"bad"):
            await respond(send, 400, b"no: " + body)
        else:
            await respond(send, 202)


async def _serve(app: Any, nursery: trio.Nursery) -> tuple[int, trio.Event]:
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    stop = trio.Event()
    await nursery.start(h11_server.serve_h11, app, sock, stop)
    return port, stop


def test_pipelined_calls_are_answered_in_order_in_one_batch() -> None:
    async def main() -> None:
        with trio.fail_after(10):
            app = App()
            async with trio.open_nursery() as nursery:
                port, stop = await _serve(app, nursery)
                pipe = H11Pipeline("127.0.0.1", port)
                nursery.start_soon(pipe.run)
                answers: list[tuple[int, bytes]] = []
                bodies = [b"bad-7" if i == 7 else f"call-{i}".encode() for i in range(40)]
                for b in bodies:
                    pipe.submit("/api", b, {"Content-Type": "application/x-protobuf"},
                                lambda status, raw: answers.append((status, raw)))
                last = await pipe.post("/api", b"last", {})
                assert last == (202, b"")
                assert app.seen == [*bodies, b"last"]  # in order, each once
                assert [s for s, _ in answers] == [400 if i == 7 else 202 for i in range(40)]
                assert answers[7][1] == b"no: bad-7"
                assert pipe.batches == 1  # the 41 calls queued together left in one write
                pipe.close()
                stop.set()

    trio.run(main)


def test_server_writes_the_answers_to_requests_that_arrived_together_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three requests in one segment: three answers, one send (flush before read)."""
    writes: list[bytes] = []
    flush = h11_server._Peer.flush

    async def counting_flush(self: Any) -> None:
        if self.out:
            writes.append(b"".join(self.out))
        await flush(self)

    monkeypatch.setattr(h11_server._Peer, "flush", counting_flush)

    async def main() -> None:
        with trio.fail_after(10):
            app = App()
            async with trio.open_nursery() as nursery:
                port, stop = await _serve(app, nursery)
                client = h11.Connection(h11.CLIENT)
                raw = b""
                for i in range(3):
                    w = h11.Connection(h11.CLIENT)
                    body = f"r{i}".encode()
                    raw += w.send(h11.Request(method="POST", target="/x", headers=[
                        ("Host", "x"), ("Content-Length", str(len(body)))]))  # type: ignore[operator]
                    raw += w.send(h11.Data(data=body)) + w.send(h11.EndOfMessage())  # type: ignore[operator]
                stream = await trio.open_tcp_stream("127.0.0.1", port)
                await stream.send_all(raw)
                statuses = []
                for _ in range(3):
                    client.send(h11.Request(method="POST", target="/x", headers=[("Host", "x"), ("Content-Length", "0")]))
                    client.send(h11.EndOfMessage())
                    while True:
                        ev = client.next_event()
                        if ev is h11.NEED_DATA:
                            client.receive_data(await stream.receive_some(65536))
                        elif isinstance(ev, h11.Response):
                            statuses.append(ev.status_code)
                        elif isinstance(ev, h11.EndOfMessage):
                            break
                    client.start_next_cycle()
                assert statuses == [202, 202, 202]
                assert app.seen == [b"r0", b"r1", b"r2"]
                assert len(writes) == 1 and writes[0].count(b"HTTP/1.1 202") == 3
                await stream.aclose()
                stop.set()

    trio.run(main)


def test_a_connection_that_breaks_mid_batch_fails_the_rest_without_resending() -> None:
    """The server answers the first request of a batch and closes: the others get status 0
    (not sent again); the next call opens a new connection."""

    async def main() -> None:
        with trio.fail_after(10):
            listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
            port = listeners[0].socket.getsockname()[1]
            seen: list[int] = []

            async def handle(stream: trio.SocketStream) -> None:
                conn = h11.Connection(h11.SERVER)
                try:
                    while True:
                        ev = conn.next_event()
                        if ev is h11.NEED_DATA:
                            data = await stream.receive_some(65536)
                            if not data:
                                return
                            conn.receive_data(data)
                        elif isinstance(ev, h11.EndOfMessage):
                            seen.append(1)
                            await stream.send_all(conn.send(h11.Response(  # type: ignore[operator]
                                status_code=202, headers=[("Content-Length", "0")])) + conn.send(h11.EndOfMessage()))
                            return  # close after the first answer
                finally:
                    await trio.aclose_forcefully(stream)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(trio.serve_listeners, handle, listeners)
                pipe = H11Pipeline("127.0.0.1", port)
                nursery.start_soon(pipe.run)
                answers: list[int] = []
                for _ in range(3):
                    pipe.submit("/", b"x", {}, lambda status, raw: answers.append(status))
                assert (await pipe.post("/", b"y", {}))[0] == 0
                assert answers == [202, 0, 0]
                assert len(seen) == 1  # the server read one request per connection: none re-sent
                assert (await pipe.post("/", b"z", {}))[0] == 202  # a new connection
                assert len(seen) == 2
                pipe.close()
                nursery.cancel_scope.cancel()

    trio.run(main)


def test_a_streaming_answer_sees_its_client_go_away() -> None:
    async def main() -> None:
        with trio.fail_after(10):
            app = App()
            async with trio.open_nursery() as nursery:
                port, stop = await _serve(app, nursery)
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(b"POST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                got = b""
                while b"two" not in got:
                    got += await trio.to_thread.run_sync(s.recv, 65536)
                assert got.startswith(b"HTTP/1.1 200") and b"chunked" in got.lower()
                assert not app.disconnected.is_set()
                s.close()
                await app.disconnected.wait()  # the app's receive() returned http.disconnect
                stop.set()

    trio.run(main)


# ------------------------------------------------- servers that do not pipeline (any HTTP/1.1)
def _answer_bytes(conn: h11.Connection, close: bool = False) -> bytes:
    headers = [("Content-Length", "0")] + ([("Connection", "close")] if close else [])
    return conn.send(h11.Response(status_code=202, headers=headers)) + conn.send(h11.EndOfMessage())  # type: ignore[operator]


async def _request_bodies(stream: trio.SocketStream, conn: h11.Connection) -> Any:
    """The body of each request h11 parses from `stream` (ends when the peer closes)."""
    body = b""
    while True:
        ev = conn.next_event()
        if ev is h11.NEED_DATA:
            data = await stream.receive_some(65536)
            if not data:
                return
            conn.receive_data(data)
        elif isinstance(ev, h11.Data):
            body += bytes(ev.data)
        elif isinstance(ev, h11.EndOfMessage):
            yield body
            body = b""


async def _h11_server(handle: Any, nursery: trio.Nursery) -> int:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    nursery.start_soon(trio.serve_listeners, handle, listeners)
    return int(listeners[0].socket.getsockname()[1])


def test_hypercorn_closing_after_its_keep_alive_limit_loses_no_call() -> None:
    """hypercorn answers the 1000th request of a connection with `Connection: close` and
    closes it, and with our pipelined requests unread there its close can be a reset that
    destroys answers (RFC 9112 §9.6): the client makes a new connection every 500 requests,
    so 1,100 pipelined calls are each answered once and applied once, in order."""
    from mesotron.io.http.asgi import serve_http

    async def main() -> None:
        with trio.fail_after(60):
            app = App()
            async with trio.open_nursery() as nursery:
                sock = bind_socket("127.0.0.1", 0)
                port = sock.getsockname()[1]
                stop = trio.Event()
                await nursery.start(serve_http, app, sock, stop)
                pipe = H11Pipeline("127.0.0.1", port)
                nursery.start_soon(pipe.run)
                answers: list[int] = []
                bodies = [f"call-{i}".encode() for i in range(1100)]
                for b in bodies:
                    pipe.submit("/api", b, {}, lambda status, raw: answers.append(status))
                assert (await pipe.post("/api", b"last", {}))[0] == 202
                assert answers == [202] * len(bodies)
                assert app.seen == [*bodies, b"last"]  # each applied once, in order
                assert pipe.resent == 0 and not pipe.sequential and pipe.connections == 3
                pipe.close()
                stop.set()

    trio.run(main)


def test_a_server_that_does_not_pipeline_gets_one_request_at_a_time() -> None:
    """A server that drops a connection on which a second request arrives before its first
    answer (without saying `close`): the first is answered, the others get status 0 and are
    NOT sent again (they may have been read: POSTs are not idempotent); the client then sends
    one request at a time to it, and every later call is answered and applied once."""

    async def main() -> None:
        with trio.fail_after(20):
            seen: list[bytes] = []

            async def handle(stream: trio.SocketStream) -> None:
                conn = h11.Connection(h11.SERVER)
                try:
                    async with aclosing(_request_bodies(stream, conn)) as bodies:
                        async for body in bodies:
                            seen.append(body)
                            pipelined = bool(conn.trailing_data[0])
                            await stream.send_all(_answer_bytes(conn))
                            if pipelined:
                                return  # drops the connection, and the requests it holds
                            conn.start_next_cycle()
                finally:
                    await trio.aclose_forcefully(stream)

            async with trio.open_nursery() as nursery:
                port = await _h11_server(handle, nursery)
                pipe = H11Pipeline("127.0.0.1", port)
                nursery.start_soon(pipe.run)
                answers: list[int] = []
                for i in range(4):
                    pipe.submit("/", f"a{i}".encode(), {}, lambda status, raw: answers.append(status))
                assert (await pipe.post("/", b"a4", {}))[0] == 0
                assert answers == [202, 0, 0, 0] and seen == [b"a0"] and pipe.sequential
                answers.clear()
                for i in range(10):
                    pipe.submit("/", f"b{i}".encode(), {}, lambda status, raw: answers.append(status))
                assert (await pipe.post("/", b"b10", {}))[0] == 202
                assert answers == [202] * 10
                assert seen == [b"a0"] + [f"b{i}".encode() for i in range(11)] and pipe.resent == 0
                pipe.close()
                nursery.cancel_scope.cancel()

    trio.run(main)


def test_a_server_that_closes_after_each_answer_saying_so() -> None:
    """HTTP/1.1 without keep-alive: each answer says `Connection: close`. The unanswered
    requests are sent again (never processed: §9.6), one per connection from then on (the
    server's cap, learnt); each is applied once, in order."""

    async def main() -> None:
        with trio.fail_after(20):
            seen: list[bytes] = []

            async def handle(stream: trio.SocketStream) -> None:
                conn = h11.Connection(h11.SERVER)
                try:
                    async with aclosing(_request_bodies(stream, conn)) as bodies:
                        async for body in bodies:
                            seen.append(body)
                            await stream.send_all(_answer_bytes(conn, close=True))
                            return
                finally:
                    await trio.aclose_forcefully(stream)

            async with trio.open_nursery() as nursery:
                port = await _h11_server(handle, nursery)
                pipe = H11Pipeline("127.0.0.1", port)
                nursery.start_soon(pipe.run)
                answers: list[int] = []
                for i in range(20):
                    pipe.submit("/", f"c{i}".encode(), {}, lambda status, raw: answers.append(status))
                assert (await pipe.post("/", b"c20", {}))[0] == 202
                assert answers == [202] * 20
                assert seen == [f"c{i}".encode() for i in range(21)]
                assert pipe.resent == 20 and pipe.max_requests_per_connection == 1
                pipe.close()
                nursery.cancel_scope.cancel()

    trio.run(main)


def test_scheduler_client_against_daemons_on_hypercorn(tmp_path) -> None:
    """Real master and agent with `--http-server hypercorn`: our scheduler client makes 1,200
    pipelined calls (past hypercorn's 1,000 requests per connection) and every one is
    answered 2xx (none rejected or unanswered), then runs a command task to TASK_FINISHED."""
    from mesotron.core.messages import (
        CallAccept,
        CallAcknowledge,
        CallRevive,
        CallSuppress,
        EventOffers,
        EventUpdate,
        OpLaunch,
    )
    from mesotron.core.resources import Resources
    from mesotron.core.values import CommandInfo, FrameworkInfo, TaskInfo
    from mesotron.io.wire.scheduler_client import SchedulerClient
    from testkit import Cluster

    with Cluster(str(tmp_path), agents=1, master_flags=("--http-server", "hypercorn", "--allocation-interval", "50ms"),
                 agent_flags=("--http-server", "hypercorn", "--no-fsync")) as c:
        async def main() -> tuple[list[str], Any, Any]:
            states: list[str] = []
            with trio.fail_after(60):
                async with SchedulerClient.connect(c.master_addr, FrameworkInfo(user="t", name="hc")) as s:
                    launched = False
                    async for ev in s.events():
                        if isinstance(ev, EventOffers) and not launched:
                            for i in range(1200):
                                s.call_nowait(CallSuppress() if i % 2 == 0 else CallRevive())
                            assert await s.call(CallRevive()) == 202
                            o = ev.offers[0]  # the offer is still ours: launch on it
                            task = TaskInfo(name="t", task_id="hc-1", agent_id=o.agent_id,
                                            resources=Resources.parse("cpus:0.1;mem:32"),
                                            command=CommandInfo(value="true"))
                            await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=(task,)),)))
                            launched = True
                        elif isinstance(ev, EventUpdate):
                            states.append(ev.status.state.name)
                            if ev.status.uuid is not None:
                                await s.call(CallAcknowledge(agent_id=ev.status.agent_id,
                                                             task_id=ev.status.task_id, uuid=ev.status.uuid))
                            if ev.status.state.is_terminal:
                                break
                    return states, list(s.rejected), s._http
        states, rejected, pipe = trio.run(main)
    assert rejected == []
    assert pipe is not None and pipe.connections >= 3 and not pipe.sequential
    assert states[-1] == "TASK_FINISHED", states
def test_cached_request_head_is_what_h11_writes() -> None:
    """H11Pipeline sends `head + body` with the head h11 serialized once per kind of call
    (io/http/client._request_head): byte for byte what h11 writes for the whole request."""
    from mesotron.io.http.client import _request_head

    headers = {"Content-Type": "application/x-protobuf", "Accept": "application/x-protobuf",
               "Mesos-Stream-Id": "s-1"}
    for body in (b"", b"x", b"\x00\xff" * 300):
        w = h11.Connection(h11.CLIENT)
        whole = (w.send(h11.Request(method="POST", target="/api/v1/scheduler", headers=[
            ("Host", "h:5050"), ("Content-Length", str(len(body))), *headers.items()]))
            + w.send(h11.Data(data=body)) + w.send(h11.EndOfMessage()))
        assert _request_head("h:5050", "/api/v1/scheduler", len(body), headers) + body == whole


def test_kept_answer_heads_are_framed_per_request() -> None:
    """The server reuses h11's framing rewrite of a kept Response head (server._Connection)
    only for the same request method, peer HTTP version and keep-alive: a 202 to an
    HTTP/1.0 request or to `Connection: close` still closes, a HEAD answer has no body, and
    the keep-alive 202 after them is the plain one."""

    async def main() -> None:
        with trio.fail_after(10):
            app = App()
            async with trio.open_nursery() as nursery:
                port, stop = await _serve(app, nursery)

                async def exchange(raw: bytes) -> bytes:
                    s = await trio.open_tcp_stream("127.0.0.1", port)
                    await s.send_all(raw)
                    out = b""
                    with trio.move_on_after(0.5):
                        while (chunk := await s.receive_some(65536)):
                            out += chunk
                    await s.aclose()
                    return out

                post = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok"
                keep = await exchange(post + post)  # two 202s, connection kept (times out)
                assert keep.count(b"HTTP/1.1 202 ") == 2 and b"connection: close" not in keep.lower()
                old = await exchange(b"POST /x HTTP/1.0\r\nContent-Length: 2\r\n\r\nok")
                assert old.startswith(b"HTTP/1.1 202 ") and b"connection: close" in old.lower()
                close = await exchange(b"POST /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
                                       b"Content-Length: 2\r\n\r\nok")
                assert close.startswith(b"HTTP/1.1 202 ") and b"connection: close" in close.lower()
                again = await exchange(post)
                assert again.startswith(b"HTTP/1.1 202 ") and b"connection: close" not in again.lower()
                stop.set()

    trio.run(main)


def test_pipelined_answers_are_parsed_whatever_the_byte_boundaries() -> None:
    """The pipeline's answer parser (httptools, io/http/client._Answers): answers framed by
    Content-Length and chunked, split at every byte boundary, come out whole and in order;
    an interim 100 is skipped; `Connection: close` and HTTP/1.0 mark the end of the
    connection; nonsense raises httptools' parser error (the batch's calls then get 0)."""
    import httptools
    from mesotron.io.http.client import _Answers

    wire = (b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 7\r\n\r\nno: bad"
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
            b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    want = [(202, b"", True), (400, b"no: bad", True), (200, b"abcde", True), (202, b"", False)]
    for cut in range(len(wire) + 1):
        a = _Answers()
        a.feed(wire[:cut])
        a.feed(wire[cut:])
        assert list(a.done) == want, cut
    a = _Answers()
    a.feed(b"HTTP/1.0 202 Accepted\r\nContent-Length: 0\r\n\r\n")
    assert list(a.done) == [(202, b"", False)]
    with pytest.raises(httptools.HttpParserError):
        _Answers().feed(b"HTTP/1.1 2x2 nonsense\r\n\r\n")


def test_an_answer_that_is_not_http_fails_the_batch_without_resending() -> None:
    """A peer that answers with nonsense: each call of the batch gets status 0 (never sent
    again), and the next call goes on a new connection and is answered."""

    async def main() -> None:
        with trio.fail_after(20):
            seen: list[bytes] = []
            connections = 0

            async def handle(stream: trio.SocketStream) -> None:
                nonlocal connections
                connections += 1
                first = connections == 1
                conn = h11.Connection(h11.SERVER)
                try:
                    async with aclosing(_request_bodies(stream, conn)) as bodies:
                        async for body in bodies:
                            seen.append(body)
                            if first:
                                await stream.send_all(b"SPDY/9 nonsense\r\n\r\n")
                                return
                            await stream.send_all(_answer_bytes(conn))
                            conn.start_next_cycle()
                finally:
                    await trio.aclose_forcefully(stream)

            async with trio.open_nursery() as nursery:
                port = await _h11_server(handle, nursery)
                pipe = H11Pipeline("127.0.0.1", port)
                nursery.start_soon(pipe.run)
                answers: list[int] = []
                for i in range(3):
                    pipe.submit("/", f"x{i}".encode(), {}, lambda status, raw: answers.append(status))
                assert (await pipe.post("/", b"x3", {}))[0] == 0
                assert answers == [0, 0, 0] and pipe.resent == 0
                assert (await pipe.post("/", b"y", {}))[0] == 202
                assert seen[-1] == b"y" and pipe.connections == 2
                pipe.close()
                nursery.cancel_scope.cancel()

    trio.run(main)


def test_a_call_leaves_while_earlier_answers_are_still_awaited() -> None:
    """More calls in flight: a call submitted while the answer to an earlier one is awaited
    is written at once on the same connection (the server here answers the first request
    only once the second has arrived: a client that waits for every answer before writing
    again never gets either)."""

    async def main() -> None:
        with trio.fail_after(10):
            seen: list[bytes] = []

            async def handle(stream: trio.SocketStream) -> None:
                conn = h11.Connection(h11.SERVER)
                try:
                    async with aclosing(_request_bodies(stream, conn)) as bodies:
                        seen.append(await bodies.__anext__())
                        while b"second" not in conn.trailing_data[0]:  # h11 holds it, unparsed
                            conn.receive_data(await stream.receive_some(65536))
                        await stream.send_all(_answer_bytes(conn))
                        conn.start_next_cycle()
                        seen.append(await bodies.__anext__())
                        await stream.send_all(_answer_bytes(conn))
                        await trio.sleep_forever()
                finally:
                    await trio.aclose_forcefully(stream)

            async with trio.open_nursery() as nursery:
                port = await _h11_server(handle, nursery)
                pipe = H11Pipeline("127.0.0.1", port)
                nursery.start_soon(pipe.run)
                answers: list[int] = []
                pipe.submit("/", b"first", {}, lambda status, raw: answers.append(status))
                while pipe.batches < 1:
                    await trio.sleep(0.001)
                assert (await pipe.post("/", b"second", {}))[0] == 202
                assert answers == [202] and seen == [b"first", b"second"]
                assert pipe.batches == 2 and pipe.connections == 1
                pipe.close()
                nursery.cancel_scope.cancel()

    trio.run(main)


class DirectApp(App):
    """App with the server's direct path (io/http/server._direct): b"direct..." bodies are
    answered there (b"direct-bad": 400 with a text, b"direct-boom": an app bug), anything
    else falls back (None) to the ASGI path."""

    def __init__(self) -> None:
        super().__init__()
        self.direct_seen: list[bytes] = []

    async def direct(self, path: str, headers: Any, body: bytes) -> Any:
        if not body.startswith(b"direct"):
            return None
        self.direct_seen.append(body)
        if body == b"direct-boom":
            raise RuntimeError("planted")
        return (400, "text/plain; charset=utf-8", b"no: " + body) if body == b"direct-bad" else \
            (202, "text/plain; charset=utf-8", b"")


def test_direct_path_answers_as_the_asgi_path_and_falls_back_for_the_rest() -> None:
    """The bytes of an answer from the direct path are those of the same answer through the
    ASGI path (`respond`); a request the direct path declines reaches the ASGI app with its
    body; an app bug there is a 500 that ends the connection (as on the ASGI path)."""

    async def exchange(app: Any, bodies: list[bytes]) -> bytes:
        async with trio.open_nursery() as nursery:
            port, stop = await _serve(app, nursery)
            stream = await trio.open_tcp_stream("127.0.0.1", port)
            client = h11.Connection(h11.CLIENT)
            out = b""
            for b in bodies:
                out += client.send(h11.Request(method="POST", target="/api", headers=[  # type: ignore[operator]
                    ("Host", "x"), ("Content-Length", str(len(b)))])) + client.send(h11.Data(data=b)) \
                    + client.send(h11.EndOfMessage())
                client = h11.Connection(h11.CLIENT)  # (heads only: the answers are read raw)
            await stream.send_all(out)
            got = b""
            while got.count(b"HTTP/1.1") < len(bodies):
                data = await stream.receive_some(65536)
                if not data:
                    break
                got += data
            await stream.aclose()
            stop.set()
        return got

    async def main() -> None:
        with trio.fail_after(10):
            plain, direct = App(), DirectApp()
            asgi_answers = await exchange(plain, [b"ok", b"bad-x"])
            direct_answers = await exchange(direct, [b"direct-ok", b"direct-bad"])
            assert direct.seen == [] and direct.direct_seen == [b"direct-ok", b"direct-bad"]
            assert direct_answers == asgi_answers.replace(b"no: bad-x", b"no: direct-bad").replace(
                b"content-length: 9", b"content-length: 14")
            fallback = await exchange(direct, [b"plain"])
            assert direct.seen == [b"plain"] and fallback.startswith(b"HTTP/1.1 202 ")
            boom = await exchange(direct, [b"direct-boom", b"after"])
            assert boom.startswith(b"HTTP/1.1 500 ") and b"connection: close" in boom.lower()
            assert b"after" not in direct.seen  # the connection ended with the 500

    trio.run(main)
