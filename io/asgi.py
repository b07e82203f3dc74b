"""Small ASGI helpers shared by the master and agent apps, and the HTTP/1.1 server that runs
them (`serve_http`, on Trio streams). The helpers read bodies, write plain/JSON responses
and run RecordIO event streams (200, chunked, one record per chunk), noticing the client
going away (`http.disconnect`)."""

from __future__ import annotations

import functools
import http
import json
import math
import re
import socket
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

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

    A small server on Trio streams instead of hypercorn: the daemons' hot endpoints
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
MAX_HEAD = 64 * 1024
_SERVER_HDR = b"server: mesotron\r\n"
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@functools.lru_cache(maxsize=64)
def _status_line(status: int) -> bytes:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return b"HTTP/1.1 %d %s\r\n" % (status, phrase.encode("latin-1"))


_valid_token = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch  # RFC 9110 token


class _Conn:
    """One HTTP/1.1 connection; requests are served one after the other.

    The request head is parsed here (request line, `name: value` header lines, a
    Content-Length or chunked body): h11's general-purpose state machine cost ~150 us per
    request, this parser a tenth. Anything malformed answers 400 and closes."""

    __slots__ = ("app", "buf", "eof", "local", "peer", "stream")

    def __init__(self, app: Any, stream: trio.SocketStream, local: Any) -> None:
        self.app = app
        self.stream = stream
        self.buf = bytearray()
        self.local = local
        try:
            self.peer = stream.socket.getpeername()
        except OSError:
            self.peer = None
        self.eof = False

    async def _fill(self) -> bool:
        """Read more into the buffer; False at EOF."""
        if self.eof:
            return False
        try:
            data = await self.stream.receive_some(65536)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    async def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not await self._fill():
                raise _BadRequest(400, "connection closed in the middle of the body")
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    async def _read_line(self) -> bytes:
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[: i + 2]
                return line
            if len(self.buf) > MAX_HEAD:
                raise _BadRequest(400, "line too long")
            if not await self._fill():
                raise _BadRequest(400, "connection closed in the middle of the body")

    async def serve(self) -> None:
        while True:
            # the request head (leading empty lines are tolerated, as RFC 9112 allows)
            with trio.move_on_after(KEEP_ALIVE):
                while True:
                    while self.buf.startswith(b"\r\n"):
                        del self.buf[:2]
                    end = self.buf.find(b"\r\n\r\n")
                    if end >= 0:
                        break
                    if len(self.buf) > MAX_HEAD:
                        raise _BadRequest(431, "Request header fields too large")
                    if not await self._fill():
                        if self.buf.strip():
                            raise _BadRequest(400, "connection closed in the middle of a request")
                        return
            if end < 0:  # idle timeout
                return
            head = bytes(self.buf[:end])
            del self.buf[: end + 4]
            if not await self.request(head):
                return

    async def request(self, head: bytes) -> bool:
        """Serve one request; False when the connection must close."""
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1.") or not _valid_token(parts[0]) or not parts[1]:
            raise _BadRequest(400, "malformed request line")
        method, target, version = parts
        if version not in (b"HTTP/1.1", b"HTTP/1.0"):
            raise _BadRequest(505, "HTTP version not supported")
        headers: list[tuple[bytes, bytes]] = []
        clen: int | None = None
        chunked = False
        expect = False
        keep_alive = version == b"HTTP/1.1"
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not _valid_token(name):
                raise _BadRequest(400, "malformed header line")
            name = name.lower()
            value = value.strip(b" \t")
            headers.append((name, value))
            if name == b"content-length":
                if not value.isdigit() or (clen is not None and clen != int(value)):
                    raise _BadRequest(400, "bad Content-Length")
                clen = int(value)
            elif name == b"transfer-encoding":
                if value.lower() != b"chunked":
                    raise _BadRequest(501, "unsupported Transfer-Encoding")
                chunked = True
            elif name == b"connection":
                v = value.lower()
                if b"close" in v:
                    keep_alive = False
                elif b"keep-alive" in v:
                    keep_alive = True
            elif name == b"expect" and value.lower() == b"100-continue":
                expect = True
        if chunked and clen is not None:
            raise _BadRequest(400, "both Content-Length and Transfer-Encoding")
        if expect and version == b"HTTP/1.1" and (chunked or clen):
            await self.stream.send_all(_CONTINUE)
        if chunked:
            chunks: list[bytes] = []
            size = 0
            while True:
                size_line = (await self._read_line()).split(b";", 1)[0].strip()
                try:
                    n = int(size_line, 16)
                except ValueError:
                    raise _BadRequest(400, "bad chunk size") from None
                if n == 0:
                    while await self._read_line():  # trailers
                        pass
                    break
                size += n
                if size > MAX_BODY:
                    await self.simple(413, b"Request body too large")
                    return False
                chunks.append(await self._read_exact(n))
                if await self._read_line():
                    raise _BadRequest(400, "bad chunk terminator")
            body = b"".join(chunks)
        elif clen:
            if clen > MAX_BODY:
                await self.simple(413, b"Request body too large")
                return False
            body = await self._read_exact(clen)
        else:
            body = b""
        path_b, _, query = target.partition(b"?")
        path = urllib.parse.unquote(path_b.decode("latin-1")) if b"%" in path_b else path_b.decode("latin-1")
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": version[5:].decode(), "method": method.decode("latin-1"),
            "scheme": "http", "path": path, "raw_path": path_b, "query_string": query,
            "root_path": "", "headers": headers, "client": self.peer, "server": self.local,
        }
        head_only = method == b"HEAD"
        http10 = version == b"HTTP/1.0"
        # [body handed over, response start message, response finished, chunked framing,
        #  something written]
        st: list[Any] = [False, None, False, False, False]

        async def receive() -> dict[str, Any]:
            if not st[0]:
                st[0] = True
                return {"type": "http.request", "body": body, "more_body": False}
            # wait for the client to go away (data it sends meanwhile stays buffered)
            while await self._fill():
                pass
            return {"type": "http.disconnect"}

        async def send(msg: dict[str, Any]) -> None:
            nonlocal keep_alive
            if msg["type"] != "http.response.body" or st[2]:
                if msg["type"] == "http.response.start":
                    st[1] = msg
                return
            data = msg.get("body", b"")
            more = msg.get("more_body", False)
            out = []
            start = st[1]
            if start is not None:
                st[1] = None
                out.append(_status_line(start["status"]))
                has_len = False
                for k, v in start.get("headers", ()):
                    if k.lower() == b"content-length":
                        has_len = True
                    out.append(k + b": " + v + b"\r\n")
                if not has_len:
                    if not more:
                        out.append(b"content-length: %d\r\n" % len(data))
                    elif http10:
                        keep_alive = False  # the end of the body is the end of the connection
                    else:
                        st[3] = True
                        out.append(b"transfer-encoding: chunked\r\n")
                if not keep_alive:
                    out.append(b"connection: close\r\n")
                out.append(_SERVER_HDR + b"\r\n")
            if data and not head_only:
                out.append(b"%x\r\n%s\r\n" % (len(data), data) if st[3] else data)
            if not more:
                st[2] = True
                if st[3] and not head_only:
                    out.append(b"0\r\n\r\n")
            if out:
                st[4] = True
                try:
                    await self.stream.send_all(b"".join(out))
                except (trio.BrokenResourceError, trio.ClosedResourceError) as e:
                    raise OSError(str(e)) from None

        try:
            await self.app(scope, receive, send)
        except OSError:
            return False
        except Exception:  # noqa: BLE001 - a bug in a handler answers 500
            import traceback

            traceback.print_exc()
            if not st[4]:
                await self.simple(500, b"Internal Server Error")
            return False
        if not st[2]:
            if not st[4]:
                await self.simple(500, b"")
            return False
        return keep_alive

    async def simple(self, status: int, body: bytes) -> None:
        out = (_status_line(status) + b"content-length: %d\r\nconnection: close\r\n" % len(body)
               + _SERVER_HDR + b"\r\n" + body)
        try:
            await self.stream.send_all(out)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass


async def _serve_connection(app: Any, local: Any, stream: trio.SocketStream) -> None:
    try:
        stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    c = _Conn(app, stream, local)
    try:
        await c.serve()
    except _BadRequest as e:
        await c.simple(e.status, str(e).encode())
    except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        pass
    finally:
        with trio.CancelScope(shield=True):
            await trio.aclose_forcefully(stream)
