"""A small HTTP/1.1 client on Trio streams, with h11 (and httptools for the answers of
pipelined calls) doing all the HTTP parsing: for the hot paths (the command executor's calls to its agent, a scheduler's calls to the master).

httpx costs ~2-3 ms of CPU per request (proxy detection, cookie handling, its connection
pool, async-generator plumbing); with h11 directly a keep-alive POST costs a fraction of that.

    conn = H11Client("127.0.0.1", 5051)
    status, body = await conn.post("/api/v1/executor", body, {"Content-Type": ...})
    async with conn.stream_post(path, body, headers) as (status, chunks): ...

`H11Pipeline` sends calls pipelined on one keep-alive connection (RFC 9112 §9.3), as Mesos's
scheduler library sends its calls (one connection; `send()` does not wait for the answer,
an answer other than 2xx is reported): what is queued while earlier answers are awaited
leaves in one write, the answers come back in order to each call's callback; h11 serializes
its requests, httptools (llhttp) parses the answers (see _Answers for why).
"""

from __future__ import annotations

import select
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import h11
import httptools
import trio

try:  # trio.testing's wait_all_tasks_blocked, without importing trio.testing: that package
    # imports pytest (its RaisesGroup), ~130 ms of every daemon's and executor's start
    from trio._core import wait_all_tasks_blocked
except ImportError:  # pragma: no cover (a trio that moved it)
    from trio.testing import wait_all_tasks_blocked


class HTTPError(OSError):
    pass


