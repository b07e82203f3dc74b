"""A small HTTP/1.1 server for our ASGI apps, on h11 (the HTTP/1.1 state machine hypercorn
itself uses: no hand-written parsing here) and Trio, with trio.SSLStream for TLS.

Why (docs/performance.md): the v1 HTTP API is one POST per scheduler/executor call; the
per-request cost of the general-purpose server (its task and context per request, its
per-event ASGI plumbing) is what the profile shows beside the master's own work. This server
runs the SAME ASGI apps (io/http/master.py, io/http/agent.py: others' changes compose) with:

- keep-alive: one task per connection, requests in order (h11 cycles);
- the app's `receive()` gives the whole body (bounded by asgi.MAX_BODY: 413 past it), then
  blocks until the client goes away (`http.disconnect`), which event streams wait for;
- a response whose body comes in one `http.response.body` goes out in ONE write (status line,
  headers and body together: pymesos 0.3.15 reads an error answer in one recv);
- streaming responses (RecordIO event streams) chunked, each `more_body` message a write;
- limits: header size (h11's max_incomplete_event_size), body size, idle keep-alive timeout;
  a peer's protocol error gets 400 (when a response can still be sent) and the connection
  is closed; a daemon never crashes on it.

Select it with `--http-server h11` (master and agent); hypercorn stays the default.
"""

from __future__ import annotations

import socket as stdlib_socket
import ssl
import urllib.parse
from typing import Any

import h11
import trio
from mesotron.io.http import asgi

MAX_HEADERS = 64 * 1024
KEEP_ALIVE = 75.0  # seconds a keep-alive connection may stay idle


