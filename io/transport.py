"""Internal master <-> agent transport (libprocess-like): protobuf frames over persistent TCP.

Frame: `<u32 big-endian length><internal_pb2.Envelope bytes>`. The first frame on a
connection is `Hello(sender)`: the connecting process's name ("agent@127.0.0.1:5051"). One
connection per peer pair carries both directions; the agent dials the master.

Messages arrive through `on_message(peer, message)`; a connection that breaks (EOF, reset,
garbage frame) is reported once through `on_disconnect(peer)`, unless a newer connection
from the same peer already replaced it. Sends never block: each link has an unbounded
outgoing queue drained by its own writer task (per-link FIFO order).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

import trio
from mesotron.spec import codec_internal
from mesotron.spec.codec_values import CodecError

_LEN = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024


class Link:
    def __init__(self, stream: trio.abc.Stream, peer: str = "") -> None:
        self.stream = stream
        self.peer = peer
        self.send_ch, self.recv_ch = trio.open_memory_channel[bytes | None](math.inf)
        self.closed = False
        self.buf = bytearray()

    def send_frame(self, payload: bytes) -> bool:
        if self.closed:
            return False
        try:
            self.send_ch.send_nowait(_LEN.pack(len(payload)) + payload)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            return False
        return True

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.send_ch.send_nowait(None)
            except (trio.ClosedResourceError, trio.BrokenResourceError):
                pass

    async def writer(self) -> None:
        async with self.recv_ch:
            while True:
                first = await self.recv_ch.receive()
                if first is None:
                    break
                batch = [first]
                stop = False
                while True:  # coalesce whatever is queued into one write
                    try:
                        nxt = self.recv_ch.receive_nowait()
                    except trio.WouldBlock:
                        break
                    if nxt is None:
                        stop = True
                        break
                    batch.append(nxt)
                await self.stream.send_all(b"".join(batch))
                if stop:
                    break
        await self.stream.aclose()

    async def next_frame(self) -> bytes | None:
        """The next complete frame, or None at EOF (a plain coroutine: no async generator
        left unfinalized when the caller stops early)."""
        while True:
            if len(self.buf) >= 4:
                (n,) = _LEN.unpack_from(self.buf, 0)
                if n > MAX_FRAME:
                    raise CodecError(f"frame of {n} bytes exceeds the limit")
                if len(self.buf) >= 4 + n:
                    frame = bytes(self.buf[4 : 4 + n])
                    del self.buf[: 4 + n]
                    return frame
            data = await self.stream.receive_some(65536)
            if not data:
                return None
            self.buf += data


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

    # ----------------------------------------------------------------- sending
    def send(self, peer: str, message: Any) -> bool:
        link = self.links.get(peer)
        if link is None:
            return False
        return link.send_frame(codec_internal.encode(message))

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
            await nursery.start(trio.serve_listeners, self._accepted, listeners)
            task_status.started(self.port)

    async def _accepted(self, stream: trio.SocketStream) -> None:
        _nodelay(stream)
        link = Link(stream)
        await self._run_link(link, expect_hello=True)

    async def connect(self, host: str, port: int, peer: str) -> Link:
        """Dial `peer` at host:port; the link runs in `self.nursery` (set by `run`)."""
        stream = await trio.open_tcp_stream(host, port)
        _nodelay(stream)
        link = Link(stream, peer)
        link.send_frame(codec_internal.encode(codec_internal.Hello(sender=self.name)))
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

    async def _run_link(self, link: Link, expect_hello: bool) -> None:
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._guard_writer, link, nursery.cancel_scope)
                try:
                    while (frame := await link.next_frame()) is not None:
                        msg = codec_internal.decode(frame)
                        if expect_hello:
                            if not isinstance(msg, codec_internal.Hello):
                                raise CodecError("first frame must be Hello")
                            link.peer = msg.sender
                            old = self.links.get(link.peer)
                            self.links[link.peer] = link
                            if old is not None and old is not link:
                                old.close()
                            expect_hello = False
                            continue
                        self.on_message(link.peer, msg)
                except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                    pass
                except CodecError as e:
                    if self.log is not None:
                        self.log.warning("transport.bad_frame", peer=link.peer, error=str(e))
                link.close()
                nursery.cancel_scope.cancel()
        finally:
            link.closed = True
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(link.stream)
            if link.peer and self.links.get(link.peer) is link:
                del self.links[link.peer]
                self.on_disconnect(link.peer)

    async def _guard_writer(self, link: Link, scope: trio.CancelScope) -> None:
        try:
            await link.writer()
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
        scope.cancel()


def _nodelay(stream: Any) -> None:
    try:
        import socket

        stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass
