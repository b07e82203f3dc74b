"""Internal master <-> agent transport (libprocess-like): protobuf frames over persistent TCP.

Frame: `<u32 big-endian length><internal_pb2.Envelope bytes>`. The first frame on a
connection is `Hello(sender)`: the connecting process's name ("agent@127.0.0.1:5051"). One
connection per peer pair carries both directions; the agent dials the master.

Messages arrive through `on_message(peer, message)`; a connection that breaks (EOF, reset,
garbage frame) is reported once through `on_disconnect(peer)`, unless a newer connection
from the same peer already replaced it. Sends never block: each link has an unbounded
outgoing queue drained by its own writer task (per-link FIFO order; what a wake-up queued
leaves in one `send`). Accepted plain connections (no TLS, no per-peer limit) are read by
one reader task through the transport's own epoll, not by a task each (`Transport._reader`).

The driver wire (Mesos's SchedulerDriver/ExecutorDriver over libprocess): the envelope's
`scheduler_call/_event`, `executor_call/_event` and `driver_error` fields decode to
`DriverFrame(kind, payload)`. An accepted connection whose Hello sender the `driver`
handler claims (`driver.claims(sender)`: "scheduler(...)@...", "executor(...)@...") is a
framework's or an executor's: every frame goes to `driver.frame(link, message)` (which
raises `CodecError` for nonsense: the connection is dropped with a logged error) and its
end to `driver.closed(link)`; it is never in `links` and never an `on_disconnect`.
A driver frame on any other accepted connection is a bad frame.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import struct
from collections.abc import Callable
from typing import Any

import trio
from google.protobuf.message import DecodeError
from mesotron.io.wire import handshake
from mesotron.spec import codec_internal
from mesotron.spec import internal_pb2 as ipb
from mesotron.spec.codec_values import CodecError

_LEN = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024
ACCEPT_BATCH = 256  # connections accepted per wake-up of the listener
READ_BATCH = 256  # readable connections the reader serves per wake-up (Transport._reader)
ACCEPT_CAPACITY_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS})
DRIVER_KINDS = frozenset({"scheduler_call", "scheduler_event", "executor_call", "executor_event",
                          "driver_error"})


class DriverFrame:
    """A driver-wire frame: `payload` is the serialized v1 Call/Event (bytes) or, for
    "driver_error", an `internal_pb2.DriverError`."""

    __slots__ = ("kind", "payload")

    def __init__(self, kind: str, payload: Any) -> None:
        self.kind = kind
        self.payload = payload

    def __repr__(self) -> str:
        return f"DriverFrame(kind={self.kind!r}, payload={self.payload!r})"


def driver_frame(kind: str, payload: bytes) -> bytes:
    """The envelope bytes of a driver frame carrying a serialized v1 Call/Event."""
    env = ipb.Envelope()
    setattr(env, kind, payload)
    return env.SerializeToString()


def driver_error_frame(status: int, message: str, call_type: str = "") -> bytes:
    env = ipb.Envelope()
    env.driver_error.status = status
    env.driver_error.message = message
    if call_type:
        env.driver_error.call_type = call_type
    return env.SerializeToString()


def decode_frame(data: bytes) -> Any:
    """A frame's message: a core/internal message (codec_internal), `codec_internal.Hello`,
    or a `DriverFrame`. Raises CodecError for anything else."""
    env = ipb.Envelope()
    try:
        env.ParseFromString(data)
    except DecodeError as e:
        raise CodecError(f"corrupt frame: {e}") from None
    which = env.WhichOneof("body")
    if which in DRIVER_KINDS:
        value = getattr(env, which)
        if which == "driver_error" and not value.IsInitialized():
            raise CodecError("driver_error misses its status")
        return DriverFrame(which, value)
    return codec_internal.decode_envelope(env)


class Link:
    """One connection. `send_frame` writes straight to the socket when nothing is queued
    (a non-blocking write of the whole frame is the common case); what the socket does not
    take is queued, in order, for `writer()`, which a Transport starts only when needed
    (most links never need one: no task, no channel per link). Users outside a Transport
    run `writer()` themselves for the link's lifetime."""

    def __init__(self, stream: trio.abc.Stream | None, peer: str = "", *,
                 sock: socket.socket | None = None) -> None:
        # a plain accepted connection read by the transport's reader (`sock`, no stream)
        # gets a trio stream only when it needs one (a writer, or leaving the reader)
        self._stream = stream
        self._sock = sock
        self.peer = peer
        self.closed = False
        self.buf = bytearray()
        self.driver = False  # a framework's/executor's connection (Transport.driver)
        self.attached: Any = None  # what the driver handler attached to this connection
        self.principal: str | None = None  # authenticated as (io/wire/handshake.py)
        self._out: list[bytes] = []  # bytes not yet written, FIFO
        self._held: list[bytes] | None = None  # frames held until release() (Transport.hold)
        self._eof = False  # close() asked: the writer flushes, then closes the stream
        self._sending = False  # the writer is inside send_all (no direct writes meanwhile)
        self._writer_running = False
        self._wake: trio.Event | None = None  # a waiting writer's
        self._spawn: Callable[[], None] | None = None  # start a writer (Transport links)
        self._on_writer_end: Callable[[], None] | None = None  # what a writer's end triggers
        self._in_reader = False  # read by the transport's reader (Transport._adopt)
        self._first_after_hello = False  # (the reader's: authentication allowed next)
        if sock is None:
            sock = getattr(stream, "socket", None)
        self._fd: int = sock.fileno() if sock is not None else -1

    @property
    def stream(self) -> Any:
        if self._stream is None:
            assert self._sock is not None
            self._stream = trio.SocketStream(trio.socket.from_stdlib_socket(self._sock))
        return self._stream

    def send_frame(self, payload: bytes, *, hold: bool = False) -> bool:
        """Write one frame (now when the socket takes it, else queued for the writer). With
        `hold`, and always while frames are held, the frame is only appended to the held
        frames, which `release()` writes in one piece (the caller must release)."""
        if self.closed or self._eof:
            return False
        data = _LEN.pack(len(payload)) + payload
        if self._held is not None:
            self._held.append(data)
            return True
        if hold:
            self._held = [data]
            return True
        return self._write(data)

    def release(self) -> None:
        """Write the held frames (in order, one write)."""
        held, self._held = self._held, None
        if held and not (self.closed or self._eof):
            self._write(held[0] if len(held) == 1 else b"".join(held))

    def _write(self, data: bytes) -> bool:
        if not self._out and not self._sending and self._fd >= 0:
            try:
                n = os.write(self._fd, data)
            except BlockingIOError:
                n = 0
            except OSError:
                n = 0  # the writer's send_all reports the broken connection
            if n == len(data):
                return True
            data = data[n:]
        self._out.append(data)
        self._kick()
        return True

    def close(self) -> None:
        if self._held is not None:
            self.release()  # what was sent before the close goes first
        if not self.closed and not self._eof:
            self._eof = True
            self._kick()

    def _kick(self) -> None:
        if self._wake is not None:
            self._wake.set()
        elif not self._writer_running and self._spawn is not None:
            self._writer_running = True
            try:
                self._spawn()
            except RuntimeError:  # the link's nursery has closed: the link is gone
                self._writer_running = False
                self._spawn = None
                self.closed = True
                self._out.clear()

    async def writer(self) -> None:
        """Write queued bytes (coalesced) until close(); then close the stream."""
        self._writer_running = True
        try:
            while not self.closed:
                if not self._out:
                    if self._eof:
                        break
                    self._wake = trio.Event()
                    await self._wake.wait()
                    self._wake = None
                    continue
                data = b"".join(self._out)
                self._out.clear()
                self._sending = True
                try:
                    await self.stream.send_all(data)
                finally:
                    self._sending = False
        finally:
            self._writer_running = False
            self._wake = None
        if not self._in_reader:  # (the reader closes its own connections: Transport._end)
            await self.stream.aclose()

    async def next_frame(self) -> bytes | None:
        """The next complete frame, or None at EOF (a plain coroutine: no async generator
        left unfinalized when the caller stops early)."""
        while True:
            if (frame := self.take_frame()) is not None:
                return frame
            data = await self.stream.receive_some(65536)
            if not data:
                return None
            self.buf += data

    def take_frame(self) -> bytes | None:
        """The next complete frame in the receive buffer (None: not all there yet)."""
        buf = self.buf
        if len(buf) < 4:
            return None
        (n,) = _LEN.unpack_from(buf, 0)
        if n > MAX_FRAME:
            raise CodecError(f"frame of {n} bytes exceeds the limit")
        if len(buf) < 4 + n:
            return None
        frame = bytes(buf[4 : 4 + n])
        del buf[: 4 + n]
        return frame


class Transport:
    """Links by peer name; `name` is this process's own name (sent in Hello)."""

    def __init__(
        self,
        name: str,
        on_message: Callable[[str, Any], None],
        on_disconnect: Callable[[str], None],
        log: Any = None,
    ) -> None:
        self.name = name
        self.on_message = on_message
        self.on_disconnect = on_disconnect
        self.links: dict[str, Link] = {}
        self.log = log
        self.nursery: trio.Nursery | None = None
        self.port: int | None = None
        self.driver: Any = None  # the driver-wire handler (see the module docstring)
        # principal -> secret: peers may authenticate (CRAM-MD5, io/wire/handshake.py) right
        # after their Hello; the principal is kept on the link (`principal(peer)`)
        self.credentials: dict[str, str] = {}
        self.auth_timeout = 15.0  # Mesos's --authentication_v0_timeout
        # TLS (io/http/tls.py): accepted connections are wrapped with `ssl_server`, dialled
        # ones with `ssl_client` (None: plaintext)
        self.ssl_server: Any = None
        self.ssl_client: Any = None
        self.ssl_downgrade = False  # with ssl_server: plaintext peers accepted too (sniffed)
        # --max-connections-per-peer: accepted connections open at once from one IP address
        # (0: no limit)
        self.max_connections_per_peer = 0
        self.per_ip: dict[str, int] = {}
        self._holding: list[Link] | None = None  # links with held frames (hold/release)
        # the reader of plain accepted connections (see `_reader`): its epoll, links by fd
        self._ep: select.epoll | None = None
        self._by_fd: dict[int, Link] = {}

    def principal(self, peer: str) -> str | None:
        """Who the connection of `peer` authenticated as (None: it did not)."""
        link = self.links.get(peer)
        return link.principal if link is not None else None

    # ----------------------------------------------------------------- sending
    def send(self, peer: str, message: Any) -> bool:
        link = self.links.get(peer)
        if link is None:
            return False
        payload = codec_internal.encode(message)
        holding = self._holding
        if holding is None:
            return link.send_frame(payload)
        if link._held is None:
            holding.append(link)
        return link.send_frame(payload, hold=True)

    def hold(self) -> None:
        """From now until `release()`, frames sent to a peer are held and then written
        together, one write per connection (a daemon's effect loop holds while it carries
        out one step's effects: a re-admission answers AgentReregistered and a Ping, and a
        registry batch answers thousands of agents at once). Order per connection is kept
        (anything sent on a link meanwhile queues behind its held frames; closing a link
        writes them first)."""
        if self._holding is None:
            self._holding = []

    def release(self) -> None:
        holding, self._holding = self._holding, None
        for link in holding or ():
            link.release()

    def close(self, peer: str) -> None:
        link = self.links.get(peer)
        if link is not None:
            link.close()

    # ----------------------------------------------------------------- serving
    async def serve(self, host: str, port: int, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            self.nursery = nursery
            listeners = await trio.open_tcp_listeners(port, host=host)
            self.port = listeners[0].socket.getsockname()[1]
            self._ep = select.epoll()
            nursery.start_soon(self._reader, self._ep)
            for listener in listeners:
                # the listening socket leaves trio's SocketListener: _accept_loop drives it
                raw = socket.socket(fileno=listener.socket.detach())
                raw.setblocking(False)
                nursery.start_soon(self._accept_loop, raw, nursery)
            task_status.started(self.port)

    async def _accept_loop(self, raw: socket.socket, nursery: trio.Nursery) -> None:
        """Accept in batches: every connection the kernel has queued, then one wait until the
        listening socket is readable again (trio.serve_listeners waits, checkpoints and
        wraps per connection: ~a tenth of the master's CPU in a re-registration storm of
        10,000 agents). Each connection is served by its own task, as before. Accept errors
        from exhausted resources (EMFILE, ENFILE, ENOMEM, ENOBUFS) pause accepting for
        100 ms, as trio.serve_listeners does; any other error ends the listener."""
        with raw:
            while True:
                await trio.lowlevel.wait_readable(raw)
                for _ in range(ACCEPT_BATCH):
                    try:
                        sock, _ = raw.accept()
                    except BlockingIOError:
                        break
                    except OSError as e:
                        if e.errno not in ACCEPT_CAPACITY_ERRNOS:
                            raise
                        if self.log is not None:
                            self.log.error("transport.accept_failed", error=os.strerror(e.errno or 0))
                        await trio.sleep(0.1)
                        break
                    if (self._ep is not None and self.ssl_server is None
                            and not self.max_connections_per_peer):
                        self._adopt(sock)  # a plain connection: the reader's
                        continue
                    stream = trio.SocketStream(trio.socket.from_stdlib_socket(sock))
                    nursery.start_soon(self._accepted, stream)
                await trio.lowlevel.checkpoint()  # let the new links run between batches

    async def _accepted(self, stream: trio.SocketStream) -> None:
        # (trio's SocketStream has set TCP_NODELAY)
        if not self.max_connections_per_peer:  # no per-peer limit: nothing to count
            await self._accepted_counted(stream)
            return
        try:
            peer_ip = str(stream.socket.getpeername()[0])
        except (OSError, AttributeError):
            peer_ip = "?"
        if self.per_ip.get(peer_ip, 0) >= self.max_connections_per_peer:
            if self.log is not None:
                self.log.warning("transport.too_many_connections", peer_ip=peer_ip,
                                 limit=self.max_connections_per_peer)
            await trio.aclose_forcefully(stream)
            return
        self.per_ip[peer_ip] = self.per_ip.get(peer_ip, 0) + 1
        try:
            await self._accepted_counted(stream)
        finally:
            self.per_ip[peer_ip] -= 1
            if not self.per_ip[peer_ip]:
                del self.per_ip[peer_ip]

    async def _accepted_counted(self, stream: trio.SocketStream) -> None:
        plain: Any = stream
        if self.ssl_server is not None and self.ssl_downgrade:
            # LIBPROCESS_SSL_SUPPORT_DOWNGRADE: TLS or plaintext, by the first byte
            from mesotron.io.http.tls import sniff

            sniffed = await sniff(stream, self.ssl_server, timeout=self.auth_timeout)
            if sniffed is None:
                await trio.aclose_forcefully(stream)
                return
            if not isinstance(sniffed, trio.SSLStream):
                if self.log is not None:
                    self.log.info("transport.plaintext_accepted", peer=str(stream.socket.getpeername()[0]))
                return await self._run_link(Link(sniffed), expect_hello=True)
            plain = sniffed.transport_stream
        if self.ssl_server is not None:
            tls = trio.SSLStream(plain, self.ssl_server, server_side=True)
            try:
                with trio.fail_after(self.auth_timeout):
                    await tls.do_handshake()
            except (trio.BrokenResourceError, trio.TooSlowError, OSError) as e:
                if self.log is not None:
                    self.log.warning("transport.tls_handshake_failed", error=str(e.__cause__ or e))
                await trio.aclose_forcefully(stream)
                return
            link = Link(tls)
        else:
            link = Link(stream)
        await self._run_link(link, expect_hello=True)

    async def connect(self, host: str, port: int, peer: str,
                      credential: tuple[str, str] | None = None) -> Link:
        """Dial `peer` at host:port; the link runs in `self.nursery` (set by `run`). With a
        `credential` (principal, secret) the connection authenticates first (CRAM-MD5):
        raises handshake.AuthenticationRefused / AuthenticationFailure."""
        stream: Any = await trio.open_tcp_stream(host, port)
        _nodelay(stream)
        if self.ssl_client is not None:
            stream = await tls_connect(stream, self.ssl_client, host)
        link = Link(stream, peer)
        hello = codec_internal.encode(codec_internal.Hello(sender=self.name))
        if credential is not None:
            try:
                await stream.send_all(_LEN.pack(len(hello)) + hello)
                with trio.fail_after(self.auth_timeout):
                    await handshake.authenticate(stream, link.buf, *credential)
            except trio.TooSlowError:
                await trio.aclose_forcefully(stream)
                raise handshake.AuthenticationFailure("authentication timed out") from None
            except BaseException:
                await trio.aclose_forcefully(stream)
                raise
            link.principal = credential[0]
        else:
            link.send_frame(hello)
        old = self.links.get(peer)
        self.links[peer] = link
        if old is not None:
            old.close()
        assert self.nursery is not None
        self.nursery.start_soon(self._run_link, link, False)
        return link

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """A nursery for dialled links (agents use this instead of `serve`)."""
        async with trio.open_nursery() as nursery:
            self.nursery = nursery
            task_status.started()
            await trio.sleep_forever()

    async def _run_link(self, link: Link, expect_hello: bool, accepted: bool | None = None,
                        first_after_hello: bool = False) -> None:
        # no nursery per link (entering and leaving one per connection was ~3 % of the
        # master's CPU in a re-registration storm): a writer, when the link needs one, runs
        # in the transport's nursery and cancels this reader's scope when the connection
        # breaks; the reader's end closes the stream, which ends a writer.
        # `accepted`/`first_after_hello`: a link the reader (`_reader`) hands over mid-way
        scope = trio.CancelScope()
        writers = self.nursery
        assert writers is not None
        link._on_writer_end = scope.cancel
        link._spawn = lambda: writers.start_soon(self._guard_writer, link)
        try:
            with scope:
                if (link._out or link._eof) and not link._writer_running:
                    # queued before the link ran (a dialled Hello)
                    link._kick()
                if expect_hello and link._fd >= 0:
                    # an accepted agent's first frames (Hello, ReregisterAgent) are usually
                    # in the socket already: take them without a pass through Trio's
                    # scheduler (EOF or an error is left for the receive below to report)
                    with contextlib.suppress(OSError):
                        link.buf += os.read(link._fd, 65536)
                try:
                    if accepted is None:
                        accepted = expect_hello
                    while (frame := await link.next_frame()) is not None:
                        msg = decode_frame(frame)
                        if type(msg) is codec_internal.Authentication:
                            if not (accepted and first_after_hello):
                                raise CodecError("authentication is only allowed right after Hello")
                            first_after_hello = False
                            principal, reason = await handshake.serve(
                                link, msg, self.credentials, decode=decode_frame,
                                timeout=self.auth_timeout)
                            if principal is None:
                                if self.log is not None:
                                    self.log.warning("transport.authentication_failed",
                                                     peer=link.peer, reason=reason)
                                await _flush(link)
                                break
                            link.principal = principal
                            if self.log is not None:
                                self.log.info("transport.authenticated", peer=link.peer,
                                              principal=principal)
                            continue
                        first_after_hello = False
                        if expect_hello:
                            if not isinstance(msg, codec_internal.Hello):
                                raise CodecError("first frame must be Hello")
                            link.peer = msg.sender
                            expect_hello = False
                            first_after_hello = True
                            if self.driver is not None and self.driver.claims(msg.sender):
                                link.driver = True
                                continue
                            old = self.links.get(link.peer)
                            self.links[link.peer] = link
                            if old is not None and old is not link:
                                old.close()
                            continue
                        if link.driver:
                            self.driver.frame(link, msg)
                        elif accepted and type(msg) is DriverFrame:
                            raise CodecError(f"{msg.kind} on an internal connection")
                        else:
                            self.on_message(link.peer, msg)
                except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                    pass
                except CodecError as e:
                    if self.log is not None:
                        self.log.warning("transport.bad_frame", peer=link.peer or "(before Hello)",
                                         error=str(e))
                link.closed = True  # no more sends; the stream is closed below
                link._spawn = None
        finally:
            link.closed = True
            link._spawn = None
            if link._wake is not None:  # a writer waiting for frames ends (closed)
                link._wake.set()
            if type(link.stream) is trio.SocketStream:
                # what SocketStream.aclose does, without its checkpoint (under
                # aclose_forcefully's cancelled scope, that checkpoint raises and catches a
                # Cancelled: ~a tenth of the master's CPU when 40,000 agents disconnect)
                link.stream.socket.close()
            else:
                with trio.CancelScope(shield=True):
                    await trio.aclose_forcefully(link.stream)
            if link.driver:
                self.driver.closed(link)
            elif link.peer and self.links.get(link.peer) is link:
                del self.links[link.peer]
                self.on_disconnect(link.peer)

    async def _guard_writer(self, link: Link) -> None:
        try:
            await link.writer()
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
        end = link._on_writer_end
        if end is not None:
            end()  # the link's reader ends the link

    # ----------------------------------------------------------------- the reader
    # Plain accepted connections (no TLS, no per-peer connection limit) are read by ONE task
    # through its own epoll instead of a Trio task, SocketStream, cancel scope and Trio epoll
    # registration each: in a re-registration storm of 40,000 agents that per-connection
    # machinery (receive, scheduling, accept wrapping, close) was a fifth of the master's
    # CPU. The reader takes Hello and internal messages; a connection that needs more (a
    # driver-wire peer, an authentication exchange) leaves it for `_run_link` with what it
    # has read, at that frame. Writes are as on any link (direct, else a writer task).
    def _adopt(self, sock: socket.socket) -> None:
        """A newly accepted plain connection: the reader's from now on."""
        ep = self._ep
        assert ep is not None and self.nursery is not None
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            sock.close()
            return
        link = Link(None, sock=sock)
        link._in_reader = True
        link._on_writer_end = lambda: self._end(link)
        writers = self.nursery
        link._spawn = lambda: writers.start_soon(self._guard_writer, link)
        fd = link._fd
        self._by_fd[fd] = link
        ep.register(fd, select.EPOLLIN)
        self._readable(link)  # its first frames are usually there already

    async def _reader(self, ep: select.epoll) -> None:
        """Serve the connections of `_adopt`: wait until one is readable, then read each of
        up to READ_BATCH readable ones once and hand out its complete frames."""
        by_fd = self._by_fd
        try:
            while True:
                await trio.lowlevel.wait_readable(ep.fileno())
                for fd, _ in ep.poll(0, READ_BATCH):
                    link = by_fd.get(fd)
                    if link is not None:
                        self._readable(link)
        finally:
            for link in list(by_fd.values()):
                self._end(link)
            ep.close()
            if self._ep is ep:
                self._ep = None

    def _readable(self, link: Link) -> None:
        try:
            data = os.read(link._fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._end(link)
            return
        link.buf += data
        try:
            while link._in_reader and (frame := link.take_frame()) is not None:
                msg = decode_frame(frame)
                first_after_hello, link._first_after_hello = link._first_after_hello, False
                if not link.peer:
                    if type(msg) is not codec_internal.Hello:
                        raise CodecError("first frame must be Hello")
                    link.peer = msg.sender
                    if self.driver is not None and self.driver.claims(msg.sender):
                        link.driver = True  # a framework's or executor's connection
                        self._hand_over(link, first_after_hello=True)
                        return
                    link._first_after_hello = True
                    old = self.links.get(link.peer)
                    self.links[link.peer] = link
                    if old is not None and old is not link:
                        old.close()
                elif type(msg) is codec_internal.Authentication:
                    if not first_after_hello:
                        raise CodecError("authentication is only allowed right after Hello")
                    link.buf[:0] = _LEN.pack(len(frame)) + frame  # the exchange's, from its START
                    self._hand_over(link, first_after_hello=True)
                    return
                elif type(msg) is DriverFrame:
                    raise CodecError(f"{msg.kind} on an internal connection")
                else:
                    self.on_message(link.peer, msg)
        except CodecError as e:
            if self.log is not None:
                self.log.warning("transport.bad_frame", peer=link.peer or "(before Hello)",
                                 error=str(e))
            self._end(link)

    def _hand_over(self, link: Link, *, first_after_hello: bool) -> None:
        """The reader lets go of `link`: `_run_link` serves it from here on."""
        fd = link._fd
        if self._by_fd.get(fd) is link:
            del self._by_fd[fd]
            if self._ep is not None:
                self._ep.unregister(fd)
        link._in_reader = False
        assert self.nursery is not None
        self.nursery.start_soon(self._run_link, link, False, True, first_after_hello)

    def _end(self, link: Link) -> None:
        """A connection of the reader ends (EOF, error, bad frame, closed by us)."""
        fd = link._fd
        if self._by_fd.get(fd) is not link:
            return  # ended already, or handed over
        del self._by_fd[fd]
        if self._ep is not None:
            self._ep.unregister(fd)
        link.closed = True
        link._spawn = None
        if link._wake is not None:  # a writer waiting for frames ends (closed)
            link._wake.set()
        if link._stream is not None:  # a writer wrapped it: trio forgets the fd too
            link._stream.socket.close()
        elif link._sock is not None:
            link._sock.close()
        if link.peer and self.links.get(link.peer) is link:
            del self.links[link.peer]
            self.on_disconnect(link.peer)


async def tls_connect(stream: Any, ctx: Any, host: str, timeout: float = 15.0) -> trio.SSLStream[Any]:
    """Wrap a dialled connection in TLS and shake hands (raises OSError-like errors on failure:
    trio.BrokenResourceError carries the ssl error)."""
    tls = trio.SSLStream(stream, ctx, server_hostname=host)
    try:
        with trio.fail_after(timeout):
            await tls.do_handshake()
    except BaseException:
        await trio.aclose_forcefully(stream)
        raise
    return tls


async def _flush(link: Link) -> None:
    """Write what is queued on `link` (a refusal) before the link is torn down."""
    if link._out and not link._sending:
        data = b"".join(link._out)
        link._out.clear()
        with trio.move_on_after(1), contextlib.suppress(trio.BrokenResourceError,
                                                        trio.ClosedResourceError, OSError):
            await link.stream.send_all(data)


def _nodelay(stream: Any) -> None:
    try:
        stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass
