"""A small HTTP/1.1 server for our ASGI apps, on h11 (the HTTP/1.1 state machine hypercorn
itself uses: no hand-written parsing here) and Trio, with trio.SSLStream for TLS.

Why (docs/performance.md): the v1 HTTP API is one POST per scheduler/executor call; the
per-request cost of the general-purpose server (its task and context per request, its
per-event ASGI plumbing) is what the profile shows beside the master's own work. This server
runs the SAME ASGI apps (io/http/master.py, io/http/agent.py: others' changes compose) with:

- keep-alive and pipelining: one task per connection, requests in order (h11 cycles), the
  app runs in that task (no task or nursery per request); the answers to pipelined requests
  that arrived together leave in one write (flush before read, see _Peer), written directly
  when a plain socket takes them (no trio round trip);
- the app's `receive()` gives the whole body (bounded by asgi.MAX_BODY: 413 past it), then
  blocks until the client goes away (`http.disconnect`), which event streams wait for;
- a response whose body comes in one `http.response.body` goes out in ONE write (status line,
  headers and body together: pymesos 0.3.15 reads an error answer in one recv);
- streaming responses (RecordIO event streams) chunked, each `more_body` message a write;
- limits: header size (h11's max_incomplete_event_size), body size, idle keep-alive timeout;
  a peer's protocol error gets 400 (when a response can still be sent) and the connection
  is closed; a daemon never crashes on it.

The default for master and agent; `--http-server hypercorn` (or MESOTRON_HTTP_SERVER=hypercorn)
selects hypercorn's Trio worker instead (it does not answer pipelined requests).
"""

from __future__ import annotations

import os
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


class _Connection(h11.Connection):
    """h11's server connection, remembering how it framed the heads we answer with again and
    again (202 with no body, the same errors): h11 rewrites a Response's framing headers
    before sending it (`Connection: close`, chunked or not), building and validating a new
    Response each time; for one of our kept Response events (see `_response`) that rewrite
    depends only on the request method, the peer's HTTP version and keep-alive, so it is
    done once per combination. h11 still sends every event (its state machine and its
    serializer), only the rewritten head is reused."""

    def _clean_up_response_headers_for_sending(self, response: h11.Response) -> h11.Response:
        if _RESPONSES.get(_key_of.get(id(response), None)) is not response:  # type: ignore[arg-type]
            return super()._clean_up_response_headers_for_sending(response)  # type: ignore[misc]
        key = (id(response), self._request_method, self.their_http_version, self._cstate.keep_alive)
        cleaned = _CLEANED.get(key)
        if cleaned is None:
            cleaned = super()._clean_up_response_headers_for_sending(response)  # type: ignore[misc]
            if len(_CLEANED) < 1024:
                _CLEANED[key] = cleaned
        return cleaned


class _Peer:
    """One connection: its h11 state machine, its stream and the response bytes not yet
    written. Answers are written when the server would otherwise wait: before it reads
    (flush-before-read) or when a response ends and no pipelined request is waiting; so
    the answers to requests that arrived together (a pipelining client such as our
    scheduler client) leave in one write."""

    __slots__ = ("client", "conn", "eof", "fd", "out", "scheme", "sending", "server", "stream")

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.conn = _Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADERS)
        self.out: list[bytes] = []
        self.eof = False
        self.sending = False  # inside send_all (bytes of a partial write still to go)
        self.fd = stream.socket.fileno() if type(stream) is trio.SocketStream else -1
        try:
            sock = stream.socket if hasattr(stream, "socket") else stream.transport_stream.socket
            sock.setsockopt(stdlib_socket.IPPROTO_TCP, stdlib_socket.TCP_NODELAY, 1)
            self.client = sock.getpeername()[:2]
            self.server = sock.getsockname()[:2]
        except (OSError, AttributeError):
            self.client, self.server = ("", 0), ("", 0)
        self.scheme = "https" if isinstance(stream, trio.SSLStream) else "http"

    async def flush(self) -> None:
        if self.out:
            data = b"".join(self.out) if len(self.out) > 1 else self.out[0]
            self.out.clear()
            if self.fd >= 0 and not self.sending:
                # a plain socket that takes the bytes now: written here, without the two
                # scheduler round trips of a trio send (as io/wire/transport.Link writes)
                try:
                    n = os.write(self.fd, data)
                except OSError:  # would block, or broken: send_all below waits or reports
                    n = 0
                if n == len(data):
                    return
                data = data[n:]
            self.sending = True
            try:
                await self.stream.send_all(data)
            finally:
                self.sending = False

    async def next_event(self, idle: bool = False) -> Any:
        """The next h11 event; reads (after writing what is pending) when h11 needs data.
        `idle`: waiting for a new request (the keep-alive timeout applies)."""
        conn = self.conn
        while True:
            ev = conn.next_event()
            if ev is not h11.NEED_DATA:
                return ev
            await self.flush()
            if idle:
                with trio.move_on_after(KEEP_ALIVE):
                    data = await self.stream.receive_some(65536)
                    conn.receive_data(data)
                    continue
                return None  # idle too long
            data = await self.stream.receive_some(65536)
            conn.receive_data(data)