async def serve_h11(app: Any, sock: stdlib_socket.socket, shutdown: trio.Event | None = None, *,
                    tls: Any = None, max_connections_per_peer: int = 0, log: Any = None,
                    task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Serve `app` on the listening `sock` until `shutdown` is set (io/http/asgi.serve_http's
    contract). `tls`: an io/http/tls.py TlsConfig or None. `max_connections_per_peer`: 0 or
    the limit of io/http/limits.py."""
    ctx: ssl.SSLContext | None = None
    if tls is not None:
        from mesotron.io.http.tls import server_context

        ctx = server_context(tls)
    listener: Any = trio.SocketListener(trio.socket.from_stdlib_socket(sock))
    handler: Any = lambda s: _connection(app, s)
    if ctx is not None and tls.downgrade:  # TLS or plaintext, by the first byte (io/http/tls.py)
        from mesotron.io.http.tls import downgrading

        handler = downgrading(handler, ctx)
    elif ctx is not None:
        listener = trio.SSLListener(listener, ctx, https_compatible=True)
    if max_connections_per_peer:  # per peer IP (io/http/limits.py)
        from mesotron.io.http.limits import limit_connections

        handler = limit_connections(handler, max_connections_per_peer, log)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, handler, [listener])
        task_status.started()
        await (shutdown if shutdown is not None else trio.Event()).wait()
        nursery.cancel_scope.cancel()


class _Closed(Exception):
    pass


async def _connection(app: Any, stream: Any) -> None:
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADERS)
    try:
        sock = stream.socket if hasattr(stream, "socket") else stream.transport_stream.socket
        sock.setsockopt(stdlib_socket.IPPROTO_TCP, stdlib_socket.TCP_NODELAY, 1)
        client = sock.getpeername()[:2]
        server = sock.getsockname()[:2]
    except (OSError, AttributeError):
        client, server = ("", 0), ("", 0)
    scheme = "https" if isinstance(stream, trio.SSLStream) else "http"
    try:
        while True:
            with trio.move_on_after(KEEP_ALIVE) as idle:
                ev = await _next(conn, stream)
            if idle.cancelled_caught:
                return
            if isinstance(ev, h11.ConnectionClosed):
                return
            if not isinstance(ev, h11.Request):
                return
            await _cycle(app, conn, stream, ev, client, server, scheme)
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                return
            try:
                conn.start_next_cycle()
            except h11.LocalProtocolError:
                return
    except h11.RemoteProtocolError as e:
        await _error(conn, stream, e.error_status_hint, f"Bad request: {e}")
    except (_Closed, trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        pass
    finally:
        await trio.aclose_forcefully(stream)


async def _next(conn: h11.Connection, stream: Any) -> Any:
    while True:
        ev = conn.next_event()
        if ev is h11.NEED_DATA:
            data = await stream.receive_some(65536)
            conn.receive_data(data)
            continue
        return ev


async def _error(conn: h11.Connection, stream: Any, status: int, text: str) -> None:
    if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
        return
    body = text.encode()
    try:
        data = conn.send(h11.Response(status_code=status, headers=[
            ("content-type", "text/plain; charset=utf-8"), ("content-length", str(len(body))),
            ("connection", "close")]))
        data = (data or b"") + (conn.send(h11.Data(data=body)) or b"") + (conn.send(h11.EndOfMessage()) or b"")
        await stream.send_all(data)
    except (h11.LocalProtocolError, trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        pass


async def _cycle(app: Any, conn: h11.Connection, stream: Any, req: h11.Request,
                 client: Any, server: Any, scheme: str) -> None:
    target = req.target.decode("latin-1")
    path, _, query = target.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": req.http_version.decode(), "method": req.method.decode("ascii"),
        "scheme": scheme, "path": urllib.parse.unquote(path), "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"), "root_path": "",
        "headers": [(k.lower(), v) for k, v in req.headers], "client": client, "server": server,
    }
    # the body, whole (bounded)
    chunks: list[bytes] = []
    size = 0
    too_large = False
    while True:
        ev = await _next(conn, stream)
        if isinstance(ev, h11.Data):
            size += len(ev.data)
            if size > asgi.MAX_BODY:
                too_large = True
                break
            chunks.append(bytes(ev.data))
        elif isinstance(ev, h11.EndOfMessage):
            break
        elif isinstance(ev, h11.ConnectionClosed):
            raise _Closed()
    if too_large:
        await _error(conn, stream, 413, "Request body too large")
        raise _Closed()
    body = b"".join(chunks)

    gone = trio.Event()
    state: dict[str, Any] = {"body_sent": False, "started": None, "chunked": False}

    async def receive() -> dict[str, Any]:
        if not state["body_sent"]:
            state["body_sent"] = True
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    head = req.method == b"HEAD"

    async def send(msg: dict[str, Any]) -> None:
        t = msg["type"]
        if t == "http.response.start":
            state["started"] = msg
            return
        if t != "http.response.body":
            return
        data = msg.get("body", b"")
        more = msg.get("more_body", False)
        if head:  # h11 frames a HEAD answer without a body
            data = b""
        out = b""
        start = state["started"]
        if start is not None:
            state["started"] = None
            headers = [(k, v) for k, v in start.get("headers", [])]
            has_length = any(k.lower() == b"content-length" for k, _ in headers)
            if not has_length and not more and not head:
                headers.append((b"content-length", str(len(data)).encode()))
            out += conn.send(h11.Response(status_code=start["status"], headers=headers)) or b""
        if data:
            out += conn.send(h11.Data(data=data)) or b""
        if not more:
            out += conn.send(h11.EndOfMessage()) or b""
        if out:
            await stream.send_all(out)

    async def watch() -> None:
        """After the body: a read that returns means the client went away (or pipelines a
        next request, which h11 keeps for the next cycle)."""
        try:
            while True:
                data = await stream.receive_some(65536)
                if not data:
                    break
                conn.receive_data(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError, h11.RemoteProtocolError):
            pass
        gone.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(watch)
        try:
            await app(scope, receive, send)
        except (OSError, trio.BrokenResourceError, trio.ClosedResourceError):
            gone.set()
        except Exception:  # noqa: BLE001 - an app bug: this request gets a 500, the server lives
            if conn.our_state is not h11.SEND_RESPONSE:
                gone.set()
        if conn.our_state is h11.SEND_RESPONSE:  # the app sent nothing: 500, as servers do
            await _error(conn, stream, 500, "Internal server error")
        nursery.cancel_scope.cancel()
    if gone.is_set():
        raise _Closed()
    if conn.our_state is h11.SEND_BODY:
        raise _Closed()