def _idle_and_open(stream: Any) -> bool:
    """Whether an idle keep-alive connection can carry a request: nothing is readable on it
    (readable while idle means the server closed it, or sent bytes nobody asked for; over
    TLS a record such as a session ticket also counts: the connection is then replaced,
    which costs a handshake and never sends a request twice)."""
    sock = getattr(stream, "socket", None) or stream.transport_stream.socket
    try:
        readable, _, _ = select.select([sock.fileno()], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _request_head(host: str, path: str, length: int, headers: dict[str, str]) -> bytes:
    """The bytes h11 writes for a POST head with a `Content-Length` of `length`: a body so
    framed follows its head verbatim and its end adds nothing, so the head h11 serialized
    once serves every request of the same kind (path, length, headers) as `head + body`."""
    w = h11.Connection(h11.CLIENT)
    head = w.send(h11.Request(method="POST", target=path, headers=[
        ("Host", host), ("Content-Length", str(length)), *headers.items()]))
    body = b"\0" * length
    if w.send(h11.Data(data=body)) != body or w.send(h11.EndOfMessage()) != b"":  # pragma: no cover
        raise AssertionError("h11 framed a Content-Length body other than verbatim")
    return head  # type: ignore[return-value]


class _Answers:
    """The answers on one pipelined connection, parsed by httptools (Node's llhttp, the parser
    uvicorn uses; no hand-written parsing): `feed(bytes)` appends each complete answer to
    `done` as (status, body, keep_alive). `keep_alive` False: the answer said `Connection:
    close`, or came from an HTTP/1.0 server without keep-alive, or upgraded the connection
    (the server takes no further request on it). Interim answers (1xx but 101) are skipped,
    as a client that never sent `Expect` is told to. An answer framed by the end of the
    connection (no Content-Length, not chunked) is never complete here: its call gets status
    0 ("connection closed"), as an answer that never came; our servers always frame theirs.

    Why not h11 here (docs/performance.md): h11's client state machine needs to be told of
    each request before it parses its answer (two events and a serialization each), ~25 us
    per answer of CPU against ~0.2 us for llhttp; the client reads one answer per call."""

    __slots__ = ("_body", "done", "parser")

    def __init__(self) -> None:
        self.done: deque[tuple[int, bytes, bool]] = deque()
        self._body: list[bytes] = []
        self.parser = httptools.HttpResponseParser(self)

    def feed(self, data: bytes) -> None:
        """Raises httptools.HttpParserError on anything that is not HTTP/1.x answers."""
        self.parser.feed_data(data)

    def on_body(self, chunk: bytes) -> None:
        self._body.append(chunk)

    def on_message_complete(self) -> None:
        p = self.parser
        status = p.get_status_code()
        body = b"".join(self._body) if self._body else b""
        self._body = []
        if status < 200 and status != 101:
            return  # interim (100 Continue, 103 Early Hints): the answer follows
        self.done.append((status, body, p.should_keep_alive() and not p.should_upgrade()))


COALESCE = 0.002  # seconds H11Pipeline waits at most for the other runnable tasks' calls
Answer = Callable[[int, bytes], None]  # (status, body); status 0: not answered (text in body)


class H11Pipeline:
    """Requests pipelined on one keep-alive connection, answered in order.

    `submit()` queues a request and returns at once; `run()` (a task in the caller's
    nursery) writes what is queued in one send (after the other runnable tasks had their
    turn, COALESCE) without waiting for the answers to what it wrote before (more calls in
    flight: the latency of one batch's answers no longer holds the next batch back), while a
    reader task hands each answer to its callback, in order. No HTTP is hand-written: each
    kind of request's head is serialized once by an h11 client connection (then `head +
    body`, see _request_head), and the answers are parsed by one httptools parser per
    connection (_Answers).

    Servers that end a connection with requests of ours unanswered (RFC 9112 §9.3.2, §9.6):

    - At most `max_requests_per_connection` (default 500) requests go on one connection;
      then it is closed (all answered) and a new one made. Servers cap requests per
      connection (hypercorn and nginx: 1000 by default) by answering the last one with
      `Connection: close`; if our pipelined requests are then still unread in the server's
      socket, its close becomes a reset and can destroy answers already sent (the "TCP reset
      problem", §9.6): seen with hypercorn, the 1000th answer lost. So we stay below such
      caps, and learn a lower one (the answers a server gave on a connection before it said
      `close`); a server with a lower cap than ours can cost, once, the answers its reset
      destroys (those calls get status 0, below). 500: no cost measurable against no cap
      (bench/pipeline_cap.py, docs/performance.md).
    - The last answer said `Connection: close` (or was HTTP/1.0) with requests unanswered:
      the server "MUST NOT process any further requests received on that connection"
      (§9.6), so those provably were not processed: they are sent again, in order, on a new
      connection, before anything queued later (`resent` counts them).
    - It closed (or reset) without saying so: any unanswered request may have been read and
      applied, and our calls are POSTs (not idempotent; §9.3.1: no automatic retry without
      a means to know it was never applied). They are NOT sent again: each gets status 0
      (the caller's machine decides, as Mesos's scheduler library reports a failed `send`
      and leaves retrying to the framework; our driver hears it as an unanswered call). If
      two or more requests were in flight, the server is taken not to pipeline: from then on
      this client sends it one request at a time (`sequential`; §9.3.2: no pipelining right
      after a failed connection).

    This is the transport's business (as TCP's retransmission), not the protocol's: a call
    still gets exactly one answer, and one never processed is the only kind sent twice."""

    def __init__(self, host: str, port: int, *, connect_timeout: float = 5.0,
                 ssl_context: Any = None, max_batch: int = 256,
                 max_requests_per_connection: int = 500) -> None:
        self.host, self.port = host, port
        self.max_requests_per_connection = max_requests_per_connection  # 0: no cap
        self.connect_timeout = connect_timeout
        self.ssl_context = ssl_context
        self.max_batch = max_batch
        self._queue: list[tuple[bytes, Answer]] = []
        self._wake = trio.Event()
        self._closed = False
        self._stream: Any = None
        self._answers: _Answers | None = None  # the answer parser of the current connection
        self._inflight: deque[tuple[bytes, Answer]] = deque()  # sent, not answered yet, in order
        self._peak = 0  # the most requests in flight at once since all were last answered
        self.batches = 0  # writes so far (for benchmarks and tests)
        self.resent = 0  # requests sent again after a `Connection: close` left them unanswered
        self.sequential = False  # one request in flight at a time (a server that does not pipeline)
        self._answered_here = 0  # answers read on the current connection
        self._sent_here = 0  # requests written on the current connection
        self.connections = 0  # connections made so far (for tests)
        self._heads: dict[tuple[str, int, tuple[tuple[str, str], ...]], bytes] = {}

    def submit(self, path: str, body: bytes, headers: dict[str, str], answer: Answer) -> None:
        if self._closed:
            answer(0, b"connection closed")
            return
        key = (path, len(body), tuple(headers.items()))
        head = self._heads.get(key)  # calls of one kind repeat: h11 serializes their head once
        if head is None:
            head = _request_head(f"{self.host}:{self.port}", path, len(body), headers)
            if len(self._heads) < 256:
                self._heads[key] = head
        self._queue.append((head + body, answer))
        self._wake.set()

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """Submit and wait for the answer (in order with the calls submitted before it)."""
        done = trio.Event()
        out: list[tuple[int, bytes]] = []

        def answer(status: int, raw: bytes) -> None:
            out.append((status, raw))
            done.set()

        self.submit(path, body, headers, answer)
        await done.wait()
        return out[0]

    def close(self) -> None:
        """Fail what is queued; run() returns."""
        self._closed = True
        queued, self._queue = self._queue, []
        for _, answer in queued:
            answer(0, b"connection closed")
        self._wake.set()

    async def run(self) -> None:
        try:
            while not self._closed or self._inflight:
                if not self._queue:
                    if self._closed:
                        break
                    self._wake = trio.Event()
                    await self._wake.wait()
                    continue
                await self._connection()
        finally:
            with trio.CancelScope(shield=True):
                await self._drop()

    async def _connection(self) -> None:
        """One connection's life: a writer (this task) sends what is queued as it comes,
        without waiting for the answers to what it sent before (up to `max_batch` requests
        per write); a reader task hands each answer to its call in order. Ends when the
        connection breaks or closes, or after `max_requests_per_connection` requests once
        all are answered (the class doc)."""
        said_close = False
        self._peak = 0
        try:
            with trio.fail_after(self.connect_timeout):
                stream: Any = await trio.open_tcp_stream(self.host, self.port)
                if self.ssl_context is not None:
                    stream = trio.SSLStream(stream, self.ssl_context, server_hostname=self.host)
                    await stream.do_handshake()
            self._stream, self._answers = stream, _Answers()
            self._answered_here = self._sent_here = 0
            self.connections += 1
            await self._pump(stream)
        except _SaidClose:
            said_close = True
            self._fail_inflight(HTTPError("connection closed"), said_close)
        except (OSError, httptools.HttpParserError, trio.BrokenResourceError, trio.ClosedResourceError,
                trio.TooSlowError) as e:
            self._fail_inflight(e, said_close)
        finally:
            with trio.CancelScope(shield=True):
                await self._drop()

    async def _pump(self, stream: Any) -> None:
        """The connection's writer here and its reader beside it, until every answer is read;
        the one exception that ended them is raised alone (unwrapped from trio's group) for
        the caller's handlers."""
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._reader, stream, self._answers, nursery.cancel_scope)
                await self._writer(stream)
                nursery.cancel_scope.cancel()  # every answer read: the reader stops here
        except* BaseException as group:  # noqa: BLE001 (re-raised: one leaf, unwrapped)
            error = _one(group)
        else:
            return
        raise error from None

    def _fail_inflight(self, e: BaseException, said_close: bool) -> None:
        rest, self._inflight = list(self._inflight), deque()
        here = self._answered_here
        if said_close and rest:  # provably never processed (RFC 9112 §9.6): send again
            if here and (not self.max_requests_per_connection or here < self.max_requests_per_connection):
                self.max_requests_per_connection = here  # this server's cap
            self.resent += len(rest)
            self._queue[:0] = rest
            self._wake.set()
            return
        if rest and self._peak >= 2:
            self.sequential = True  # this server does not pipeline (see the class doc)
        text = (str(e) or type(e).__name__).encode()
        for _, answer in rest:
            answer(0, text)

    async def _writer(self, stream: Any) -> None:
        inflight = self._inflight
        while True:
            if not self._queue or (self.sequential and inflight):
                if self._closed and not self._queue and not inflight:
                    return
                self._wake = trio.Event()
                await self._wake.wait()
                continue
            cap = self.max_requests_per_connection
            if cap and self._sent_here >= cap:
                if inflight:  # the reader wakes us when all are answered
                    self._wake = trio.Event()
                    await self._wake.wait()
                    continue
                return  # a new connection (see the class doc)
            # let the tasks that can run now (an application handling the events one read
            # brought) queue their calls too: they leave in the same write. Bounded, so a
            # busy neighbour task cannot hold the calls back.
            with trio.move_on_after(COALESCE):
                await wait_all_tasks_blocked()
            n = 1 if self.sequential else self.max_batch
            if cap:
                n = min(n, cap - self._sent_here)
            batch, self._queue = self._queue[:n], self._queue[n:]
            if not batch:
                continue
            inflight.extend(batch)
            self._peak = max(self._peak, len(inflight))
            self._sent_here += len(batch)
            self.batches += 1
            await stream.send_all(b"".join(data for data, _ in batch))

    async def _reader(self, stream: Any, answers: _Answers, scope: trio.CancelScope) -> None:
        inflight, done = self._inflight, answers.done
        while True:
            data = await stream.receive_some(65536)
            if not data:
                if inflight:
                    raise HTTPError("connection closed")
                scope.cancel()  # an idle connection the server closed: a new one next time
                return
            answers.feed(data)
            while done:
                if not inflight:
                    raise HTTPError("an answer to no request")
                status, body, keep_alive = done.popleft()
                _, answer = inflight.popleft()
                self._answered_here += 1
                answer(status, body)
                if not keep_alive:
                    raise _SaidClose()
            if not inflight:
                self._peak = 0  # (see _fail_inflight)
                self._wake.set()  # a writer waiting for the answers (sequential, cap, close)

    async def _drop(self) -> None:
        if self._stream is not None:
            await trio.aclose_forcefully(self._stream)
        self._stream = self._answers = None


class _SaidClose(Exception):
    """The last answer read said `Connection: close`."""


def _one(group: BaseExceptionGroup) -> BaseException:
    """The error of a connection's reader or writer (the other one was cancelled by it: its
    Cancelled may come along, and is dropped: a cancellation from outside is level-triggered
    and comes again at the next checkpoint); a group of anything else as it is."""
    leaves: list[BaseException] = []

    def walk(g: BaseExceptionGroup) -> None:
        for e in g.exceptions:
            if isinstance(e, BaseExceptionGroup):
                walk(e)
            else:
                leaves.append(e)

    walk(group)
    errors = [e for e in leaves if isinstance(e, Exception)]
    if errors and all(isinstance(e, (Exception, trio.Cancelled)) for e in leaves):
        return errors[0]
    return group


class H11Client:
    """One keep-alive connection at a time (reconnects when the server closes it)."""

    def __init__(self, host: str, port: int, *, connect_timeout: float = 5.0,
                 ssl_context: Any = None) -> None:
        self.host, self.port = host, port
        self.connect_timeout = connect_timeout
        self.ssl_context = ssl_context  # TLS (io/http/tls.py) or None
        self._stream: trio.SocketStream | None = None
        self._conn: h11.Connection | None = None
        self._lock = trio.Lock()
        self.response_headers: dict[str, str] = {}  # of the last stream_post's response

    async def _connect(self) -> tuple[trio.SocketStream, h11.Connection]:
        with trio.fail_after(self.connect_timeout):
            stream: Any = await trio.open_tcp_stream(self.host, self.port)
            if self.ssl_context is not None:
                stream = trio.SSLStream(stream, self.ssl_context, server_hostname=self.host)
                try:
                    await stream.do_handshake()
                except trio.BrokenResourceError as e:
                    raise HTTPError(f"TLS handshake with {self.host}:{self.port} failed: "
                                    f"{e.__cause__ or e}") from None
        return stream, h11.Connection(h11.CLIENT)

    def _request_bytes(self, conn: h11.Connection, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        hdrs = [("Host", f"{self.host}:{self.port}"), ("Content-Length", str(len(body)))]
        hdrs += list(headers.items())
        return (conn.send(h11.Request(method="POST", target=path, headers=hdrs))
                + conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage()))

    @staticmethod
    async def _answer(stream: trio.SocketStream, conn: h11.Connection) -> tuple[int, bytes]:
        """Read one whole answer: (status, body)."""
        status, chunks = 0, []
        while True:
            ev = await H11Client._next(stream, conn)
            if isinstance(ev, h11.Response):
                status = ev.status_code
            elif isinstance(ev, h11.Data):
                chunks.append(bytes(ev.data))
            elif isinstance(ev, h11.EndOfMessage):
                return status, b"".join(chunks)
            elif isinstance(ev, h11.ConnectionClosed):
                raise HTTPError("connection closed")

    @staticmethod
    async def _next(stream: trio.SocketStream, conn: h11.Connection) -> Any:
        while True:
            ev = conn.next_event()
            if ev is h11.NEED_DATA:
                data = await stream.receive_some(65536)
                conn.receive_data(data)  # b"" means EOF: h11 turns it into an error or close
                continue
            return ev

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST on the keep-alive connection; returns (status, body). No retry: a POST that
        fails raises HTTPError and the caller's machine decides what to do (the scheduler
        driver logs and drops a failed call; the executor machine re-sends unacknowledged
        updates). An idle connection the server has closed (keep-alive timeout) is noticed
        BEFORE sending and replaced, so the request is never sent twice."""
        async with self._lock:
            if self._stream is None or self._conn is None or self._conn.our_state is not h11.IDLE \
                    or not _idle_and_open(self._stream):
                await self.aclose_connection()
                try:
                    self._stream, self._conn = await self._connect()
                except (OSError, trio.TooSlowError) as e:
                    raise HTTPError(str(e) or type(e).__name__) from None
            stream, conn = self._stream, self._conn
            try:
                await stream.send_all(self._request_bytes(conn, path, body, headers))
                status, body = await self._answer(stream, conn)
                if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                    conn.start_next_cycle()
                else:
                    await self.aclose_connection()
                return status, body
            except (OSError, h11.ProtocolError, trio.BrokenResourceError, trio.ClosedResourceError) as e:
                await self.aclose_connection()
                raise HTTPError(str(e) or type(e).__name__) from None

    @asynccontextmanager
    async def stream_post(self, path: str, body: bytes, headers: dict[str, str]
                          ) -> AsyncIterator[tuple[int, AsyncIterator[bytes]]]:
        """POST on a fresh connection and stream the response body (RecordIO streams)."""
        try:
            stream, conn = await self._connect()
        except (OSError, trio.TooSlowError) as e:
            raise HTTPError(str(e) or type(e).__name__) from None
        try:
            await stream.send_all(self._request_bytes(conn, path, body, headers))
            ev = await self._next(stream, conn)
            if not isinstance(ev, h11.Response):
                raise HTTPError(f"unexpected {type(ev).__name__}")
            self.response_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in ev.headers}

            async def chunks() -> AsyncIterator[bytes]:
                while True:
                    e = await self._next(stream, conn)
                    if isinstance(e, h11.Data):
                        yield bytes(e.data)
                    elif isinstance(e, (h11.EndOfMessage, h11.ConnectionClosed)):
                        return

            yield ev.status_code, chunks()
        except (h11.ProtocolError, trio.BrokenResourceError, trio.ClosedResourceError) as e:
            raise HTTPError(str(e) or type(e).__name__) from None
        finally:
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(stream)

    async def aclose_connection(self) -> None:
        if self._stream is not None:
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(self._stream)
        self._stream = self._conn = None