async def _connection(app: Any, stream: Any) -> None:
    peer = _Peer(stream)
    conn = peer.conn
    try:
        while True:
            ev = await peer.next_event(idle=True)
            if not isinstance(ev, h11.Request):  # idle timeout, closed, or nonsense
                return
            await _cycle(app, peer, ev)
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                return
            try:
                conn.start_next_cycle()
            except h11.LocalProtocolError:
                return
    except h11.RemoteProtocolError as e:
        await _error(peer, e.error_status_hint, f"Bad request: {e}")
    except (_Closed, trio.BrokenResourceError, trio.ClosedResourceError, trio.BusyResourceError, OSError):
        pass
    finally:
        try:
            with trio.move_on_after(1) as cs:
                cs.shield = True
                await peer.flush()
        except (trio.BrokenResourceError, trio.ClosedResourceError, trio.BusyResourceError, OSError):
            pass
        await trio.aclose_forcefully(stream)


async def _error(peer: _Peer, status: int, text: str) -> None:
    """Answer `status` with `text` and `Connection: close` (after the answers still pending)."""
    conn = peer.conn
    if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
        return
    body = text.encode()
    try:
        peer.out.append(conn.send(h11.Response(status_code=status, headers=[  # type: ignore[arg-type]
            ("content-type", "text/plain; charset=utf-8"), ("content-length", str(len(body))),
            ("connection", "close")])))
        peer.out.append(conn.send(h11.Data(data=body)))  # type: ignore[arg-type]
        peer.out.append(conn.send(h11.EndOfMessage()))  # type: ignore[arg-type]
        await peer.flush()
    except (h11.LocalProtocolError, trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        pass


_ASGI = {"version": "3.0", "spec_version": "2.3"}
_CONTENT_LENGTH = b"content-length"
_RESPONSES: dict[tuple[int, tuple[tuple[bytes, bytes], ...]], h11.Response] = {}  # h11 validates once
_key_of: dict[int, tuple[int, tuple[tuple[bytes, bytes], ...]]] = {}  # id of a kept Response -> its key
_CLEANED: dict[tuple[int, Any, Any, bool], h11.Response] = {}  # see _Connection


def _response(status: int, headers: list[tuple[bytes, bytes]]) -> h11.Response:
    """The h11 Response event for (status, headers): kept for answers that repeat (202 with
    no body, the same errors), so h11 validates their headers once (~10 us each). Kept
    Responses live as long as the process (so their ids, which _Connection keys on, stay
    theirs)."""
    key = (status, tuple(headers))
    r = _RESPONSES.get(key)
    if r is None:
        r = h11.Response(status_code=status, headers=headers)  # type: ignore[arg-type]
        if len(_RESPONSES) < 256:
            _RESPONSES[key] = r
            _key_of[id(r)] = key
    return r


async def _cycle(app: Any, peer: _Peer, req: h11.Request) -> None:
    """One request: read its body (bounded), run the app in this task (no task per request),
    buffer its answer (see _Peer). A POST goes first to the app's `direct` handler when it
    has one (see _direct)."""
    conn = peer.conn
    target = req.target.decode("latin-1")
    path, _, query = target.partition("?")
    if "%" in path:
        path = urllib.parse.unquote(path)
    # the body, whole (bounded)
    chunks: list[bytes] = []
    size = 0
    while True:
        ev = await peer.next_event()
        if type(ev) is h11.Data:
            size += len(ev.data)
            if size > asgi.MAX_BODY:
                await _error(peer, 413, "Request body too large")
                raise _Closed()
            chunks.append(bytes(ev.data))
        elif type(ev) is h11.EndOfMessage:
            break
        elif isinstance(ev, h11.ConnectionClosed):
            raise _Closed()
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    direct = getattr(app, "direct", None)
    if direct is not None and req.method == b"POST" and await _direct(direct, peer, path, req, body):
        return
    scope = {
        "type": "http", "asgi": _ASGI,
        "http_version": "1.1" if req.http_version == b"1.1" else req.http_version.decode(),
        "method": req.method.decode("ascii"),
        "scheme": peer.scheme, "path": path,
        "raw_path": target.partition("?")[0].encode("latin-1"),
        "query_string": query.encode("latin-1"), "root_path": "",
        "headers": list(req.headers),  # h11 gives lower-cased names
        "client": peer.client, "server": peer.server,
    }

    body_sent = False
    started: dict[str, Any] | None = None
    head = req.method == b"HEAD"

    async def receive() -> dict[str, Any]:
        """The body, then (for apps that stream an answer) waits until the client goes away:
        the read here returns when it does (bytes it sends meanwhile go to h11's buffer)."""
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        try:
            await peer.flush()
            while not peer.eof:
                data = await peer.stream.receive_some(65536)
                if not data:
                    break
                conn.receive_data(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError, h11.RemoteProtocolError):
            pass
        peer.eof = True
        return {"type": "http.disconnect"}

    async def send(msg: dict[str, Any]) -> None:
        nonlocal started
        t = msg["type"]
        if t == "http.response.start":
            started = msg
            return
        if t != "http.response.body":
            return
        data = msg.get("body", b"")
        more = msg.get("more_body", False)
        if head:  # h11 frames a HEAD answer without a body
            data = b""
        out = peer.out
        if started is not None:
            start, started = started, None
            headers = start.get("headers", [])
            if not more and not head and not any(k.lower() == _CONTENT_LENGTH for k, _ in headers):
                headers = [*headers, (_CONTENT_LENGTH, str(len(data)).encode())]
            out.append(conn.send(_response(start["status"], headers)))  # type: ignore[arg-type]
        if data:
            out.append(conn.send(h11.Data(data=data)))  # type: ignore[arg-type]
        if not more:
            out.append(conn.send(h11.EndOfMessage()))  # type: ignore[arg-type]
            if not conn.trailing_data[0]:  # no pipelined request waiting: write now
                await peer.flush()
        else:
            await peer.flush()

    try:
        await app(scope, receive, send)
    except (OSError, trio.BrokenResourceError, trio.ClosedResourceError):
        raise _Closed() from None
    except Exception:  # noqa: BLE001 - an app bug: this request gets a 500, the server lives
        if conn.our_state is not h11.SEND_RESPONSE:
            raise _Closed() from None
    if conn.our_state is h11.SEND_RESPONSE:  # the app sent nothing: 500, as servers do
        await _error(peer, 500, "Internal server error")
    if peer.eof or conn.our_state is h11.SEND_BODY:
        raise _Closed()


async def _direct(direct: Any, peer: _Peer, path: str, req: h11.Request, body: bytes) -> bool:
    """The hot calls (a scheduler's ACKNOWLEDGE, an executor's UPDATE: one POST each per
    status update) past the ASGI plumbing: `await app.direct(path, headers, body)` answers
    (status, content type, body) for a call it handles whole, or None, before doing anything,
    for every other request (which then takes the ASGI path: the same app, the same checks,
    so a refusal there is the ASGI path's answer). Its answer gets the head `respond` gives
    (asgi.answer_headers); h11 frames and sends it as any other. Whether the request was
    answered here."""
    conn = peer.conn
    try:
        got = await direct(path, req.headers, body)
    except (OSError, trio.BrokenResourceError, trio.ClosedResourceError):
        raise _Closed() from None
    except Exception:  # noqa: BLE001 - an app bug: this request gets a 500, the server lives
        await _error(peer, 500, "Internal server error")  # and the connection ends (as _cycle)
        return True
    if got is None:
        return False
    status, content_type, data = got
    out = peer.out
    out.append(conn.send(_response(status, asgi.answer_headers(data, content_type))))  # type: ignore[arg-type]
    if data:
        out.append(conn.send(h11.Data(data=data)))  # type: ignore[arg-type]
    out.append(conn.send(h11.EndOfMessage()))  # type: ignore[arg-type]
    if not conn.trailing_data[0]:  # no pipelined request waiting: write now
        await peer.flush()
    return True
