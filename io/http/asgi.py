"""Small ASGI helpers shared by the master and agent apps (served by io/http/server.py, or by
hypercorn's Trio worker under `--http-server hypercorn`).

No HTTP parsing here: h11 does it. This module reads bodies, writes plain/JSON
responses and runs RecordIO event streams (200, chunked, one record per chunk), noticing the
client going away (`http.disconnect`)."""

from __future__ import annotations

import json
import math
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
    __slots__ = ("_query", "body", "headers", "method", "path", "receive", "scope")

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope = scope
        self.receive = receive
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self._query: dict[str, list[str]] | None = None  # parsed when first asked for
        self.headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self.body = b""

    @property
    def query(self) -> dict[str, list[str]]:
        if self._query is None:
            qs = self.scope.get("query_string", b"")
            self._query = urllib.parse.parse_qs(qs.decode("latin-1")) if qs else {}
        return self._query

    async def read_body(self, limit: int | None = None) -> bytes:
        """The whole body; BodyTooLarge past `limit` (default: MAX_BODY, which the daemons
        set from --max-body-size)."""
        limit = MAX_BODY if limit is None else limit
        msg = await self.receive()  # the usual case: the whole body in one message
        if msg["type"] != "http.disconnect" and not msg.get("more_body", False):
            body = msg.get("body", b"")
            if len(body) > limit:
                raise BodyTooLarge()
            self.body = body
            return body
        return await self._read_rest(msg, limit)

    async def _read_rest(self, msg: dict[str, Any], limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            if msg["type"] == "http.disconnect":
                break
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge()
            chunks.append(chunk)
            if not msg.get("more_body", False):
                break
            msg = await self.receive()
        self.body = b"".join(chunks)
        return self.body

    def arg(self, name: str, default: str | None = None) -> str | None:
        v = self.query.get(name)
        return v[0] if v else default


async def lifespan(receive: Any, send: Send) -> None:
    """ASGI lifespan: acknowledge startup and shutdown (the apps keep no state of their own)."""
    while True:
        msg = await receive()
        if msg["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif msg["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


TEXT = "text/plain; charset=utf-8"


def answer_headers(body: bytes, content_type: str = TEXT) -> list[tuple[bytes, bytes]]:
    """The headers of a plain answer (`respond` without extra headers, and the server's
    direct path for the hot calls, io/http/server.py: the same bytes either way)."""
    hdrs = [(b"content-length", str(len(body)).encode())]
    if body or content_type != TEXT:
        hdrs.append((b"content-type", content_type.encode()))
    return hdrs


def header_values(headers: Any, *names: bytes) -> list[str | None]:
    """The values of `names` (lower case) among raw (name, value) headers, decoded as
    Request.headers decodes them (the last of repeated headers wins, as there)."""
    out: list[str | None] = [None] * len(names)
    for k, v in headers:
        k = k.lower()
        for i, name in enumerate(names):
            if k == name:
                out[i] = v.decode("latin-1")
    return out


_EMPTY_STARTS: dict[int, dict[str, Any]] = {}
_EMPTY_BODY: dict[str, Any] = {"type": "http.response.body", "body": b"", "more_body": False}


async def respond(
    send: Send,
    status: int,
    body: bytes | str = b"",
    content_type: str = "text/plain; charset=utf-8",
    headers: list[tuple[str, str]] | None = None,
) -> None:
    if not body and headers is None and content_type == "text/plain; charset=utf-8":
        # an answer without a body (202 to every UPDATE/ACKNOWLEDGE): messages built once
        start = _EMPTY_STARTS.get(status)
        if start is None:
            start = _EMPTY_STARTS[status] = {"type": "http.response.start", "status": status,
                                             "headers": [(b"content-length", b"0")]}
        await send(start)
        await send(_EMPTY_BODY)
        return
    if isinstance(body, str):
        body = body.encode()
    hdrs = answer_headers(body, content_type)
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
        self.served = False  # serve() began (a stream closed before that still delivers its records)

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
        self.served = True
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
                     tls: Any = None, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Run hypercorn (Trio worker) on an already-listening socket until `shutdown` is set.
    `tls`: an io/http/tls.py TlsConfig (HTTPS on that socket) or None."""
    from hypercorn.config import Config
    from hypercorn.trio import serve

    cfg = Config()
    cfg.bind = [f"fd://{sock.fileno()}"]
    cfg.accesslog = None
    cfg.errorlog = None
    cfg.keep_alive_timeout = 75
    cfg.graceful_timeout = 0.5
    if tls is not None:
        import ssl

        cfg.certfile, cfg.keyfile, cfg.ca_certs = tls.cert, tls.key, tls.ca
        cfg.verify_mode = ssl.CERT_REQUIRED if tls.require_cert else None
        cfg.alpn_protocols = ["http/1.1"]
    trigger = (shutdown if shutdown is not None else trio.Event()).wait
    task_status.started()
    try:
        await serve(app, cfg, shutdown_trigger=trigger)  # type: ignore[arg-type]
    finally:
        # hypercorn made its own socket object of this fd and closes it: our object must not
        # close the same number again later (by then it may be another file: seen with
        # several daemons started and stopped in one process)
        sock.detach()
