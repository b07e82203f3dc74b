"""Small ASGI helpers shared by the master and agent apps, and the HTTP/1.1 server that runs
them (`serve_http`: h11 on Trio streams).

No HTTP parsing here: h11 does it. This module reads bodies, writes plain/JSON
responses and runs RecordIO event streams (200, chunked, one record per chunk), noticing the
client going away (`http.disconnect`)."""

from __future__ import annotations

import functools
import json
import math
import socket
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import h11
import trio
from mesotron.spec.wire import record

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

MAX_BODY = 16 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


class Request:
    __slots__ = ("body", "headers", "method", "path", "query", "receive", "scope")

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope = scope
        self.receive = receive
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        self.headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self.body = b""

    async def read_body(self, limit: int = MAX_BODY) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            msg = await self.receive()
            if msg["type"] == "http.disconnect":
                break
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge()
            chunks.append(chunk)
            if not msg.get("more_body", False):
                break
        self.body = b"".join(chunks)
        return self.body

    def arg(self, name: str, default: str | None = None) -> str | None:
        v = self.query.get(name)
        return v[0] if v else default


async def respond(
    send: Send,
    status: int,
    body: bytes | str = b"",
    content_type: str = "text/plain; charset=utf-8",
    headers: list[tuple[str, str]] | None = None,
) -> None:
    if isinstance(body, str):
        body = body.encode()
    hdrs = [(b"content-length", str(len(body)).encode())]
    if body or content_type != "text/plain; charset=utf-8":
        hdrs.append((b"content-type", content_type.encode()))
    for k, v in headers or ():
        hdrs.append((k.lower().encode(), v.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def respond_json(send: Send, obj: Any, status: int = 200, jsonp: str | None = None) -> None:
    raw = json.dumps(obj, separators=(",", ":"))
    if jsonp:
        await respond(send, status, f"{jsonp}({raw});", "text/javascript")
    else:
        await respond(send, status, raw, "application/json")


class EventStream:
    """An open RecordIO stream: `push(payload)` from anywhere (non-blocking); `close()` ends it."""

    def __init__(self) -> None:
        self._send, self._recv = trio.open_memory_channel[bytes | None](math.inf)
        self.closed = False

    def push(self, payload: bytes) -> None:
        if not self.closed:
            try:
                self._send.send_nowait(record(payload))
            except (trio.ClosedResourceError, trio.BrokenResourceError):
                self.closed = True

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self._send.send_nowait(None)
            except (trio.ClosedResourceError, trio.BrokenResourceError):
                pass

    async def serve(self, receive: Receive, send: Send, headers: list[tuple[str, str]]) -> None:
        """Send 200 + headers, then records until closed or the client disconnects."""
        hdrs = [(k.lower().encode(), v.encode("latin-1")) for k, v in headers]
        await send({"type": "http.response.start", "status": 200, "headers": hdrs})
        async with trio.open_nursery() as nursery:

            async def watch_disconnect() -> None:
                while True:
                    msg = await receive()
                    if msg["type"] == "http.disconnect":
                        break
                nursery.cancel_scope.cancel()

            nursery.start_soon(watch_disconnect)
            try:
                while True:
                    first = await self._recv.receive()
                    if first is None:
                        break
                    parts = [first]
                    end = False
                    while len(parts) < 512:
                        try:
                            nxt = self._recv.receive_nowait()
                        except trio.WouldBlock:
                            break
                        if nxt is None:
                            end = True
                            break
                        parts.append(nxt)
                    await send({"type": "http.response.body", "body": b"".join(parts), "more_body": True})
                    if end:
                        break
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except OSError:
                pass
            finally:
                self.closed = True
            nursery.cancel_scope.cancel()


def bind_socket(host: str, port: int) -> Any:
    """A listening TCP socket on host:port (port 0: any free port)."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


async def serve_http(app: Any, sock: Any, shutdown: trio.Event | None = None, *,
                     task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Serve the ASGI `app` (HTTP/1.1, keep-alive) on an already-listening socket until
    `shutdown` is set.

    A small server on h11 and Trio streams instead of hypercorn: the daemons' hot endpoints
    (executor UPDATEs, scheduler ACKNOWLEDGE/ACCEPT) are tiny requests, and hypercorn spent
    most of their cost in per-request tasks, wrappers and one socket write per HTTP event
    (docs/performance.md). Here the app runs inline in the connection's task, the request
    body is read before the app is called (it gets it in one `http.request` message), and a
    whole response (`http.response.start` + its last body) goes out in one write. After the
    body, `receive()` waits for the client to go away and returns `http.disconnect` (RecordIO
    streams use it). The "lifespan" protocol is not run (the apps need none)."""
    listener = trio.SocketListener(trio.socket.from_stdlib_socket(sock))
    local = sock.getsockname()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, functools.partial(_serve_connection, app, local),
                           [listener])
        task_status.started()
        if shutdown is None:
            await trio.sleep_forever()
        await shutdown.wait()
        nursery.cancel_scope.cancel()


KEEP_ALIVE = 75.0
_SERVER_HDR = (b"server", b"mesotron")


class _Conn:
    """One HTTP/1.1 connection; requests are served one after the other."""

    __slots__ = ("app", "conn", "eof", "local", "peer", "stream")

    def __init__(self, app: Any, stream: trio.SocketStream, local: Any) -> None:
        self.app = app
        self.stream = stream
        self.conn = h11.Connection(h11.SERVER)
        self.local = local
        try:
            self.peer = stream.socket.getpeername()
        except OSError:
            self.peer = None
        self.eof = False

    async def next_event(self) -> Any:
        conn = self.conn
        while True:
            ev = conn.next_event()
            if ev is not h11.NEED_DATA:
                return ev
            if self.eof:
                return h11.ConnectionClosed()
            try:
                data = await self.stream.receive_some(65536)
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                data = b""
            if not data:
                self.eof = True
            conn.receive_data(data)

    async def serve(self) -> None:
        conn = self.conn
        while True:
            with trio.move_on_after(KEEP_ALIVE):
                ev = await self.next_event()
            if ev is None or isinstance(ev, h11.ConnectionClosed):  # idle timeout or EOF
                return
            if not isinstance(ev, h11.Request):
                return
            if not await self.request(ev):
                return
            if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                conn.start_next_cycle()
            else:
                return

    async def request(self, req: h11.Request) -> bool:
        """Serve one request; False when the connection must close."""
        conn = self.conn
        chunks: list[bytes] = []
        size = 0
        if conn.they_are_waiting_for_100_continue:
            await self.stream.send_all(conn.send(h11.InformationalResponse(status_code=100, headers=[])))
        while True:
            ev = await self.next_event()
            if type(ev) is h11.Data:
                size += len(ev.data)
                if size > MAX_BODY:
                    await self.simple(413, b"Request body too large")
                    return False
                chunks.append(ev.data)
            elif type(ev) is h11.EndOfMessage:
                break
            else:  # the client went away in the middle of its request
                return False
        target = req.target
        path_b, _, query = target.partition(b"?")
        path = urllib.parse.unquote(path_b.decode("latin-1")) if b"%" in path_b else path_b.decode("latin-1")
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": req.http_version.decode(), "method": req.method.decode("ascii"),
            "scheme": "http", "path": path, "raw_path": path_b, "query_string": query,
            "root_path": "", "headers": list(req.headers), "client": self.peer, "server": self.local,
        }
        head = req.method == b"HEAD"
        body = b"".join(chunks)
        state = {"body_sent": False, "started": None, "done": False}

        async def receive() -> dict[str, Any]:
            if not state["body_sent"]:
                state["body_sent"] = True
                return {"type": "http.request", "body": body, "more_body": False}
            # wait for the client to go away (data it sends meanwhile stays buffered in h11)
            while not self.eof:
                try:
                    data = await self.stream.receive_some(65536)
                except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                    data = b""
                if not data:
                    self.eof = True
                conn.receive_data(data)
            return {"type": "http.disconnect"}

        async def send(msg: dict[str, Any]) -> None:
            t = msg["type"]
            if t == "http.response.start":
                state["started"] = msg
                return
            if t != "http.response.body" or state["done"]:
                return
            data = msg.get("body", b"")
            more = msg.get("more_body", False)
            out = b""
            start = state["started"]
            if start is not None:
                state["started"] = None
                headers = list(start.get("headers", ()))
                if not more and not any(k.lower() == b"content-length" for k, _ in headers):
                    headers.append((b"content-length", str(len(data)).encode()))
                headers.append(_SERVER_HDR)
                out = conn.send(h11.Response(status_code=start["status"], headers=headers))
            if data and not head:
                out += conn.send(h11.Data(data=data))
            if not more:
                state["done"] = True
                out += conn.send(h11.EndOfMessage())
            if out:
                try:
                    await self.stream.send_all(out)
                except (trio.BrokenResourceError, trio.ClosedResourceError) as e:
                    raise OSError(str(e)) from None

        try:
            await self.app(scope, receive, send)
        except OSError:
            return False
        except Exception:  # noqa: BLE001 - a bug in a handler answers 500, as hypercorn did
            import traceback

            traceback.print_exc()
            if conn.our_state is h11.SEND_RESPONSE:
                await self.simple(500, b"Internal Server Error")
            return False
        if not state["done"]:
            if conn.our_state is h11.SEND_RESPONSE:
                await self.simple(500, b"")
            return False
        return True

    async def simple(self, status: int, body: bytes) -> None:
        conn = self.conn
        try:
            out = conn.send(h11.Response(status_code=status, headers=[
                (b"content-length", str(len(body)).encode()), (b"connection", b"close"), _SERVER_HDR]))
            out += conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage())
            await self.stream.send_all(out)
        except (h11.LocalProtocolError, trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass


async def _serve_connection(app: Any, local: Any, stream: trio.SocketStream) -> None:
    try:
        stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    c = _Conn(app, stream, local)
    try:
        await c.serve()
    except h11.RemoteProtocolError as e:
        await c.simple(e.error_status_hint, str(e).encode())
    except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        pass
    finally:
        with trio.CancelScope(shield=True):
            await trio.aclose_forcefully(stream)
