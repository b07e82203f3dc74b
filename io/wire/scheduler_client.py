"""A Trio client of the v1 scheduler API (ours; used by `mesotron execute`, tests, benches).

    async with SchedulerClient.connect("127.0.0.1:5050", framework_info) as s:
        async for event in s.events():        # core Event* values
            ...
            await s.call(CallAccept(...))       # returns the HTTP status (202)

The client is a thin interpreter of `core/scheduler.SchedulerDriver` (the same machine the
simulator and the driver's stateful test run, with `client_config`): the driver decides when
to SUBSCRIBE and with which framework id, which answers are final and which are retried and
after which backoff, that a new leader means a new subscription, that calls are dropped
while not SUBSCRIBED, and when the stream is dead (heartbeat watchdog). This module only
carries out its effects: a `Send` of a SUBSCRIBE opens a stream (HTTP, or a driver-wire
connection), other `Send`s are POSTed (or framed), `Close` ends a stream, `SetTimer` arms a
Trio timer, `Notify` puts an event on `events()`, `Stopped` ends `events()`; and it feeds the
driver what happened: the answer (`CallResponse`, status 0 when there was none), the
stream's events (`Received`), its end (`Disconnected`), timers, and the master to talk to
(`MasterDetected`: the given address, or each leader elected in ZooKeeper).

Events arrive decoded to core values (codec_scheduler); `SchedulerDisconnected` (from the
driver) marks a broken stream; a new `EventSubscribed` marks each re-subscription
(`resubscriptions` counts them). JSON on the wire by default. A SUBSCRIBE the master refuses
with a 4xx before the first event makes `connect()` raise `SubscribeError`; an unreachable or
not yet leading master (no answer, 3xx, 5xx) is retried with the driver's backoff.
A call while not subscribed raises `NotSubscribed` (the driver dropped it).

`master` may be `zk://host:port[,...]/path`: the client then follows the leader elected in
ZooKeeper (io/zk/election.ZkDetector) and reports each change to the driver.

`wire="driver"`: instead of HTTP, the v1 Calls and Events travel as protobuf frames on one
persistent connection to the master's internal transport (its address from GET
/internal/endpoint; io/wire/master_driver.py), as Mesos's SchedulerDriver does over libprocess.
The connection is the stream. `call()` then only queues the call and returns 202 at once
(no round trip per call); a call the master refuses comes back as a `driver_error` frame,
kept in `rejected` as (status, call type, message) and logged. The format is always protobuf.
"""

from __future__ import annotations

import contextlib
import logging
import math
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import trio
from mesotron.core.effects import (
    CancelTimer,
    Close,
    Disconnected,
    Log,
    Received,
    Send,
    SetTimer,
    TimerFired,
)
from mesotron.core.messages import CallSubscribe, EventSubscribed
from mesotron.core.scheduler import (
    AuthenticationResult,
    CallResponse,
    MasterDetected,
    Notify,
    Perform,
    SchedulerDriver,
    Start,
    Stop,
    Stopped,
    client_config,
)
from mesotron.core.values import FrameworkInfo
from mesotron.io.daemons.flags import host_port
from mesotron.io.http.client import H11Client, H11Pipeline, HTTPError
from mesotron.io.wire import handshake
from mesotron.io.wire.transport import DriverFrame, Link, decode_frame, driver_frame, tls_connect
from mesotron.io.zk.bridge import open_zk
from mesotron.io.zk.election import ZkDetector, is_zk_url, parse_zk_url
from mesotron.spec import codec_internal, codec_scheduler, scheduler_pb2
from mesotron.spec.codec_values import CodecError
from mesotron.spec.wire import JSON, PROTOBUF, RecordIOReader, WireError, decode, encode

log = logging.getLogger("mesotron.scheduler_client")
# what a broken stream or an unreachable master raises here (all become driver inputs)
BROKEN = (OSError, HTTPError, trio.TooSlowError, trio.BrokenResourceError,
          trio.ClosedResourceError, httpx.HTTPError, WireError, CodecError, ValueError)


class SubscribeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class NotSubscribed(HTTPError):
    """`call()` while the driver is not SUBSCRIBED: the driver dropped the call."""


class SchedulerClient:
    def __init__(self, master: str, framework_info: FrameworkInfo, *, fmt: str = JSON,
                 zk_session_timeout: float = 10.0, wire: str = "http",
                 principal: str | None = None, secret: str | None = None,
                 ssl_context: Any = None, authentication: dict[str, float] | None = None) -> None:
        if wire not in ("http", "driver"):
            raise ValueError(f"wire must be 'http' or 'driver', not {wire!r}")
        self.wire = wire
        # authenticate as principal (HTTP: Basic on every call, as pymesos; driver wire:
        # CRAM-MD5 before SUBSCRIBE, io/wire/handshake.py)
        self.credential = (principal, secret or "") if principal is not None else None
        self._auth_headers: dict[str, str] = {}
        if self.credential is not None:
            import base64

            token = base64.b64encode(f"{principal}:{secret or ''}".encode()).decode()
            self._auth_headers["Authorization"] = f"Basic {token}"
        # TLS: an https:// master or an explicit context (io/http/tls.py client_context)
        if ssl_context is None and master.strip().lower().startswith("https://"):
            from mesotron.io.http.tls import client_context

            ssl_context = client_context(None)
        self.ssl_context = ssl_context
        self.scheme = "https" if ssl_context is not None else "http"
        self.framework_info = framework_info
        self.fmt = PROTOBUF if wire == "driver" else fmt
        self.zk_url = parse_zk_url(master) if is_zk_url(master) else None
        self.zk_session_timeout = zk_session_timeout
        self.master: str | None = None
        if self.zk_url is None:
            host, port = host_port(master, 5050)
            self.master = f"{host}:{port}"
        # driver wire with a credential: CRAM-MD5 before each SUBSCRIBE; the driver decides
        # its deadline and the retries (core/scheduler.py, Mesos's scheduler flags).
        # `authentication`: SchedulerConfig's authentication_* fields (Mesos's defaults)
        self.driver = SchedulerDriver(name=f"client-{uuid.uuid4().hex[:8]}", config=client_config(
            framework_info, authenticate=self.credential is not None and wire == "driver",
            **(authentication or {})))
        self.rejected: list[tuple[int, str, str]] = []
        self._send, self._recv = trio.open_memory_channel[Any](math.inf)
        self.subscribed = trio.Event()
        self.closed = trio.Event()
        self.detector: Any = None
        self.leader: Any = None  # MasterInfo of the leader we follow (zk:// only)
        self.resubscriptions = 0
        self.stopped: Stopped | None = None
        self._nursery: trio.Nursery | None = None
        self._scopes: dict[str, trio.CancelScope] = {}  # open streams, by stream id
        self._links: dict[str, Link] = {}  # driver wire: the connection of each stream
        self._timers: dict[Any, float] = {}
        self._timers_changed = trio.Event()
        self._first = trio.Event()  # the first event reached the application, or Stopped
        self._done = trio.Event()
        self._http: H11Pipeline | None = None  # pipelined keep-alive connection for calls
        self._http_to: str | None = None
        # an observer of every call the driver issues, as it issues it (before it goes on
        # the wire): the lab's campaign records acknowledgements from here
        self.on_call: Any = None

    @property
    def framework_id(self) -> str | None:
        return self.driver.framework_id

    @property
    def stream_id(self) -> str | None:
        return self.driver.stream_id

    # ------------------------------------------------------------ lifecycle
    @classmethod
    @asynccontextmanager
    async def connect(cls, master: str, framework_info: FrameworkInfo, *, fmt: str = JSON,
                      wire: str = "http", **kw: Any) -> AsyncIterator[SchedulerClient]:
        self = cls(master, framework_info, fmt=fmt, wire=wire, **kw)
        failed: Exception | None = None
        async with trio.open_nursery() as nursery:
            try:
                await nursery.start(self.run)
            except Exception as e:  # noqa: BLE001 - re-raised below, not wrapped in a group
                failed = e
                nursery.cancel_scope.cancel()
            if failed is None:
                try:
                    yield self
                finally:
                    self.stop()
                    nursery.cancel_scope.cancel()
        if failed is not None:
            raise failed

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Run the driver until it stops; `started()` once the first event reached the
        application. Raises SubscribeError when the first SUBSCRIBE was refused for good."""
        refused: Stopped | None = None
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                nursery.start_soon(self._run_timers)
                if self.zk_url is None:
                    self._step(MasterDetected(master=self.master))
                    self._step(Start())
                else:
                    await nursery.start(self._follow)
                await self._first.wait()
                if self.stopped is not None and not self.subscribed.is_set() \
                        and self.stopped.status is not None:
                    refused = self.stopped
                    nursery.cancel_scope.cancel()
                else:
                    task_status.started()
                    await self._done.wait()
                    nursery.cancel_scope.cancel()
        finally:
            self.closed.set()
            self._send.close()
            if self._http is not None:
                self._http.close()  # its run() task ended with the nursery (connection closed)
        if refused is not None:
            raise SubscribeError(refused.status or 0, refused.reason)

    def stop(self) -> None:
        """Go away, as a crashing scheduler would: the master keeps the framework for its
        failover_timeout (to remove it first: `await client.call(CallTeardown())`)."""
        if self._nursery is not None:
            self._step(Stop(teardown=False))

    async def _follow(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """zk://: report the elected leader to the driver, and every change after it."""
        url = self.zk_url
        assert url is not None
        async with open_zk(url.hosts, session_timeout=self.zk_session_timeout,
                           credentials=url.credentials) as zk, trio.open_nursery() as nursery:
            self.detector = ZkDetector(zk, url.path)
            await nursery.start(self.detector.run)
            self._detected(self.detector.leader)
            self._step(Start())
            task_status.started()
            while True:
                self._detected(await self.detector.detect(self.leader))

    def _detected(self, leader: Any) -> None:
        self.leader = leader
        addr = None if leader is None else f"{leader.ip or leader.hostname}:{leader.port}"
        self._step(MasterDetected(master=addr))

    # ------------------------------------------------------------ the interpreter
    def _step(self, inp: Any, calls: list[Send] | None = None) -> None:
        """Feed the driver one input and carry out its effects, in order. With `calls`,
        non-SUBSCRIBE calls are collected for the caller to send (call()); otherwise they
        are sent in the background."""
        for e in self.driver.step(trio.current_time(), inp):
            t = type(e)
            if t is Send:
                if self.on_call is not None:
                    self.on_call(e.message.call)
                if isinstance(e.message.call, CallSubscribe):
                    opener = self._stream_driver if self.wire == "driver" else self._stream_http
                    self._spawn(opener, e.to, e.message)
                elif calls is not None:
                    calls.append(e)
                else:
                    self._spawn(self._send_call, e)
            elif t is Notify:
                ev = e.event
                if isinstance(ev, EventSubscribed):
                    if self.subscribed.is_set():
                        self.resubscriptions += 1
                    self.subscribed.set()
                self._send.send_nowait(ev)
                self._first.set()
            elif t is SetTimer:
                self._timers[e.key] = e.at
                self._timers_changed.set()
            elif t is CancelTimer:
                self._timers.pop(e.key, None)
            elif t is Close:
                scope = self._scopes.pop(e.peer, None)
                if scope is not None:
                    scope.cancel()
                link = self._links.pop(e.peer, None)
                if link is not None:
                    link.close()
            elif t is Log:
                log.log(logging.WARNING if e.level in ("warning", "error") else logging.INFO,
                        "%s %s", e.event, dict(e.fields))
            elif t is Stopped:
                self.stopped = e
                self._first.set()
                self._done.set()

    def _spawn(self, fn: Any, *args: Any) -> None:
        if self._nursery is not None:
            self._nursery.start_soon(fn, *args)

    async def _run_timers(self) -> None:
        while True:
            changed = self._timers_changed = trio.Event()
            at = min(self._timers.values(), default=math.inf)
            with trio.move_on_at(at):
                await changed.wait()
            now = trio.current_time()
            for key, when in sorted(self._timers.items(), key=lambda kv: kv[1]):
                if when <= now and self._timers.get(key) == when:
                    del self._timers[key]
                    self._step(TimerFired(key=key))

    def _answered(self, request: str, status: int, message: str = "",
                  stream_id: str | None = None) -> None:
        self._step(CallResponse(request=request, status=status, message=message,
                                stream_id=stream_id))

    def _ended(self, stream_id: str | None) -> None:
        """A stream ended by itself (not closed by the driver): tell the driver."""
        if stream_id is not None and self._scopes.pop(stream_id, None) is not None:
            self._links.pop(stream_id, None)
            self._step(Disconnected(peer=stream_id))

    # ------------------------------------------------------------ HTTP streams and calls
    async def _stream_http(self, to: str, call: Any) -> None:
        host, port = host_port(to, 5050)
        body = encode(codec_scheduler.encode_call(call.framework_id, call.call), self.fmt)
        headers = {"Content-Type": self.fmt, "Accept": self.fmt, **self._auth_headers}
        # the stream on its own connection, parsed by h11
        client = H11Client(host, port, ssl_context=self.ssl_context)
        stream_id: str | None = None
        with trio.CancelScope() as scope:
            try:
                async with client.stream_post("/api/v1/scheduler", body, headers) as (status, raw):
                    if status != 200:
                        async with contextlib.aclosing(raw) as rest:
                            text = b"".join([c async for c in rest]).decode(errors="replace")
                        self._answered(call.request, status, text)
                        return
                    stream_id = client.response_headers.get("mesos-stream-id") \
                        or f"local-{uuid.uuid4().hex}"
                    self._scopes[stream_id] = scope
                    self._answered(call.request, 200, stream_id=stream_id)
                    reader = RecordIOReader()
                    async with contextlib.aclosing(raw) as chunks:
                        async for chunk in chunks:
                            for rec in reader.feed(chunk):
                                ev = codec_scheduler.decode_event(
                                    decode(rec, self.fmt, scheduler_pb2.Event))
                                self._step(Received(sender=stream_id, message=ev))
            except BROKEN as e:
                if stream_id is None:
                    self._answered(call.request, 0, str(e) or type(e).__name__)
                    return
        self._ended(stream_id)

    def _pipe(self, to: str) -> H11Pipeline:
        """The pipelined keep-alive connection for calls to `to` (a new master: a new one;
        the old one's queued calls fail, which the driver hears as unanswered calls)."""
        if self._http is None or self._http_to != to:
            if self._http is not None:
                self._http.close()
            self._http, self._http_to = H11Pipeline(*host_port(to, 5050),
                                                    ssl_context=self.ssl_context), to
            self._spawn(self._http.run)
        return self._http

    def _call_request(self, call: Any) -> tuple[bytes, dict[str, str]]:
        body = encode(codec_scheduler.encode_call(call.framework_id, call.call), self.fmt)
        headers = {"Content-Type": self.fmt, "Accept": self.fmt, **self._auth_headers}
        if call.stream_id:
            headers["Mesos-Stream-Id"] = call.stream_id
        return body, headers

    def _send_driver(self, call: Any) -> tuple[int, str]:
        link = self._links.get(call.stream_id)
        if link is None or link.closed:
            return 0, "no driver connection to the master"
        link.send_frame(driver_frame("scheduler_call", codec_scheduler.encode_call(
            call.framework_id, call.call).SerializeToString()))
        return 202, ""

    async def _send_call(self, send: Send) -> tuple[int, str]:
        """Carry out one non-SUBSCRIBE call and wait for its answer; a refusal or a failure
        is reported to the driver (as the answer to its request) and returned."""
        call = send.message
        if self.wire == "driver":
            status, text = self._send_driver(call)
        else:
            body, headers = self._call_request(call)
            try:
                with trio.fail_after(30):
                    status, raw = await self._pipe(send.to).post("/api/v1/scheduler", body, headers)
                text = raw.decode(errors="replace")
            except trio.TooSlowError:
                status, text = 0, "no answer within 30 s"
        if not 200 <= status < 300:
            self._answered(call.request, status, text)
        return status, text

    def _send_call_nowait(self, send: Send) -> None:
        call = send.message
        if self.wire == "driver":
            status, text = self._send_driver(call)
            if status == 0:
                self._answered(call.request, status, text)
            return
        body, headers = self._call_request(call)

        def answer(status: int, raw: bytes) -> None:
            if not 200 <= status < 300:
                text = raw.decode(errors="replace")
                self.rejected.append((status, type(call.call).__name__, text))
                log.warning("scheduler.call_rejected %s %s %s", status, type(call.call).__name__, text)
                self._answered(call.request, status, text)

        self._pipe(send.to).submit("/api/v1/scheduler", body, headers, answer)

    async def call(self, call: Any) -> int:
        """Perform `call` through the driver; the HTTP status of the answer (202 on the
        driver wire once queued). Raises NotSubscribed when the driver dropped it and
        HTTPError when it could not be sent. Over HTTP the call goes on the pipelined
        connection, after the calls made before it (call_nowait's too)."""
        sends: list[Send] = []
        self._step(Perform(call=call), calls=sends)
        if not sends:
            raise NotSubscribed(f"not subscribed ({self.driver.state}): "
                                f"{type(call).__name__} dropped")
        status = 0
        for send in sends:
            status, text = await self._send_call(send)
            if status == 0:
                raise HTTPError(text)
        return status

    def call_nowait(self, call: Any) -> None:
        """Perform `call` without waiting for its answer, as Mesos's scheduler library
        sends (and as calls on the driver wire always are): over HTTP it is queued on the
        pipelined keep-alive connection (calls queued together leave in one write); an
        answer other than 2xx is kept in `rejected`, logged and reported to the driver.
        Raises NotSubscribed when the driver dropped it."""
        sends: list[Send] = []
        self._step(Perform(call=call), calls=sends)
        if not sends:
            raise NotSubscribed(f"not subscribed ({self.driver.state}): "
                                f"{type(call).__name__} dropped")
        for send in sends:
            self._send_call_nowait(send)

    def events(self) -> trio.MemoryReceiveChannel[Any]:
        """The decoded events, in order (an async iterable; ends when the driver stops)."""
        return self._recv

    async def next_event(self) -> Any:
        return await self._recv.receive()

    # ------------------------------------------------------------ the driver wire
    async def _stream_driver(self, to: str, call: Any) -> None:
        """One SUBSCRIBE attempt on the driver wire; `Close(<its request>)` from the driver
        (an authentication that took too long) cancels it wherever it is."""
        with trio.CancelScope() as scope:
            self._scopes[call.request] = scope
            try:
                await self._stream_driver_subscribe(to, call)
            finally:
                if self._scopes.get(call.request) is scope:
                    del self._scopes[call.request]

    async def _stream_driver_subscribe(self, to: str, call: Any) -> None:
        """Dial the master's transport, authenticate (with a credential), SUBSCRIBE, then
        feed the driver the frames until the connection ends."""
        host, port = host_port(to, 5050)
        try:
            async with httpx.AsyncClient(verify=self.ssl_context or False, trust_env=False,
                                         timeout=5.0) as hc:
                r = await hc.get(f"{self.scheme}://{host}:{port}/internal/endpoint")
            if r.status_code != 200:
                return self._answered(call.request, r.status_code, r.text)
            ep = r.json()
            if ep.get("port") is None:
                return self._answered(call.request, 503,
                                      "the master does not lead (no transport endpoint)")
            with trio.fail_after(5):
                stream: Any = await trio.open_tcp_stream(ep["ip"], ep["port"])
        except BROKEN as e:
            return self._answered(call.request, 0, str(e) or type(e).__name__)
        _nodelay(stream)
        local_ip = stream.socket.getsockname()[0]
        if self.ssl_context is not None:
            try:
                stream = await tls_connect(stream, self.ssl_context, ep["ip"])
            except trio.BrokenResourceError as e:
                return self._answered(call.request, 0, f"TLS handshake with the master failed: "
                                                       f"{e.__cause__ or e}")
        link = Link(stream, ep["pid"])
        name = f"scheduler({uuid.uuid4().hex[:12]})@{local_ip}"
        hello = codec_internal.encode(codec_internal.Hello(sender=name))
        if self.credential is not None:
            try:
                await stream.send_all(len(hello).to_bytes(4, "big") + hello)
                await handshake.authenticate(stream, link.buf, *self.credential)
            except handshake.AuthenticationRefused as e:
                await trio.aclose_forcefully(stream)
                return self._step(AuthenticationResult(request=call.request, outcome="FAILED",
                                                       message=str(e)))
            except (handshake.AuthenticationFailure, *BROKEN) as e:
                await trio.aclose_forcefully(stream)
                return self._step(AuthenticationResult(request=call.request, outcome="ERROR",
                                                       message=str(e)))
            except trio.Cancelled:  # the driver gave this attempt up (its deadline passed)
                await trio.aclose_forcefully(stream)
                raise
            self._step(AuthenticationResult(request=call.request, outcome="COMPLETED"))
        else:
            link.send_frame(hello)
        link.send_frame(driver_frame("scheduler_call", codec_scheduler.encode_call(
            call.framework_id, call.call).SerializeToString()))
        answered = False
        try:
            async with trio.open_nursery() as nursery:

                async def write() -> None:
                    with contextlib.suppress(*BROKEN):
                        await link.writer()
                    nursery.cancel_scope.cancel()

                nursery.start_soon(write)
                with contextlib.suppress(*BROKEN):
                    while (frame := await link.next_frame()) is not None:
                        msg = decode_frame(frame)
                        if type(msg) is not DriverFrame:
                            raise CodecError(f"unexpected {type(msg).__name__} from the master")
                        if msg.kind == "driver_error":
                            err = msg.payload
                            if not answered:  # the SUBSCRIBE was refused
                                answered = True
                                self._answered(call.request, err.status, err.message)
                                break
                            self.rejected.append((err.status, err.call_type, err.message))
                            log.warning("scheduler.call_rejected %s %s %s", err.status,
                                        err.call_type, err.message)
                            continue
                        if msg.kind != "scheduler_event":
                            raise CodecError(f"unexpected {msg.kind} from the master")
                        ev = codec_scheduler.decode_event(
                            decode(msg.payload, PROTOBUF, scheduler_pb2.Event))
                        if not answered:
                            answered = True
                            self._scopes[name] = nursery.cancel_scope
                            self._links[name] = link
                            self._answered(call.request, 200, stream_id=name)
                        self._step(Received(sender=name, message=ev))
                nursery.cancel_scope.cancel()
        finally:
            link.close()
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(stream)
        if not answered:
            self._answered(call.request, 0, "connection closed before an answer")
        else:
            self._ended(name)


def _nodelay(stream: Any) -> None:
    import socket

    with contextlib.suppress(OSError, AttributeError):
        stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


__all__ = ["PROTOBUF", "NotSubscribed", "SchedulerClient", "SubscribeError"]
