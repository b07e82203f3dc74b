"""A Trio client of the v1 scheduler API (ours; used by `mesotron execute`, tests, benches).

    async with SchedulerClient.connect("127.0.0.1:5050", framework_info) as s:
        async for event in s.events():        # core Event* values
            ...
            await s.call(CallAccept(...))       # returns the HTTP status (202)

Events arrive decoded to core values (codec_scheduler). The stream id and framework id
from SUBSCRIBED are remembered and sent with every call. JSON on the wire by default.

`master` may be `zk://host:port[,...]/path`: the client then follows the leader elected in
ZooKeeper (io/zk_election.ZkDetector); when the leader changes or its stream breaks it
SUBSCRIBEs again to the current leader with the same framework id (as Mesos's scheduler
driver does), and the events of every stream arrive on the one `events()` channel (a new
`EventSubscribed` marks each re-subscription; `resubscriptions` counts them).

`wire="driver"`: instead of HTTP, the v1 Calls and Events travel as protobuf frames on one
persistent connection to the master's internal transport (its address from GET
/internal/endpoint; io/wire/master_driver.py), as Mesos's SchedulerDriver does over libprocess.
The connection is the stream. `call()` then only queues the call and returns 202 at once
(no round trip per call); a call the master refuses comes back as a `driver_error` frame,
kept in `rejected` as (status, call type, message) and logged. A refused SUBSCRIBE raises
`SubscribeError` as over HTTP. The format is always protobuf.
"""

from __future__ import annotations

import contextlib
import math
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs
import httpx
import trio
from mesotron.core.messages import CallSubscribe, EventSubscribed
from mesotron.core.values import FrameworkInfo
from mesotron.io.daemons.flags import host_port
from mesotron.io.http.client import H11Client, HTTPError
from mesotron.io.wire import handshake
from mesotron.io.wire.transport import DriverFrame, Link, decode_frame, driver_frame, tls_connect
from mesotron.io.zk.bridge import open_zk
from mesotron.io.zk.election import ZkDetector, is_zk_url, parse_zk_url
from mesotron.spec import codec_internal, codec_scheduler, scheduler_pb2
from mesotron.spec.codec_values import CodecError
from mesotron.spec.wire import JSON, PROTOBUF, RecordIOReader, WireError, decode, encode


class SubscribeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class SchedulerClient:
    def __init__(self, master: str, framework_info: FrameworkInfo, *, fmt: str = JSON,
                 zk_session_timeout: float = 10.0, wire: str = "http",
                 principal: str | None = None, secret: str | None = None,
                 ssl_context: Any = None) -> None:
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
        self._link: Link | None = None
        self.rejected: list[tuple[int, str, str]] = []
        self.zk_url = parse_zk_url(master) if is_zk_url(master) else None
        self.zk_session_timeout = zk_session_timeout
        host, port = ("127.0.0.1", 0) if self.zk_url else host_port(master, 5050)
        self._target(host, port)
        self.framework_info = framework_info
        self.fmt = PROTOBUF if wire == "driver" else fmt
        self.framework_id: str | None = framework_info.id
        self.stream_id: str | None = None
        self._send, self._recv = trio.open_memory_channel[Any](math.inf)
        self.client = H11Client(host, port, ssl_context=ssl_context)  # calls: one keep-alive connection (h11)
        self.subscribed = trio.Event()
        self.closed = trio.Event()
        self.detector: Any = None
        self.leader: Any = None  # MasterInfo of the leader we follow (zk:// only)
        self.resubscriptions = 0

    def _target(self, host: str, port: int) -> None:
        self.base = f"{'https' if self.ssl_context is not None else 'http'}://{host}:{port}"
        self.url = f"{self.base}/api/v1/scheduler"

    @classmethod
    @asynccontextmanager
    async def connect(cls, master: str, framework_info: FrameworkInfo, *, fmt: str = JSON,
                      wire: str = "http", **kw: Any) -> AsyncIterator[SchedulerClient]:
        self = cls(master, framework_info, fmt=fmt, wire=wire, **kw)
        failed: Exception | None = None
        async with trio.open_nursery() as nursery:
            try:
                await nursery.start(self._stream if self.zk_url is None else self._follow)
            except Exception as e:  # noqa: BLE001 - re-raised below, not wrapped in a group
                failed = e
                nursery.cancel_scope.cancel()
            if failed is None:
                try:
                    yield self
                finally:
                    nursery.cancel_scope.cancel()
                    await self.client.aclose_connection()
                    if self._link is not None:
                        self._link.close()
        if failed is not None:  # the subscription failed (SubscribeError, OSError...)
            await self.client.aclose_connection()
            raise failed

    async def _stream(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        try:
            await self._subscribe(task_status=task_status)
        finally:
            self.closed.set()
            self._send.close()

    async def _follow(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """zk://: subscribe to the current leader; again (same framework id) whenever the
        leader changes or its stream ends. `started()` after the first event."""
        url = self.zk_url
        assert url is not None
        try:
            async with open_zk(url.hosts, session_timeout=self.zk_session_timeout,
                               credentials=url.credentials) as zk, trio.open_nursery() as nursery:

                async def report_started() -> None:
                    await self.subscribed.wait()
                    task_status.started()

                nursery.start_soon(report_started)
                self.detector = ZkDetector(zk, url.path)
                await nursery.start(self.detector.run)
                leader = self.detector.leader
                backoff = 0.05
                while True:
                    if leader is None:
                        leader = await self.detector.detect(None)
                        continue
                    if leader != self.leader:
                        self.leader = leader
                        host = leader.ip or leader.hostname
                        self._target(host, leader.port)
                        old, self.client = self.client, H11Client(host, leader.port,
                                                                  ssl_context=self.ssl_context)
                        await old.aclose_connection()
                        self.stream_id = None
                    changed: list[Any] = []
                    async with trio.open_nursery() as inner:

                        async def watch(current: Any = leader, out: list[Any] = changed,
                                        scope: trio.CancelScope = inner.cancel_scope) -> None:
                            out.append(await self.detector.detect(current))
                            scope.cancel()

                        inner.start_soon(watch)
                        with contextlib.suppress(OSError, httpx.HTTPError, SubscribeError, trio.TooSlowError):
                            await self._subscribe()
                        # the stream ended or failed with the same leader: again, after a pause
                        await trio.sleep(backoff)
                        backoff = min(backoff * 2, 1.0)
                        inner.cancel_scope.cancel()
                    if changed:
                        leader, backoff = changed[0], 0.05
        finally:
            self.closed.set()
            self._send.close()

    async def _subscribe(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        info = self.framework_info
        if self.framework_id and info.id != self.framework_id:
            info = attrs.evolve(info, id=self.framework_id)  # re-subscription: same id
        call = CallSubscribe(framework_info=info)
        if self.wire == "driver":
            return await self._subscribe_driver(call, task_status=task_status)
        body = encode(codec_scheduler.encode_call(self.framework_id, call), self.fmt)
        headers = {"Content-Type": self.fmt, "Accept": self.fmt, **self._auth_headers}
        reader = RecordIOReader()
        started = False
        # the stream on its own connection, parsed by h11 (lighter than httpx streaming)
        stream_client = self.client
        async with stream_client.stream_post("/api/v1/scheduler", body, headers) as (status, raw):
            if status != 200:
                async with contextlib.aclosing(raw) as rest:
                    text = b"".join([c async for c in rest]).decode(errors="replace")
                raise SubscribeError(status, text)
            self.stream_id = stream_client.response_headers.get("mesos-stream-id")
            async with contextlib.aclosing(raw) as chunks:
                async for chunk in chunks:
                    for rec in reader.feed(chunk):
                        ev = codec_scheduler.decode_event(decode(rec, self.fmt, scheduler_pb2.Event))
                        if isinstance(ev, EventSubscribed):
                            if self.subscribed.is_set():
                                self.resubscriptions += 1
                            self.framework_id = ev.framework_id
                            self.subscribed.set()
                        self._send.send_nowait(ev)
                        if not started:
                            started = True
                            task_status.started()

    async def _subscribe_driver(self, call: CallSubscribe, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """The driver wire: dial the master's transport, SUBSCRIBE, then read events until
        the connection ends."""
        async with httpx.AsyncClient(verify=self.ssl_context or False, trust_env=False, timeout=5.0) as hc:
            r = await hc.get(f"{self.base}/internal/endpoint")
            if r.status_code != 200:
                raise SubscribeError(r.status_code, r.text)
            ep = r.json()
        if ep.get("port") is None:
            raise SubscribeError(503, "the master does not lead (no transport endpoint)")
        with trio.fail_after(5):
            stream: Any = await trio.open_tcp_stream(ep["ip"], ep["port"])
        _nodelay(stream)
        local_ip = stream.socket.getsockname()[0]
        if self.ssl_context is not None:
            try:
                stream = await tls_connect(stream, self.ssl_context, ep["ip"])
            except trio.BrokenResourceError as e:
                raise HTTPError(f"TLS handshake with the master failed: {e.__cause__ or e}") from None
        link = Link(stream, ep["pid"])
        name = f"scheduler({uuid.uuid4().hex[:12]})@{local_ip}"
        hello = codec_internal.encode(codec_internal.Hello(sender=name))
        if self.credential is not None:
            try:
                await stream.send_all(len(hello).to_bytes(4, "big") + hello)
                with trio.fail_after(15):
                    await handshake.authenticate(stream, link.buf, *self.credential)
            except handshake.AuthenticationRefused as e:
                await trio.aclose_forcefully(stream)
                raise SubscribeError(401, str(e)) from None
            except (handshake.AuthenticationFailure, trio.TooSlowError) as e:
                await trio.aclose_forcefully(stream)
                raise HTTPError(f"authentication failed: {e}") from None
        else:
            link.send_frame(hello)
        link.send_frame(driver_frame("scheduler_call", codec_scheduler.encode_call(
            self.framework_id, call).SerializeToString()))
        error: Exception | None = None
        try:
            async with trio.open_nursery() as nursery:

                async def write() -> None:
                    with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                        await link.writer()
                    nursery.cancel_scope.cancel()

                nursery.start_soon(write)
                try:
                    with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                        await self._read_driver(link, task_status)
                except CodecError as e:  # the master sent nonsense: as a broken connection
                    error = HTTPError(f"bad frame from the master: {e}")
                except SubscribeError as e:
                    error = e
                nursery.cancel_scope.cancel()
            if error is not None:
                raise error
        finally:
            link.close()
            if self._link is link:
                self._link = None
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(stream)

    async def _read_driver(self, link: Link, task_status: Any) -> None:
        started = False
        while (frame := await link.next_frame()) is not None:
            msg = decode_frame(frame)
            if type(msg) is not DriverFrame:
                raise CodecError(f"unexpected {type(msg).__name__} from the master")
            if msg.kind == "driver_error":
                err = msg.payload
                if not started:
                    raise SubscribeError(err.status, err.message)
                self.rejected.append((err.status, err.call_type, err.message))
                continue
            if msg.kind != "scheduler_event":
                raise CodecError(f"unexpected {msg.kind} from the master")
            try:
                ev = codec_scheduler.decode_event(decode(msg.payload, PROTOBUF, scheduler_pb2.Event))
            except WireError as e:
                raise CodecError(e.message) from None
            if isinstance(ev, EventSubscribed):
                if self.subscribed.is_set():
                    self.resubscriptions += 1
                self.framework_id = ev.framework_id
                self._link = link
                self.subscribed.set()
            self._send.send_nowait(ev)
            if not started:
                started = True
                task_status.started()

    def events(self) -> trio.MemoryReceiveChannel[Any]:
        """The decoded events, in order (an async iterable; ends when the stream ends)."""
        return self._recv

    async def next_event(self) -> Any:
        return await self._recv.receive()

    async def call(self, call: Any) -> int:
        if self.wire == "driver":
            link = self._link
            if link is None or link.closed:
                raise HTTPError("not subscribed: no driver connection to the master")
            link.send_frame(driver_frame("scheduler_call", codec_scheduler.encode_call(
                self.framework_id, call).SerializeToString()))
            return 202
        body = encode(codec_scheduler.encode_call(self.framework_id, call), self.fmt)
        headers = {"Content-Type": self.fmt, "Accept": self.fmt, **self._auth_headers}
        if self.stream_id:
            headers["Mesos-Stream-Id"] = self.stream_id
        with trio.fail_after(30):
            status, _ = await self.client.post("/api/v1/scheduler", body, headers)
        return status


def _nodelay(stream: Any) -> None:
    import socket

    with contextlib.suppress(OSError, AttributeError):
        stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


__all__ = ["PROTOBUF", "SchedulerClient", "SubscribeError"]
